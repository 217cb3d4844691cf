/* PID 1 duties: mounts, modules, root assembly, switch_root, identity, bootstrap (decisions 0203, 0240). */
#include "agent.h"
#include "bootstrap.h"
#include "net.h"

#include <dirent.h>
#include <net/if.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MODULES_DIR "/lib/modules/"
#define MODULES_LIST "/lib/modules/load.list"
#define MODULES_9P_LIST "/lib/modules/9p.list" /* loaded only when the bootstrap has a 9p mount (decision 1202) */
#define MOUNT_DISK_SERIAL "msb-mnt"              /* disks attached for mounts; never the root or its upper */
#define EROFS_MAGIC 0xE0F5E1E2u
#define EXT4_MAGIC 0xEF53u
/* systemd's SIGRTMIN+4 (start poweroff.target), numbered as systemd's glibc numbers it (SIGRTMIN 34); musl's SIGRTMIN
 * is 35, so SIGRTMIN+4 here would be systemd's reboot signal. Another init may ignore it: see power_off. */
#define HANDOFF_POWEROFF_SIGNAL 38
#define HANDOFF_POWEROFF_WAIT_S 20
static const char *const HANDOFF_CANDIDATES[] = {"/sbin/init", "/lib/systemd/systemd", "/usr/lib/systemd/systemd", NULL};

extern char **environ;

static void halt_guest(void);

static void warn(const char *what, const char *arg)
{
    fprintf(stderr, "agentd: %s %s: %s\n", what, arg ? arg : "", strerror(errno));
}

static void mkdirs(const char *path)
{
    char p[MOUNT_PATH_MAX + 16];
    snprintf(p, sizeof p, "%s", path);
    for (char *s = p + 1; *s; s++)
        if (*s == '/') {
            *s = 0;
            mkdir(p, 0755);
            *s = '/';
        }
    mkdir(p, 0755);
}

/* A boot-stage marker in the kernel log at debug level: dmesg then shows where boot time goes
 * (bench/vm/BootTrace) without slowing the serial console, which only prints warnings and worse. Each mark carries
 * agentd's own clock and the CPU time it used so far: a stage whose wall time exceeds its CPU time waited, or the
 * kernel worked for something else meanwhile. /dev/kmsg stays open (close-on-exec): a mark is one write. */
void boot_mark(const char *stage, const char *arg)
{
    static int fd = -2;
    if (fd == -2)
        fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return;
    char line[192];
    uint64_t t = boottime_ns();
    struct timespec cpu = {0};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
    int n = snprintf(line, sizeof line, "<7>agentd: %s%s%.64s (%llu.%06llu cpu %lld.%06ld)\n", stage, arg ? " " : "",
                     arg ? arg : "", (unsigned long long)(t / 1000000000u), (unsigned long long)(t % 1000000000u / 1000u),
                     (long long)cpu.tv_sec, cpu.tv_nsec / 1000);
    if (n > 0 && write(fd, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1) < 0)
        errno = 0; /* best effort */
}

static int mount_at(const char *src, const char *dst, const char *type, unsigned long flags, const char *data)
{
    mkdirs(dst);
    if (mount(src, dst, type, flags, data) && errno != EBUSY) {
        warn("mount", dst);
        return -1;
    }
    return 0;
}

#define MAX_MODULES 256
#define MAX_MODULE_GROUPS 8

static void load_group(char names[][128], size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        char path[160];
        snprintf(path, sizeof path, "%s%s", MODULES_DIR, names[i]);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            warn("open module", names[i]);
            continue;
        }
        if (syscall(SYS_finit_module, fd, "", 0) && errno != EEXIST)
            warn("finit_module", names[i]);
        close(fd);
        boot_mark("loaded", names[i]);
    }
}

/* finit_module for each file listed in load.list (names relative to /lib/modules, '#' comments), in order: the
 * initramfs builder puts dependencies first. An empty line separates groups that share no module; they load at
 * the same time, one process each, so one group's CPU work fills another's waits on the devices it probes. */
