#!/usr/bin/python3
"""Where the processes of a 2-core benchmark run, and what that does to throughput.

On a 2-core machine redis-benchmark, the proxy and its busy backend share two CPUs, and
the kernel settles into one of two placements for a whole run: the proxy next to the
backend (the benchmark client alone on the other CPU), or the backend next to the client
(the proxy alone). This script makes that visible. For ringproxy and twemproxy in turn,
over one redis-server backend, it runs `redis-benchmark -t TEST -c 50 -P 1`:

  * pinned "proxy+backend | client" (taskset-style affinity: proxy and backend on CPU 1,
    client on CPU 0),
  * pinned "proxy | backend+client" (proxy on CPU 1, backend and client on CPU 0),
  * unpinned, sampling every 10 ms which CPU each process is on,

and prints requests/s with each process's CPU use (% of one CPU) and voluntary context
switches per request (how often it slept and had to be woken).

    bench/cpu_placement.py                       # build-bench/ringproxy or build/ringproxy
    bench/cpu_placement.py --ringproxy PATH --runs 5 --test incr
    bench/cpu_placement.py -- --output-buffer-pool 0   # extra ringproxy options after --

Needs 2 or more CPUs, redis-server, redis-benchmark and nutcracker; 127.0.0.1 only.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

from benchlib.procs import default_ringproxy, free_port, proc_cpu_seconds, schedstat, wait_listening


def switches(pid):
    with open(f"/proc/{pid}/status") as f:
        return sum(int(l.split()[1]) for l in f if l.startswith("voluntary_ctxt_switches"))


def run_once(port, pids, test, requests, pin_client, sample):
    """One redis-benchmark run; returns (rps, {name: (cpu%, switches/req)}, placement)."""
    argv = ["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-t", test, "-c", "50",
            "-P", "1", "-n", str(requests), "-r", "100000", "--csv"]
    bench = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    if pin_client is not None:
        os.sched_setaffinity(bench.pid, {pin_client})
    every = dict(pids, client=bench.pid)
    t0 = time.time()
    c0 = {k: proc_cpu_seconds(p) for k, p in every.items()}
    s0 = {k: switches(p) for k, p in every.items()}
    c1, s1, t1 = c0, s0, t0
    together = {"proxy+backend": 0, "backend+client": 0, "proxy+client": 0}
    samples = 0
    while bench.poll() is None:
        try:
            c1 = {k: proc_cpu_seconds(p) for k, p in every.items()}
            s1 = {k: switches(p) for k, p in every.items()}
            t1 = time.time()
            if sample:
                where = {k: schedstat(p)[0] for k, p in every.items()}
                samples += 1
                for pair in together:
                    a, b = pair.split("+")
                    together[pair] += where[a] == where[b]
        except (OSError, IndexError, TypeError):
            break
        time.sleep(0.01)
    out = bench.communicate()[0]
    rows = [l for l in out.splitlines() if l.startswith('"') and not l.startswith('"test')]
    rps = statistics.mean(float(l.split(",")[1].strip('"')) for l in rows)
    dt = max(t1 - t0, 1e-6)
    done = rps * dt
    usage = {k: (100 * (c1[k] - c0[k]) / dt, (s1[k] - s0[k]) / done if done else 0) for k in every}
    placement = ""
    if sample and samples:
        best = max(together, key=together.get)
        placement = f"{best} {100 * together[best] / samples:.0f}% of samples"
    return rps, usage, placement


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ringproxy", default=None)
    ap.add_argument("--nutcracker", default="nutcracker")
    ap.add_argument("--test", default="lpush", help="redis-benchmark -t (default lpush)")
    ap.add_argument("--runs", type=int, default=3, help="runs per arrangement (default 3)")
    ap.add_argument("--requests", type=int, default=150000)
    ap.add_argument("extra", nargs="*", help="extra ringproxy options (after --)")
    args = ap.parse_args()
    if os.cpu_count() < 2:
        sys.exit("needs 2 CPUs")
    rp_bin = args.ringproxy or default_ringproxy()
    if rp_bin is None:
        sys.exit("no ringproxy binary: build it or pass --ringproxy")

    workdir = tempfile.mkdtemp(prefix="ringproxy-placement-")
    procs = []
    try:
        bport = free_port()
        backend = subprocess.Popen(["redis-server", "--port", str(bport), "--bind", "127.0.0.1",
                                    "--save", "", "--appendonly", "no", "--dir", workdir],
                                   stdout=subprocess.DEVNULL)
        procs.append(backend)
        wait_listening(bport, backend, "redis-server")
        rport, tport = free_port(), free_port()
        ringproxy = subprocess.Popen([rp_bin, "--listen", f"127.0.0.1:{rport}", "--log-level", "warn",
                                      "--backend", f"127.0.0.1:{bport}"] + args.extra)
        procs.append(ringproxy)
        yml = os.path.join(workdir, "nutcracker.yml")
        with open(yml, "w") as f:
            f.write(f"p:\n  listen: 127.0.0.1:{tport}\n  redis: true\n  servers:\n"
                    f"   - 127.0.0.1:{bport}:1\n")
        twemproxy = subprocess.Popen([args.nutcracker, "-c", yml, "-s", str(free_port()), "-a", "127.0.0.1",
                                      "-o", os.path.join(workdir, "nutcracker.log")])
        procs.append(twemproxy)
        wait_listening(rport, ringproxy, "ringproxy")
        wait_listening(tport, twemproxy, "nutcracker")

        all_cpus = os.sched_getaffinity(0)
        arrangements = [("proxy+backend | client", 1, 1, 0), ("proxy | backend+client", 1, 0, 0),
                        ("unpinned", None, None, None)]
        print(f"redis-benchmark -t {args.test} -c 50 -P 1 -n {args.requests}; one backend; "
              f"{args.runs} runs each; CPU % of one CPU, ctx = voluntary context switches per request")
        for label, p_cpu, b_cpu, c_cpu in arrangements:
            print(f"\n{label}")
            for name, proxy, port in (("ringproxy", ringproxy, rport), ("twemproxy", twemproxy, tport)):
                os.sched_setaffinity(proxy.pid, {p_cpu} if p_cpu is not None else all_cpus)
                os.sched_setaffinity(backend.pid, {b_cpu} if b_cpu is not None else all_cpus)
                results = []
                for _ in range(args.runs):
                    rps, use, where = run_once(port, {"proxy": proxy.pid, "backend": backend.pid},
                                               args.test, args.requests, c_cpu, p_cpu is None)
                    results.append(rps)
                    print(f"  {name:9s} {rps:9,.0f} req/s  " +
                          "  ".join(f"{k} {u:3.0f}% ctx {s:.3f}" for k, (u, s) in use.items()) +
                          (f"  [{where}]" if where else ""), flush=True)
                print(f"  {name:9s} median {statistics.median(results):,.0f} req/s")
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()


if __name__ == "__main__":
    main()
