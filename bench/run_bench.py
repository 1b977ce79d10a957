#!/usr/bin/python3
"""Side-by-side benchmark: ringproxy vs twemproxy (nutcracker) vs direct redis-server.

One command (from the repository root):

    bench/run_bench.py                 # full run: 7 interleaved rounds
    bench/run_bench.py --rounds 9      # more rounds
    bench/run_bench.py --quick         # CI smoke run (1 round, few requests, 500 idle conns)
    bench/run_bench.py --pin           # redis-benchmark on CPU 0, every server on CPU 1
    bench/run_bench.py --pin target    # the proxy measured alone on CPU 1, the rest on CPU 0
    bench/run_bench.py --variant 'old=/path/to/ringproxy' --variant 'nodelay=--some-option 0'
                                       # more ringproxy instances in the same rounds
    bench/run_bench.py --profile callgrind   # profile ringproxy under -c 50 -P 16 get,set

What it does:
  * starts 3 redis-server backends on free 127.0.0.1 ports, Debian's nutcracker over them
    (generated YAML: hash fnv1a_64, distribution ketama, redis true, servers 127.0.0.1:P:1),
    ringproxy (and each --variant) over the same backends with the same ring, and one more
    redis-server as the "direct" baseline;
  * idle-connection memory: opens N (default 10,000) TCP connections to each proxy, each sends
    one PING and reads the reply, then reads VmRSS/VmHWM from /proc/PID/status;
  * runs redis-benchmark (-r 100000, --csv) against every target, interleaved in rounds,
    and reports medians, ratios and each process's CPU and system calls per request;
  * writes CSVs and a PNG chart (gnuplot, bench/plot.gp) to bench/results/<timestamp>/ or --out.

Everything it starts listens on 127.0.0.1 only and is stopped on exit (also on Ctrl-C).
Only the Python standard library is used.
"""

import argparse
import datetime
import itertools
import os
import resource
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from benchlib import report
from benchlib.measure import SyscallCounter, measure_idle_rss, perf_can_count, run_redis_benchmark
from benchlib.procs import (HERE, REPO, Procs, default_ringproxy, loadavg, log,
                            machine_info, proc_cpu_seconds, raise_nofile, tool_version)
from benchlib.profile import profile
from benchlib.setup import Setup


# (scenario id, redis-benchmark -t tests, clients, pipeline, requests in a full run,
#  runs per round). Request counts are chosen so that one run takes a few seconds on a
# small (2-core) machine.
# LPUSH sends every request to one list, so one backend does all the work, and on 2 cores
# where the kernel puts the client, the proxy and that backend decides a whole run: the
# slow placement costs either proxy about a quarter of its requests/s. So it runs on its
# own, three times per round, and its median is taken over three times as many runs; every
# other row runs once per round.
THROUGHPUT_RUNS = [
    ("c50_P1", "get,set", 50, 1, 200_000, 1),
    ("c50_P16", "get,set", 50, 16, 1_000_000, 1),
    ("c500_P1", "get,set", 500, 1, 200_000, 1),
    ("c50_P1_misc", "mset,incr", 50, 1, 100_000, 1),
    ("c50_P1_lpush", "lpush", 50, 1, 100_000, 3),
]
LATENCY_RUN = ("lat_c10_P1", "get,set", 10, 1, 100_000, 1)
# The test whose row stands for a run in the cost tables.
COST_TEST = {"get,set": "SET", "mset,incr": "INCR", "lpush": "LPUSH"}

