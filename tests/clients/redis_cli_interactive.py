#!/usr/bin/python3
"""redis-cli in interactive mode, typed at through a pseudo-terminal.

Usage: /usr/bin/python3 redis_cli_interactive.py PORT [REDIS_CLI]

On a terminal redis-cli uses linenoise, sends COMMAND DOCS first and prints a
"127.0.0.1:PORT>" prompt; a closed connection shows up as "not connected>" or
an I/O error. Each step types one command and waits (10 s at most) for the
expected answer followed by the next prompt. Prints "ok <command>" per step
and "redis-cli interactive: all checks passed"; on a mismatch prints
"FAIL ..." with the screen so far to stderr and exits 1.
"""
import fcntl
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import time

STEP_TIMEOUT = 10.0  # seconds
ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]|\x1b[=>]|\r")


class Mismatch(Exception):
    pass


class Terminal:
    def __init__(self, argv):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # child: the pty is its controlling terminal
            env = dict(os.environ, TERM="xterm", HOME=os.environ.get("HOME", "/tmp"))
            # No ~/.redisclirc settings or history file of the user's.
            env["REDISCLI_HISTFILE"] = "/dev/null"
            env["REDISCLI_RCFILE"] = "/dev/null"
            try:
                os.execvpe(argv[0], argv, env)
            finally:
                os._exit(127)
        # 24x120 so that linenoise does not have to probe the size.
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
        self.raw = b""
        self.pos = 0  # start of the part of the screen not yet matched

    def text(self, start=0):
        return ANSI.sub(b"", self.raw[start:]).decode("utf-8", "replace")

    def read_for(self, timeout):
        """Reads whatever arrives within `timeout`; False on EOF."""
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return True
        try:
            data = os.read(self.fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            return False
        if not data:
            return False
        self.raw += data
        return True

    def expect(self, pattern, what):
        """Waits until `pattern` (a regex) matches the unmatched screen text."""
        deadline = time.monotonic() + STEP_TIMEOUT
        rx = re.compile(pattern)
        while True:
            m = rx.search(self.text(self.pos))
            if m:
                # Move past what was matched, in raw bytes: re-scan by prefix.
                consumed = self.text(self.pos)[: m.end()]
                self.pos = self._raw_offset(consumed)
                return m
            if "not connected> " in self.text(self.pos):
                raise Mismatch(f"{what}: redis-cli lost its connection")
            left = deadline - time.monotonic()
            if left <= 0:
                raise Mismatch(f"{what}: timed out waiting for /{pattern}/")
            if not self.read_for(min(left, 0.2)):
                m = rx.search(self.text(self.pos))
                if m:
                    return m
                raise Mismatch(f"{what}: redis-cli exited while waiting for /{pattern}/")

    def _raw_offset(self, consumed_text):
        # Smallest raw offset whose cleaned text covers `consumed_text`.
        lo, hi = self.pos, len(self.raw)
        while lo < hi:
            mid = (lo + hi) // 2
            if len(ANSI.sub(b"", self.raw[self.pos:mid]).decode("utf-8", "replace")) < len(consumed_text):
                lo = mid + 1
            else:
                hi = mid
        return lo

    def type(self, line):
        os.write(self.fd, line.encode() + b"\r")

    def wait_exit(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.pid = 0
                return status
            self.read_for(0.05)
        return None

    def kill(self):
        if self.pid:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
            self.pid = 0


def main():
    if len(sys.argv) not in (2, 3):
        print("usage: redis_cli_interactive.py PORT [REDIS_CLI]", file=sys.stderr)
        return 2
    port = sys.argv[1]
    cli = sys.argv[2] if len(sys.argv) == 3 else "redis-cli"
    prompt = re.escape(f"127.0.0.1:{port}> ")
    # (typed line, expected answer regex, ends with the normal prompt)
    steps = [
        ("PING", r"PONG\n"),
        ("SET cli:tty:k hello", r"OK\n"),
        ("GET cli:tty:k", r'"hello"\n'),
        ("SELECT 0", r"OK\n"),
        ("GET cli:tty:k", r'"hello"\n'),
        ("SELECT 1", r"\(error\) ERR [^\n]*\n"),  # only db 0; the connection stays
        ("PING hi", r'"hi"\n'),
        ("DEL cli:tty:k", r"\(integer\) 1\n"),
        ("GET cli:tty:k", r"\(nil\)\n"),
        ("ECHO bye", r'"bye"\n'),
    ]
    term = Terminal([cli, "-h", "127.0.0.1", "-p", port])
    try:
        term.expect(prompt, "first prompt")
        for line, answer in steps:
            term.type(line)
            term.expect(re.escape(line) + r"\n", f"echo of {line!r}")
            term.expect(answer + prompt, f"answer to {line!r}")
            print(f"ok {line}", flush=True)
        screen = term.text()
        for bad in ("not connected", "I/O error", "Error:"):
            if bad in screen:
                raise Mismatch(f"screen shows {bad!r}")
        term.type("QUIT")
        status = term.wait_exit(STEP_TIMEOUT)
        if status is None:
            raise Mismatch("redis-cli did not exit after QUIT")
        if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
            raise Mismatch(f"redis-cli exit status {status:#x}")
    except Mismatch as e:
        print(f"FAIL {e}\n--- screen ---\n{term.text()}\n--- end ---", file=sys.stderr)
        return 1
    finally:
        term.kill()
    print("redis-cli interactive: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
