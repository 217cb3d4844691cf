package io.msb.ssh.internal;

import io.msb.api.fs.FileStat;
import io.msb.api.fs.FileType;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserPrincipal;
import java.time.Instant;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A guest file's {@link FileStat} as java.nio attributes: the basic and posix views, and the "unix" view's numeric
 * uid, gid and mode, which sftp version 3 sends. Owners are their numbers (the guest's names are not known here).
 */
record GuestAttributes(FileStat stat) implements PosixFileAttributes {
    static final Set<String> VIEWS = Set.of("basic", "posix", "unix");
    private static final PosixFilePermission[] BITS = { // PosixFilePermission's order is 0400 down to 0001
        PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE,
        PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
        PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE};

    /** A uid or gid as a principal; its name is the number. */
    record Id(String getName, int number) implements UserPrincipal, GroupPrincipal {
        Id(int number) {
            this(Integer.toString(number), number);
        }

        /** The number a principal names (a uid or gid), or an error naming the field. */
        static int of(String field, Object principal) {
            String name = principal instanceof java.security.Principal p ? p.getName() : String.valueOf(principal);
            try {
                return Integer.parseInt(name);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(field + ": '" + name + "' is not a number (sandbox owners are set"
                        + " by uid and gid)");
            }
        }
    }

    static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
        for (int i = 0; i < BITS.length; i++) {
            if ((mode & (0400 >> i)) != 0) {
                set.add(BITS[i]);
            }
        }
        return set;
    }

    static int mode(Set<PosixFilePermission> permissions) {
        int mode = 0;
        for (int i = 0; i < BITS.length; i++) {
            if (permissions.contains(BITS[i])) {
                mode |= 0400 >> i;
            }
        }
        return mode;
    }

    /** The attributes of {@code view} ("basic", "posix" or "unix"), all of them when {@code names} is "*". */
    Map<String, Object> asMap(String view, String names) {
        if (!VIEWS.contains(view)) {
            throw new UnsupportedOperationException("view '" + view + "' is not supported (" + VIEWS + ")");
        }
        Map<String, Object> all = new LinkedHashMap<>();
        all.put("lastModifiedTime", lastModifiedTime());
        all.put("lastAccessTime", lastAccessTime());
        all.put("creationTime", creationTime());
        all.put("size", size());
        all.put("isRegularFile", isRegularFile());
        all.put("isDirectory", isDirectory());
        all.put("isSymbolicLink", isSymbolicLink());
        all.put("isOther", isOther());
        all.put("fileKey", null);
        if (!view.equals("basic")) {
            all.put("permissions", permissions());
            all.put("owner", owner());
            all.put("group", group());
        }
        if (view.equals("unix")) {
            all.put("uid", stat.uid());
            all.put("gid", stat.gid());
            all.put("mode", stat.mode() | typeBits());
        }
        if (names.equals("*")) {
            return all;
        }
        Map<String, Object> chosen = new LinkedHashMap<>();
        for (String name : names.split(",")) {
            if (!all.containsKey(name)) {
                throw new IllegalArgumentException("attribute '" + view + ":" + name + "' is not known");
            }
            chosen.put(name, all.get(name));
        }
        return chosen;
    }

    /** The file type bits of st_mode, which the unix view's mode carries. */
    private int typeBits() {
        return switch (stat.type()) {
        case FILE -> 0100000;
        case DIRECTORY -> 0040000;
        case SYMLINK -> 0120000;
        case OTHER -> 0;
        };
    }

    @Override
    public FileTime lastModifiedTime() {
        return FileTime.from(stat.modified() == null ? Instant.EPOCH : stat.modified());
    }

    /** The agent reports no access or creation time: the modification time stands in, as zip file systems do. */
    @Override
    public FileTime lastAccessTime() {
        return lastModifiedTime();
    }

    @Override
    public FileTime creationTime() {
        return lastModifiedTime();
    }

    @Override
    public boolean isRegularFile() {
        return stat.type() == FileType.FILE;
    }

    @Override
    public boolean isDirectory() {
        return stat.type() == FileType.DIRECTORY;
    }

    @Override
    public boolean isSymbolicLink() {
        return stat.type() == FileType.SYMLINK;
    }

    @Override
    public boolean isOther() {
        return stat.type() == FileType.OTHER;
    }

    @Override
    public long size() {
        return stat.size();
    }

    @Override
    public Object fileKey() {
        return null;
    }

    @Override
    public UserPrincipal owner() {
        return new Id(stat.uid());
    }

    @Override
    public GroupPrincipal group() {
        return new Id(stat.gid());
    }

    @Override
    public Set<PosixFilePermission> permissions() {
        return permissions(stat.mode());
    }
}
