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

    bench/large_values.py                                  # build-bench/ringproxy or build/ringproxy
    bench/large_values.py --ringproxy PATH --rounds 5 --sizes 1024,16384,65536,262144
    bench/large_values.py --ringproxy-arg=--coalesce-us --ringproxy-arg=0

127.0.0.1 only; needs redis-server, redis-benchmark and nutcracker.
"""

import argparse
import shutil
import subprocess
import sys
import tempfile

from run_bench import (Procs, Setup, default_ringproxy, median, proc_cpu_seconds, resp_command,
                       setup_args_for)

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
    args = ap.parse_args()
    binary = args.ringproxy or default_ringproxy()
    if binary is None:
        ap.error("no ringproxy binary: build it or pass --ringproxy")
    sizes = [int(s) for s in args.sizes.split(",")]

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
    finally:
        procs.stop_all()
        shutil.rmtree(workdir, ignore_errors=True)

    def med(size, target, test):
        return median(results.get((size, target, test), []))

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