static void load_modules(const char *list)
{
    static char names[MAX_MODULES][128];
    size_t bounds[MAX_MODULE_GROUPS + 1] = {0}, groups = 0, n = 0;
    FILE *f = fopen(list, "re");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f) && n < MAX_MODULES) {
        line[strcspn(line, "\r\n")] = 0;
        if (!line[0]) {
            if (n > bounds[groups] && groups + 1 < MAX_MODULE_GROUPS)
                bounds[++groups] = n;
            continue;
        }
        if (line[0] == '#' || strchr(line, '/') || strlen(line) >= sizeof names[0])
            continue;
        memcpy(names[n++], line, strlen(line) + 1);
    }
    fclose(f);
    if (n > bounds[groups])
        bounds[++groups] = n;
    pid_t kids[MAX_MODULE_GROUPS];
    size_t forked = 0;
    for (size_t g = 1; g < groups; g++) {
        pid_t pid = fork();
        if (pid == 0) {
            load_group(names, bounds[g], bounds[g + 1]);
            _exit(0);
        }
        if (pid < 0)
            load_group(names, bounds[g], bounds[g + 1]); /* no process to spare: load it here */
        else
            kids[forked++] = pid;
    }
    if (groups)
        load_group(names, bounds[0], bounds[1]);
    for (size_t i = 0; i < forked; i++)
        while (waitpid(kids[i], NULL, 0) < 0 && errno == EINTR)
            ;
}

static struct cbor_doc bootstrap;
static const struct cv *boot_map; /* bootstrap.root once read, else NULL */

/* The per-sandbox bootstrap: a file the host appends to this VM's initramfs (the shared initramfs is cached,
 * and a command line is readable by every user on the host), else the kernel command line (decision 0240). */
static const struct cv *load_bootstrap(void)
{
    char cmdline[4096] = "", err[200] = "";
    const char *source;
    int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, cmdline, sizeof cmdline - 1) : -1;
    if (fd >= 0)
        close(fd);
    cmdline[n > 0 ? n : 0] = 0;
    int rc = bootstrap_load(BOOTSTRAP_FILE, cmdline, &bootstrap, &source, err, sizeof err);
    unlink(BOOTSTRAP_FILE); /* read once; it must not linger in the initramfs */
    if (rc < 0)
        fprintf(stderr, "agentd: ignoring the bootstrap from %s: %s\n", source, err);
    return rc ? NULL : bootstrap.root;
}

/* Reads the superblock magics of /dev/<name>: 1 for EROFS, 2 for ext4, 0 otherwise. */
static int disk_kind(const char *dev)
{
    int fd = open(dev, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    uint8_t sb[1024 + 64];
    ssize_t n = pread(fd, sb, sizeof sb, 0);
    close(fd);
    if (n < (ssize_t)sizeof sb)
        return 0;
    uint32_t em = sb[1024] | sb[1025] << 8 | sb[1026] << 16 | (uint32_t)sb[1027] << 24;
    uint16_t xm = (uint16_t)(sb[1024 + 0x38] | sb[1024 + 0x39] << 8);
    return em == EROFS_MAGIC ? 1 : xm == EXT4_MAGIC ? 2 : 0;
}

/* /sys/block/<name>/serial (the host's serial= of virtio-blk): 1 with it in out, 0 without. */
static int disk_serial(const char *name, char *out, size_t n)
{
    char path[96];
    snprintf(path, sizeof path, "/sys/block/%.32s/serial", name);
    FILE *f = fopen(path, "re");
    if (!f)
        return 0;
    int ok = fgets(out, (int)n, f) != NULL;
    fclose(f);
    if (ok)
        out[strcspn(out, "\n")] = 0;
    return ok;
}

/* The /dev node of the virtio-blk disk whose serial is want; waits up to 5 s for it to appear. */
static int disk_by_serial(const char *want, char *dev, size_t n)
{
    for (int tries = 0; tries < 50; tries++) {
        DIR *d = opendir("/sys/block");
        struct dirent *e;
        char serial[32];
        int found = 0;
        while (d && !found && (e = readdir(d)))
            if (!strncmp(e->d_name, "vd", 2) && strlen(e->d_name) <= 32 && disk_serial(e->d_name, serial, sizeof serial) &&
                !strcmp(serial, want)) {
                snprintf(dev, n, "/dev/%.32s", e->d_name);
                found = 1;
            }
        if (d)
            closedir(d);
        if (found)
            return 0;
        usleep(100000);
    }
    errno = ENODEV;
    return -1;
}

/* Finds the first virtio-blk disk of each kind; waits up to 5 s for devices to appear. */
static void find_disks(char *lower, char *upper, size_t n)
{
    for (int tries = 0; tries < 50 && (!lower[0] || !upper[0]); tries++) {
        DIR *d = opendir("/sys/block");
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (strncmp(e->d_name, "vd", 2))
                continue;
            char dev[64];
            if (strlen(e->d_name) > 32)
                continue;
            snprintf(dev, sizeof dev, "/dev/%.32s", e->d_name);
            char serial[32];
            if (disk_serial(e->d_name, serial, sizeof serial) && !strncmp(serial, MOUNT_DISK_SERIAL, strlen(MOUNT_DISK_SERIAL)))
                continue; /* an ext4 image the user mounts elsewhere is not the upper */
            int k = disk_kind(dev);
            if (k == 1 && !lower[0])
                snprintf(lower, n, "%s", dev);
            else if (k == 2 && !upper[0])
                snprintf(upper, n, "%s", dev);
        }
        if (d)
            closedir(d);
        if (lower[0] && upper[0])
            break;
        if (lower[0] && tries >= 10) /* an EROFS root without an ext4 disk gets a tmpfs upper */
            break;
        usleep(100000);
    }
}

