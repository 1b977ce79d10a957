#!/usr/bin/python3
"""Big values through ringproxy, twemproxy and direct Redis: what forwarding replies costs.

The side-by-side benchmark uses redis-benchmark's 3-byte values, where a proxy's cost is
its syscalls. With big values the bytes themselves cost: every proxy reads a reply from
the backend and writes it to the client (two copies in the kernel), and ringproxy hands a
reply of 16 KiB or more to the client with the buffer it was read into instead of copying
it once more in user space. This script starts the same setup as bench/run_bench.py (3
backends, both proxies over them with the same ring, a separate redis-server for the
direct baseline), then for each value size runs `redis-benchmark -t set,get -c 50 -P 1
-d SIZE -r 1000` (1,000 keys, so the GETs hit) against the three targets, interleaved in
rounds, and prints the median requests/s of GET and SET, the ratios, and each proxy's CPU
time per request (utime + stime over the run; steadier than requests/s on a shared
machine).

Then, for huge values (--huge-sizes, default 100 MB and 500 MB), one SET and one GET of a
single value at a time through each target, from a client of its own: the wall time of each
transfer and the target's CPU seconds for it (utime + stime; for direct, the redis-server's
own), median of --huge-rounds. The client and the backends run on the same machine, so
wall times include their share of it.

    bench/large_values.py                                  # build-bench/ringproxy or build/ringproxy
    bench/large_values.py --ringproxy PATH --rounds 5 --sizes 1024,16384,65536,262144
    bench/large_values.py --rounds 0 --huge-sizes 100000000,500000000   # huge values only
    bench/large_values.py --ringproxy-arg=--output-buffer-pool --ringproxy-arg=0

127.0.0.1 only; needs redis-server, redis-benchmark and nutcracker.
"""

import argparse
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from benchlib.procs import Procs, default_ringproxy, median, proc_cpu_seconds, resp_command
from benchlib.setup import Setup, setup_args_for

TARGETS = ["ringproxy", "twemproxy", "direct"]


