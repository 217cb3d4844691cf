#!/usr/bin/env python3
"""Generates vectors.json and vectors.tsv from the specifications below.

The CBOR encoder here is deliberately tiny and independent of the Java and C
implementations: definite lengths, shortest integer heads, map keys in the
order written (which is the field order of microsandbox's payload structs).
Run: python3 generate.py   (no third-party modules needed)
"""
import json, struct, os

FLAG_TERMINAL, FLAG_SESSION_START, FLAG_SHUTDOWN = 1, 2, 4
MAX_FRAME = 4 * 1024 * 1024


class B(bytes):
    """A CBOR byte string (JSON form: {"$bytes": "<hex>"})."""


def head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    if n < 0x100:
        return bytes([major << 5 | 24, n])
    if n < 0x10000:
        return bytes([major << 5 | 25]) + struct.pack(">H", n)
    if n < 0x100000000:
        return bytes([major << 5 | 26]) + struct.pack(">I", n)
    return bytes([major << 5 | 27]) + struct.pack(">Q", n)


def cbor(x):
    if x is None:
        return b"\xf6"
    if x is True:
        return b"\xf5"
    if x is False:
        return b"\xf4"
    if isinstance(x, int):
        return head(0, x) if x >= 0 else head(1, -1 - x)
    if isinstance(x, bytes):
        return head(2, len(x)) + bytes(x)
    if isinstance(x, str):
        e = x.encode()
        return head(3, len(e)) + e
    if isinstance(x, list):
        return head(4, len(x)) + b"".join(cbor(i) for i in x)
    if isinstance(x, dict):
        return head(5, len(x)) + b"".join(cbor(k) + cbor(v) for k, v in x.items())
    raise TypeError(x)


def to_json(x):
    if isinstance(x, bytes):
        return {"$bytes": x.hex()}
    if isinstance(x, list):
        return [to_json(i) for i in x]
    if isinstance(x, dict):
        return {k: to_json(v) for k, v in x.items()}
    return x


def frame(id_, flags, body):
    n = 5 + len(body)
    return struct.pack(">IIB", n, id_, flags) + body


def envelope(t, p):
    return cbor({"v": 7, "t": t, "p": B(cbor(p))})


vectors = []


def ok(name, t, id_, flags, p, desc, body=None):
    """A valid frame. Without `body` the bytes are canonical: encoders must reproduce them."""
    canonical = body is None
    raw = frame(id_, flags, envelope(t, p) if canonical else body)
    vectors.append({
        "name": name, "description": desc, "expect": "ok", "canonical": canonical,
        "hex": raw.hex(),
        "decoded": {"id": id_, "flags": flags, "v": 7, "t": t, "p": to_json(p)},
    })


def bad(name, raw, error, desc, reply=None):
    """An invalid frame: `error` names the failure; `agent_reply` the core.error kind the
    agent answers with (same id) when the frame boundary is intact, else the peer closes."""
    v = {"name": name, "description": desc, "expect": "error", "error": error, "hex": raw.hex()}
    if reply:
        v["agent_reply"] = reply
    vectors.append(v)


T, S = FLAG_TERMINAL, FLAG_SESSION_START

# --- core -------------------------------------------------------------------------------
ok("core-ready", "core.ready", 0, 0,
   {"boot_time_ns": 812345678, "init_time_ns": 1500000, "ready_time_ns": 830000000,
    "agent_version": "0.1.0"}, "ready with timings and agent version")
ok("core-ready-no-version", "core.ready", 0, 0,
   {"boot_time_ns": 0, "init_time_ns": 0, "ready_time_ns": 5000000000},
   "agent_version is omitted when empty; u64 above 2^32 uses the 8-byte head")
ok("core-ready-flow-control", "core.ready", 0, 0,
   {"boot_time_ns": 812345678, "init_time_ns": 1500000, "ready_time_ns": 830000000,
    "agent_version": "0.1.0", "flow_control": True},
   "msb extension (decisions 0230, 0310): the agent honours msb.flow.pause/resume; last, omitted when absent")
ok("core-ping", "core.ping", 7, 0, {}, "ping has an empty map payload")
ok("core-pong", "core.pong", 7, T, {}, "pong is terminal")
ok("core-touch", "core.touch", 8, 0, {}, "explicit idle-timer refresh")
ok("core-touched", "core.touched", 8, T, {"activity_seq": 42}, "touch reply")
ok("core-error", "core.error", 9, T,
   {"kind": "unsupported_message_type", "message": "unknown message type: core.bogus",
    "offending_type": "core.bogus"}, "recoverable error on the offending id; terminal")