static const char *text(const struct cv *m, const char *key, size_t max)
{
    const struct cv *v = cv_get(m, key);
    if (!v || v->type != CV_TEXT || v->n > max || strlen(v->s) != v->n)
        return NULL;
    return v->s;
}

/* Overlay root (EROFS lower + ext4 or tmpfs upper), then switch_root while staying PID 1. */
static int assemble_root(const struct cv *bs)
{
    char lower[256] = "", upper[256] = "", upper_type[16] = "ext4";
    const struct cv *br = cv_get(bs, "block_root");
    const char *kind = br ? text(br, "kind", 32) : NULL;
    if (kind && !strcmp(kind, "disk-image")) {
        const char *dev = text(br, "device", 200), *fs = text(br, "fstype", 15);
        if (!dev || mount_at(dev, "/newroot", fs ? fs : "ext4", 0, NULL))
            return -1;
        goto switch_root;
    }
    if (kind && !strcmp(kind, "oci-erofs")) {
        const char *l = text(br, "lower", 200);
        const struct cv *up = cv_get(br, "upper");
        const char *uk = up ? text(up, "kind", 32) : NULL;
        if (l)
            snprintf(lower, sizeof lower, "%s", l);
        if (uk && !strcmp(uk, "device")) {
            const char *u = text(up, "device", 200), *t = text(up, "fstype", 15);
            if (u)
                snprintf(upper, sizeof upper, "%s", u);
            if (t)
                snprintf(upper_type, sizeof upper_type, "%s", t);
        } else if (uk && !strcmp(uk, "tmpfs"))
            snprintf(upper, sizeof upper, "tmpfs");
    }
    find_disks(lower, upper, sizeof lower);
    boot_mark("disks found", lower);
    if (!lower[0]) {
        fputs("agentd: no EROFS root disk found; staying on the initramfs root\n", stderr);
        return 1;
    }
    if (mount_at(lower, "/mnt/lower", "erofs", MS_RDONLY, NULL))
        return -1;
    if (!upper[0] || !strcmp(upper, "tmpfs")) {
        if (mount_at("tmpfs", "/mnt/upper", "tmpfs", 0, "mode=0755"))
            return -1;
    } else if (mount_at(upper, "/mnt/upper", upper_type, 0, NULL))
        return -1;
    mkdir("/mnt/upper/upper", 0755);
    mkdir("/mnt/upper/work", 0755);
    if (mount_at("overlay", "/newroot", "overlay", 0,
                 "lowerdir=/mnt/lower,upperdir=/mnt/upper/upper,workdir=/mnt/upper/work"))
        return -1;
switch_root:
    boot_mark("root assembled", NULL);
    for (const char *const *m = (const char *const[]){"/dev", "/proc", "/sys", NULL}; *m; m++) {
        char dst[64];
        snprintf(dst, sizeof dst, "/newroot%s", *m);
        mkdir(dst, 0755);
        if (mount(*m, dst, NULL, MS_MOVE, NULL))
            warn("move mount", *m);
    }
    if (chdir("/newroot") || mount(".", "/", NULL, MS_MOVE, NULL) || chroot(".") || chdir("/")) {
        warn("switch_root", "/newroot");
        return -1;
    }
    return 0;
}

