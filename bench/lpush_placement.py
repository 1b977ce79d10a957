#!/usr/bin/python3
"""Which CPUs the proxy, the hot backend and the client share during the benchmark's LPUSH.

The side-by-side benchmark's LPUSH sends every request to one list, so one backend does
all the work. On 2 cores the kernel puts that backend either next to the proxy (the
client alone on the other CPU: the fast placement) or next to the client (the proxy
alone: the slow one), and the figure of a run follows. This script reproduces the
benchmark's setup (3 backends, ringproxy and twemproxy over them, `-t lpush -c 50 -P 1
-n 100000 -r 100000`), alternates the two proxies for --rounds rounds, samples every
10 ms which CPU each process last ran on, and prints for each run (its trailing samples
in which exactly one backend ran) a letter per sample:

  p  proxy and backend on one CPU, client on the other (fast)
  c  backend and client on one CPU, proxy on the other (slow)
  x  proxy and client on one CPU, backend on the other
  A  all three on one CPU

    bench/lpush_placement.py                         # build-bench/ringproxy or build/ringproxy
    bench/lpush_placement.py --ringproxy PATH --rounds 8
    bench/lpush_placement.py -- --output-buffer-pool 0   # extra ringproxy options after --

Needs 2 or more CPUs, redis-server, redis-benchmark and nutcracker; 127.0.0.1 only.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

from benchlib.procs import Procs, default_ringproxy, resp_command, schedstat
from benchlib.setup import Setup, setup_args_for

KINDS = {"p": "proxy+backend", "c": "backend+client", "x": "proxy+client", "A": "all on one"}


def classify(proxy_cpu, backend_cpu, client_cpu):
    if proxy_cpu == backend_cpu == client_cpu:
        return "A"
    if proxy_cpu == backend_cpu:
        return "p"
    if backend_cpu == client_cpu:
        return "c"
    return "x"


def run_once(port, proxy_pid, backend_pids, requests):
    """One redis-benchmark run; returns (LPUSH rps or None, placement letters of the run)."""
    bench = subprocess.Popen(
        ["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-t", "lpush",
         "-c", "50", "-P", "1", "-n", str(requests), "-r", "100000", "--csv"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    pids = {"proxy": proxy_pid, "client": bench.pid}
    pids.update({f"b{i}": p for i, p in enumerate(backend_pids)})
    samples, last = [], None
    while bench.poll() is None:
        time.sleep(0.01)
        now = {k: schedstat(p) for k, p in pids.items()}
        if any(v is None for v in now.values()):
            continue
        if last is not None:
            # A backend is active if it ran at least 1 ms of the last 10.
            active = [k for k in pids if k.startswith("b") and now[k][1] - last[k][1] > 1_000_000]
            samples.append((now, active))
        last = now
    out = bench.stdout.read()
    rps = None
    for line in out.splitlines():
        if "LPUSH" in line:
            rps = float(line.split(",")[1].strip('"'))
    # The trailing samples with exactly one active backend (not the start-up).
    letters = []
    for now, active in reversed(samples):
        if len(active) != 1:
            if letters:
                break
            continue
        letters.append(classify(now["proxy"][0], now[active[0]][0], now["client"][0]))
    return rps, "".join(reversed(letters))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ringproxy", default=None,
                    help="ringproxy binary (default build-bench/ringproxy, else build/ringproxy)")
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--requests", type=int, default=100_000)
    ap.add_argument("extra", nargs="*", help="extra ringproxy options (after --)")
    args = ap.parse_args()
    if (os.cpu_count() or 1) < 2:
        ap.error("needs 2 or more CPUs")
    binary = args.ringproxy or default_ringproxy()
    if binary is None:
        ap.error("no ringproxy binary: build it or pass --ringproxy")

    setup_args = setup_args_for(binary, args.extra)
    workdir = tempfile.mkdtemp(prefix="ringproxy-lpush-")
    procs = Procs()
    try:
        setup = Setup(setup_args, workdir, procs)
        setup.start(with_direct=False)
        print(f"lpush -c 50 -P 1 -n {args.requests}; 3 backends; letters per 10 ms of "
              f"LPUSH: " + ", ".join(f"{k} = {v}" for k, v in KINDS.items()))
        order = ["ringproxy", "twemproxy"]
        for rnd in range(1, args.rounds + 1):
            for target in order if rnd % 2 else reversed(order):
                rps, letters = run_once(setup.ports[target], setup.pids[target],
                                        setup.backend_pids, args.requests)
                for bp in setup.backend_ports:
                    resp_command(bp, "FLUSHALL")
                fast = letters.count("p") / len(letters) if letters else 0
                shown = "-" if rps is None else f"{rps:,.0f}"
                print(f"round {rnd} {target:<9} LPUSH {shown:>8} req/s  proxy+backend "
                      f"{100 * fast:3.0f}%  {letters}", flush=True)
    finally:
        procs.stop_all()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
