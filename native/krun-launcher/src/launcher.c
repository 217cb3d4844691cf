/*
 * krun-launcher: runs one sandbox VM with libkrun (decision 1740).
 *
 * libkrun runs the VM inside the process that calls krun_start_enter and never returns from it, so the JVM spawns
 * this launcher per sandbox. It dlopens libkrun.so.1, configures one context from argv, starts two threads (the
 * agent relay and the lifetime watcher on stdin), prints "started <pid>" and enters the VM. See usage().
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/kvm.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cpio.h"

/* Exit statuses the Java side tells apart (LauncherExit). */
enum {
    EXIT_USAGE = 2,
    EXIT_NO_LIBKRUN = 3,
    EXIT_NO_KVM = 4,
    EXIT_KRUN_CALL = 5,
    EXIT_SETUP = 6,
    EXIT_ORPHANED = 7
};

#define MAX_DISKS 16
#define MAX_ENV 64
#define MAX_ENV_LEN 4096
#define MAX_CMDLINE 2047
/* libkrun appends " KRUN_* words -- args" (empty here: 10 bytes) and the environment to the kernel command line. */
#define KRUN_CMDLINE_RESERVE 16
#define MAX_CPUS 255
#define MIN_MEMORY_MIB 64
#define MAX_MEMORY_MIB (1u << 20)
#define MAX_BOOTSTRAP (1 << 20)
#define MAX_INITRAMFS (1u << 30)
#define MAX_CONSOLE_CAP (1LL << 30)
#define KVM_API_VERSION_EXPECTED 12
#define TEST_ONLY_SKIP_KVM "MSB_KRUN_TEST_ONLY_SKIP_KVM_CHECK"

struct disk {
    const char *id;
    const char *path;
    uint32_t format;
    bool read_only;
};

struct config {
    bool probe;
    const char *libkrun;
    int cpus;
    uint32_t memory_mib;
    const char *kernel;
    uint32_t kernel_format;
    const char *initramfs;
    const char *agent;
    const char *bootstrap;
    const char *cmdline;
    const char *agent_socket;
    const char *console_log;
    long long console_cap;
    bool detached;
    uint32_t log_level;
    struct disk disks[MAX_DISKS];
    int ndisks;
    const char *env[MAX_ENV + 1];
    int nenv;
};

/* The libkrun entry points used, resolved by name so that a missing one is reported by name. */
struct krun {
    int32_t (*set_log_level)(uint32_t);
    int32_t (*create_ctx)(void);
    int32_t (*set_vm_config)(uint32_t, uint8_t, uint32_t);
    int32_t (*set_kernel)(uint32_t, const char *, uint32_t, const char *, const char *);
    int32_t (*add_disk2)(uint32_t, const char *, const char *, uint32_t, bool);
    int32_t (*disable_implicit_vsock)(uint32_t);
    int32_t (*set_console_output)(uint32_t, const char *);
    int32_t (*add_virtio_console_multiport)(uint32_t);
    int32_t (*add_console_port_inout)(uint32_t, uint32_t, const char *, int, int);
    int32_t (*set_env)(uint32_t, const char *const[]);
    int32_t (*start_enter)(uint32_t);
};

static void usage(void)
{
    fputs("usage: krun-launcher --probe [--libkrun PATH]\n"
          "       krun-launcher [--libkrun PATH] --cpus N --memory MIB --kernel PATH [--kernel-format F]\n"
          "           (--initramfs PATH | --agent PATH) [--bootstrap FILE] [--cmdline STR]\n"
          "           [--disk ID,raw|qcow2,ro|rw,PATH]... [--env NAME=VALUE]...\n"
          "           --agent-socket PATH --console-log PATH [--console-cap BYTES]\n"
          "           --lifetime attached|detached [--log-level 0-5]\n",
          stderr);
}

static _Noreturn void fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static _Noreturn void fail(int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(status);
}

static long long number(const char *opt, const char *s, long long min, long long max)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        fail(EXIT_USAGE, "%s must be a number from %lld to %lld, is '%s'", opt, min, max, s);
    return v;
}

static const char *absolute_path(const char *opt, const char *s)
{
    if (s[0] != '/' || strlen(s) >= PATH_MAX)
        fail(EXIT_USAGE, "%s must be an absolute path shorter than %d bytes, is '%s'", opt, PATH_MAX, s);
    return s;
}