# redis-benchmark test name -> short label, per run id; order = table/chart order.
SCENARIOS = [
    ("GET c50 P1", "c50_P1", "GET"),
    ("SET c50 P1", "c50_P1", "SET"),
    ("GET c50 P16", "c50_P16", "GET"),
    ("SET c50 P16", "c50_P16", "SET"),
    ("GET c500 P1", "c500_P1", "GET"),
    ("SET c500 P1", "c500_P1", "SET"),
    ("MSET(10) c50 P1", "c50_P1_misc", "MSET (10 keys)"),
    ("INCR c50 P1", "c50_P1_misc", "INCR"),
    ("LPUSH c50 P1", "c50_P1_lpush", "LPUSH"),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=None, help="interleaved rounds (default 7; 1 with --quick)")
    ap.add_argument("--quick", action="store_true",
                    help="CI smoke run: 1 round, 1/20 of the requests, 500 idle connections")
    ap.add_argument("--scale", type=float, default=None,
                    help="multiply every request count by this (default 1; 0.05 with --quick)")
    ap.add_argument("--idle-conns", type=int, default=None,
                    help="idle client connections for the RSS test (default 10000; 500 with --quick; 0 = skip)")
    ap.add_argument("--out", default=None, help="output directory (default bench/results/<timestamp>)")
    ap.add_argument("--ringproxy", default=None,
                    help="ringproxy binary (default build-bench/ringproxy, else build/ringproxy)")
    ap.add_argument("--ringproxy-arg", action="append", default=[], metavar="ARG",
                    help="extra ringproxy argument (repeat: --ringproxy-arg=--output-buffer-pool --ringproxy-arg=0)")
    ap.add_argument("--variant", action="append", default=[], metavar="NAME=[BINARY] [ARG...]",
                    help="one more ringproxy instance in the same rounds, named NAME: another binary "
                         "and/or other arguments (repeat; e.g. --variant 'old=/tmp/old/ringproxy' "
                         "--variant 'nopool=--some-option 0'); the table shows every instance's "
                         "ratios, CPU and syscalls per request side by side")
    ap.add_argument("--only", default=None, metavar="RUN,...",
                    help="run only these of " + ", ".join(r[0] for r in THROUGHPUT_RUNS + [LATENCY_RUN])
                         + " (the tables show '-' for the others)")
    ap.add_argument("--syscalls", choices=["perf", "io"], default=None,
                    help="count each target's system calls with perf stat (every call; the default "
                         "where perf can) or /proc/PID/io (reads and writes only)")
    ap.add_argument("--nutcracker", default=shutil.which("nutcracker") or "/usr/sbin/nutcracker")
    ap.add_argument("--redis-server", default=shutil.which("redis-server") or "redis-server")
    ap.add_argument("--redis-benchmark", default=shutil.which("redis-benchmark") or "redis-benchmark")
    ap.add_argument("--max-load", type=float, default=1.5,
                    help="wait (up to --max-wait s) for the 1-minute load average to drop below this")
    ap.add_argument("--max-wait", type=int, default=None, help="seconds (default 300; 0 with --quick)")
    ap.add_argument("--run-timeout", type=int, default=600, help="timeout of one redis-benchmark run (s)")
    ap.add_argument("--no-plot", action="store_true", help="skip the gnuplot chart")
    ap.add_argument("--pin", nargs="?", const="servers", choices=["servers", "target"], default=None,
                    help="fixed CPU placement instead of the scheduler's (needs 2 or more CPUs): "
                         "'servers' (the default with --pin) puts redis-benchmark on CPU 0 and every "
                         "server (backends, proxies, the direct redis-server) on CPU 1; 'target' puts "
                         "the target measured (each proxy, the direct redis-server) alone on CPU 1 and "
                         "redis-benchmark with the backends on CPU 0: a proxy with a core of its own")
    ap.add_argument("--sample-placement", action="store_true",
                    help="during proxy runs, sample every 10 ms whether the proxy is alone on its CPU "
                         "(costs about 3%% of a CPU and 100 wakeups/s, so off by default)")
    ap.add_argument("--profile", choices=["callgrind", "perf"], default=None,
                    help="instead of the benchmark: profile ringproxy under "
                         "redis-benchmark -c 50 -P 16 -t get,set and print the top functions")
    ap.add_argument("--profile-requests", type=int, default=None,
                    help="requests of the profiled run (default 200000 callgrind, 2000000 perf)")
    args = ap.parse_args()

    if args.rounds is None:
        args.rounds = 1 if args.quick else 7
    if args.scale is None:
        args.scale = 0.05 if args.quick else 1.0
    if args.idle_conns is None:
        args.idle_conns = 500 if args.quick else 10000
    if args.pin and (os.cpu_count() or 1) < 2:
        ap.error("--pin needs 2 or more CPUs")
    if args.max_wait is None:
        args.max_wait = 0 if args.quick else 300
    if args.ringproxy is None:
        args.ringproxy = default_ringproxy()
        if args.ringproxy is None:
            sys.exit("ringproxy binary not found; build it: cmake -S . -B build-bench "
                     "-DCMAKE_BUILD_TYPE=Release -DRINGPROXY_TESTS=OFF && "
                     "cmake --build build-bench -j2 --target ringproxy")
    args.ringproxy = os.path.abspath(args.ringproxy)
    args.variants = []
    for v in args.variant:
        name, sep, rest = v.partition("=")
        words = shlex.split(rest)
        binary = None
        if words and not words[0].startswith("-"):
            binary = os.path.abspath(words.pop(0))
        if not sep or not name or name in ("ringproxy", "twemproxy", "direct") or any(
                name == n for n, _, _ in args.variants):
            ap.error(f"--variant {v!r}: expected NAME=[BINARY] [ARG...] with a new NAME")
        if binary and not os.access(binary, os.X_OK):
            ap.error(f"--variant {v!r}: {binary} is not executable")
        args.variants.append((name, binary, words))
    all_runs = THROUGHPUT_RUNS + [LATENCY_RUN]
    args.runs = all_runs
    if args.only:
        wanted = args.only.split(",")
        unknown = [w for w in wanted if w not in {r[0] for r in all_runs}]
        if unknown:
            ap.error(f"--only: unknown run(s) {', '.join(unknown)}")
        args.runs = [r for r in all_runs if r[0] in wanted]
    if args.syscalls is None:
        args.syscalls = "perf" if shutil.which("perf") and perf_can_count() else "io"
    for tool in (args.nutcracker, args.redis_server, args.redis_benchmark):
        if not (os.access(tool, os.X_OK) or shutil.which(tool)):
            sys.exit(f"{tool} not found: run scripts/install-deps.sh")

    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = os.path.abspath(args.out or os.path.join(HERE, "results", stamp))
    os.makedirs(out, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix="ringproxy-bench-")

    nofile = raise_nofile(args.idle_conns + 1000)  # inherited by the proxies we start
    procs = Procs()

    def on_signal(signum, frame):
        raise KeyboardInterrupt

    # SIGINT too: a shell starts background jobs with SIGINT ignored, and Python keeps that.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    try:
        if args.profile:
            return profile(args, out, workdir, procs)
        return bench(args, out, workdir, procs, nofile)
    except KeyboardInterrupt:
        log("interrupted; stopping everything")
        return 130
    finally:
        procs.stop_all()
        log(f"stopped all processes; logs in {workdir}")