/* Bootstrap env, rlimits, user and workdir become the defaults every exec inherits. */
static void apply_defaults(const struct cv *bs, struct agent_config *cfg)
{
    setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);
    setenv("HOME", "/root", 1);
    setenv("TERM", "xterm-256color", 0);
    if (!bs)
        return;
    const struct cv *env = cv_get(bs, "default_env");
    for (size_t i = 0; env && env->type == CV_ARRAY && i < env->n && i < BOOTSTRAP_ENV_MAX; i++) {
        const char *k, *v;
        char err[300];
        if (bootstrap_env_entry("default_env", &env->kids[i], i, &k, &v, err, sizeof err))
            fprintf(stderr, "agentd: bootstrap %s: ignored\n", err);
        else if (default_env_set(k, v))
            warn("setenv", k);
    }
    const struct cv *rl = cv_get(bs, "rlimits");
    for (size_t i = 0; rl && rl->type == CV_ARRAY && i < rl->n; i++) {
        struct fields f = {.map = &rl->kids[i]};
        const char *name;
        uint64_t soft, hard;
        int res;
        if (f_text(&f, "resource", 1, 32, &name) || f_u64(&f, "soft", 1, UINT64_MAX, &soft) ||
            f_u64(&f, "hard", 1, UINT64_MAX, &hard) || soft > hard || (res = rlimit_resource(name)) < 0) {
            fprintf(stderr, "agentd: bootstrap rlimits[%zu] ignored: %s\n", i, f.err[0] ? f.err : "bad resource or soft > hard");
            continue;
        }
        struct rlimit lim = {soft == UINT64_MAX ? RLIM_INFINITY : (rlim_t)soft, hard == UINT64_MAX ? RLIM_INFINITY : (rlim_t)hard};
        if (setrlimit(res, &lim))
            warn("setrlimit", name);
    }
    char err[300];
    if (bootstrap_exec_defaults(bs, &cfg->default_user, &cfg->default_cwd, err, sizeof err))
        fprintf(stderr, "agentd: bootstrap %s: ignored\n", err);
    const struct cv *tm = cv_get(bs, "tmpfs_mounts");
    for (size_t i = 0; tm && tm->type == CV_ARRAY && i < tm->n && i < 64; i++) {
        const char *path = text(&tm->kids[i], "path", 4096);
        struct fields f = {.map = &tm->kids[i]};
        uint64_t size = 0, mode = 01777;
        if (!path || path[0] != '/' || f_u64(&f, "size_mib", 0, 1u << 20, &size) < 0 || f_u64(&f, "mode", 0, 07777, &mode) < 0)
            continue;
        char opts[64];
        if (size)
            snprintf(opts, sizeof opts, "mode=%llo,size=%llum", (unsigned long long)mode, (unsigned long long)size);
        else
            snprintf(opts, sizeof opts, "mode=%llo", (unsigned long long)mode);
        mount_at("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, opts);
    }
}

/* Whether a well-formed mount of the bootstrap is a 9p share (a malformed list fails later, in guest_mounts). */
static int wants_9p(const struct cv *bs)
{
    static struct guest_mount m[BOOTSTRAP_MOUNTS_MAX];
    size_t n = 0;
    char err[300];
    if (bootstrap_mounts(bs, m, &n, err, sizeof err))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (m[i].kind == GUEST_MOUNT_9P)
            return 1;
    return 0;
}

