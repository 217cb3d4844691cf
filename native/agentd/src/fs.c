/* File system requests: path operations, handles, and streamed reads and writes. */
#include "agent.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_PATH 4096
#define MAX_LIST_BYTES (3u * 1024 * 1024) /* keeps a listing response inside one frame */
#define DEFAULT_READDIR 128
#define MAX_READDIR 4096

static void respond(struct agent *a, uint32_t id, const char *error, const struct buf *data)
{
    struct buf p = {0};
    cb_map(&p, 3);
    cb_str(&p, "ok");
    cb_bool(&p, error == NULL);
    cb_str(&p, "error");
    if (error)
        cb_str(&p, error);
    else
        cb_null(&p);
    cb_str(&p, "data");
    if (data)
        buf_put(&p, data->p, data->len);
    else
        cb_null(&p);
    send_msg(a, MT_FS_RESPONSE, id, &p);
    buf_free(&p);
}

static void respond_errno(struct agent *a, uint32_t id, const char *op, const char *path, int err)
{
    char msg[MAX_PATH + 128];
    snprintf(msg, sizeof msg, "%s %s: %s", op, path, strerror(err));
    respond(a, id, msg, NULL);
}

/* Answers an operation by its result rc: done when 0, else its error from errno. */
static void respond_rc(struct agent *a, uint32_t id, int rc, const char *op, const char *path)
{
    if (rc)
        respond_errno(a, id, op, path, errno);
    else
        respond(a, id, NULL, NULL);
}

static void entry_info(struct buf *b, const char *path, const struct stat *st)
{
    const char *kind = S_ISREG(st->st_mode) ? "file" : S_ISDIR(st->st_mode) ? "dir" : S_ISLNK(st->st_mode) ? "symlink" : "other";
    cb_map(b, 9);
    cb_str(b, "path");
    cb_str(b, path);
    cb_str(b, "kind");
    cb_str(b, kind);
    cb_str(b, "size");
    cb_uint(b, (uint64_t)st->st_size);
    cb_str(b, "mode");
    cb_uint(b, st->st_mode);
    cb_str(b, "modified");
    cb_int(b, st->st_mtim.tv_sec);
    cb_str(b, "uid");
    cb_uint(b, st->st_uid);
    cb_str(b, "gid");
    cb_uint(b, st->st_gid);
    cb_str(b, "atime");
    cb_int(b, st->st_atim.tv_sec);
    cb_str(b, "mtime");
    cb_int(b, st->st_mtim.tv_sec);
}

static void respond_stat(struct agent *a, uint32_t id, const char *path, const struct stat *st)
{
    struct buf d = {0};
    cb_map(&d, 1);
    cb_str(&d, "Stat");
    entry_info(&d, path, st);
    respond(a, id, NULL, &d);
    buf_free(&d);
}

static void respond_path(struct agent *a, uint32_t id, const char *path)
{
    struct buf d = {0};
    cb_map(&d, 1);
    cb_str(&d, "Path");
    cb_str(&d, path);
    respond(a, id, NULL, &d);
    buf_free(&d);
}

/* Appends directory entries (without . and ..) as FsEntryInfo maps; returns the count or -1. */
static long list_entries(DIR *d, const char *dpath, struct buf *items, long limit, int *err)
{
    long n = 0;
    struct dirent *e;
    while (n < limit) {
        errno = 0;
        e = readdir(d);
        if (!e) {
            *err = errno;
            return *err ? -1 : n;
        }
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char path[MAX_PATH + 256];
        snprintf(path, sizeof path, "%s%s%s", dpath, dpath[strlen(dpath) - 1] == '/' ? "" : "/", e->d_name);
        struct stat st;
        if (lstat(path, &st))
            memset(&st, 0, sizeof st); /* vanished meanwhile: reported as kind "other" */
        entry_info(items, path, &st);
        n++;
        if (items->len > MAX_LIST_BYTES) {
            *err = EFBIG;
            return -1;
        }
    }
    return n;
}

static void respond_list(struct agent *a, uint32_t id, const struct buf *items, long n)
{
    struct buf d = {0};
    cb_map(&d, 1);
    cb_str(&d, "List");
    cb_array(&d, (size_t)n);
    buf_put(&d, items->p, items->len);
    respond(a, id, NULL, &d);
    buf_free(&d);
}

