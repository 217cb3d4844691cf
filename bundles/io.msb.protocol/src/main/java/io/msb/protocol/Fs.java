package io.msb.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.annotation.JsonTypeName;
import io.msb.api.Check;
import java.util.List;

/**
 * Payloads of the {@code core.fs.*} messages. Operations are externally tagged on the wire
 * ({@code {"Stat": {...}}}), as microsandbox's serde enums are.
 */
public final class Fs {
    /** Largest data chunk either side sends (3 MiB keeps a frame under 4 MiB). */
    public static final int CHUNK_SIZE = 3 * 1024 * 1024;
    static final int MAX_PATH = 4096;

    private Fs() {
    }

    /** {@code core.fs.request}. */
    public record Request(Op op) {
        public Request {
            Check.required("op", op);
        }
    }

    @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.WRAPPER_OBJECT)
    @JsonSubTypes({ @JsonSubTypes.Type(RealPath.class), @JsonSubTypes.Type(Stat.class),
            @JsonSubTypes.Type(SetStat.class), @JsonSubTypes.Type(ListDir.class), @JsonSubTypes.Type(ReadLink.class),
            @JsonSubTypes.Type(Symlink.class), @JsonSubTypes.Type(Mkdir.class), @JsonSubTypes.Type(Remove.class),
            @JsonSubTypes.Type(RemoveDir.class), @JsonSubTypes.Type(Copy.class), @JsonSubTypes.Type(Rename.class),
            @JsonSubTypes.Type(OpenFile.class), @JsonSubTypes.Type(OpenDir.class),
            @JsonSubTypes.Type(CloseHandle.class), @JsonSubTypes.Type(Read.class), @JsonSubTypes.Type(Write.class),
            @JsonSubTypes.Type(ReadDir.class), @JsonSubTypes.Type(FStat.class), @JsonSubTypes.Type(FSetStat.class) })
    public sealed interface Op {
    }

    @JsonTypeName("RealPath")
    public record RealPath(String path) implements Op {
        public RealPath {
            Check.path("path", path);
        }
    }

    @JsonTypeName("Stat")
    public record Stat(String path, boolean followSymlink) implements Op {
        public Stat {
            Check.path("path", path);
        }
    }

    @JsonTypeName("SetStat")
    public record SetStat(String path, boolean followSymlink, SetAttrs attrs) implements Op {
        public SetStat {
            Check.path("path", path);
            Check.required("attrs", attrs);
        }
    }

    @JsonTypeName("List")
    public record ListDir(String path) implements Op {
        public ListDir {
            Check.path("path", path);
        }
    }

    @JsonTypeName("ReadLink")
    public record ReadLink(String path) implements Op {
        public ReadLink {
            Check.path("path", path);
        }
    }

    @JsonTypeName("Symlink")
    public record Symlink(String target, String linkPath) implements Op {
        public Symlink {
            Check.path("target", target);
            Check.path("link_path", linkPath);
        }
    }

    @JsonTypeName("Mkdir")
    public record Mkdir(String path, Integer mode) implements Op {
        public Mkdir {
            Check.path("path", path);
        }
    }

    @JsonTypeName("Remove")
    public record Remove(String path) implements Op {
        public Remove {
            Check.path("path", path);
        }
    }

    @JsonTypeName("RemoveDir")
    public record RemoveDir(String path, boolean recursive) implements Op {
        public RemoveDir {
            Check.path("path", path);
        }
    }

    @JsonTypeName("Copy")
    public record Copy(String src, String dst) implements Op {
        public Copy {
            Check.path("src", src);
            Check.path("dst", dst);
        }
    }

    @JsonTypeName("Rename")
    public record Rename(String src, String dst) implements Op {
        public Rename {
            Check.path("src", src);
            Check.path("dst", dst);
        }
    }

    @JsonTypeName("OpenFile")
    public record OpenFile(String path, OpenOptions options) implements Op {
        public OpenFile {
            Check.path("path", path);
            Check.required("options", options);
        }
    }

    @JsonTypeName("OpenDir")
    public record OpenDir(String path) implements Op {
        public OpenDir {
            Check.path("path", path);
        }
    }

    @JsonTypeName("CloseHandle")
    public record CloseHandle(long handle) implements Op {
    }

    /** Streams the file as {@code core.fs.data} chunks, then a terminal response; null len = to EOF. */
    @JsonTypeName("Read")
    public record Read(long handle, long offset, Long len) implements Op {
    }

    /** The host then sends {@code core.fs.data} chunks and an empty chunk; null len = unchecked. */
    @JsonTypeName("Write")
    public record Write(long handle, long offset, Long len) implements Op {
    }

    @JsonTypeName("ReadDir")
    public record ReadDir(long handle, Integer limit) implements Op {
    }

    @JsonTypeName("FStat")
    public record FStat(long handle) implements Op {
    }

    @JsonTypeName("FSetStat")
    public record FSetStat(long handle, SetAttrs attrs) implements Op {
        public FSetStat {
            Check.required("attrs", attrs);
        }
    }

    /** What to change; null fields stay as they are. Times are Unix seconds. */
    public record SetAttrs(Integer mode, Long uid, Long gid, Long size, Long atime, Long mtime) {
    }

    public record OpenOptions(boolean read, boolean write, boolean append, boolean create, boolean truncate,
            boolean createNew, Integer mode) {
    }

    /** Metadata of one entry; kind is file, dir, symlink or other. */
    public record EntryInfo(String path, String kind, long size, long mode, Long modified, long uid, long gid,
            Long atime, Long mtime) {
        public EntryInfo {
            Check.path("path", path);
            Check.oneOf("kind", kind, "file", "dir", "symlink", "other");
            Check.nonNegative("size", size);
            Check.u32("mode", mode);
            Check.u32("uid", uid);
            Check.u32("gid", gid);
        }
    }

    /** {@code core.fs.response}: terminal; data is set for stat, list, open and path results. */
    public record Response(boolean ok, String error, ResponseData data) {
        public Response {
            if (error != null) {
                Check.maxLength("error", error, 64 * 1024);
            }
        }
    }

    /**
     * The one-of result data, externally tagged on the wire as microsandbox's newtype variants:
     * {@code {"Stat": {...}}}, {@code {"List": [...]}}, {@code {"Handle": 3}}, {@code {"Path": "/x"}}.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ResponseData(@JsonProperty("Stat") EntryInfo stat, @JsonProperty("List") List<EntryInfo> list,
            @JsonProperty("Handle") Long handle, @JsonProperty("Path") String path) {
        /** Most entries one listing may carry. */
        public static final int MAX_LIST = 100_000;

        public ResponseData {
            int set = (stat != null ? 1 : 0) + (list != null ? 1 : 0) + (handle != null ? 1 : 0)
                    + (path != null ? 1 : 0);
            if (set != 1) {
                throw new IllegalArgumentException("data: exactly one of Stat, List, Handle, Path, got " + set);
            }
            if (list != null) {
                list = List.copyOf(Check.maxSize("data.List", list, MAX_LIST));
            }
            if (path != null) {
                Check.path("data.Path", path);
            }
        }

        public static ResponseData ofStat(EntryInfo e) {
            return new ResponseData(e, null, null, null);
        }

        public static ResponseData ofList(List<EntryInfo> l) {
            return new ResponseData(null, l, null, null);
        }

        public static ResponseData ofHandle(long h) {
            return new ResponseData(null, null, h, null);
        }

        public static ResponseData ofPath(String p) {
            return new ResponseData(null, null, null, p);
        }
    }

    /** A file chunk (both directions); empty data means end of stream. */
    public record Data(byte[] data) {
        public Data {
            Check.required("data", data);
        }
    }
}