static uint32_t kernel_format(const char *s)
{
    static const char *const names[] = {"raw", "elf", "pe-gz", "image-bz2", "image-gz", "image-zstd"};
    for (uint32_t i = 0; i < sizeof names / sizeof *names; i++)
        if (!strcmp(s, names[i]))
            return i; /* KRUN_KERNEL_FORMAT_* in this order */
    fail(EXIT_USAGE, "--kernel-format must be raw, elf, pe-gz, image-bz2, image-gz or image-zstd, is '%s'", s);
}

static bool id_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* ID,FORMAT,ro|rw,PATH; the ID is the virtio-blk serial (20 bytes at most), by which agentd finds a disk. */
static void parse_disk(struct config *c, char *s)
{
    if (c->ndisks == MAX_DISKS)
        fail(EXIT_USAGE, "--disk: at most %d disks", MAX_DISKS);
    struct disk *d = &c->disks[c->ndisks++];
    char *format = strchr(s, ',');
    char *mode = format ? strchr(format + 1, ',') : NULL;
    char *path = mode ? strchr(mode + 1, ',') : NULL;
    if (!path)
        fail(EXIT_USAGE, "--disk must be ID,raw|qcow2,ro|rw,PATH, is '%s'", s);
    *format++ = *mode++ = *path++ = 0;
    size_t n = strlen(s);
    if (n == 0 || n > 20)
        fail(EXIT_USAGE, "--disk ID must be 1 to 20 characters, is '%s'", s);
    for (size_t i = 0; i < n; i++)
        if (!id_char(s[i]))
            fail(EXIT_USAGE, "--disk ID may hold letters, digits, '-' and '_' only, is '%s'", s);
    d->id = s;
    if (!strcmp(format, "raw"))
        d->format = 0;
    else if (!strcmp(format, "qcow2"))
        d->format = 1;
    else
        fail(EXIT_USAGE, "--disk %s: format must be raw or qcow2, is '%s'", s, format);
    if (strcmp(mode, "ro") && strcmp(mode, "rw"))
        fail(EXIT_USAGE, "--disk %s: mode must be ro or rw, is '%s'", s, mode);
    d->read_only = !strcmp(mode, "ro");
    d->path = absolute_path("--disk PATH", path);
}

static void parse_env(struct config *c, const char *s)
{
    if (c->nenv == MAX_ENV)
        fail(EXIT_USAGE, "--env: at most %d variables", MAX_ENV);
    const char *eq = strchr(s, '=');
    if (!eq || eq == s || strlen(s) > MAX_ENV_LEN)
        fail(EXIT_USAGE, "--env must be NAME=VALUE, at most %d bytes, is '%.64s'", MAX_ENV_LEN, s);
    for (const char *p = s; p < eq; p++)
        if (!id_char(*p) || *p == '-')
            fail(EXIT_USAGE, "--env NAME may hold letters, digits and '_' only, is '%.*s'", (int)(eq - s), s);
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '"')
            fail(EXIT_USAGE, "--env %.*s: the value holds a space, a quote or a control character (libkrun passes"
                 " the environment on the kernel command line)", (int)(eq - s), s);
    c->env[c->nenv++] = s;
}

