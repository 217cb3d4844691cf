/* agentd as PID 1 in a real QEMU microvm (TCG): module loading, mounts, bootstrap from the kernel
 * command line, the virtio-console port named "agent", exec and fs inside the guest, power off.
 * Skips (exit 0, message naming what is missing) without QEMU, a kernel, cpio-able modules or modinfo. */
#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "client.h"
#include "json.h"

#define BOOT_TIMEOUT 180000 /* TCG boots are slow on a busy machine: a safety bound, not an assertion */
#define T 60000

static int skip(const char *what)
{
    printf("SKIP test_vm: %s\n", what);
    return 0;
}

/* ---- newc cpio writer ---- */
static void cpio_entry(struct buf *c, const char *name, unsigned mode, const void *data, size_t n)
{
    static unsigned ino = 1;
    char h[160];
    size_t nl = strlen(name) + 1;
    snprintf(h, sizeof h, "070701%08X%08X%08X%08X%08X%08X%08zX%08X%08X%08X%08X%08zX%08X", ino++, mode, 0u, 0u,
             1u, 0u, n, 0u, 0u, 0u, 0u, nl, 0u);
    buf_put(c, h, 110);
    buf_put(c, name, nl);
    while (c->len % 4)
        buf_put(c, "", 1);
    buf_put(c, data, n);
    while (c->len % 4)
        buf_put(c, "", 1);
}

static int read_file(const char *path, struct buf *b)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_put(b, chunk, n);
    fclose(f);
    return 0;
}

/* ---- modules: dependencies first, found with modinfo ---- */
static char mods[64][64];
static int nmods;

static int find_module(const char *moddir, const char *name, char *out, size_t n)
{
    char cmd[1024];
    /* module names use '_' but files may use '-' */
    snprintf(cmd, sizeof cmd, "find %s/kernel -name '%s.ko' -o -name '%s.ko' | head -1", moddir, name, name);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    int ok = fgets(out, (int)n, p) != NULL;
    pclose(p);
    if (!ok) {
        char alt[64];
        snprintf(alt, sizeof alt, "%s", name);
        for (char *q = alt; *q; q++)
            if (*q == '_')
                *q = '-';
        snprintf(cmd, sizeof cmd, "find %s/kernel -name '%s.ko' | head -1", moddir, alt);
        p = popen(cmd, "r");
        ok = p && fgets(out, (int)n, p) != NULL;
        if (p)
            pclose(p);
    }
    if (!ok)
        return -1;
    out[strcspn(out, "\n")] = 0;
    return 0;
}

static int add_module(const char *moddir, const char *name, struct buf *cpio, struct buf *list, int depth)
{
    for (int i = 0; i < nmods; i++)
        if (!strcmp(mods[i], name))
            return 0;
    if (depth > 16 || nmods >= 64)
        return -1;
    char path[1024], cmd[1200], deps[1024] = "";
    if (find_module(moddir, name, path, sizeof path))
        return 0; /* built in */
    snprintf(cmd, sizeof cmd, "modinfo -F depends '%s'", path);
    FILE *p = popen(cmd, "r");
    if (p) {
        if (!fgets(deps, sizeof deps, p))
            deps[0] = 0;
        pclose(p);
    }
    deps[strcspn(deps, "\n")] = 0;
    char *save = NULL;
    for (char *d = strtok_r(deps, ",", &save); d; d = strtok_r(NULL, ",", &save)) {
        char dep[64];
        snprintf(dep, sizeof dep, "%s", d);
        if (add_module(moddir, dep, cpio, list, depth + 1))
            return -1;
    }
    snprintf(mods[nmods++], sizeof mods[0], "%s", name);
    struct buf ko = {0};
    if (read_file(path, &ko))
        return -1;
    char entry[128];
    snprintf(entry, sizeof entry, "lib/modules/%s.ko", name);
    cpio_entry(cpio, entry, 0100644, ko.p, ko.len);
    buf_free(&ko);
    buf_put(list, name, strlen(name));
    buf_put(list, ".ko\n", 4);
    return 0;
}

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void base64url(const struct buf *in, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < in->len; i += 3) {
        uint32_t v = (uint32_t)in->p[i] << 16 | (i + 1 < in->len ? (uint32_t)in->p[i + 1] << 8 : 0) | (i + 2 < in->len ? in->p[i + 2] : 0);
        out[o++] = B64[v >> 18 & 63];
        out[o++] = B64[v >> 12 & 63];
        if (i + 1 < in->len)
            out[o++] = B64[v >> 6 & 63];
        if (i + 2 < in->len)
            out[o++] = B64[v & 63];
    }
    out[o] = 0;
}

