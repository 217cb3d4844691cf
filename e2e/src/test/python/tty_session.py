#!/usr/bin/env python3
"""Drives `msb ... -it` under a real pseudo-terminal, as a person at a terminal would (decision 1030).

Usage: tty_session.py SCENARIO MSB ARGS...   (MSB_API_URL and MSB_API_KEY come from the environment)

The CLI gets a fresh PTY as its controlling terminal (stdin, stdout, stderr). Each step waits for the
guest's output with a generous deadline (never a sleep, never a timing assertion), prints `ok <step>`,
and the run ends with `PASSED <scenario>`; the first failure prints `FAIL <step>: ...` with what the
terminal showed and exits 1.

Scenarios:
  shell    a resize seen by `stty size`; Ctrl-C interrupts a sleep and the shell answers again with $? = 130;
           echo $((6*7)) -> 42; `exit 3` -> the CLI exits 3; the terminal's settings are restored
  exit5    echo $((6*7)) -> 42; `exit 5` -> the CLI exits 5; settings restored
  sigterm  SIGTERM to the CLI while the shell waits: the CLI ends and the settings are restored
  killed   `MSB kill $TTY_KILL_SANDBOX` while the shell waits: the CLI says it lost the connection, exits 125,
           and the settings are restored
"""
import fcntl
import os
import select
import signal
import struct
import subprocess
import sys
import termios
import time

DEADLINE = 120.0  # seconds for any one expected output (TCG guests, a loaded 2-core machine)


class Failed(Exception):
    pass


class Session:
    def __init__(self, argv):
        self.master, self.slave = os.openpty()
        self.resize(24, 80)
        self.before = termios.tcgetattr(self.slave)
        self.seen = b""

        def controlling_terminal():
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        self.proc = subprocess.Popen(argv, stdin=self.slave, stdout=self.slave, stderr=self.slave,
                                     start_new_session=True, preexec_fn=controlling_terminal)

    def resize(self, rows, cols):
        fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    def type(self, text):
        os.write(self.master, text.encode() if isinstance(text, str) else text)

    def expect(self, needle, step, deadline=DEADLINE, retype=None):
        """Reads until `needle` appears after what was already matched; `retype` is typed again every 10 s."""
        needle = needle.encode()
        end = time.monotonic() + deadline
        next_retype = time.monotonic() + 10
        while needle not in self.seen:
            now = time.monotonic()
            if now > end:
                raise Failed(f"{step}: no {needle!r} within {deadline:.0f} s; the terminal showed {self.seen[-2000:]!r}")
            if self.proc.poll() is not None and not self._readable(0):
                raise Failed(f"{step}: msb exited {self.proc.returncode} before {needle!r}; "
                             f"the terminal showed {self.seen[-2000:]!r}")
            if retype and now > next_retype:
                self.type(retype)
                next_retype = now + 10
            if self._readable(0.5):
                self._read()
        # later expectations look only at what follows this match
        self.seen = self.seen[self.seen.index(needle) + len(needle):]
        print("ok", step, flush=True)

    def _readable(self, timeout):
        return bool(select.select([self.master], [], [], timeout)[0])

    def _read(self):
        try:
            self.seen += os.read(self.master, 65536)
        except OSError:  # EIO: every slave is closed
            time.sleep(0.1)

    def wait_exit(self, step, deadline=DEADLINE):
        end = time.monotonic() + deadline
        while self.proc.poll() is None:
            if time.monotonic() > end:
                self.proc.kill()
                raise Failed(f"{step}: msb still runs after {deadline:.0f} s; the terminal showed {self.seen[-2000:]!r}")
            if self._readable(0.2):
                self._read()
        print("ok", step, "(exit", self.proc.returncode, ")", flush=True)
        return self.proc.returncode

    def check_restored(self):
        after = termios.tcgetattr(self.slave)
        if after != self.before:
            raise Failed(f"terminal settings not restored: before {self.before}, after {after}")
        print("ok terminal settings restored", flush=True)

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)
        os.close(self.slave)


def ready(s):
    # no prompt text is assumed: the shell is ready when it computes
    s.type("echo READY_$((40+2))\r")
    s.expect("READY_42", "the shell answers", retype="echo READY_$((40+2))\r")


def shell(s):
    ready(s)
    s.resize(37, 123)
    os.kill(s.proc.pid, signal.SIGWINCH)
    s.type("stty size\r")
    s.expect("37 123", "stty size in the guest reports the new size", retype="stty size\r")
    # the child shell prints the marker, then becomes the sleep: Ctrl-C after the marker interrupts it
    s.type("sh -c 'echo SLEEP_$((3*3)); exec sleep 1000'\r")
    s.expect("SLEEP_9", "a sleep runs")
    s.type(b"\x03")
    s.type("echo RC_$?\r")
    s.expect("RC_130", "Ctrl-C interrupted it and the shell answers again")
    computes_and_exits(s, 3)


def exit5(s):
    ready(s)
    computes_and_exits(s, 5)


def computes_and_exits(s, status):
    s.type("echo $((6*7))\r")
    s.expect("42", "echo $((6*7)) prints 42")
    s.type(f"exit {status}\r")
    rc = s.wait_exit(f"exit {status} ends msb")
    if rc != status:
        raise Failed(f"exit {status}: msb exited {rc}")
    s.check_restored()


def sigterm(s):
    ready(s)
    os.kill(s.proc.pid, signal.SIGTERM)
    rc = s.wait_exit("SIGTERM ends msb")
    if rc != 128 + signal.SIGTERM:
        raise Failed(f"SIGTERM: msb exited {rc}, not {128 + signal.SIGTERM}")
    s.check_restored()


def killed(s):
    ready(s)
    sandbox = os.environ["TTY_KILL_SANDBOX"]
    subprocess.run([s.proc.args[0], "kill", sandbox], check=True, stdin=subprocess.DEVNULL)
    s.expect("lost the connection to the sandbox's agent", "msb says the connection ended")
    rc = s.wait_exit("the sandbox's end ends msb")
    if rc != 125:
        raise Failed(f"killed: msb exited {rc}, not 125")
    s.check_restored()


def main():
    scenario, argv = sys.argv[1], sys.argv[2:]
    steps = {"shell": shell, "exit5": exit5, "sigterm": sigterm, "killed": killed}[scenario]
    s = Session(argv)
    try:
        steps(s)
    except Failed as e:
        print("FAIL", e, flush=True)
        sys.exit(1)
    finally:
        s.close()
    print("PASSED", scenario, flush=True)


if __name__ == "__main__":
    main()