static void parse(struct config *c, int argc, char **argv)
{
    memset(c, 0, sizeof *c);
    c->libkrun = "libkrun.so.1";
    c->kernel_format = 1; /* elf */
    c->console_cap = 8LL << 20;
    c->log_level = 1; /* errors */
    c->cmdline = "";
    const char *lifetime = NULL;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        if (!strcmp(o, "--probe")) {
            c->probe = true;
            continue;
        }
        if (i + 1 == argc) {
            usage();
            fail(EXIT_USAGE, "%s: missing value or unknown option", o);
        }
        char *v = argv[++i];
        if (!strcmp(o, "--libkrun"))
            c->libkrun = v;
        else if (!strcmp(o, "--cpus"))
            c->cpus = (int)number(o, v, 1, MAX_CPUS);
        else if (!strcmp(o, "--memory"))
            c->memory_mib = (uint32_t)number(o, v, MIN_MEMORY_MIB, MAX_MEMORY_MIB);
        else if (!strcmp(o, "--kernel"))
            c->kernel = absolute_path(o, v);
        else if (!strcmp(o, "--kernel-format"))
            c->kernel_format = kernel_format(v);
        else if (!strcmp(o, "--initramfs"))
            c->initramfs = absolute_path(o, v);
        else if (!strcmp(o, "--agent"))
            c->agent = absolute_path(o, v);
        else if (!strcmp(o, "--bootstrap"))
            c->bootstrap = absolute_path(o, v);
        else if (!strcmp(o, "--cmdline")) {
            if (strlen(v) > MAX_CMDLINE)
                fail(EXIT_USAGE, "--cmdline is longer than %d bytes", MAX_CMDLINE);
            c->cmdline = v;
        } else if (!strcmp(o, "--disk"))
            parse_disk(c, v);
        else if (!strcmp(o, "--env"))
            parse_env(c, v);
        else if (!strcmp(o, "--agent-socket")) {
            if (strlen(absolute_path(o, v)) >= sizeof(((struct sockaddr_un *)0)->sun_path))
                fail(EXIT_USAGE, "--agent-socket is too long for a UNIX socket path: '%s'", v);
            c->agent_socket = v;
        } else if (!strcmp(o, "--console-log"))
            c->console_log = absolute_path(o, v);
        else if (!strcmp(o, "--console-cap"))
            c->console_cap = number(o, v, 0, MAX_CONSOLE_CAP);
        else if (!strcmp(o, "--lifetime"))
            lifetime = v;
        else if (!strcmp(o, "--log-level"))
            c->log_level = (uint32_t)number(o, v, 0, 5);
        else {
            usage();
            fail(EXIT_USAGE, "unknown option %s", o);
        }
    }
    if (c->probe)
        return;
    if (!c->cpus || !c->memory_mib || !c->kernel || !c->agent_socket || !c->console_log || !lifetime)
        fail(EXIT_USAGE, "--cpus, --memory, --kernel, --agent-socket, --console-log and --lifetime are required");
    if (!c->initramfs && !c->agent)
        fail(EXIT_USAGE, "give --initramfs or --agent (or both): the guest needs an /init");
    size_t line = strlen(c->cmdline);
    for (int i = 0; i < c->nenv; i++)
        line += 1 + strlen(c->env[i]);
    if (line > MAX_CMDLINE - KRUN_CMDLINE_RESERVE)
        fail(EXIT_USAGE, "--cmdline and --env make a kernel command line of %zu bytes, more than %d (libkrun puts the"
             " environment there too)", line, MAX_CMDLINE - KRUN_CMDLINE_RESERVE);
    if (strcmp(lifetime, "attached") && strcmp(lifetime, "detached"))
        fail(EXIT_USAGE, "--lifetime must be attached or detached, is '%s'", lifetime);
    c->detached = !strcmp(lifetime, "detached");
}

/* /dev/kvm opens read-write and speaks the stable API: what libkrun needs before it creates a VM. */
static bool kvm_usable(char *why, size_t len)
{
    int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        snprintf(why, len, "KVM not usable: /dev/kvm: %s", strerror(errno));
        return false;
    }
    int v = ioctl(fd, KVM_GET_API_VERSION, 0);
    int err = errno;
    close(fd);
    if (v != KVM_API_VERSION_EXPECTED) {
        snprintf(why, len, "KVM not usable: /dev/kvm: KVM_GET_API_VERSION %s %d", v < 0 ? "failed:" : "is",
                 v < 0 ? err : v);
        return false;
    }
    return true;
}

static void *symbol(void *lib, const char *libname, const char *name, char *why, size_t len)
{
    void *p = dlsym(lib, name);
    if (!p && !*why)
        snprintf(why, len, "%s lacks %s (libkrun 1.17 or later is needed)", libname, name);
    return p;
}