# --------------------------------------------------------------------------------------------


def wait_for_quiet(args):
    load = loadavg()
    if load[0] <= args.max_load or args.max_wait <= 0:
        return load, 0
    log(f"load average {load[0]:.2f} > {args.max_load}: waiting up to {args.max_wait}s for it to drop")
    t0 = time.time()
    while time.time() - t0 < args.max_wait:
        time.sleep(10)
        load = loadavg()
        if load[0] <= args.max_load:
            break
    waited = int(time.time() - t0)
    log(f"load average now {load[0]:.2f} after waiting {waited}s")
    return load, waited


def bench(args, out, workdir, procs, nofile):
    info = machine_info()
    load_wait, waited = wait_for_quiet(args)
    load_start = loadavg()
    info.update({
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "placement": {"servers": "pinned: redis-benchmark on CPU 0, servers on CPU 1",
                      "target": "pinned: the target alone on CPU 1, redis-benchmark and backends on CPU 0",
                      None: "unpinned (the scheduler's placement)"}[args.pin],
        "ringproxy": args.ringproxy,
        "ringproxy_mtime": datetime.datetime.fromtimestamp(os.path.getmtime(args.ringproxy)).isoformat(
            timespec="seconds"),
        "ringproxy_version": tool_version([args.ringproxy, "--version"]),
        "nutcracker_version": tool_version([args.nutcracker, "-V"]),
        "redis_version": tool_version([args.redis_server, "--version"]),
        "rounds": args.rounds, "scale": args.scale, "quick": args.quick,
        "ringproxy_args": " ".join(args.ringproxy_arg),
        "variants": "; ".join(f"{n}={b or args.ringproxy} {' '.join(a)}" for n, b, a in args.variants),
        "syscalls_counted_by": args.syscalls,
        "load_at_start": " ".join(f"{x:.2f}" for x in load_start), "waited_for_load_s": waited,
    })
    try:
        # The repository's state; the binary may come from elsewhere (--ringproxy).
        info["repo_git"] = subprocess.run(["git", "-C", REPO, "describe", "--always", "--dirty"],
                                          capture_output=True, text=True).stdout.strip()
    except OSError:
        info["repo_git"] = "?"
    log(f"machine: {info['nproc']} CPUs, {info['cpu']}, kernel {info['kernel']}, {info['mem_gib']} GiB")
    log(f"load average at start: {info['load_at_start']}; output: {out}")

    setup = Setup(args, workdir, procs)
    setup.start()
    targets = setup.ringproxies + ["twemproxy", "direct"]
    proxies = setup.proxies()
    log("started: backends " + ", ".join(map(str, setup.backend_ports)) + "; " +
        ", ".join(f"{t} :{setup.ports[t]}" for t in targets) + f"; work dir {workdir}")

    # ---- idle connections / RSS (before any load, so earlier traffic does not inflate RSS)
    rss_rows = []
    if args.idle_conns > 0:
        n = min(args.idle_conns, nofile - 200)
        if n < args.idle_conns:
            log(f"RLIMIT_NOFILE is {nofile}: using {n} idle connections instead of {args.idle_conns}")
        for t in proxies:
            log(f"idle connections: {n} to {t} ...")
            try:
                row = measure_idle_rss(setup, t, n)
            except Exception as e:  # noqa: BLE001 - report and go on with the throughput part
                log(f"  {t}: FAILED: {e}")
                row = {"target": t, "connections": n, "error": str(e)}
            rss_rows.append(row)
            if "error" not in row:
                log(f"  {t}: RSS idle {row['rss_idle_kb']} kB, with {n} conns {row['rss_with_kb']} kB "
                    f"(VmHWM {row['hwm_kb']} kB) -> {row['kb_per_conn']} kB/conn; "
                    f"opened in {row['open_seconds']}s")
            setup.check_alive()

    # ---- throughput + latency, interleaved
    raw = []
    raw_log = open(os.path.join(out, "redis-benchmark.log"), "w")
    t_start = time.time()
    for rnd in range(1, args.rounds + 1):
        # Each round starts with the next target (A B C, B C A, C A B, ...): whatever the
        # previous run leaves behind (CPU placement, caches, the backends' state) does not
        # always fall on the same target.
        shift = (rnd - 1) % len(targets)
        order = targets[shift:] + targets[:shift]
        for run_id, tests, c, P, n_full, samples in args.runs:
            n = max(1000, int(n_full * args.scale))
            for sample, t in itertools.product(range(1, samples + 1), order):
                setup.check_alive()
                rows = measure_run(args, setup, t, t in proxies, out, rnd, sample, run_id, tests, c, P, n,
                                   raw_log)
                raw += rows
                if rows:
                    short = " ".join(f"{r['test'].split()[0]}={r['rps']:,.0f}" for r in rows)
                    nth = "" if samples == 1 else f" #{sample}"
                    alone = rows[0]["proxy_alone_pct"]
                    log(f"  round {rnd}/{args.rounds} {run_id:12s}{nth} {t:12s} {short}  "
                        f"({rows[0]['wall_s']:.1f}s"
                        + (f", proxy alone on its CPU {alone}%" if alone is not None else "")
                        + (f", {rows[0]['errors']} error lines" if rows[0]["errors"] else "") + ")")
    raw_log.close()
    info["load_at_end"] = " ".join(f"{x:.2f}" for x in loadavg())
    info["bench_seconds"] = int(time.time() - t_start)

    # ---- aggregate, write, print
    res = report.Results(raw, SCENARIOS, LATENCY_RUN)
    summary = res.summary(targets)
    latency = res.latency(targets)
    report.write_csv(out, "raw.csv", raw)
    report.write_csv(out, "summary.csv", summary)
    report.write_csv(out, "latency.csv", latency)
    report.write_csv(out, "rss.csv", rss_rows, report.RSS_FIELDS)
    with open(os.path.join(out, "machine.txt"), "w") as f:
        for k, v in info.items():
            f.write(f"{k}: {v}\n")
    # Each run of the cost tables: its label, id and the test whose rows stand for it.
    cost_runs = [(f"{tests} -c {c} -P {P}", run_id, COST_TEST[tests])
                 for run_id, tests, c, P, _, _ in args.runs]
    lines = report.main_table(res, summary, args.rounds, THROUGHPUT_RUNS)
    if len(setup.ringproxies) > 1:
        lines += [""] + report.instances_table(res, summary, setup.ringproxies)
    lines += [""] + report.cost_tables(res, targets, cost_runs)
    lines += [""] + report.latency_table(latency)
    if rss_rows:
        lines += [""] + report.rss_table(rss_rows)
    lines.append("")
    lines.append(f"machine: {info['nproc']} CPUs, {info['cpu']}, kernel {info['kernel']}; "
                 f"load average at start {info['load_at_start']}, at end {info['load_at_end']}; "
                 f"{info['bench_seconds']}s of benchmarks; {info['placement']}")
    table = "\n".join(lines)
    log("")
    log(table)
    with open(os.path.join(out, "table.txt"), "w") as f:
        f.write(table + "\n")
    if not args.no_plot:
        report.chart(out, summary, info, args.rounds)
    log(f"results: {out}")
    ran = {r[0] for r in args.runs}
    failed = [r for (_, run_id, _), r in zip(SCENARIOS, summary) if run_id in ran and any(
        r[t] is None for t in targets)]
    return 1 if failed else 0