ok("core-error-no-type", "core.error", 3, T,
   {"kind": "malformed_message", "message": "envelope is not a CBOR map"},
   "offending_type omitted when unknown")
ok("core-shutdown", "core.shutdown", 0, FLAG_SHUTDOWN, None,
   "shutdown carries unit (CBOR null) and the SHUTDOWN flag, id 0")
ok("core-clock-sync", "core.clock.sync", 0, 0, {"unix_time_nanos": 1764061200123456789},
   "host wall clock in ns")
ok("core-relay-client-disconnected", "core.relay.client.disconnected", 0, 0,
   {"id_start": 33554432, "id_end_exclusive": 67108863},
   "relay announces a departed client's id range")
ok("core-init-resolved", "core.init.resolved", 0, 0,
   {"default_user": {"uid": 1000, "gid": 1000}}, "guest-resolved default user")
ok("core-init-ack", "core.init.ack", 0, 0, {}, "host acknowledgement")

# --- msb extensions (not microsandbox's core.*; sent only to an agent announcing flow_control) ---
ok("msb-flow-pause", "msb.flow.pause", 0x02000001, 0, {},
   "host asks the agent to stop reading this session's source (decision 0230); empty map, flags 0")
ok("msb-flow-resume", "msb.flow.resume", 0x02000001, 0, {}, "undoes msb.flow.pause on the same id")
# sent on an id of the client's range; keys in the field order of io.msb.protocol's GuestBootstrap, absent ones left out
ok("msb-identity-apply", "msb.identity.apply", 0x02000002, 0,
   {"bootstrap": {"hostname": "copy-2", "default_env": [{"key": "A", "value": "1"}], "default_cwd": "/srv",
                  "network": {"address": "172.16.0.10", "prefix": 30, "gateway": "172.16.0.9", "mtu": 1500,
                              "nameservers": ["172.16.0.9"],
                              "hosts": [{"name": "host.microsandbox.internal", "address": "172.16.0.9"}],
                              "mac": "02:00:ac:10:00:0a"},
                  "mounts": [{"kind": "tmpfs", "path": "/scratch", "size_mib": 16, "readonly": False,
                              "noexec": False, "nosuid": True, "nodev": True}]},
    "seed": B(bytes(range(32))), "unix_time_nanos": 1700000000123456789},
   "msb extension (decision 1240): a restored guest takes a new identity; bootstrap in GuestBootstrap's encoding,"
   " seed 32..512 bytes, unix_time_nanos; absent fields left out")
ok("msb-identity-apply-minimal", "msb.identity.apply", 0x02000002, 0, {"bootstrap": {}},
   "only bootstrap is required; an empty one changes nothing")
ok("msb-identity-applied", "msb.identity.applied", 0x02000002, T, {},
   "the agent applied all of it (a refusal is core.error naming the field); empty map, TERMINAL")

# --- exec -------------------------------------------------------------------------------
ok("exec-request", "core.exec.request", 1, S,
   {"cmd": "/bin/sh", "args": ["-c", "echo hi"], "env": ["A=1"], "cwd": None, "user": None,
    "tty": False, "rows": 24, "cols": 80, "rlimits": []},
   "pipe-mode exec; absent options encode as null")
ok("exec-request-tty", "core.exec.request", 2, S,
   {"cmd": "bash", "args": [], "env": ["TERM=xterm-256color", "LANG=C.UTF-8"], "cwd": "/tmp",
    "user": "nobody", "tty": True, "rows": 50, "cols": 132,
    "rlimits": [{"resource": "nofile", "soft": 1024, "hard": 4096}]},
   "PTY exec with cwd, user and an rlimit")
ok("exec-started", "core.exec.started", 1, 0, {"pid": 4242}, "spawned")
ok("exec-stdin", "core.exec.stdin", 1, 0, {"data": B(b"hello\n\x00\xff")}, "stdin chunk, binary-safe")
ok("exec-stdin-eof", "core.exec.stdin", 1, 0, {"data": B(b"")}, "empty data closes stdin")
ok("exec-stdin-error", "core.exec.stdin.error", 1, 0,
   {"errno": 32, "errno_name": "EPIPE", "message": "Broken pipe (os error 32)"},
   "stdin write failed; the session continues")