static int mkdir_p(const char *path)
{
    char tmp[MAX_PATH + 1];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir(tmp, 0755) && errno != EEXIST)
                return -1;
            *p = '/';
        }
    if (mkdir(tmp, 0755) && errno != EEXIST)
        return -1;
    struct stat st;
    if (stat(tmp, &st))
        return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return (flag == FTW_DP ? rmdir(path) : unlink(path)) ? -1 : 0;
}

static int copy_file(const char *src, const char *dst)
{
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return -1;
    struct stat st;
    if (fstat(in, &st) || !S_ISREG(st.st_mode)) {
        int e = errno ? errno : EINVAL;
        if (!S_ISREG(st.st_mode))
            e = EISDIR;
        close(in);
        errno = e;
        return -1;
    }
    int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, st.st_mode & 07777);
    if (out < 0) {
        int e = errno;
        close(in);
        errno = e;
        return -1;
    }
    char b[IO_CHUNK];
    ssize_t r;
    int rc = 0;
    while ((r = read(in, b, sizeof b)) > 0) {
        for (ssize_t off = 0; off < r;) {
            ssize_t w = write(out, b + off, (size_t)(r - off));
            if (w < 0) {
                if (errno == EINTR)
                    continue;
                rc = -1;
                break;
            }
            off += w;
        }
        if (rc)
            break;
    }
    if (r < 0)
        rc = -1;
    int e = errno;
    if (!rc)
        rc = fchmod(out, st.st_mode & 07777);
    close(in);
    if (close(out) && !rc)
        rc = -1;
    errno = e;
    return rc;
}

/* Attribute changes shared by SetStat (path) and FSetStat (fd >= 0). */
static int set_attrs(const struct cv *attrs, const char *path, int fd, int follow, const char **field_err, char *err, size_t errlen)
{
    struct fields f = {.map = attrs};
    uint64_t mode, uid, gid, size;
    int64_t at, mt;
    int hm, hu, hg, hs, ha, hmt;
    if ((hm = f_u64(&f, "mode", 0, 07777, &mode)) < 0 || (hu = f_u64(&f, "uid", 0, UINT32_MAX, &uid)) < 0 ||
        (hg = f_u64(&f, "gid", 0, UINT32_MAX, &gid)) < 0 || (hs = f_u64(&f, "size", 0, INT64_MAX, &size)) < 0 ||
        (ha = f_i64(&f, "atime", 0, &at)) < 0 || (hmt = f_i64(&f, "mtime", 0, &mt)) < 0) {
        snprintf(err, errlen, "attrs.%s", f.err + 6);
        *field_err = err;
        return -1;
    }
    int nofollow = follow ? 0 : AT_SYMLINK_NOFOLLOW;
    if (hs == 0) {
        if (fd >= 0 ? ftruncate(fd, (off_t)size) : truncate(path, (off_t)size))
            return -1;
    }
    if (hm == 0) {
        if (fd >= 0 ? fchmod(fd, (mode_t)mode) : fchmodat(AT_FDCWD, path, (mode_t)mode, 0))
            return -1;
    }
    if (hu == 0 || hg == 0) {
        uid_t u = hu == 0 ? (uid_t)uid : (uid_t)-1;
        gid_t g = hg == 0 ? (gid_t)gid : (gid_t)-1;
        if (fd >= 0 ? fchown(fd, u, g) : fchownat(AT_FDCWD, path, u, g, nofollow))
            return -1;
    }
    if (ha == 0 || hmt == 0) {
        struct timespec ts[2] = {{.tv_sec = ha == 0 ? at : 0, .tv_nsec = ha == 0 ? 0 : UTIME_OMIT},
                                 {.tv_sec = hmt == 0 ? mt : 0, .tv_nsec = hmt == 0 ? 0 : UTIME_OMIT}};
        if (fd >= 0 ? futimens(fd, ts) : utimensat(AT_FDCWD, path, ts, nofollow))
            return -1;
    }
    return 0;
}

static struct fs_handle *handle_get(struct agent *a, uint64_t h)
{
    for (int i = 0; i < MAX_FS_HANDLES; i++)
        if (a->handles[i].fd >= 0 && a->handles[i].id == h)
            return &a->handles[i];
    return NULL;
}

