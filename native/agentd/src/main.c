/* agentd: the msb guest agent. PID 1 in a sandbox VM, or an ordinary process for tests. */
#include "agent.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fputs("usage: agentd [--stdio | --listen SOCKET] [--heartbeat FILE]\n"
          "  --stdio            serve one connection on stdin/stdout\n"
          "  --listen SOCKET    accept connections (one at a time) on a UNIX socket\n"
          "  --heartbeat FILE   write the heartbeat JSON to FILE every second\n"
          "As PID 1 it initialises the guest and serves the virtio-console port named 'agent'.\n",
          f);
}

static int listen_unix(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sa.sun_path) {
        fprintf(stderr, "agentd: --listen: socket path must be shorter than %zu bytes\n", sizeof sa.sun_path);
        return -1;
    }
    strcpy(sa.sun_path, path);
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
        unlink(path); /* a stale socket from an earlier run */
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) || listen(fd, 4)) {
        fprintf(stderr, "agentd: --listen %s: %s\n", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

/* PID 1: the port survives host reconnects, so sessions do too. While the host is away, agent_serve
 * returns at once (read gives 0) and is re-entered every 100 ms, each time with a fresh core.ready.
 * The port stays open throughout: the guest kernel discards what a closed port holds or receives, so
 * closing it on EOF lost whatever a host that had already reconnected sent first, e.g. its resync ping
 * (decision 0232). */
static void serve_port(struct agent *a)
{
    a->reconnectable = 1;
    int fd = -1;
    for (;;) {
        if (fd < 0) {
            fd = open_agent_port();
            if (fd < 0) {
                fprintf(stderr, "agentd: no virtio-console port named 'agent'; retrying\n");
                sleep(1);
                continue;
            }
            boot_mark("agent port open", NULL);
        }
        int shut = agent_serve(a, fd, fd);
        if (shut) {
            close(fd);
            agent_drop_sessions(a);
            power_off();
        }
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 0) < 0 || (p.revents & (POLLERR | POLLNVAL))) { /* a broken port: open it afresh */
            close(fd);
            fd = -1;
        }
        poll(NULL, 0, 100);
    }
}

int main(int argc, char **argv)
{
    static struct agent_config cfg;
    static struct agent agent;
    cfg.boot_time_ns = boottime_ns();
    const char *listen_path = NULL;
    int stdio = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--stdio"))
            stdio = 1;
        else if (!strcmp(argv[i], "--listen") && i + 1 < argc)
            listen_path = argv[++i];
        else if (!strcmp(argv[i], "--heartbeat") && i + 1 < argc)
            cfg.heartbeat_path = argv[++i];
        else if (!strcmp(argv[i], "--version")) {
            puts("agentd " AGENT_VERSION " (protocol generation 7)");
            return 0;
        } else if (!strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        } else if (getpid() == 1) {
            continue; /* as init: the kernel hands over the command-line words it does not know (nokaslr) */
        } else {
            fprintf(stderr, "agentd: unknown or incomplete argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (stdio && listen_path) {
        fputs("agentd: --stdio and --listen are exclusive\n", stderr);
        return 2;
    }
    cfg.pid1 = getpid() == 1;
    if (cfg.pid1) {
        if (!cfg.heartbeat_path)
            cfg.heartbeat_path = "/.msb/heartbeat.json";
        if (init_system(&cfg))
            fputs("agentd: guest initialisation incomplete; serving anyway\n", stderr);
        init_handoff();
    }
    cfg.init_time_ns = boottime_ns() - cfg.boot_time_ns;
    agent_init(&agent, &cfg);
    if (stdio) {
        int shut = agent_serve(&agent, 0, 1);
        agent_drop_sessions(&agent);
        if (shut && cfg.pid1)
            power_off();
        return 0;
    }
    if (listen_path) {
        int lfd = listen_unix(listen_path);
        if (lfd < 0)
            return 1;
        for (;;) {
            int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
            if (c < 0) {
                if (errno == EINTR || errno == ECONNABORTED)
                    continue;
                perror("agentd: accept");
                return 1;
            }
            int shut = agent_serve(&agent, c, c);
            close(c);
            agent_drop_sessions(&agent);
            if (shut) {
                close(lfd);
                unlink(listen_path);
                if (cfg.pid1)
                    power_off();
                return 0;
            }
        }
    }
    if (cfg.pid1)
        serve_port(&agent);
    usage(stderr);
    return 2;
}