/* Loads libkrun and resolves every entry point, or says in `why` what is missing. */
static bool load_krun(const char *libname, struct krun *k, char *why, size_t len)
{
    void *lib = dlopen(libname, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        const char *e = dlerror();
        snprintf(why, len, "libkrun.so.1 not found: %s", e ? e : libname);
        return false;
    }
    *why = 0;
#define SYM(field, name) *(void **)&k->field = symbol(lib, libname, name, why, len)
    SYM(set_log_level, "krun_set_log_level");
    SYM(create_ctx, "krun_create_ctx");
    SYM(set_vm_config, "krun_set_vm_config");
    SYM(set_kernel, "krun_set_kernel");
    SYM(add_disk2, "krun_add_disk2");
    SYM(disable_implicit_vsock, "krun_disable_implicit_vsock");
    SYM(set_console_output, "krun_set_console_output");
    SYM(add_virtio_console_multiport, "krun_add_virtio_console_multiport");
    SYM(add_console_port_inout, "krun_add_console_port_inout");
    SYM(set_env, "krun_set_env");
    SYM(start_enter, "krun_start_enter");
#undef SYM
    return !*why;
}

/*
 * Both checks, reported together on one line: a host missing both learns both at once. libkrun first, so that
 * the status says the more basic lack. The KVM check is skipped only under the test-only switch (decision 1742).
 */
static void check_host(const struct config *c, struct krun *k)
{
    char lib_why[512] = "", kvm_why[256] = "";
    bool lib_ok = load_krun(c->libkrun, k, lib_why, sizeof lib_why);
    const char *skip = getenv(TEST_ONLY_SKIP_KVM);
    bool kvm_ok = (skip && !strcmp(skip, "1")) || kvm_usable(kvm_why, sizeof kvm_why);
    if (!lib_ok)
        fail(EXIT_NO_LIBKRUN, "%s%s%s", lib_why, kvm_ok ? "" : "; ", kvm_ok ? "" : kvm_why);
    if (!kvm_ok)
        fail(EXIT_NO_KVM, "%s", kvm_why);
}

static void call(const char *what, int32_t rc)
{
    if (rc < 0)
        fail(EXIT_KRUN_CALL, "%s failed: %s", what, strerror(-rc));
}