static struct fs_handle *handle_add(struct agent *a, uint32_t owner, int fd, void *dir, const char *path)
{
    for (int i = 0; i < MAX_FS_HANDLES; i++)
        if (a->handles[i].fd < 0) {
            struct fs_handle *h = &a->handles[i];
            memset(h, 0, sizeof *h);
            h->id = ++a->next_handle;
            h->owner = owner;
            h->fd = fd;
            h->dir = dir;
            h->path = xstrdup(path);
            return h;
        }
    return NULL;
}

static void handle_close(struct fs_handle *h)
{
    if (h->dir)
        closedir(h->dir);
    else
        close(h->fd);
    free(h->path);
    h->path = NULL;
    h->dir = NULL;
    h->fd = -1;
}

void fs_handles_close_range(struct agent *a, uint32_t start, uint32_t end)
{
    for (int i = 0; i < MAX_FS_HANDLES; i++)
        if (a->handles[i].fd >= 0 && ((a->handles[i].owner >= start && a->handles[i].owner < end) || end == UINT32_MAX))
            handle_close(&a->handles[i]);
}

static void respond_handle(struct agent *a, uint32_t id, uint64_t h)
{
    struct buf d = {0};
    cb_map(&d, 1);
    cb_str(&d, "Handle");
    cb_uint(&d, h);
    respond(a, id, NULL, &d);
    buf_free(&d);
}

static void op_open_file(struct agent *a, uint32_t id, struct fields *f, const char *path)
{
    const struct cv *o = cv_get(f->map, "options");
    struct fields of = {.map = o};
    int rd = 0, wr = 0, ap = 0, cr = 0, tr = 0, cn = 0;
    uint64_t mode = 0666;
    if (!o || o->type != CV_MAP) {
        respond(a, id, "field options: must be a map", NULL);
        return;
    }
    if (f_bool(&of, "read", 0, &rd) < 0 || f_bool(&of, "write", 0, &wr) < 0 || f_bool(&of, "append", 0, &ap) < 0 ||
        f_bool(&of, "create", 0, &cr) < 0 || f_bool(&of, "truncate", 0, &tr) < 0 ||
        f_bool(&of, "create_new", 0, &cn) < 0 || f_u64(&of, "mode", 0, 07777, &mode) < 0) {
        respond(a, id, of.err, NULL);
        return;
    }
    if (!rd && !wr && !ap) {
        respond(a, id, "field options: at least one of read, write, append must be true", NULL);
        return;
    }
    int flags = O_CLOEXEC | (rd && (wr || ap) ? O_RDWR : (wr || ap) ? O_WRONLY : O_RDONLY);
    if (ap) flags |= O_APPEND;
    if (cr) flags |= O_CREAT;
    if (cn) flags |= O_CREAT | O_EXCL;
    if (tr) flags |= O_TRUNC;
    int fd = open(path, flags, (mode_t)mode);
    if (fd < 0) {
        respond_errno(a, id, "open", path, errno);
        return;
    }
    struct fs_handle *h = handle_add(a, id, fd, NULL, path);
    if (!h) {
        close(fd);
        respond(a, id, "open: too many open file system handles (1024)", NULL);
        return;
    }
    h->read = rd;
    h->write = wr || ap;
    h->append = ap;
    respond_handle(a, id, h->id);
}

static void op_stream(struct agent *a, struct msg *m, struct fields *f, int write)
{
    uint64_t hid, offset, len = UINT64_MAX;
    int has_len;
    if (f_u64(f, "handle", 1, UINT64_MAX, &hid) || f_u64(f, "offset", 1, INT64_MAX, &offset) ||
        (has_len = f_u64(f, "len", 0, UINT64_MAX, &len)) < 0) {
        respond(a, m->id, f->err, NULL);
        return;
    }
    struct fs_handle *h = handle_get(a, hid);
    if (!h || h->dir || (write ? !h->write : !h->read)) {
        char msg[128];
        snprintf(msg, sizeof msg, "%s: handle %llu is %s", write ? "write" : "read", (unsigned long long)hid,
                 !h ? "not open" : h->dir ? "a directory" : write ? "not open for writing" : "not open for reading");
        respond(a, m->id, msg, NULL);
        return;
    }
    struct session *s = session_new(a, write ? S_FS_WRITE : S_FS_READ, m->id);
    if (!s) {
        respond(a, m->id, "too many sessions", NULL);
        return;
    }
    s->u.rd.fd = s->u.wr.fd = -1;
    int fd = fcntl(h->fd, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) {
        s->done = 1;
        respond_errno(a, m->id, "dup", h->path, errno);
        return;
    }
    if (write) {
        s->u.wr.fd = fd;
        s->u.wr.offset = offset;
        s->u.wr.append = h->append;
        s->u.wr.has_expected = has_len == 0;
        s->u.wr.expected = len;
    } else {
        s->u.rd.fd = fd;
        s->u.rd.offset = offset;
        s->u.rd.remaining = len;
    }
}

