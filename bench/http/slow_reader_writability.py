#!/usr/bin/env python3
"""How long a socket writer that waits for writability (as Jetty does) sees no progress when its
loopback peer reads at 8 KB/s. Prints each gap over 5 s. Used for decision 1010: the HTTP server's
idle timeout (Felix default 60 s) expires a blocked NDJSON write although the client is reading.
Run: python3 bench/http/slow_reader_writability.py [seconds]"""
import select
import socket
import sys
import threading
import time

DURATION = float(sys.argv[1]) if len(sys.argv) > 1 else 150
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(1)


def reader():
    c = socket.create_connection(ls.getsockname())
    while c.recv(800):
        time.sleep(0.1)  # 8 KB/s


threading.Thread(target=reader, daemon=True).start()
s, _ = ls.accept()
s.setblocking(False)
ep = select.epoll()
ep.register(s, select.EPOLLOUT)
line = b"x" * (350 * 1024)  # one NDJSON line of a 256 KiB chunk, base64
start = last = time.time()
worst = 0.0
sent = 0
while time.time() - start < DURATION:
    if not ep.poll(1):
        continue  # write only when told the socket is writable
    try:
        n = s.send(line)
    except BlockingIOError:
        continue
    now = time.time()
    gap, last, sent = now - last, now, sent + n
    worst = max(worst, gap)
    if gap > 5:
        print(f"t={now - start:.0f}s: no writability for {gap:.1f} s")
print(f"worst gap {worst:.1f} s; {sent // 1024} KiB sent in {DURATION:.0f} s")