ok("exec-stdout", "core.exec.stdout", 1, 0, {"data": B(b"hi\n")}, "stdout chunk")
ok("exec-stdout-binary", "core.exec.stdout", 1, 0, {"data": B(bytes(range(256)))},
   "all byte values; 2-byte length head")
ok("exec-stderr", "core.exec.stderr", 1, 0, {"data": B(b"oops\n")}, "stderr chunk")
ok("exec-exited-0", "core.exec.exited", 1, T, {"code": 0}, "exit 0, terminal")
ok("exec-exited-137", "core.exec.exited", 1, T, {"code": 137}, "killed by SIGKILL (128+9)")
ok("exec-exited-negative", "core.exec.exited", 1, T, {"code": -1},
   "negative codes use CBOR major type 1")
ok("exec-exited-signal", "core.exec.exited", 1, T, {"code": 137, "signal": 9},
   "msb extension: killed by a signal -> code 128+signal plus additive `signal` (ignored by older peers)")
ok("exec-failed", "core.exec.failed", 3, T,
   {"kind": "not_found", "errno": 2, "errno_name": "ENOENT",
    "message": "No such file or directory", "stage": "exec"}, "spawn failure, terminal")
for kind in ["permission_denied", "not_executable", "bad_cwd", "bad_args", "resource_limit",
             "user_setup_failed", "out_of_memory", "pty_setup_failed", "other"]:
    ok("exec-failed-" + kind.replace("_", "-"), "core.exec.failed", 3, T,
       {"kind": kind, "errno": None, "errno_name": None, "message": kind, "stage": None},
       "failure kind " + kind)
ok("exec-resize", "core.exec.resize", 2, 0, {"rows": 40, "cols": 100}, "PTY resize")
ok("exec-signal", "core.exec.signal", 1, 0, {"signal": 15}, "SIGTERM to the process")

# --- fs ---------------------------------------------------------------------------------
def fs(name, id_, op, desc):
    ok("fs-request-" + name, "core.fs.request", id_, S, {"op": op}, desc)

fs("stat", 10, {"Stat": {"path": "/etc/hostname", "follow_symlink": True}}, "externally tagged op")
fs("realpath", 10, {"RealPath": {"path": "./a/../b"}}, "resolve path")
fs("list", 10, {"List": {"path": "/"}}, "list a directory")
fs("readlink", 10, {"ReadLink": {"path": "/l"}}, "read a symlink")
fs("symlink", 10, {"Symlink": {"target": "/etc", "link_path": "/l"}}, "create a symlink")
fs("mkdir", 10, {"Mkdir": {"path": "/a/b", "mode": 0o755}}, "mkdir -p with mode")
fs("mkdir-default-mode", 10, {"Mkdir": {"path": "/a/b", "mode": None}}, "mkdir without mode")
fs("remove", 10, {"Remove": {"path": "/f"}}, "remove a file")
fs("remove-dir", 10, {"RemoveDir": {"path": "/d", "recursive": True}}, "rm -r")
fs("copy", 10, {"Copy": {"src": "/a", "dst": "/b"}}, "copy inside the guest")
fs("rename", 10, {"Rename": {"src": "/a", "dst": "/b"}}, "rename")
fs("open-file", 11, {"OpenFile": {"path": "/tmp/x.bin", "options": {
    "read": False, "write": True, "append": False, "create": True, "truncate": True,
    "create_new": False, "mode": 0o644}}}, "open for writing")
fs("open-dir", 11, {"OpenDir": {"path": "/tmp"}}, "open a directory handle")
fs("close", 11, {"CloseHandle": {"handle": 3}}, "close a handle")
fs("read", 12, {"Read": {"handle": 3, "offset": 0, "len": None}}, "read to EOF")
fs("read-range", 12, {"Read": {"handle": 3, "offset": 4096, "len": 65536}}, "bounded read")
fs("write", 13, {"Write": {"handle": 3, "offset": 0, "len": 11}}, "write; data follows as core.fs.data")
fs("readdir", 12, {"ReadDir": {"handle": 4, "limit": 100}}, "directory batch")
fs("fstat", 12, {"FStat": {"handle": 3}}, "stat a handle")
fs("setstat", 12, {"SetStat": {"path": "/f", "follow_symlink": False, "attrs": {
    "mode": 0o600, "uid": None, "gid": None, "size": 0, "atime": None, "mtime": 1700000000}}},
   "chmod + truncate + set mtime")