static int read_file(const char *path, size_t max, unsigned char **out, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    *len = (size_t)st.st_size;
    *out = malloc(*len ? *len : 1);
    size_t got = 0;
    while (*out && got < *len) {
        ssize_t n = read(fd, *out + got, *len - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    return *out && got == *len ? 0 : -1;
}

static void write_all(int fd, const void *buf, size_t len, const char *what)
{
    const char *p = buf;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            fail(EXIT_SETUP, "%s: %s", what, strerror(errno));
        p += n;
        len -= (size_t)n;
    }
}

/*
 * The guest's initramfs, in memory (decision 1741): the given one, then an archive with the agent as /init and the
 * bootstrap as /msb/bootstrap.cbor (the kernel unpacks concatenated archives; agentd reads the file and deletes it).
 * The bootstrap file is unlinked as soon as it is read: its secrets stay on disk only while the launcher starts.
 * libkrun reads the initramfs by the returned /proc/self/fd path.
 */
static int build_initramfs(const struct config *c, char *path, size_t len)
{
    int fd = memfd_create("msb-initramfs", MFD_CLOEXEC);
    if (fd < 0)
        fail(EXIT_SETUP, "memfd_create: %s", strerror(errno));
    unsigned char *data;
    size_t n;
    if (c->initramfs) {
        if (read_file(c->initramfs, MAX_INITRAMFS, &data, &n))
            fail(EXIT_SETUP, "--initramfs %s: cannot read a regular file of at most 1 GiB", c->initramfs);
        write_all(fd, data, n, "initramfs");
        write_all(fd, "\0\0\0", (4 - n % 4) % 4, "initramfs");
        free(data);
    }
    struct cpio archive = {0};
    if (c->agent) {
        if (read_file(c->agent, 64u << 20, &data, &n))
            fail(EXIT_SETUP, "--agent %s: cannot read a regular file of at most 64 MiB", c->agent);
        cpio_file(&archive, "init", 0100755, data, n);
        free(data);
    }
    if (c->bootstrap) {
        int rc = read_file(c->bootstrap, MAX_BOOTSTRAP, &data, &n);
        unlink(c->bootstrap);
        if (rc)
            fail(EXIT_SETUP, "--bootstrap %s: cannot read a regular file of at most %d bytes", c->bootstrap,
                 MAX_BOOTSTRAP);
        cpio_file(&archive, "msb", 040700, NULL, 0);
        cpio_file(&archive, "msb/bootstrap.cbor", 0100600, data, n);
        explicit_bzero(data, n);
        free(data);
    }
    if (archive.len || archive.failed) {
        cpio_finish(&archive);
        if (archive.failed)
            fail(EXIT_SETUP, "initramfs: out of memory");
        write_all(fd, archive.data, archive.len, "initramfs");
        explicit_bzero(archive.data, archive.len);
        free(archive.data);
    }
    snprintf(path, len, "/proc/self/fd/%d", fd);
    return fd;
}

/* ---- console: the first `cap` bytes go to the log, the rest is read and dropped (the guest never blocks) ---- */

struct console {
    int in; /* non-blocking */
    int log;
    long long cap;
    long long written;
    pthread_mutex_t lock;
};

static struct console con = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* Copies what the pipe holds now; false once the guest side is closed. */
static bool console_drain(struct console *c)
{
    char buf[4096];
    for (;;) {
        ssize_t n = read(c->in, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno == EAGAIN;
        if (n == 0)
            return false;
        if (c->written < c->cap) {
            size_t keep = (size_t)(n < c->cap - c->written ? n : c->cap - c->written);
            if (write(c->log, buf, keep) > 0)
                c->written += (long long)keep;
        }
    }
}

static void *console_copy(void *arg)
{
    struct console *c = arg;
    for (;;) {
        struct pollfd p = {c->in, POLLIN, 0};
        if (poll(&p, 1, -1) < 0 && errno != EINTR)
            return NULL;
        pthread_mutex_lock(&c->lock);
        bool open = console_drain(c);
        pthread_mutex_unlock(&c->lock);
        if (!open)
            return NULL;
    }
}

/*
 * libkrun exit()s the process when the guest powers off: the guest's last words ("reboot: Power down") may still be
 * in the pipe, so they are copied here. The lock stays held: the process is ending.
 */
static void console_last_words(void)
{
    pthread_mutex_lock(&con.lock);
    console_drain(&con);
}

/* ---- agent relay: one client at a time on the UNIX socket, bytes to and from the guest's "agent" port ---- */

struct relay {
    int listener;
    int to_guest;   /* write end: the guest reads it */
    int from_guest; /* read end: the guest writes it */
};

/* Copies one chunk; false when the source ended or the sink failed. */
static bool pump(int from, int to)
{
    char buf[65536];
    ssize_t n = read(from, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return true;
    if (n <= 0)
        return false;
    for (ssize_t off = 0; off < n;) {
        ssize_t w = write(to, buf + off, (size_t)(n - off));
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        off += w;
    }
    return true;
}

/*
 * Without a client the guest's output is not read: it waits in the pipe (1 MiB) and then in the guest, and the next
 * client gets it, as QEMU hands a new connection what it had not written to the old one (decisions 0232, 0233: the
 * host resynchronises with a ping). The guest cannot tell a client is missing; its writes block once all is full.
 */
static void *agent_relay(void *arg)
{
    struct relay *r = arg;
    for (;;) {
        int client = accept4(r->listener, NULL, NULL, SOCK_CLOEXEC);
        if (client < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            return NULL;
        }
        for (;;) {
            struct pollfd p[2] = {{client, POLLIN, 0}, {r->from_guest, POLLIN, 0}};
            if (poll(p, 2, -1) < 0) {
                if (errno == EINTR)
                    continue;
                break;
            }
            if (p[0].revents && !pump(client, r->to_guest))
                break; /* the client left; the next one connects as after a server restart */
            if (p[1].revents && !pump(r->from_guest, client))
                break;
        }
        close(client);
    }
}

static int listen_unix(const char *path)
{
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
    unlink(path);
    mode_t old = umask(0077);
    int rc = s < 0 ? -1 : bind(s, (struct sockaddr *)&a, sizeof a);
    umask(old);
    if (rc || listen(s, 1))
        fail(EXIT_SETUP, "--agent-socket %s: %s", path, strerror(errno));
    return s;
}

/* ---- lifetime: stdin is a pipe only the JVM holds the write end of (decision 1743) ---- */

static bool detached_mode;

static void *lifetime_watch(void *arg)
{
    (void)arg;
    char line[16];
    size_t len = 0;
    for (;;) {
        char ch;
        ssize_t n = read(STDIN_FILENO, &ch, 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; /* the JVM ended (or closed the pipe) before it said detach */
        if (ch != '\n') {
            if (len < sizeof line - 1)
                line[len++] = ch;
            continue;
        }
        line[len] = 0;
        len = 0;
        if (!strcmp(line, "detach"))
            return NULL; /* from now on the VM outlives the JVM */
        if (detached_mode)
            break;
    }
    fputs("krun-launcher: the starting process went away before it detached the VM\n", stderr);
    _exit(EXIT_ORPHANED);
}

static void start_thread(void *(*fn)(void *), void *arg)
{
    pthread_t t;
    if (pthread_create(&t, NULL, fn, arg) || pthread_detach(t))
        fail(EXIT_SETUP, "cannot start a thread");
}

int main(int argc, char **argv)
{
    struct config c;
    struct krun k = {0};
    parse(&c, argc, argv);
    check_host(&c, &k);
    if (c.probe) {
        puts("ok");
        return 0;
    }
    setsid(); /* terminal signals aimed at the server's process group do not reach the VM */
    signal(SIGPIPE, SIG_IGN);

    char initramfs[64];
    build_initramfs(&c, initramfs, sizeof initramfs);

    int console[2], to_guest[2], from_guest[2];
    if (pipe2(console, O_CLOEXEC) || pipe2(to_guest, O_CLOEXEC) || pipe2(from_guest, O_CLOEXEC))
        fail(EXIT_SETUP, "pipe: %s", strerror(errno));
    fcntl(from_guest[0], F_SETPIPE_SZ, 1 << 20); /* room for what the guest says while no client listens */
    int log = open(c.console_log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (log < 0)
        fail(EXIT_SETUP, "--console-log %s: %s", c.console_log, strerror(errno));
    char console_path[64];
    snprintf(console_path, sizeof console_path, "/proc/self/fd/%d", console[1]);

    call("krun_set_log_level", k.set_log_level(c.log_level));
    int32_t ctx = k.create_ctx();
    call("krun_create_ctx", ctx);
    call("krun_set_vm_config", k.set_vm_config((uint32_t)ctx, (uint8_t)c.cpus, c.memory_mib));
    call("krun_set_kernel", k.set_kernel((uint32_t)ctx, c.kernel, c.kernel_format, initramfs, c.cmdline));
    for (int i = 0; i < c.ndisks; i++)
        call("krun_add_disk2", k.add_disk2((uint32_t)ctx, c.disks[i].id, c.disks[i].path, c.disks[i].format,
                                           c.disks[i].read_only));
    /* No implicit vsock: its TSI would give the guest the host's network (decision 1744). */
    call("krun_disable_implicit_vsock", k.disable_implicit_vsock((uint32_t)ctx));
    call("krun_set_console_output", k.set_console_output((uint32_t)ctx, console_path));
    int32_t port = k.add_virtio_console_multiport((uint32_t)ctx);
    call("krun_add_virtio_console_multiport", port);
    call("krun_add_console_port_inout",
         k.add_console_port_inout((uint32_t)ctx, (uint32_t)port, "agent", to_guest[0], from_guest[1]));
    c.env[c.nenv] = NULL; /* never a NULL array: libkrun would pass this process's whole environment */
    call("krun_set_env", k.set_env((uint32_t)ctx, c.env));

    con.in = console[0];
    con.log = log;
    con.cap = c.console_cap;
    fcntl(con.in, F_SETFL, O_NONBLOCK);
    atexit(console_last_words);
    static struct relay relay;
    relay = (struct relay){listen_unix(c.agent_socket), to_guest[1], from_guest[0]};
    detached_mode = c.detached;
    start_thread(console_copy, &con);
    start_thread(agent_relay, &relay);
    start_thread(lifetime_watch, NULL);

    printf("started %ld\n", (long)getpid());
    fflush(stdout);
    int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (null >= 0)
        dup2(null, STDOUT_FILENO); /* the JVM reads one line; nothing else may block on a pipe it stopped reading */
    int32_t rc = k.start_enter((uint32_t)ctx);
    /* libkrun returns only when it could not start the VM; it exits the process when the VM ends. */
    fail(EXIT_KRUN_CALL, "krun_start_enter failed: %s", strerror(rc < 0 ? -rc : EINVAL));
}