int guest_mount(const struct guest_mount *m, char *err, size_t errlen)
{
    char dev[64] = "", data[96] = "";
    const char *src = dev, *type = m->fstype;
    if (m->kind == GUEST_MOUNT_9P) {
        src = m->source;
        type = "9p";
        snprintf(data, sizeof data, "trans=virtio,version=9p2000.L,msize=%d", 512 * 1024);
    } else if (m->kind == GUEST_MOUNT_TMPFS) {
        src = "tmpfs";
        type = "tmpfs";
        if (m->size_mib)
            snprintf(data, sizeof data, "mode=1777,size=%llum", (unsigned long long)m->size_mib);
        else
            snprintf(data, sizeof data, "mode=1777");
    } else if (disk_by_serial(m->source, dev, sizeof dev)) {
        snprintf(err, errlen, "%s: no disk with serial %s", m->path, m->source);
        return -1;
    }
    mkdirs(m->path);
    if (mount(src, m->path, type, m->flags, data[0] ? data : NULL)) {
        int e = errno;
        snprintf(err, errlen, "%s (%s %s): %s%s", m->path, type, src, strerror(e),
                 e == ENODEV && m->kind == GUEST_MOUNT_9P ? " (the guest kernel has no 9p modules: see"
                                                            " native/guest/fetch-kernel.sh)" : "");
        return -1;
    }
    boot_mark("mounted", m->path);
    return 0;
}

/* The bootstrap's mounts, in the new root, before anything runs (decision 1202). A mount that cannot be made ends the
 * boot with a line naming the entry and the path: a sandbox without the data it asked for must not start. */