/* Collects a session's frames until its terminal one; stdout/fs data go to out. */
static int collect(struct agentp *a, uint32_t id, struct buf *out, struct rmsg *last)
{
    for (;;) {
        struct rmsg r;
        if (ap_recv(a, &r, T) != 1 || !r.ok)
            return -1;
        if (r.m.id != id) {
            rmsg_free(&r);
            continue;
        }
        const struct cv *d = cv_get(r.m.payload.root, "data");
        if ((r.m.type == MT_EXEC_STDOUT || r.m.type == MT_FS_DATA) && d)
            buf_put(out, d->s, d->n);
        if (r.m.flags & FLAG_TERMINAL) {
            *last = r;
            buf_put(out, "", 1);
            return 0;
        }
        rmsg_free(&r);
    }
}

static int read_guest_file(struct agentp *a, uint32_t id, const char *path, struct buf *out)
{
    char req[512];
    struct rmsg r;
    snprintf(req, sizeof req, "{\"op\":{\"OpenFile\":{\"path\":\"%s\",\"options\":{\"read\":true,\"write\":false,\"append\":false,\"create\":false,\"truncate\":false,\"create_new\":false,\"mode\":null}}}}", path);
    ap_send_json(a, MT_FS_REQUEST, id, req);
    struct buf ignored = {0};
    if (collect(a, id, &ignored, &r)) {
        buf_free(&ignored);
        return -1;
    }
    buf_free(&ignored);
    const struct cv *h = cv_get(cv_get(r.m.payload.root, "data"), "Handle");
    uint64_t handle = h ? h->u : 0;
    rmsg_free(&r);
    if (!h)
        return -1;
    snprintf(req, sizeof req, "{\"op\":{\"Read\":{\"handle\":%llu,\"offset\":0,\"len\":null}}}", (unsigned long long)handle);
    ap_send_json(a, MT_FS_REQUEST, id + 1, req);
    int rc = collect(a, id + 1, out, &r);
    rmsg_free(&r);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_vm AGENTD\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    const char *qemu = "qemu-system-x86_64";
    if (system("command -v qemu-system-x86_64 >/dev/null 2>&1"))
        return skip("qemu-system-x86_64 is not installed");
    if (system("command -v modinfo >/dev/null 2>&1"))
        return skip("modinfo (kmod) is not installed");
    const char *kdir = getenv("MSB_KERNEL_DIR");
    char kpattern[512];
    if (kdir)
        snprintf(kpattern, sizeof kpattern, "%s/*/boot/vmlinuz-*", kdir);
    else
        snprintf(kpattern, sizeof kpattern, "%s/.msb/kernel/*/boot/vmlinuz-*", getenv("HOME") ? getenv("HOME") : "/root");
    glob_t g;
    if (glob(kpattern, 0, NULL, &g) || g.gl_pathc == 0)
        return skip("no unpacked kernel (set MSB_KERNEL_DIR or let the vmm.qemu bundle fetch one into ~/.msb/kernel)");
    char kernel[512], moddir[700];
    snprintf(kernel, sizeof kernel, "%s", g.gl_pathv[0]);
    globfree(&g);
    const char *release = strstr(kernel, "vmlinuz-") + 8;
    snprintf(moddir, sizeof moddir, "%.*s/lib/modules/%s", (int)(strstr(kernel, "/boot/") - kernel), kernel, release);

    char tmp[] = "/tmp/agentd-vm-XXXXXX";
    if (!mkdtemp(tmp))
        return 1;
    struct buf cpio = {0}, list = {0}, init = {0};
    if (read_file(argv[1], &init))
        return 1;
    const char *dirs[] = {"dev", "proc", "sys", "run", "tmp", "lib", "lib/modules", "etc", NULL};
    for (int i = 0; dirs[i]; i++)
        cpio_entry(&cpio, dirs[i], 040755, NULL, 0);
    cpio_entry(&cpio, "init", 0100755, init.p, init.len);
    const char *wanted[] = {"virtio_mmio", "virtio_console", "virtio_blk", "erofs", "overlay", NULL};
    for (int i = 0; wanted[i]; i++)
        if (add_module(moddir, wanted[i], &cpio, &list, 0))
            return skip("cannot resolve the guest kernel modules");
    cpio_entry(&cpio, "lib/modules/load.list", 0100644, list.p, list.len);
    cpio_entry(&cpio, "TRAILER!!!", 0, NULL, 0);
    char initrd[300], sock[300], log[300];
    snprintf(initrd, sizeof initrd, "%s/initramfs.cpio", tmp);
    snprintf(sock, sizeof sock, "%s/vm.sock", tmp);
    snprintf(log, sizeof log, "%s/console.log", tmp);
    FILE *f = fopen(initrd, "wb");
    fwrite(cpio.p, 1, cpio.len, f);
    fclose(f);
    buf_free(&cpio);
    buf_free(&list);
    buf_free(&init);

    /* root disks: a read-only EROFS lower with a marker file, an empty ext4 upper */
    char lower[300], upper[300], cmd[1200];
    snprintf(lower, sizeof lower, "%s/lower.erofs", tmp);
    snprintf(upper, sizeof upper, "%s/upper.ext4", tmp);
    snprintf(cmd, sizeof cmd,
             "set -e; mkdir -p %s/root/etc %s/root/data; echo from-the-image > %s/root/data/marker.txt; cp %s %s/root/init; "
             "mkfs.erofs --quiet %s %s/root >/dev/null 2>&1; truncate -s 32M %s; mkfs.ext4 -q -F %s >/dev/null 2>&1",
             tmp, tmp, tmp, argv[1], tmp, lower, tmp, upper, upper);
    int disks = system("command -v mkfs.erofs >/dev/null && command -v mkfs.ext4 >/dev/null && command -v debugfs >/dev/null") == 0 &&
                system(cmd) == 0;
    if (!disks)
        printf("SKIP test_vm root assembly: needs mkfs.erofs, mkfs.ext4 and debugfs\n");
    char drive0[400], drive1[400];
    snprintf(drive0, sizeof drive0, "id=disk0,if=none,format=raw,readonly=on,file=%s", lower);
    snprintf(drive1, sizeof drive1, "id=disk1,if=none,format=raw,file=%s", upper);

    /* bootstrap: hostname and an rlimit, as base64url CBOR on the kernel command line */
    struct buf bs = {0};
    char err[200], b64[1024], append[2048];
    json_to_cbor("{\"hostname\":\"vmtest\",\"dns\":[\"10.0.2.3\"],\"rlimits\":[{\"resource\":\"nofile\",\"soft\":4096,\"hard\":8192}],"
                 "\"default_env\":[{\"key\":\"GREETING\",\"value\":\"hello\"}]}", &bs, err, sizeof err);
    base64url(&bs, b64);
    buf_free(&bs);
    /* under TCG the guest cannot calibrate its TSC on a busy host: tell it the host's rate */
    long khz = 0;
    FILE *ci = fopen("/proc/cpuinfo", "r");
    char line[256];
    while (ci && fgets(line, sizeof line, ci))
        if (!strncmp(line, "cpu MHz", 7) && strchr(line, ':')) {
            khz = (long)(atof(strchr(line, ':') + 1) * 1000);
            break;
        }
    if (ci)
        fclose(ci);
    char tsc[64] = "";
    if (khz >= 100000 && khz <= 10000000)
        snprintf(tsc, sizeof tsc, "tsc_early_khz=%ld ", khz);
    snprintf(append, sizeof append, "%sconsole=ttyS0 reboot=k panic=-1 8250.nr_uarts=1 i8042.noaux i8042.nomux i8042.nopnp i8042.dumbkbd "
             "msb.bootstrap=%s", tsc, b64);
    char chardev[400], serial[400];
    snprintf(chardev, sizeof chardev, "socket,id=agent,path=%s,server=on,wait=off", sock);
    snprintf(serial, sizeof serial, "file:%s", log);
    pid_t qp = fork();
    if (qp == 0) {
        execlp(qemu, qemu, "-M", "microvm,x-option-roms=off,isa-serial=on,rtc=on", "-accel", "tcg", "-cpu", "max", "-nodefaults",
               "-no-user-config", "-display", "none", "-no-reboot", "-m", "256M", "-smp", "1", "-kernel", kernel,
               "-initrd", initrd, "-append", append, "-serial", serial, "-chardev", chardev, "-device",
               "virtio-serial-device,max_ports=2", "-device", "virtserialport,chardev=agent,name=agent",
               disks ? "-drive" : NULL, drive0, "-device", "virtio-blk-device,drive=disk0", "-drive", drive1,
               "-device", "virtio-blk-device,drive=disk1", (char *)NULL);
        _exit(127);
    }
    struct agentp a;
    int connected = ap_connect_unix(&a, sock) == 0;
    CHECK(connected, "connect to the QEMU agent socket");
    struct rmsg r;
    int ready = connected && ap_recv(&a, &r, BOOT_TIMEOUT) == 1 && r.ok && r.m.type == MT_READY;
    CHECK(ready, "core.ready from agentd as PID 1 (console log: %s)", log);
    if (ready) {
        const struct cv *it = cv_get(r.m.payload.root, "init_time_ns");
        CHECK(it && it->u > 0, "init time reported");
        rmsg_free(&r);
        ap_send_json(&a, MT_PING, 1, "{}");
        CHECK(ap_recv(&a, &r, T) == 1 && r.m.type == MT_PONG, "pong from the guest");
        rmsg_free(&r);
        struct buf out = {0};
        ap_send_json(&a, MT_EXEC_REQUEST, 2, "{\"cmd\":\"/init\",\"args\":[\"--version\"]}");
        CHECK(collect(&a, 2, &out, &r) == 0 && r.m.type == MT_EXEC_EXITED && strstr((char *)out.p, "agentd"),
              "exec inside the guest (got %s)", out.p ? (char *)out.p : "");
        rmsg_free(&r);
        buf_free(&out);
        CHECK(read_guest_file(&a, 10, "/proc/sys/kernel/hostname", &out) == 0 && !strcmp((char *)out.p, "vmtest\n"),
              "hostname from the bootstrap (got %s)", out.p ? (char *)out.p : "");
        buf_free(&out);
        CHECK(read_guest_file(&a, 20, "/etc/resolv.conf", &out) == 0 && strstr((char *)out.p, "nameserver 10.0.2.3"),
              "resolv.conf from the bootstrap");
        buf_free(&out);
        CHECK(read_guest_file(&a, 30, "/proc/mounts", &out) == 0 && strstr((char *)out.p, " /dev/pts devpts") &&
                  strstr((char *)out.p, " /sys/fs/cgroup cgroup2") && strstr((char *)out.p, " /dev/shm tmpfs"),
              "mounts: devpts, cgroup2, /dev/shm (got %s)", out.p ? (char *)out.p : "");
        buf_free(&out);
        CHECK(read_guest_file(&a, 40, "/proc/1/limits", &out) == 0 && strstr((char *)out.p, "Max open files            4096                 8192"),
              "bootstrap rlimit applied to PID 1");
        buf_free(&out);
        if (disks) {
            /* the overlay root is assembled and switched to: image content visible, writes land in the upper */
            CHECK(read_guest_file(&a, 60, "/data/marker.txt", &out) == 0 && !strcmp((char *)out.p, "from-the-image\n"),
                  "root is the EROFS image (got %s)", out.p ? (char *)out.p : "");
            buf_free(&out);
            CHECK(read_guest_file(&a, 62, "/proc/mounts", &out) == 0 && strstr((char *)out.p, "overlay / overlay"),
                  "overlay mounted on / (got %s)", out.p ? (char *)out.p : "");
            buf_free(&out);
            ap_send_json(&a, MT_FS_REQUEST, 64, "{\"op\":{\"Mkdir\":{\"path\":\"/data/written-in-guest\",\"mode\":null}}}");
            struct buf ign = {0};
            CHECK(collect(&a, 64, &ign, &r) == 0 && cv_get(r.m.payload.root, "ok")->u == 1, "mkdir on the overlay");
            rmsg_free(&r);
            buf_free(&ign);
        }
        int hb = 0;
        for (int i = 0; i < 100 && !hb; i++) {
            hb = read_guest_file(&a, 50 + 2 * (uint32_t)i, "/.msb/heartbeat.json", &out) == 0 && strstr((char *)out.p, "heartbeat_seq");
            buf_free(&out);
            if (!hb)
                usleep(100000);
        }
        CHECK(hb, "heartbeat written in the guest");
        /* the host goes away and comes back: a fresh core.ready, sessions survive */
        ap_send_json(&a, MT_EXEC_REQUEST, 70, "{\"cmd\":\"/init\",\"args\":[\"--stdio\"]}");
        CHECK(ap_recv(&a, &r, T) == 1 && r.m.type == MT_EXEC_STARTED, "long-running exec started");
        rmsg_free(&r);
        ap_kill(&a);
        CHECK(ap_connect_unix(&a, sock) == 0, "reconnect to the agent socket");
        /* A quick disconnect/reconnect can be invisible to the guest, and frames written while
         * nobody listened stay queued in QEMU: a reconnecting host resynchronises with a ping and
         * skips frames until its pong (decision 0201). */
        ap_send_json(&a, MT_PING, 0xabcd, "{}");
        int rr, skipped = 0;
        while ((rr = ap_recv(&a, &r, T)) == 1 && !(r.m.type == MT_PONG && r.m.id == 0xabcd) && skipped < 100) {
            rmsg_free(&r);
            skipped++;
        }
        CHECK(rr == 1 && r.m.type == MT_PONG, "resynchronised with ping/pong after the host reconnects (rc %d)", rr);
        rmsg_free(&r);
        struct buf ign = {0};
        ap_send_data(&a, MT_EXEC_STDIN, 70, "", 0);
        CHECK(collect(&a, 70, &ign, &r) == 0 && r.m.type == MT_EXEC_EXITED, "the exec survived the reconnect and exits");
        rmsg_free(&r);
        buf_free(&ign);
        ap_send_json(&a, MT_SHUTDOWN, 0, "null");
    }
    int st = child_wait_or_kill(qp, 60000);
    CHECK(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0, "the guest powers off after core.shutdown (QEMU exit)");
    if (disks && st >= 0) {
        /* after power off the write is in the ext4 upper layer, synced */
        snprintf(cmd, sizeof cmd, "debugfs -R 'ls -l /upper/data' %s 2>/dev/null | grep -q written-in-guest", upper);
        CHECK(system(cmd) == 0, "guest writes persisted in the upper disk");
    }
    if (failures) {
        snprintf(cmd, sizeof cmd, "tail -30 %s >&2", log);
        if (system(cmd)) {
        }
    }
    ap_kill(&a);
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
    if (system(cmd)) {
    }
    printf("test_vm: %d checks, %d failures\n", checks, failures);
    return failures ? 1 : 0;
}