def requests_for(size, budget):
    """Requests per run: about `budget` bytes of values, between 2,000 and 100,000."""
    return max(2_000, min(100_000, budget // size))


def run(port, size, n):
    out = subprocess.run(
        ["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-t", "set,get", "-c", "50",
         "-P", "1", "-d", str(size), "-n", str(n), "-r", "1000", "--csv"],
        capture_output=True, text=True, timeout=600).stdout
    rps = {}
    for line in out.splitlines()[1:]:
        fields = [f.strip('"') for f in line.split(",")]
        rps[fields[0]] = float(fields[1])
    return rps


def read_line(sock, buf):
    """One RESP line (with its CRLF) from `sock`; `buf` holds bytes read past it."""
    while b"\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError("connection closed")
        buf += chunk
    line, _, rest = bytes(buf).partition(b"\r\n")
    buf[:] = rest
    return line


def huge_transfer(port, pid, payload):
    """SET then GET one value of len(payload) bytes: ((wall s, CPU s) of SET, same of GET)."""
    size = len(payload)
    with socket.create_connection(("127.0.0.1", port), timeout=600) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buf = bytearray()
        cpu0, t0 = proc_cpu_seconds(pid), time.monotonic()
        s.sendall(b"*3\r\n$3\r\nSET\r\n$4\r\nhuge\r\n$%d\r\n" % size)
        s.sendall(payload)
        s.sendall(b"\r\n")
        line = read_line(s, buf)
        cpu1, t1 = proc_cpu_seconds(pid), time.monotonic()
        if line != b"+OK":
            raise RuntimeError(f"SET of {size} bytes answered {line[:200]!r}")
        s.sendall(b"*2\r\n$3\r\nGET\r\n$4\r\nhuge\r\n")
        line = read_line(s, buf)
        if line != b"$%d" % size:
            raise RuntimeError(f"GET of {size} bytes answered {line[:200]!r}")
        value = bytearray(size + 2)
        view = memoryview(value)
        got = len(buf)
        view[:got] = buf
        while got < size + 2:
            n = s.recv_into(view[got:])
            if n == 0:
                raise RuntimeError("connection closed during GET")
            got += n
        cpu2, t2 = proc_cpu_seconds(pid), time.monotonic()
        if view[:size] != payload or value[size:] != b"\r\n":
            raise RuntimeError(f"GET of {size} bytes returned other bytes")
        s.sendall(b"*2\r\n$3\r\nDEL\r\n$4\r\nhuge\r\n")
        read_line(s, buf)
    return (t1 - t0, cpu1 - cpu0), (t2 - t1, cpu2 - cpu1)


def huge_values(setup, sizes, rounds):
    """Table rows for huge values: median wall and CPU seconds per target, SET and GET."""
    pattern = bytes(range(256))
    payload = memoryview((pattern * (max(sizes) // 256 + 1))[:max(sizes)])
    results = {}  # (size, target, op) -> [(wall, cpu)]
    for rnd in range(rounds):
        order = TARGETS[rnd % 3:] + TARGETS[:rnd % 3]
        for size in sizes:
            line = []
            for target in order:
                set_, get = huge_transfer(setup.ports[target], setup.pids[target], payload[:size])
                results.setdefault((size, target, "SET"), []).append(set_)
                results.setdefault((size, target, "GET"), []).append(get)
                line.append(f"{target} SET {set_[0]:.2f}s/{set_[1]:.2f}cpu "
                            f"GET {get[0]:.2f}s/{get[1]:.2f}cpu")
            print(f"huge round {rnd + 1} {size:>11,} B: " + "  ".join(line), flush=True)
    print(f"\nhuge values: one SET, then one GET, of one value; median of {rounds} rounds; "
          "wall s / the target's CPU s per transfer")
    print(f"{'value':>13} {'op':<4} " + " ".join(f"{t:>17}" for t in TARGETS))
    for size in sizes:
        for op in ("SET", "GET"):
            cells = []
            for t in TARGETS:
                runs = results[(size, t, op)]
                wall = median([w for w, _ in runs])
                cpu = median([c for _, c in runs])
                cells.append(f"{wall:>7.2f}s {cpu:>6.2f}cpu")
            print(f"{size:>13,} {op:<4} " + " ".join(f"{c:>17}" for c in cells))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ringproxy", default=None,
                    help="ringproxy binary (default build-bench/ringproxy, else build/ringproxy)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--sizes", default="1024,16384,65536,262144",
                    help="value sizes in bytes, comma-separated")
    ap.add_argument("--budget-mb", type=int, default=400,
                    help="value bytes per redis-benchmark run, in MB (sets the request count)")
    ap.add_argument("--ringproxy-arg", action="append", default=[], metavar="ARG",
                    help="extra ringproxy option (repeat; use --ringproxy-arg=--opt)")
    ap.add_argument("--huge-sizes", default="100000000,500000000",
                    help="huge value sizes in bytes, comma-separated; empty: skip them")
    ap.add_argument("--huge-rounds", type=int, default=3)
    args = ap.parse_args()
    binary = args.ringproxy or default_ringproxy()
    if binary is None:
        ap.error("no ringproxy binary: build it or pass --ringproxy")
    sizes = [int(s) for s in args.sizes.split(",")] if args.rounds > 0 else []
    huge_sizes = [int(s) for s in args.huge_sizes.split(",") if s]

    setup_args = setup_args_for(binary, args.ringproxy_arg)
    workdir = tempfile.mkdtemp(prefix="ringproxy-large-")
    procs = Procs()
    results = {}  # (size, target, test) -> [rps]; (size, target, "cpu") -> [µs per request]
    try:
        setup = Setup(setup_args, workdir, procs)
        setup.start()
        for rnd in range(args.rounds):
            order = TARGETS[rnd % 3:] + TARGETS[:rnd % 3]
            for size in sizes:
                n = requests_for(size, args.budget_mb * 1_000_000)
                line = []
                for target in order:
                    pid = setup.pids[target]
                    cpu0 = proc_cpu_seconds(pid)
                    rps = run(setup.ports[target], size, n)
                    cpu = (proc_cpu_seconds(pid) - cpu0) * 1e6 / (2 * n)
                    for test, v in rps.items():
                        results.setdefault((size, target, test), []).append(v)
                    results.setdefault((size, target, "cpu"), []).append(cpu)
                    line.append(f"{target} GET={rps.get('GET', 0):,.0f} SET={rps.get('SET', 0):,.0f}")
                    ports = setup.backend_ports + [setup.ports["direct"]]
                    for p in ports:
                        resp_command(p, "FLUSHALL")
                print(f"round {rnd + 1} -d {size:>7}: " + "  ".join(line), flush=True)
        if huge_sizes and args.huge_rounds > 0:
            huge_values(setup, huge_sizes, args.huge_rounds)
    finally:
        procs.stop_all()
        shutil.rmtree(workdir, ignore_errors=True)

    def med(size, target, test):
        return median(results.get((size, target, test), []))

    if not sizes:
        return 0
    missing = [(s, t, x) for s in sizes for t in TARGETS for x in ("GET", "SET", "cpu")
               if med(s, t, x) is None]
    if missing:
        print(f"large_values: no result for {missing}", file=sys.stderr)
        return 1

    print(f"\nmedian of {args.rounds} rounds, redis-benchmark -c 50 -P 1 -r 1000; CPU = the "
          "target's µs per request (SET and GET together)")
    print(f"{'value':>8} {'test':<4} {'ringproxy':>10} {'twemproxy':>10} {'direct':>10} "
          f"{'rp/tw':>6} {'rp/direct':>9}")
    for size in sizes:
        for test in ("GET", "SET"):
            rp, tw, d = (med(size, t, test) for t in TARGETS)
            print(f"{size:>8} {test:<4} {rp:>10,.0f} {tw:>10,.0f} {d:>10,.0f} {rp / tw:>6.2f} "
                  f"{rp / d:>9.2f}")
        rp, tw, d = (med(size, t, "cpu") for t in TARGETS)
        print(f"{size:>8} CPU  {rp:>9.2f}µ {tw:>9.2f}µ {d:>9.2f}µ {rp / tw:>6.2f} {rp / d:>9.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
