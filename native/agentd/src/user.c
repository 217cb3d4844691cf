/* User resolution from the guest's own /etc/passwd and /etc/group (no NSS in a static binary). */
#include "agent.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LINE 4096

static int parse_id(const char *s, unsigned long *out)
{
    if (!*s || strlen(s) > 10)
        return -1;
    for (const char *p = s; *p; p++)
        if (*p < '0' || *p > '9')
            return -1;
    *out = strtoul(s, NULL, 10);
    return *out > 0xfffffffeUL ? -1 : 0;
}

/* Splits a colon-separated line in place into at most n fields; returns the field count. */
static int split(char *line, char **fields, int n)
{
    int k = 0;
    fields[k++] = line;
    for (char *p = line; *p && k < n; p++)
        if (*p == ':') {
            *p = 0;
            fields[k++] = p + 1;
        }
    char *nl = strchr(fields[k - 1], '\n');
    if (nl)
        *nl = 0;
    return k;
}

static FILE *open_db(const char *root, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/etc/%s", root, name);
    return fopen(path, "re");
}

/* Finds a passwd entry by name (by_name) or uid. */
static int passwd_lookup(const char *root, const char *name, unsigned long uid, int by_name, struct user_info *u)
{
    FILE *f = open_db(root, "passwd");
    if (!f)
        return -1;
    char line[MAX_LINE];
    int found = 0;
    while (fgets(line, sizeof line, f)) {
        char *fl[7];
        if (split(line, fl, 7) < 7)
            continue;
        unsigned long id, gid;
        if (parse_id(fl[2], &id) || parse_id(fl[3], &gid))
            continue;
        if (by_name ? strcmp(fl[0], name) == 0 : id == uid) {
            u->uid = (uid_t)id;
            u->gid = (gid_t)gid;
            snprintf(u->name, sizeof u->name, "%s", fl[0]);
            snprintf(u->home, sizeof u->home, "%s", fl[5]);
            found = 1;
            break;
        }
    }
    fclose(f);
    return found ? 0 : -1;
}

static int group_lookup(const char *root, const char *name, gid_t *gid)
{
    FILE *f = open_db(root, "group");
    if (!f)
        return -1;
    char line[MAX_LINE];
    int found = 0;
    while (fgets(line, sizeof line, f)) {
        char *fl[4];
        unsigned long id;
        if (split(line, fl, 4) < 3 || parse_id(fl[2], &id))
            continue;
        if (strcmp(fl[0], name) == 0) {
            *gid = (gid_t)id;
            found = 1;
            break;
        }
    }
    fclose(f);
    return found ? 0 : -1;
}

/* Supplementary groups: every group listing the user by name, plus the primary group. */
static void supplementary(const char *root, struct user_info *u)
{
    int max = (int)(sizeof u->groups / sizeof u->groups[0]);
    u->groups[0] = u->gid;
    u->ngroups = 1;
    FILE *f = open_db(root, "group");
    if (!f || !u->name[0]) {
        if (f)
            fclose(f);
        return;
    }
    char line[MAX_LINE];
    while (fgets(line, sizeof line, f) && u->ngroups < max) {
        char *fl[4];
        unsigned long id;
        if (split(line, fl, 4) < 4 || parse_id(fl[2], &id) || (gid_t)id == u->gid)
            continue;
        for (char *m = strtok(fl[3], ","); m; m = strtok(NULL, ","))
            if (strcmp(m, u->name) == 0) {
                u->groups[u->ngroups++] = (gid_t)id;
                break;
            }
    }
    fclose(f);
}

int user_resolve(const char *spec, const char *root, struct user_info *u, char *err, size_t errlen)
{
    char buf[256];
    if (!*spec || strlen(spec) >= sizeof buf) {
        snprintf(err, errlen, "field user: must be 1..255 bytes");
        return -1;
    }
    snprintf(buf, sizeof buf, "%s", spec);
    memset(u, 0, sizeof *u);
    char *grp = strchr(buf, ':');
    if (grp)
        *grp++ = 0;
    unsigned long id;
    if (parse_id(buf, &id) == 0) {
        if (passwd_lookup(root, NULL, id, 0, u)) {
            /* a bare uid need not exist in passwd */
            u->uid = (uid_t)id;
            u->gid = (gid_t)id;
            snprintf(u->home, sizeof u->home, "/");
            snprintf(u->name, sizeof u->name, "%lu", id);
        }
    } else if (passwd_lookup(root, buf, 0, 1, u)) {
        snprintf(err, errlen, "field user: no user named '%.64s' in /etc/passwd", buf);
        return -1;
    }
    supplementary(root, u);
    if (grp) {
        gid_t gid;
        if (parse_id(grp, &id) == 0)
            gid = (gid_t)id;
        else if (group_lookup(root, grp, &gid)) {
            snprintf(err, errlen, "field user: no group named '%.64s' in /etc/group", grp);
            return -1;
        }
        u->gid = gid;
        u->groups[0] = gid;
    }
    return 0;
}
