/* agentd figures in host-process mode: binary size, resident memory (idle, after load, peak) and
 * throughput of ping round trips, exec output streaming and fs read streaming over --stdio. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "json.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* VmRSS and VmHWM of a process, in KiB. */
static void mem(pid_t pid, long *rss, long *hwm)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    *rss = *hwm = -1;
    while (f && fgets(line, sizeof line, f)) {
        if (!strncmp(line, "VmRSS:", 6))
            *rss = atol(line + 6);
        if (!strncmp(line, "VmHWM:", 6))
            *hwm = atol(line + 6);
    }
    if (f)
        fclose(f);
}

/* CPU seconds (user + system) a process has used so far. */
static double cpu_s(pid_t pid)
{
    char path[64], line[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    unsigned long long ut = 0, st = 0;
    if (f && fgets(line, sizeof line, f)) {
        const char *p = strrchr(line, ')'); /* the command name may contain spaces */
        if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
            ut = st = 0;
    }
    if (f)
        fclose(f);
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* Reads frames of session id until its terminal frame; returns data bytes seen. */
static long long drain(struct agentp *a, uint32_t id)
{
    long long bytes = 0;
    struct rmsg r;
    while (ap_recv(a, &r, 120000) == 1) {
        const struct cv *d = cv_get(r.m.payload.root, "data");
        if (r.m.id == id && d)
            bytes += (long long)d->n;
        int end = r.m.id == id && (r.m.flags & FLAG_TERMINAL);
        rmsg_free(&r);
        if (end)
            break;
    }
    return bytes;
}

int main(int argc, char **argv)
{
    const char *bin = argc > 1 ? argv[1] : "native/agentd/target/agentd";
    struct stat st;
    if (stat(bin, &st)) {
        fprintf(stderr, "no agentd binary at %s (build it: mvn -q compile -pl native/agentd)\n", bin);
        return 1;
    }
    printf("agentd binary: %s\n", bin);
    printf("  size                         %10lld bytes (%.1f KiB)\n", (long long)st.st_size, st.st_size / 1024.0);
    struct agentp a;
    if (ap_start(&a, bin, NULL))
        return 1;
    struct rmsg r;
    if (ap_recv(&a, &r, 10000) != 1)
        return 1;
    rmsg_free(&r);
    long rss, hwm;
    usleep(100000);
    mem(a.pid, &rss, &hwm);
    printf("  RSS idle after core.ready    %10ld KiB\n", rss);

    int pings = 20000;
    double t0 = now_s();
    for (int i = 0; i < pings; i++) {
        ap_send_json(&a, MT_PING, (uint32_t)i + 1, "{}");
        if (ap_recv(&a, &r, 10000) != 1)
            return 1;
        rmsg_free(&r);
    }
    double dt = now_s() - t0;
    printf("  ping round trips (1 in flight) %8.0f /s (%.1f us each)\n", pings / dt, dt / pings * 1e6);

    t0 = now_s();
    double c0 = cpu_s(a.pid);
    ap_send_json(&a, MT_EXEC_REQUEST, 100000, "{\"cmd\":\"head\",\"args\":[\"-c\",\"268435456\",\"/dev/zero\"]}");
    long long got = drain(&a, 100000);
    dt = now_s() - t0;
    printf("  exec stdout streaming        %10.1f MiB/s (%lld MiB)\n", got / dt / 1048576.0, got >> 20);
    /* CPU per byte does not depend on how busy the machine is, unlike MiB/s */
    printf("  agentd CPU per GiB of stdout %10.2f s\n", (cpu_s(a.pid) - c0) / ((double)got / 1073741824.0));

    char path[] = "/tmp/agentd-bench-XXXXXX";
    int fd = mkstemp(path);
    static char block[1 << 20];
    for (int i = 0; i < 256; i++)
        if (write(fd, block, sizeof block) != (ssize_t)sizeof block)
            return 1;
    close(fd);
    char req[512];
    snprintf(req, sizeof req, "{\"op\":{\"OpenFile\":{\"path\":\"%s\",\"options\":{\"read\":true,\"write\":false,\"append\":false,\"create\":false,\"truncate\":false,\"create_new\":false,\"mode\":null}}}}", path);
    ap_send_json(&a, MT_FS_REQUEST, 100001, req);
    if (ap_recv(&a, &r, 10000) != 1)
        return 1;
    const struct cv *h = cv_get(cv_get(r.m.payload.root, "data"), "Handle");
    unsigned long long handle = h ? h->u : 0;
    rmsg_free(&r);
    snprintf(req, sizeof req, "{\"op\":{\"Read\":{\"handle\":%llu,\"offset\":0,\"len\":null}}}", handle);
    t0 = now_s();
    c0 = cpu_s(a.pid);
    ap_send_json(&a, MT_FS_REQUEST, 100002, req);
    got = drain(&a, 100002);
    dt = now_s() - t0;
    unlink(path);
    printf("  fs read streaming            %10.1f MiB/s (%lld MiB)\n", got / dt / 1048576.0, got >> 20);
    printf("  agentd CPU per GiB of fs read %9.2f s\n", (cpu_s(a.pid) - c0) / ((double)got / 1073741824.0));

    usleep(1500000); /* idle for more than one poll timeout */
    mem(a.pid, &rss, &hwm);
    printf("  RSS idle after the streams   %10ld KiB\n", rss);

    /* many concurrent sessions */
    for (uint32_t i = 0; i < 100; i++)
        ap_send_json(&a, MT_EXEC_REQUEST, 200000 + i, "{\"cmd\":\"sleep\",\"args\":[\"30\"]}");
    for (int i = 0; i < 100; i++)
        if (ap_recv(&a, &r, 10000) == 1)
            rmsg_free(&r);
    mem(a.pid, &rss, &hwm);
    printf("  RSS with 100 running execs   %10ld KiB\n", rss);
    printf("  peak RSS (VmHWM) overall     %10ld KiB\n", hwm);
    ap_kill(&a);
    return 0;
}
