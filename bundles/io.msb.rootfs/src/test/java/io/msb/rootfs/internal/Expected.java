package io.msb.rootfs.internal;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** The tree a test expects, and the same description read back from a real directory. */
final class Expected {
    /** What one path should be. Content is a SHA-256 for files, the target for symlinks. */
    record Node(char type, int perm, long uid, long gid, Instant mtime, long size, String content, int major,
            int minor, Map<String, String> xattrs) {
    }

    final Map<String, Node> nodes = new TreeMap<>();

    static String sha(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    Expected dir(String p, int perm, long uid, long gid, Instant t) {
        nodes.put(p, new Node('d', perm, uid, gid, t, 0, "", 0, 0, Map.of()));
        return this;
    }

    Expected file(String p, byte[] c, int perm, long uid, long gid, Instant t) {
        nodes.put(p, new Node('f', perm, uid, gid, t, c.length, sha(c), 0, 0, Map.of()));
        return this;
    }

    Expected symlink(String p, String target, long uid, long gid, Instant t) {
        nodes.put(p, new Node('l', 0777, uid, gid, t, target.length(), target, 0, 0, Map.of()));
        return this;
    }

    Expected device(String p, char type, int perm, int major, int minor, Instant t) {
        nodes.put(p, new Node(type, perm, 0, 0, t, 0, "", major, minor, Map.of()));
        return this;
    }

    Expected xattrs(String p, Map<String, String> x) {
        Node n = nodes.get(p);
        nodes.put(p, new Node(n.type(), n.perm(), n.uid(), n.gid(), n.mtime(), n.size(), n.content(), n.major(),
                n.minor(), new TreeMap<>(x)));
        return this;
    }

    /** Reads a real tree. Directory sizes are not compared (they depend on the file system). */
    static Expected read(Path root, boolean withXattrs) throws IOException {
        Expected e = new Expected();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                String rel = "/" + root.relativize(p).toString();
                Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid,rdev,size,lastModifiedTime", NOFOLLOW_LINKS);
                int mode = (Integer) a.get("mode");
                long rdev = (Long) a.get("rdev");
                int major = (int) (((rdev >>> 32) & 0xfffff000L) | ((rdev >>> 8) & 0xfffL));
                int minor = (int) (((rdev >>> 12) & 0xffffff00L) | (rdev & 0xffL));
                Instant t = ((FileTime) a.get("lastModifiedTime")).toInstant();
                char type = switch (mode & 0170000) {
                    case 0040000 -> 'd';
                    case 0100000 -> 'f';
                    case 0120000 -> 'l';
                    case 0020000 -> 'c';
                    case 0060000 -> 'b';
                    case 0010000 -> 'p';
                    default -> '?';
                };
                long size = type == 'd' ? 0 : (Long) a.get("size");
                String content = switch (type) {
                    case 'f' -> sha(Files.readAllBytes(p));
                    case 'l' -> Files.readSymbolicLink(p).toString();
                    default -> "";
                };
                Map<String, String> x = new TreeMap<>();
                if (withXattrs && (type == 'f' || type == 'd')) {
                    UserDefinedFileAttributeView v = Files.getFileAttributeView(p, UserDefinedFileAttributeView.class);
                    for (String n : v.list()) {
                        ByteBuffer b = ByteBuffer.allocate(v.size(n));
                        v.read(n, b);
                        x.put("user." + n, new String(b.array(), 0, b.position(), java.nio.charset.StandardCharsets.UTF_8));
                    }
                }
                e.nodes.put(rel.equals("/") ? "/" : rel, new Node(type, mode & 07777, (Integer) a.get("uid"),
                        (Integer) a.get("gid"), t, size, content, type == 'c' || type == 'b' ? major : 0,
                        type == 'c' || type == 'b' ? minor : 0, x));
            }
        }
        return e;
    }

    /** A copy without xattrs (fsck.erofs 1.5 does not extract them). */
    Expected withoutXattrs() {
        Expected e = new Expected();
        nodes.forEach((k, n) -> e.nodes.put(k, new Node(n.type(), n.perm(), n.uid(), n.gid(), n.mtime(), n.size(),
                n.content(), n.major(), n.minor(), Map.of())));
        return e;
    }

    /** Keeps only user.* xattrs (what a non-privileged view of a mounted tree reports). */
    Expected userXattrsOnly() {
        Expected e = new Expected();
        nodes.forEach((k, n) -> {
            Map<String, String> x = new TreeMap<>(n.xattrs());
            x.keySet().removeIf(name -> !name.startsWith("user."));
            e.nodes.put(k, new Node(n.type(), n.perm(), n.uid(), n.gid(), n.mtime(), n.size(), n.content(),
                    n.major(), n.minor(), x));
        });
        return e;
    }

    /** Lines describing each difference, empty when the trees match. */
    List<String> diff(Expected actual) {
        List<String> out = new java.util.ArrayList<>();
        for (var en : nodes.entrySet()) {
            Node a = actual.nodes.get(en.getKey());
            if (a == null) {
                out.add("missing " + en.getKey());
            } else if (!a.equals(en.getValue())) {
                out.add(en.getKey() + ": expected " + en.getValue() + " got " + a);
            }
        }
        for (String k : actual.nodes.keySet()) {
            if (!nodes.containsKey(k)) {
                out.add("unexpected " + k);
            }
        }
        return out;
    }
}