fs("fsetstat", 12, {"FSetStat": {"handle": 3, "attrs": {
    "mode": None, "uid": 0, "gid": 0, "size": None, "atime": -1, "mtime": None}}},
   "chown on a handle; negative time")

entry = {"path": "/etc/hostname", "kind": "file", "size": 9, "mode": 0o100644,
         "modified": 1700000000, "uid": 0, "gid": 0, "atime": 1700000001, "mtime": 1700000000}
ok("fs-response-ok", "core.fs.response", 10, T, {"ok": True, "error": None, "data": None},
   "plain success")
ok("fs-response-stat", "core.fs.response", 10, T, {"ok": True, "error": None, "data": {"Stat": entry}},
   "stat result")
ok("fs-response-list", "core.fs.response", 10, T,
   {"ok": True, "error": None, "data": {"List": [entry, dict(entry, path="/etc", kind="dir",
    size=4096, mode=0o40755, modified=None, atime=None, mtime=None)]}}, "listing")
ok("fs-response-handle", "core.fs.response", 11, T, {"ok": True, "error": None, "data": {"Handle": 3}},
   "newtype variant carries the handle directly")
ok("fs-response-path", "core.fs.response", 10, T,
   {"ok": True, "error": None, "data": {"Path": "/usr/bin"}}, "resolved path")
ok("fs-response-error", "core.fs.response", 10, T,
   {"ok": False, "error": "No such file or directory (os error 2)", "data": None}, "failure")
ok("fs-data", "core.fs.data", 13, 0, {"data": B(b"hello world")}, "file chunk")
ok("fs-data-eof", "core.fs.data", 13, 0, {"data": B(b"")}, "empty chunk = EOF")

# --- tcp --------------------------------------------------------------------------------
ok("tcp-connect", "core.tcp.connect", 20, S, {"host": "127.0.0.1", "port": 8080}, "open a stream")
ok("tcp-connected", "core.tcp.connected", 20, 0, {}, "stream open")
ok("tcp-data", "core.tcp.data", 20, 0, {"data": B(b"GET / HTTP/1.0\r\n\r\n")}, "bytes")
ok("tcp-eof", "core.tcp.eof", 20, 0, {}, "half-close of one direction")
ok("tcp-close", "core.tcp.close", 20, 0, {}, "host closes")
ok("tcp-closed", "core.tcp.closed", 20, T, {}, "terminal close")
ok("tcp-failed", "core.tcp.failed", 20, T, {"error": "Connection refused (os error 111)"}, "terminal")

# --- tolerance: decode-only, non-canonical bytes ----------------------------------------
ok("tolerate-exec-request-minimal", "core.exec.request", 5, S,
   {"cmd": "true", "args": [], "env": [], "cwd": None, "user": None, "tty": False,
    "rows": 24, "cols": 80, "rlimits": []},
   "missing optional fields take defaults (rows 24, cols 80)",
   body=cbor({"v": 7, "t": "core.exec.request", "p": B(cbor({"cmd": "true"}))}))
ok("tolerate-unknown-payload-field", "core.exec.exited", 5, T, {"code": 3},
   "unknown payload fields are ignored",
   body=cbor({"v": 7, "t": "core.exec.exited", "p": B(cbor({"future": [1, 2], "code": 3}))}))
ok("tolerate-envelope-order-and-extra", "core.exec.exited", 5, T, {"code": 3},
   "envelope keys in any order; unknown envelope keys ignored",
   body=cbor({"x": "y", "p": B(cbor({"code": 3})), "t": "core.exec.exited", "v": 7}))
ok("tolerate-indefinite-map", "core.exec.exited", 5, T, {"code": 3},
   "indefinite-length maps decode",
   body=b"\xbf" + cbor("v") + cbor(7) + cbor("t") + cbor("core.exec.exited") + cbor("p")
   + cbor(B(b"\xbf" + cbor("code") + cbor(3) + b"\xff")) + b"\xff")
ok("tolerate-wide-int", "core.exec.started", 5, 0, {"pid": 7},
   "non-shortest integer heads decode",
   body=cbor({"v": 7, "t": "core.exec.started",
              "p": B(b"\xa1" + cbor("pid") + b"\x1a\x00\x00\x00\x07")}))
