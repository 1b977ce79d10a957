#!/usr/bin/python3
"""redis-cli's help and hints through the proxy, typed at through a pseudo-terminal.

Usage: /usr/bin/python3 redis_cli_help.py PORT [REDIS_CLI]

Interactive redis-cli builds its `help` and its argument hints from COMMAND
DOCS at start-up. Checks that `help get` prints GET's synopsis and summary,
that typing "set " shows SET's argument hint, and that `help @string` lists
the group. Prints "ok <step>" per step and "redis-cli help: all checks
passed"; on a mismatch prints "FAIL ..." with the screen and exits 1.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from redis_cli_interactive import STEP_TIMEOUT, Mismatch, Terminal  # noqa: E402


def main():
    if len(sys.argv) not in (2, 3):
        print("usage: redis_cli_help.py PORT [REDIS_CLI]", file=sys.stderr)
        return 2
    port = sys.argv[1]
    cli = sys.argv[2] if len(sys.argv) == 3 else "redis-cli"
    prompt = re.escape(f"127.0.0.1:{port}> ")
    term = Terminal([cli, "-h", "127.0.0.1", "-p", port])
    try:
        term.expect(prompt, "first prompt")
        term.type("help get")
        term.expect(r"GET key\s*\n\s*summary: Get the value of a key", "help get")
        term.expect(prompt, "prompt after help get")
        print("ok help get", flush=True)
        # A hint is shown after the typed text, before Enter.
        os.write(term.fd, b"set ")
        term.expect(r"set key value", "hint for set")
        os.write(term.fd, b"\x15")  # Ctrl-U: clear the line
        print("ok hint for set", flush=True)
        term.type("help @string")
        term.expect(r"INCRBY key increment", "help @string")
        term.expect(prompt, "prompt after help @string")
        print("ok help @string", flush=True)
        term.type("QUIT")
        status = term.wait_exit(STEP_TIMEOUT)
        if status is None:
            raise Mismatch("redis-cli did not exit after QUIT")
    except Mismatch as e:
        print(f"FAIL {e}\n--- screen ---\n{term.text()}\n--- end ---", file=sys.stderr)
        return 1
    finally:
        term.kill()
    print("redis-cli help: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
