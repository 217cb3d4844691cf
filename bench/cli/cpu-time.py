#!/usr/bin/env python3
"""CPU time per command, which load changes far less than wall time (decision 1966).

Usage: bench/cli/cpu-time.py N LABEL 'SHELL COMMAND' [LABEL 'SHELL COMMAND' ...]

Runs the commands in turn (A B A B ...), N times each after 2 untimed rounds, and prints per label the median and
minimum of wall-clock ms and of CPU ms (user + system of the command and all its processes, from wait4). On a quiet
2-core machine a JVM's wall time is about its CPU time or less (its compiler and GC threads run beside main).
"""
import os
import statistics
import subprocess
import sys
import time

n = int(sys.argv[1])
pairs = list(zip(sys.argv[2::2], sys.argv[3::2]))
results = {label: ([], []) for label, _ in pairs}
for i in range(n + 2):
    for label, command in pairs:
        t0 = time.monotonic()
        p = subprocess.Popen(command, shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(p.pid, 0)
        wall = (time.monotonic() - t0) * 1000
        if status != 0:
            sys.exit(f"{label} failed (wait status {status}): {command}")
        if i >= 2:
            results[label][0].append(wall)
            results[label][1].append((usage.ru_utime + usage.ru_stime) * 1000)
print("load", " ".join(open("/proc/loadavg").read().split()[:3]))
for label, (wall, cpu) in results.items():
    print(f"{label:12} wall median {statistics.median(wall):5.0f} min {min(wall):5.0f}   "
          f"cpu median {statistics.median(cpu):5.0f} min {min(cpu):5.0f} ms  ({len(wall)} runs)")
