/*
 * A stand-in /init for the backend's tests, until agentd exists. The kernel passes unknown
 * "key=value" command line words to init as environment, so msbtest=<mode> selects:
 *   poweroff  power off at once
 *   panic     exit, so the kernel panics ("Attempted to kill init")
 *   sleep     load modules, then wait forever
 *   agent     load modules (the load.list contract), find the virtio port named "agent",
 *             send a line, wait for the host's reply line, echo it to the console, power off
 *   bootstrap as agent, but what it sends is "<size>\n" and the bytes of /msb/bootstrap.cbor (size -1: none)
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

static void say(const char *fmt, const char *arg) {
    printf("msbtest: ");
    printf(fmt, arg);
    printf("\n");
    fflush(stdout);
}

static void power_off(void) {
    sync();
    reboot(RB_POWER_OFF);
    say("reboot failed: %s", strerror(errno));
    for (;;) pause();
}

static void load_modules(void) {
    FILE *list = fopen("/lib/modules/load.list", "r");
    char name[256], path[320];
    if (!list) { say("no load.list: %s", strerror(errno)); return; }
    while (fgets(name, sizeof name, list)) {
        name[strcspn(name, "\n")] = 0;
        if (!name[0]) continue;
        snprintf(path, sizeof path, "/lib/modules/%s", name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || (syscall(SYS_finit_module, fd, "", 0) != 0 && errno != EEXIST))
            say("cannot load %s", name);
        if (fd >= 0) close(fd);
    }
    fclose(list);
}

/* Ports appear asynchronously (the host announces them), so poll sysfs for a while. */
static int find_agent_port(char *dev, size_t n) {
    for (int tries = 0; tries < 3000; tries++) {
        DIR *d = opendir("/sys/class/virtio-ports");
        struct dirent *e;
        while (d && (e = readdir(d))) {
            char p[300], name[64] = {0};
            if (e->d_name[0] == '.') continue;
            snprintf(p, sizeof p, "/sys/class/virtio-ports/%s/name", e->d_name);
            int fd = open(p, O_RDONLY);
            if (fd < 0) continue;
            ssize_t r = read(fd, name, sizeof name - 1);
            close(fd);
            if (r > 0 && strncmp(name, "agent\n", 6) == 0) {
                snprintf(dev, n, "/dev/%s", e->d_name);
                closedir(d);
                return 0;
            }
        }
        if (d) closedir(d);
        usleep(10000);
    }
    return -1;
}

int main(void) {
    const char *mode = getenv("msbtest");
    if (!mode) mode = "poweroff";
    say("mode %s", mode);
    if (!strcmp(mode, "poweroff")) power_off();
    if (!strcmp(mode, "panic")) return 1;

    mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
    mount("sysfs", "/sys", "sysfs", 0, NULL);
    mount("proc", "/proc", "proc", 0, NULL);
    load_modules();
    if (!strcmp(mode, "sleep")) {
        say("%s", "sleeping");
        for (;;) pause();
    }

    char dev[300];
    if (find_agent_port(dev, sizeof dev) != 0) { say("%s", "no agent port"); power_off(); }
    int fd = open(dev, O_RDWR);
    if (fd < 0) { say("cannot open agent port: %s", strerror(errno)); power_off(); }
    char line[512];
    if (!strcmp(mode, "bootstrap")) {
        int b = open("/msb/bootstrap.cbor", O_RDONLY);
        struct stat st;
        int len = snprintf(line, sizeof line, "%lld\n", b >= 0 && !fstat(b, &st) ? (long long)st.st_size : -1LL);
        if (write(fd, line, len) != len) say("write failed: %s", strerror(errno));
        static char data[65536];
        ssize_t r;
        while (b >= 0 && (r = read(b, data, sizeof data)) > 0)
            for (ssize_t off = 0, w; off < r; off += w)
                if ((w = write(fd, data + off, r - off)) <= 0) { say("write failed: %s", strerror(errno)); break; }
    } else {
        struct utsname u;
        uname(&u);
        int len = snprintf(line, sizeof line, "hello from %s\n", u.release);
        if (write(fd, line, len) != len) say("write failed: %s", strerror(errno));
    }
    char reply[128];
    size_t got = 0;
    while (got < sizeof reply - 1) {
        ssize_t r = read(fd, reply + got, 1);
        if (r <= 0 || reply[got] == '\n') break;
        got++;
    }
    reply[got] = 0;
    say("got %s", reply);
    close(fd);
    power_off();
}