void fs_read_pump(struct agent *a, struct session *s)
{
    size_t want = s->u.rd.remaining < FS_CHUNK ? (size_t)s->u.rd.remaining : FS_CHUNK;
    ssize_t r = want ? read_data_frame(a, MT_FS_DATA, s->id, s->u.rd.fd, (off_t)s->u.rd.offset, want, 0) : 0;
    if (r < 0) {
        if (errno == EINTR)
            return;
        char msg[128];
        snprintf(msg, sizeof msg, "read: %s", strerror(errno));
        respond(a, s->id, msg, NULL);
        s->done = 1;
        return;
    }
    if (r > 0) {
        s->u.rd.offset += (uint64_t)r;
        if (s->u.rd.remaining != UINT64_MAX)
            s->u.rd.remaining -= (uint64_t)r;
        a->fs_bytes += (uint64_t)r;
        activity(a);
        return;
    }
    /* an empty chunk marks the end; the response completes the session */
    send_data(a, MT_FS_DATA, s->id, NULL, 0);
    respond(a, s->id, NULL, NULL);
    s->done = 1;
}

void fs_data(struct agent *a, uint32_t id, const uint8_t *data, size_t n)
{
    struct session *s = session_find(a, id);
    if (!s || s->kind != S_FS_WRITE) {
        char msg[64];
        snprintf(msg, sizeof msg, "unknown write session: %u", id);
        respond(a, id, msg, NULL);
        return;
    }
    char msg[160];
    if (!n) {
        if (s->u.wr.has_expected && s->u.wr.written != s->u.wr.expected) {
            snprintf(msg, sizeof msg, "write length mismatch: expected %llu, wrote %llu",
                     (unsigned long long)s->u.wr.expected, (unsigned long long)s->u.wr.written);
            respond(a, id, msg, NULL);
        } else
            respond(a, id, NULL, NULL);
        s->done = 1;
        return;
    }
    if (s->u.wr.has_expected && s->u.wr.written + n > s->u.wr.expected) {
        snprintf(msg, sizeof msg, "write length mismatch: expected %llu, received at least %llu",
                 (unsigned long long)s->u.wr.expected, (unsigned long long)(s->u.wr.written + n));
        respond(a, id, msg, NULL);
        s->done = 1;
        return;
    }
    for (size_t off = 0; off < n;) {
        ssize_t w = s->u.wr.append ? write(s->u.wr.fd, data + off, n - off)
                                   : pwrite(s->u.wr.fd, data + off, n - off, (off_t)(s->u.wr.offset + off));
        if (w < 0) {
            if (errno == EINTR)
                continue;
            snprintf(msg, sizeof msg, "write: %s", strerror(errno));
            respond(a, id, msg, NULL);
            s->done = 1;
            return;
        }
        off += (size_t)w;
    }
    s->u.wr.offset += n;
    s->u.wr.written += n;
    a->fs_bytes += n;
}

void fs_close_session(struct session *s)
{
    int fd = s->kind == S_FS_READ ? s->u.rd.fd : s->u.wr.fd;
    if (fd >= 0)
        close(fd);
}

static const char *const OPS[] = {"RealPath", "Stat", "SetStat", "List", "ReadLink", "Symlink", "Mkdir",
                                  "Remove", "RemoveDir", "Copy", "Rename", "OpenFile", "OpenDir", "CloseHandle",
                                  "Read", "Write", "ReadDir", "FStat", "FSetStat"};
