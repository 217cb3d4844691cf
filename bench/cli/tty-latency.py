#!/usr/bin/env python3
"""Keystroke round trip of `msb exec -it`: the time from a key written to the CLI's terminal until the guest's
echo of it is back on that terminal, over N keys (default 100); prints p50, p90, p99 and max.

Usage: MSB_API_URL=... MSB_API_KEY=... tty-latency.py [N] MSB ARGS...   e.g. 100 bin/msb exec -it box sh

The CLI runs under a fresh PTY (the PTY harness of the e2e tests, e2e/src/test/python/tty_session.py). Each key
is sent only after the previous echo arrived, so this is latency, not throughput. The path measured: host PTY ->
CLI (JLine raw mode) -> WebSocket -> server -> relay -> virtio console -> agentd -> guest PTY echo -> back.
"""
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../e2e/src/test/python"))
import tty_session  # noqa: E402

KEY = b"q"  # not in a busybox prompt, so the first q after the key is its echo


def main():
    args = sys.argv[1:]
    n = int(args.pop(0)) if args and args[0].isdigit() else 100
    s = tty_session.Session(args)
    try:
        tty_session.ready(s)
        rtts = []
        for _ in range(n):
            s.seen = b""
            t0 = time.perf_counter()
            s.type(KEY)
            end = time.monotonic() + tty_session.DEADLINE
            while KEY not in s.seen:
                if time.monotonic() > end:
                    raise tty_session.Failed(f"no echo of a key within {tty_session.DEADLINE:.0f} s")
                if s._readable(1):
                    s._read()
            rtts.append((time.perf_counter() - t0) * 1000)
        s.type(b"\x15exit 0\r")  # Ctrl-U drops the typed keys
        s.wait_exit("exit")
    except tty_session.Failed as e:
        print("FAIL", e)
        sys.exit(1)
    finally:
        s.close()
    rtts.sort()

    def pct(p):
        return rtts[min(len(rtts) - 1, int(round(p / 100 * (len(rtts) - 1))))]

    print(f"keystroke echo round trip over {n} keys: p50 {pct(50):.2f} ms, p90 {pct(90):.2f} ms, "
          f"p99 {pct(99):.2f} ms, max {rtts[-1]:.2f} ms, mean {statistics.mean(rtts):.2f} ms")


if __name__ == "__main__":
    main()
