"""bench/run_bench.py --profile: ringproxy under callgrind or perf."""

import os
import signal
import subprocess

from benchlib.measure import run_redis_benchmark
from benchlib.procs import Procs, free_port, log, wait_listening
from benchlib.setup import Setup


def profile(args, out, workdir, procs):
    """Run ringproxy under callgrind or perf with -c 50 -P 16 -t get,set and print the top."""
    if args.profile == "callgrind":
        wrapper = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}/callgrind.out",
                   "--dump-instr=no", "--collect-jumps=no"]
        n = args.profile_requests or 200_000
    else:
        wrapper = ["perf", "record", "-g", "-F", "2000", "-e", "cpu-clock", "-o", f"{out}/perf.data", "--"]
        n = args.profile_requests or 2_000_000
    real = args.ringproxy
    setup = Setup(args, workdir, procs)  # backends only; ringproxy is started under the profiler
    for i in range(3):
        port, _ = setup.start_redis(f"backend{i + 1}")
        setup.backend_ports.append(port)
    port = free_port()
    argv = wrapper + [real, "--listen", f"127.0.0.1:{port}", "--hash", "fnv1a_64",
                      "--distribution", "ketama", "--log-level", "warn"]
    for bp in setup.backend_ports:
        argv += ["--backend", f"127.0.0.1:{bp}:1"]
    p = procs.start("ringproxy-profiled", argv, os.path.join(out, "profiled-ringproxy.log"),
                    cpus=setup.cpus("targets"))
    wait_listening(port, p, "profiled ringproxy", timeout=60)
    log(f"profiling ringproxy ({args.profile}) with redis-benchmark -c 50 -P 16 -t get,set -n {n}")
    with open(os.path.join(out, "redis-benchmark.log"), "w") as lf:
        rows, _, _ = run_redis_benchmark(args, port, "get,set", 50, 16, n, lf)
    for k, v in rows.items():
        log(f"  {k}: {float(v['rps']):,.0f} req/s (under the profiler)")
    # SIGINT to the group (the wrapper and ringproxy): ringproxy exits, the profiler writes its data.
    Procs.signal_group(p, signal.SIGINT)
    try:
        p.wait(timeout=300)
    except subprocess.TimeoutExpired:
        Procs.signal_group(p, signal.SIGTERM)
        p.wait(timeout=60)
    if args.profile == "callgrind":
        rep = subprocess.run(["callgrind_annotate", "--inclusive=no", f"{out}/callgrind.out"],
                             capture_output=True, text=True)
        txt = rep.stdout
        path = os.path.join(out, "callgrind_self.txt")
        incl = subprocess.run(["callgrind_annotate", "--inclusive=yes", f"{out}/callgrind.out"],
                              capture_output=True, text=True).stdout
        with open(os.path.join(out, "callgrind_inclusive.txt"), "w") as f:
            f.write(incl)
    else:
        rep = subprocess.run(["perf", "report", "-i", f"{out}/perf.data", "--no-children",
                              "--sort", "symbol", "--stdio", "-g", "none"],
                             capture_output=True, text=True)
        txt = rep.stdout
        path = os.path.join(out, "perf_self.txt")
    with open(path, "w") as f:
        f.write(txt)
    log("\n".join(txt.splitlines()[:60]))
    log(f"profile: {path}")
    return 0
