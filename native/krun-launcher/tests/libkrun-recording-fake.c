/*
 * libkrun-recording-fake.so: a RECORDING FAKE of libkrun for the launcher's contract test, never a VMM. Every
 * krun_* function the launcher uses appends one line with its arguments to the file named by MSB_KRUN_FAKE_RECORD
 * and succeeds. Descriptors and /proc/self/fd paths are recorded by kind (<pipe>, <memfd>), never by number; an
 * initramfs is recorded as its cpio entries (name, mode, size, FNV-1a hash of the content).
 *
 * krun_start_enter records, then behaves as libkrun does NOT: with MSB_KRUN_FAKE_ENTER=exit (the default) it writes
 * "fake power down" to the console output and exits the process with status 0 at once (as libkrun would when the VM
 * shut down); with MSB_KRUN_FAKE_ENTER=echo it
 * plays a guest: writes "fake console" to the console output and echoes the "agent" port until it is killed; with
 * MSB_KRUN_FAKE_ENTER=fail it returns -EINVAL, as libkrun does for a configuration it rejects.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int console_out = -1, agent_in = -1, agent_out = -1;

static void record(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void record(const char *fmt, ...)
{
    const char *path = getenv("MSB_KRUN_FAKE_RECORD");
    FILE *f = path ? fopen(path, "ae") : NULL;
    if (!f)
        abort();
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fputc('\n', f);
    fclose(f);
}

static const char *kind(int fd)
{
    struct stat st;
    char link[64];
    if (fstat(fd, &st))
        return "<closed>";
    if (S_ISFIFO(st.st_mode))
        return "<pipe>";
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    char target[256] = "";
    ssize_t n = readlink(link, target, sizeof target - 1);
    if (n > 0 && !strncmp(target, "/memfd:", 7))
        return "<memfd>";
    return "<file>";
}

/* A /proc/self/fd path by the kind of its descriptor, any other path as it is. */
static const char *path_kind(const char *path, int *fd)
{
    *fd = -1;
    if (path && !strncmp(path, "/proc/self/fd/", 14)) {
        *fd = atoi(path + 14);
        return kind(*fd);
    }
    return path ? path : "(null)";
}

static uint32_t fnv1a(const unsigned char *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

static unsigned hex8(const unsigned char *p)
{
    char s[9];
    memcpy(s, p, 8);
    s[8] = 0;
    return (unsigned)strtoul(s, NULL, 16);
}

/* The entries of concatenated newc archives, as " name:mode:size:hash" items. */
static void describe_cpio(int fd, char *out, size_t cap)
{
    out[0] = 0;
    struct stat st;
    if (fstat(fd, &st) || st.st_size > (64 << 20))
        return;
    unsigned char *buf = malloc((size_t)st.st_size + 1);
    ssize_t len = buf ? pread(fd, buf, (size_t)st.st_size, 0) : -1;
    size_t off = 0, used = 0;
    while (len > 0 && off + 110 <= (size_t)len) {
        if (buf[off] == 0) {
            off += 4; /* padding between archives */
            continue;
        }
        if (memcmp(buf + off, "070701", 6))
            break;
        unsigned mode = hex8(buf + off + 14), size = hex8(buf + off + 54), namesize = hex8(buf + off + 94);
        size_t name = off + 110, data = (name + namesize + 3) & ~(size_t)3;
        if (data + size > (size_t)len)
            break;
        if (strcmp((char *)buf + name, "TRAILER!!!"))
            used += (size_t)snprintf(out + used, cap - used, " %s:%o:%u:%08x", (char *)buf + name, mode, size,
                                     fnv1a(buf + data, size));
        off = (data + size + 3) & ~(size_t)3;
        if (used >= cap)
            break;
    }
    free(buf);
}

int32_t krun_set_log_level(uint32_t level)
{
    record("krun_set_log_level level=%u", level);
    return 0;
}

int32_t krun_create_ctx(void)
{
    record("krun_create_ctx -> 7");
    return 7;
}

int32_t krun_set_vm_config(uint32_t ctx, uint8_t vcpus, uint32_t ram_mib)
{
    record("krun_set_vm_config ctx=%u vcpus=%u ram_mib=%u", ctx, vcpus, ram_mib);
    return 0;
}

int32_t krun_set_kernel(uint32_t ctx, const char *kernel, uint32_t format, const char *initramfs, const char *cmdline)
{
    int fd;
    const char *k = path_kind(initramfs, &fd);
    char entries[4096] = "";
    if (fd >= 0)
        describe_cpio(fd, entries, sizeof entries);
    record("krun_set_kernel ctx=%u kernel=%s format=%u initramfs=%s%s cmdline=%s", ctx, kernel, format, k, entries,
           cmdline ? cmdline : "(null)");
    return 0;
}

int32_t krun_add_disk2(uint32_t ctx, const char *id, const char *path, uint32_t format, bool read_only)
{
    record("krun_add_disk2 ctx=%u id=%s path=%s format=%u read_only=%d", ctx, id, path, format, read_only);
    return 0;
}

int32_t krun_disable_implicit_vsock(uint32_t ctx)
{
    record("krun_disable_implicit_vsock ctx=%u", ctx);
    return 0;
}

int32_t krun_set_console_output(uint32_t ctx, const char *path)
{
    const char *k = path_kind(path, &console_out);
    record("krun_set_console_output ctx=%u path=%s", ctx, k);
    return 0;
}

int32_t krun_add_virtio_console_multiport(uint32_t ctx)
{
    record("krun_add_virtio_console_multiport ctx=%u -> 0", ctx);
    return 0;
}

int32_t krun_add_console_port_inout(uint32_t ctx, uint32_t console, const char *name, int in, int out)
{
    record("krun_add_console_port_inout ctx=%u console=%u name=%s input=%s output=%s", ctx, console, name, kind(in),
           kind(out));
    if (!strcmp(name, "agent")) {
        agent_in = in;
        agent_out = out;
    }
    return 0;
}

int32_t krun_set_env(uint32_t ctx, const char *const envp[])
{
    char line[8192];
    size_t used = (size_t)snprintf(line, sizeof line, "krun_set_env ctx=%u envp=%s", ctx, envp ? "[" : "NULL");
    for (int i = 0; envp && envp[i] && used < sizeof line; i++)
        used += (size_t)snprintf(line + used, sizeof line - used, "%s%s", i ? "," : "", envp[i]);
    if (envp && used < sizeof line)
        snprintf(line + used, sizeof line - used, "]");
    record("%s", line);
    return 0;
}

int32_t krun_start_enter(uint32_t ctx)
{
    record("krun_start_enter ctx=%u", ctx);
    const char *mode = getenv("MSB_KRUN_FAKE_ENTER");
    if (mode && !strcmp(mode, "fail"))
        return -EINVAL;
    if (!mode || strcmp(mode, "echo")) {
        if (console_out >= 0 && write(console_out, "fake power down\n", 16) != 16)
            exit(1);
        exit(0);
    }
    if (console_out >= 0 && write(console_out, "fake console\n", 13) < 0)
        exit(1);
    char buf[4096];
    for (;;) {
        ssize_t n = read(agent_in, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0 || write(agent_out, buf, (size_t)n) != n)
            exit(1);
    }
}
