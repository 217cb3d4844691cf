package io.msb.protocol.internal;

import io.msb.api.MsbException;
import io.msb.api.NotFoundException;
import io.msb.api.fs.FileStat;
import io.msb.api.fs.FileType;
import io.msb.api.fs.SandboxFs;
import io.msb.protocol.Core;
import io.msb.protocol.Fs;
import io.msb.protocol.Message;
import io.msb.protocol.MessageType;
import io.msb.protocol.ProtocolException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** {@link SandboxFs} over {@code core.fs.*}: handle-based streaming reads and writes in chunks. */
public final class AgentFs implements SandboxFs {
    /** Chunk size for host-to-guest writes. */
    static final int WRITE_CHUNK = 1024 * 1024;
    private final Mux mux;
    private final Duration timeout;
    private final long readBufferBytes;

    /** @param readBufferBytes bytes of a read buffered before the agent is asked to pause it */
    public AgentFs(Mux mux, Duration timeout, long readBufferBytes) {
        this.mux = mux;
        this.timeout = timeout;
        this.readBufferBytes = readBufferBytes;
    }

    private Fs.Response call(String what, Fs.Op op) {
        Message m = Call.run(mux, MessageType.FS_REQUEST, new Fs.Request(op), timeout);
        return check(what, m.payload(Fs.Response.class));
    }

    private static Fs.Response check(String what, Fs.Response r) {
        if (!r.ok()) {
            String error = r.error() == null ? "failed" : r.error();
            if (error.contains("os error 2)") || error.contains("No such file") || error.contains("ENOENT")) {
                throw new NotFoundException("file", what + " (" + error + ")");
            }
            throw new MsbException(what + ": " + error);
        }
        return r;
    }

    private static ProtocolException missing(String what, String expected) {
        return new ProtocolException(Core.ErrorKind.INVALID_PAYLOAD, what + ": response lacks " + expected);
    }

    @Override
    public FileStat stat(String path) {
        Fs.Response r = call("stat " + path, new Fs.Stat(path, true));
        if (r.data() == null || r.data().stat() == null) {
            throw missing("stat " + path, "Stat data");
        }
        return toStat(path, r.data().stat());
    }

    private FileStat lstat(String path) {
        Fs.Response r = call("stat " + path, new Fs.Stat(path, false));
        if (r.data() == null || r.data().stat() == null) {
            throw missing("stat " + path, "Stat data");
        }
        return toStat(path, r.data().stat());
    }

    static FileStat toStat(String path, Fs.EntryInfo e) {
        FileType type = switch (e.kind()) {
        case "file" -> FileType.FILE;
        case "dir" -> FileType.DIRECTORY;
        case "symlink" -> FileType.SYMLINK;
        default -> FileType.OTHER;
        };
        Long mtime = e.mtime() != null ? e.mtime() : e.modified();
        return new FileStat(path, type, e.size(), (int) (e.mode() & 07777), (int) e.uid(), (int) e.gid(),
                mtime == null ? null : Instant.ofEpochSecond(mtime));
    }

    @Override
    public List<FileStat> list(String directory) {
        Fs.Response r = call("list " + directory, new Fs.ListDir(directory));
        if (r.data() == null || r.data().list() == null) {
            throw missing("list " + directory, "List data");
        }
        return r.data().list().stream().map(e -> toStat(e.path(), e)).toList();
    }

    private long open(String path, Fs.OpenOptions options) {
        Fs.Response r = call("open " + path, new Fs.OpenFile(path, options));
        if (r.data() == null || r.data().handle() == null) {
            throw missing("open " + path, "Handle data");
        }
        return r.data().handle();
    }

    private void closeHandle(long handle) {
        call("close handle " + handle, new Fs.CloseHandle(handle));
    }

    @Override
    public InputStream read(String path) {
        long handle = open(path, new Fs.OpenOptions(true, false, false, false, false, false, null));
        ReadStream s = new ReadStream(path, handle);
        int id = mux.register(s);
        try {
            mux.send(MessageType.FS_REQUEST, id, new Fs.Request(new Fs.Read(handle, 0, null)));
        } catch (RuntimeException e) {
            mux.unregister(s);
            throw e;
        }
        return s.stream;
    }

    /** Streams FsData chunks into a bounded queue; the handle is closed when the read ends. */
    private final class ReadStream extends Session {
        final String path;
        final long handle;
        final ChunkQueue queue = new ChunkQueue(mux, this, readBufferBytes);
        final InputStream stream = new java.io.FilterInputStream(queue) {
            @Override
            public void close() {
                queue.close();
            }
        };

        ReadStream(String path, long handle) {
            this.path = path;
            this.handle = handle;
        }