enum { OP_REALPATH, OP_STAT, OP_SETSTAT, OP_LIST, OP_READLINK, OP_SYMLINK, OP_MKDIR, OP_REMOVE, OP_REMOVEDIR,
       OP_COPY, OP_RENAME, OP_OPENFILE, OP_OPENDIR, OP_CLOSE, OP_READ, OP_WRITE, OP_READDIR, OP_FSTAT, OP_FSETSTAT,
       OP_COUNT };

void fs_request(struct agent *a, struct msg *m)
{
    uint32_t id = m->id;
    const struct cv *opm = cv_get(m->payload.root, "op");
    if (session_find(a, id)) {
        send_core_error(a, id, "invalid_session", "session id is already in use", m->tname);
        return;
    }
    /* FsOp is externally tagged: {"Stat": {...}} */
    if (!opm || opm->type != CV_MAP || opm->n != 1 || opm->kids[0].type != CV_TEXT) {
        respond(a, id, "field op: must be a map with exactly one operation name", NULL);
        return;
    }
    int op = -1;
    for (int i = 0; i < OP_COUNT; i++)
        if (!strcmp(opm->kids[0].s, OPS[i]))
            op = i;
    if (op < 0) {
        char msg[160];
        snprintf(msg, sizeof msg, "field op: unknown operation '%.64s'", opm->kids[0].s);
        respond(a, id, msg, NULL);
        return;
    }
    struct fields f = {.map = &opm->kids[1]};
    if (opm->kids[1].type != CV_MAP) {
        respond(a, id, "field op: operation arguments must be a map", NULL);
        return;
    }
    const char *path = NULL, *p2 = NULL;
    int follow = 1, rec = 0;
    uint64_t hid = 0, mode = 0, limit = DEFAULT_READDIR;
    int hmode = 1;
    int bad = 0;
    switch (op) {
    case OP_REALPATH: case OP_LIST: case OP_READLINK: case OP_REMOVE: case OP_OPENDIR: case OP_OPENFILE:
        bad = f_text(&f, "path", 1, MAX_PATH, &path) < 0;
        break;
    case OP_STAT: case OP_SETSTAT:
        bad = f_text(&f, "path", 1, MAX_PATH, &path) < 0 || f_bool(&f, "follow_symlink", 0, &follow) < 0;
        break;
    case OP_SYMLINK:
        bad = f_text(&f, "target", 1, MAX_PATH, &p2) < 0 || f_text(&f, "link_path", 1, MAX_PATH, &path) < 0;
        break;
    case OP_MKDIR:
        bad = f_text(&f, "path", 1, MAX_PATH, &path) < 0 || (hmode = f_u64(&f, "mode", 0, 07777, &mode)) < 0;
        break;
    case OP_REMOVEDIR:
        bad = f_text(&f, "path", 1, MAX_PATH, &path) < 0 || f_bool(&f, "recursive", 0, &rec) < 0;
        break;
    case OP_COPY: case OP_RENAME:
        bad = f_text(&f, "src", 1, MAX_PATH, &path) < 0 || f_text(&f, "dst", 1, MAX_PATH, &p2) < 0;
        break;
    case OP_CLOSE: case OP_FSTAT: case OP_FSETSTAT:
        bad = f_u64(&f, "handle", 1, UINT64_MAX, &hid) < 0;
        break;
    case OP_READDIR:
        bad = f_u64(&f, "handle", 1, UINT64_MAX, &hid) < 0 || f_u64(&f, "limit", 0, MAX_READDIR, &limit) < 0;
        break;
    default:
        break;
    }
    if (bad) {
        respond(a, id, f.err, NULL);
        return;
    }
    if (path && !*path) {
        respond(a, id, "field path: must not be empty", NULL);
        return;
    }
    struct stat st;
    char out[PATH_MAX + 1];
    char ferr[300];
    const char *field_err = NULL;
    switch (op) {
    case OP_REALPATH:
        if (realpath(path, out))
            respond_path(a, id, out);
        else
            respond_errno(a, id, "realpath", path, errno);
        break;
    case OP_STAT:
        if ((follow ? stat(path, &st) : lstat(path, &st)) == 0)
            respond_stat(a, id, path, &st);
        else
            respond_errno(a, id, "stat", path, errno);
        break;
    case OP_SETSTAT:
    case OP_FSETSTAT: {
        const struct cv *attrs = cv_get(f.map, "attrs");
        if (!attrs || attrs->type != CV_MAP) {
            respond(a, id, "field attrs: must be a map", NULL);
            break;
        }
        struct fs_handle *h = NULL;
        if (op == OP_FSETSTAT && (!(h = handle_get(a, hid)) || h->dir)) {
            respond(a, id, "fsetstat: handle is not an open file", NULL);
            break;
        }
        if (set_attrs(attrs, h ? h->path : path, h ? h->fd : -1, follow, &field_err, ferr, sizeof ferr) == 0)
            respond(a, id, NULL, NULL);
        else if (field_err)
            respond(a, id, field_err, NULL);
        else
            respond_errno(a, id, "setstat", h ? h->path : path, errno);
        break;
    }
    case OP_LIST: {
        DIR *d = opendir(path);
        if (!d) {
            respond_errno(a, id, "readdir", path, errno);
            break;
        }
        struct buf items = {0};
        int err = 0;
        long n = list_entries(d, path, &items, LONG_MAX, &err);
        closedir(d);
        if (n < 0)
            respond_errno(a, id, err == EFBIG ? "readdir (too many entries: use OpenDir/ReadDir)" : "readdir", path, err);
        else
            respond_list(a, id, &items, n);
        buf_free(&items);
        break;
    }
    case OP_READLINK: {
        ssize_t n = readlink(path, out, sizeof out - 1);
        if (n < 0)
            respond_errno(a, id, "readlink", path, errno);
        else {
            out[n] = 0;
            respond_path(a, id, out);
        }
        break;
    }
    case OP_SYMLINK:
        respond_rc(a, id, symlink(p2, path), "symlink", path);
        break;
    case OP_MKDIR:
        respond_rc(a, id, mkdir_p(path) || (hmode == 0 && chmod(path, (mode_t)mode)), "mkdir", path);
        break;
    case OP_REMOVE:
        respond_rc(a, id, unlink(path), "remove", path);
        break;
    case OP_REMOVEDIR:
        respond_rc(a, id, rec ? nftw(path, rm_one, 32, FTW_DEPTH | FTW_PHYS) : rmdir(path), "remove_dir", path);
        break;
    case OP_COPY:
        respond_rc(a, id, copy_file(path, p2), "copy", path);
        break;
    case OP_RENAME:
        respond_rc(a, id, rename(path, p2), "rename", path);
        break;
    case OP_OPENFILE:
        op_open_file(a, id, &f, path);
        break;
    case OP_OPENDIR: {
        DIR *d = opendir(path);
        if (!d) {
            respond_errno(a, id, "opendir", path, errno);
            break;
        }
        struct fs_handle *h = handle_add(a, id, dirfd(d), d, path);
        if (!h) {
            closedir(d);
            respond(a, id, "opendir: too many open file system handles (1024)", NULL);
        } else
            respond_handle(a, id, h->id);
        break;
    }
    case OP_CLOSE: {
        struct fs_handle *h = handle_get(a, hid);
        if (!h)
            respond(a, id, "close: invalid handle", NULL);
        else {
            handle_close(h);
            respond(a, id, NULL, NULL);
        }
        break;
    }
    case OP_READ:
    case OP_WRITE:
        op_stream(a, m, &f, op == OP_WRITE);
        break;
    case OP_READDIR: {
        struct fs_handle *h = handle_get(a, hid);
        if (!h || !h->dir) {
            respond(a, id, "readdir: handle is not an open directory", NULL);
            break;
        }
        struct buf items = {0};
        int err = 0;
        long n = list_entries(h->dir, h->path, &items, limit ? (long)limit : 1, &err);
        if (n < 0)
            respond_errno(a, id, "readdir", h->path, err);
        else
            respond_list(a, id, &items, n);
        buf_free(&items);
        break;
    }
    case OP_FSTAT: {
        struct fs_handle *h = handle_get(a, hid);
        if (!h)
            respond(a, id, "fstat: invalid handle", NULL);
        else if (fstat(h->fd, &st))
            respond_errno(a, id, "fstat", h->path, errno);
        else
            respond_stat(a, id, h->path, &st);
        break;
    }
    }
}