static int guest_mounts(const struct cv *bs)
{
    static struct guest_mount m[BOOTSTRAP_MOUNTS_MAX];
    size_t n = 0;
    char err[400];
    if (bootstrap_mounts(bs, m, &n, err, sizeof err)) {
        fprintf(stderr, "agentd: mount failed: bootstrap %s\n", err);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        if (guest_mount(&m[i], err, sizeof err)) {
            fprintf(stderr, "agentd: mount failed: mounts[%zu] %s\n", i, err);
            return -1;
        }
    return 0;
}

/*
 * Free page reporting down to single pages (decision 1918): Linux 6.1 resets the order to pageblock_order (2 MiB)
 * when virtio_balloon registers, so it is set here, after the modules; absent without a balloon driver.
 */
static void report_free_pages_singly(void)
{
    int fd = open("/sys/module/page_reporting/parameters/page_reporting_order", O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    if (write(fd, "0", 1) != 1)
        warn("write", "page_reporting_order");
    close(fd);
}

int init_system(struct agent_config *cfg)
{
    int rc = 0;
    umask(022);
    mount_at("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755");
    /* fds 0-2 must be taken before any other open, or logs could land on the agent port */
    int con = open("/dev/console", O_RDWR | O_CLOEXEC);
    if (con < 0)
        con = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (con >= 0) {
        dup2(con, 0);
        dup2(con, 1);
        dup2(con, 2);
        if (con > 2)
            close(con);
    }
    char entered[32]; /* /dev/kmsg exists only now: say when main() began, on the kernel log's clock */
    snprintf(entered, sizeof entered, "%llu.%06llu", (unsigned long long)(cfg->boot_time_ns / 1000000000u),
             (unsigned long long)(cfg->boot_time_ns % 1000000000u / 1000u));
    boot_mark("started at", entered);
    mount_at("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    mount_at("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    load_modules(MODULES_LIST);
    report_free_pages_singly();
    const struct cv *bs = boot_map = load_bootstrap();
    boot_mark("bootstrap read", NULL);
    if (wants_9p(bs)) /* from the initramfs, so before switch_root */
        load_modules(MODULES_9P_LIST);
    if (assemble_root(bs) < 0)
        rc = -1;
    mount_at("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5");
    unlink("/dev/ptmx");
    if (symlink("pts/ptmx", "/dev/ptmx"))
        warn("symlink", "/dev/ptmx");
    mount_at("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
    mount_at("cgroup2", "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    mount_at("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755");
    mkdir("/tmp", 01777);
    mkdir("/.msb", 0700);
    identity_boot(bs);
    boot_mark("identity", NULL);
    apply_defaults(bs, cfg);
    if (guest_mounts(bs))
        halt_guest(); /* create fails with the line above in its kernel log tail */
    return rc;
}

/* The host names the port; the kernel lists it under /sys/class/virtio-ports/vportNpM/name. */
int open_agent_port(void)
{
    DIR *d = opendir("/sys/class/virtio-ports");
    if (!d)
        return -1;
    struct dirent *e;
    int fd = -1;
    while (fd < 0 && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[512], name[64] = "";
        snprintf(path, sizeof path, "/sys/class/virtio-ports/%s/name", e->d_name);
        FILE *f = fopen(path, "re");
        if (!f)
            continue;
        if (fgets(name, sizeof name, f))
            name[strcspn(name, "\n")] = 0;
        fclose(f);
        if (!strcmp(name, "agent")) {
            snprintf(path, sizeof path, "/dev/%s", e->d_name);
            fd = open(path, O_RDWR | O_CLOEXEC | O_NOCTTY);
        }
    }
    closedir(d);
    return fd;
}

static int executable_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111);
}

/* Power off now, from any process (CAP_SYS_BOOT is enough): the end of a guest that cannot go on. */
static void halt_guest(void)
{
    sync();
    reboot(RB_POWER_OFF);
    _exit(1);
}

void init_handoff(void)
{
    static struct handoff h;
    char err[300];
    int rc = bootstrap_handoff(boot_map, &h, err, sizeof err);
    if (rc == 1)
        return;
    const char *cmd = rc ? NULL : h.cmd;
    for (const char *const *c = HANDOFF_CANDIDATES; rc == 0 && !strcmp(h.cmd, HANDOFF_AUTO) && (cmd = *c); c++)
        if (executable_file(cmd))
            break;
    if (rc == 0 && (!cmd || !executable_file(cmd)))
        snprintf(err, sizeof err, "%s: %s", h.cmd,
                 cmd ? "not an executable file in the root" : "none of /sbin/init, /lib/systemd/systemd,"
                                                              " /usr/lib/systemd/systemd is an executable file");
    else if (rc == 0) {
        pid_t pid = fork();
        if (pid == 0) { /* the agent goes on here, in a session of its own that the init's signals miss */
            setsid();
            boot_mark("PID 1 handed to", cmd);
            return;
        }
        if (pid > 0) { /* PID 1 becomes the init, with agentd's environment plus the handoff's */
            for (size_t i = 0; h.env && i < h.env->n; i++)
                setenv(cv_get(&h.env->kids[i], "key")->s, cv_get(&h.env->kids[i], "value")->s, 1);
            h.argv[0] = cmd;
            sigset_t none;
            sigemptyset(&none);
            sigprocmask(SIG_SETMASK, &none, NULL);
            execv(cmd, (char *const *)h.argv);
        }
        snprintf(err, sizeof err, "%s: %s", cmd, strerror(errno));
    }
    /* the sandbox was asked for an init and cannot have it: end the boot, so that create fails with this line */
    fprintf(stderr, "agentd: init handoff failed: %s\n", err);
    halt_guest();
}

void power_off(void)
{
    sync();
    if (getpid() != 1) { /* PID 1 is the image's init (0431): ask it; its shutdown ends this process too */
        if (kill(1, HANDOFF_POWEROFF_SIGNAL) == 0)
            sleep(HANDOFF_POWEROFF_WAIT_S);
        fprintf(stderr, "agentd: the init did not power off within %d s; powering off\n", HANDOFF_POWEROFF_WAIT_S);
        halt_guest();
    }
    if (mount(NULL, "/", NULL, MS_REMOUNT | MS_RDONLY, NULL))
        warn("remount read-only", "/");
    sync();
    reboot(RB_POWER_OFF);
    _exit(0);
}