        @Override
        protected void onMessage(MessageType type, Message m) {
            if (type == MessageType.FS_DATA) {
                queue.push(m.payload(Fs.Data.class).data());
            } else if (type == MessageType.FS_RESPONSE) {
                Fs.Response r = m.payload(Fs.Response.class);
                if (r.ok()) {
                    queue.end();
                } else {
                    queue.fail(new IOException("read " + path + ": " + r.error()));
                }
                // closing needs a round trip, which the reader thread must not wait for
                mux.later(this::release);
            } else {
                throw new ProtocolException(Core.ErrorKind.INVALID_SESSION, type.wire() + " in an fs read");
            }
        }

        private void release() {
            try {
                closeHandle(handle);
            } catch (RuntimeException ignored) {
                // the agent also drops handles when the connection ends
            }
        }

        @Override
        protected void onFailure(RuntimeException cause) {
            queue.fail(new IOException("read " + path + ": " + cause.getMessage(), cause));
        }
    }

    @Override
    public void write(String path, InputStream content, int mode) {
        long handle = open(path, new Fs.OpenOptions(false, true, false, true, true, false, mode));
        try {
            streamWrite(path, handle, content);
        } finally {
            closeHandle(handle);
        }
    }

    private void streamWrite(String path, long handle, InputStream content) {
        WriteStream s = new WriteStream();
        int id = mux.register(s);
        try {
            mux.send(MessageType.FS_REQUEST, id, new Fs.Request(new Fs.Write(handle, 0, null)));
            byte[] buf = new byte[WRITE_CHUNK];
            int n;
            while (!s.done.isDone() && (n = content.readNBytes(buf, 0, buf.length)) > 0) {
                mux.send(MessageType.FS_DATA, id, new Fs.Data(java.util.Arrays.copyOf(buf, n)));
            }
            if (!s.done.isDone()) {
                mux.send(MessageType.FS_DATA, id, new Fs.Data(new byte[0]));
            }
        } catch (IOException e) {
            mux.unregister(s);
            throw new UncheckedIOException("write " + path + ": reading the content failed", e);
        } catch (RuntimeException e) {
            mux.unregister(s);
            throw e;
        }
        try {
            check("write " + path, s.done.get(timeout.toNanos(), TimeUnit.NANOSECONDS));
        } catch (TimeoutException e) {
            mux.unregister(s);
            throw new io.msb.protocol.AgentTimeoutException("write " + path + ": no response within " + timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            mux.unregister(s);
            throw new io.msb.protocol.AgentTimeoutException("write " + path + ": interrupted");
        } catch (ExecutionException e) {
            throw Sessions.rethrow(e.getCause());
        }
    }

    /** Waits for the terminal response, which may come early when the agent fails the write. */
    private static final class WriteStream extends Session {
        final CompletableFuture<Fs.Response> done = new CompletableFuture<>();

        @Override
        protected void onMessage(MessageType type, Message m) {
            if (type != MessageType.FS_RESPONSE) {
                throw new ProtocolException(Core.ErrorKind.INVALID_SESSION, type.wire() + " in an fs write");
            }
            done.complete(m.payload(Fs.Response.class));
        }

        @Override
        protected void onFailure(RuntimeException cause) {
            done.completeExceptionally(cause);
        }
    }

    @Override
    public void mkdirs(String path, int mode) {
        call("mkdir " + path, new Fs.Mkdir(path, mode));
    }

    @Override
    public void remove(String path) {
        if (lstat(path).type() == FileType.DIRECTORY) {
            call("rmdir " + path, new Fs.RemoveDir(path, false));
        } else {
            call("remove " + path, new Fs.Remove(path));
        }
    }

    @Override
    public void removeRecursive(String path) {
        call("remove " + path, new Fs.RemoveDir(path, true));
    }

    @Override
    public void rename(String from, String to) {
        call("rename " + from, new Fs.Rename(from, to));
    }

    @Override
    public void copy(String from, String to) {
        call("copy " + from, new Fs.Copy(from, to));
    }

    @Override
    public void symlink(String target, String link) {
        call("symlink " + link, new Fs.Symlink(target, link));
    }

    @Override
    public String readlink(String path) {
        return pathOf("readlink " + path, call("readlink " + path, new Fs.ReadLink(path)));
    }

    @Override
    public String realpath(String path) {
        return pathOf("realpath " + path, call("realpath " + path, new Fs.RealPath(path)));
    }

    private static String pathOf(String what, Fs.Response r) {
        if (r.data() == null || r.data().path() == null) {
            throw missing(what, "Path data");
        }
        return r.data().path();
    }

    @Override
    public void setStat(String path, Integer mode, Integer uid, Integer gid, Instant modified) {
        Fs.SetAttrs attrs = new Fs.SetAttrs(mode, uid == null ? null : Integer.toUnsignedLong(uid),
                gid == null ? null : Integer.toUnsignedLong(gid), null, null,
                modified == null ? null : modified.getEpochSecond());
        call("setstat " + path, new Fs.SetStat(path, true, attrs));
    }
}