ok("tolerate-no-optional-fs-fields", "core.fs.response", 10, T,
   {"ok": True, "error": None, "data": None}, "absent Option fields decode as null",
   body=cbor({"v": 7, "t": "core.fs.response", "p": B(cbor({"ok": True}))}))
ok("tolerate-older-generation", "core.ping", 7, 0, {},
   "v is informational: a gen-6 envelope decodes",
   body=cbor({"v": 6, "t": "core.ping", "p": B(cbor({}))}))
vectors[-1]["decoded"]["v"] = 6

# --- errors -----------------------------------------------------------------------------
bad("frame-too-large", struct.pack(">I", MAX_FRAME + 1) + b"\x00" * 5, "frame_too_large",
    "len above 4 MiB: reject before reading the body; the connection is closed")
bad("frame-len-max-u32", b"\xff\xff\xff\xff\x00\x00\x00\x01\x00", "frame_too_large",
    "len 2^32-1 must not be allocated")
bad("frame-too-short", struct.pack(">I", 4) + b"\x00\x00\x00\x01", "frame_too_short",
    "len below id+flags (5); the connection is closed")
bad("frame-truncated", struct.pack(">IIB", 100, 1, 0) + b"\xa0", "truncated",
    "stream ends inside a frame")
bad("body-empty", frame(4, 0, b""), "malformed_message",
    "no CBOR body", reply="malformed_message")
bad("body-not-map", frame(4, 0, cbor([7, "core.ping", B(b"\xa0")])), "malformed_message",
    "envelope must be a map", reply="malformed_message")
bad("body-garbage", frame(4, 0, b"\xff\xfe\xfd"), "malformed_message",
    "undecodable CBOR", reply="malformed_message")
bad("body-trailing-bytes", frame(4, 0, envelope("core.ping", {}) + b"\x00"), "malformed_message",
    "bytes after the envelope", reply="malformed_message")
bad("envelope-p-not-bytes", frame(4, 0, cbor({"v": 7, "t": "core.ping", "p": {}})),
    "malformed_message", "p must be a byte string", reply="malformed_message")
bad("envelope-missing-t", frame(4, 0, cbor({"v": 7, "p": B(b"\xa0")})), "malformed_message",
    "t is required", reply="malformed_message")
bad("envelope-huge-array-claim", frame(4, 0, b"\xa3" + cbor("v") + cbor(7) + cbor("t")
    + cbor("core.ping") + cbor("p") + b"\x5b\x00\x00\x00\x01\x00\x00\x00\x00"),
    "malformed_message", "byte string length beyond the frame must not be allocated",
    reply="malformed_message")
bad("unknown-type", frame(4, 0, envelope("core.bogus", {})), "unsupported_message_type",
    "unknown t: answered with core.error, connection stays up", reply="unsupported_message_type")
bad("invalid-payload", frame(4, T, envelope("core.exec.exited", {"code": "zero"})),
    "invalid_payload", "payload field of the wrong type", reply="invalid_payload")
bad("invalid-payload-missing-required", frame(4, S, envelope("core.exec.request", {"args": []})),
    "invalid_payload", "cmd is required", reply="invalid_payload")
bad("invalid-flags", frame(4, 0, envelope("core.exec.request", {"cmd": "true"})), "invalid_flags",
    "exec.request without SESSION_START", reply="invalid_flags")
bad("invalid-flags-identity-apply", frame(4, T, envelope("msb.identity.apply", {"bootstrap": {}})), "invalid_flags",
    "msb.identity.apply has flags 0", reply="invalid_flags")
bad("invalid-flags-flow-pause", frame(4, T, envelope("msb.flow.pause", {})), "invalid_flags",
    "msb.flow.pause has flags 0", reply="invalid_flags")

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "vectors.json"), "w") as f:
    json.dump({"protocol_version": 7, "max_frame_size": MAX_FRAME, "vectors": vectors}, f, indent=1)
    f.write("\n")
with open(os.path.join(here, "vectors.tsv"), "w") as f:
    f.write("# name\texpect\tcanonical|error\thex\tdecoded-json (compact, wire key order)\n")
    for v in vectors:
        third = ("canonical" if v["canonical"] else "decode-only") if v["expect"] == "ok" else v["error"]
        dec = json.dumps(v.get("decoded"), separators=(",", ":")) if "decoded" in v else "-"
        f.write("\t".join([v["name"], v["expect"], third, v["hex"], dec]) + "\n")
print(len(vectors), "vectors")