def measure_run(args, setup, t, is_proxy, out, rnd, sample, run_id, tests, c, P, n, raw_log):
    """One redis-benchmark run against target t: a row per test, with what the run cost the
    target, its backends and the client, per request."""
    pid = setup.pids[t]
    cpu0 = proc_cpu_seconds(pid)
    # The direct target has no backends behind it.
    back_pids = setup.backend_pids if is_proxy else []
    back0 = sum(proc_cpu_seconds(b) for b in back_pids)
    counter = SyscallCounter(pid, args.syscalls == "perf", out)
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    w0 = time.time()
    try:
        rows, errors, alone = run_redis_benchmark(
            args, setup.ports[t], tests, c, P, n, raw_log,
            placement=(pid, setup.backend_pids) if is_proxy and args.sample_placement else None)
    except Exception as e:  # noqa: BLE001
        counter.stop()
        log(f"  round {rnd} {run_id} {t}: FAILED: {e}")
        return []
    wall = time.time() - w0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    syscalls, ctxsw, cpu = counter.stop()
    if cpu is None:
        cpu = proc_cpu_seconds(pid) - cpu0
    back = sum(proc_cpu_seconds(b) for b in back_pids) - back0
    # RUSAGE_CHILDREN also counts a finished perf stat: redis-benchmark's own share is the
    # difference minus nothing measurable (perf stat sleeps while counting).
    client = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
    total_req = n * len(rows)

    def per_req(x, nd):
        return round(x / total_req, nd) if x is not None else None

    return [{
        "round": rnd, "sample": sample, "run": run_id, "test": test, "target": t,
        "clients": c, "pipeline": P, "requests": n, "wall_s": round(wall, 2),
        "rps": float(row["rps"]), "avg_ms": float(row["avg_latency_ms"]),
        "p50_ms": float(row["p50_latency_ms"]), "p95_ms": float(row["p95_latency_ms"]),
        "p99_ms": float(row["p99_latency_ms"]), "max_ms": float(row["max_latency_ms"]),
        # CPU of the target process over the whole run (all its tests), per request
        "cpu_us_per_req": per_req(cpu * 1e6, 3),
        # ... of the three backends behind a proxy (0 for direct), and of
        # redis-benchmark: the whole machine's cost of a request is the sum
        "backends_cpu_us_per_req": per_req(back * 1e6, 3),
        "client_cpu_us_per_req": per_req(client * 1e6, 3),
        "total_cpu_us_per_req": per_req((cpu + back + client) * 1e6, 3),
        # system calls and context switches of the target process (--syscalls)
        "syscalls_per_req": per_req(syscalls, 4),
        "ctxsw_per_req": per_req(ctxsw, 4),
        "errors": len(errors),
        # % of 10 ms samples in which no other busy process shared the
        # proxy's CPU (None for direct, and without --sample-placement)
        "proxy_alone_pct": alone,
    } for test, row in rows.items()]


if __name__ == "__main__":
    sys.exit(main())
