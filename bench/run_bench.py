#!/usr/bin/python3
"""Side-by-side benchmark: ringproxy vs twemproxy (nutcracker) vs direct redis-server.

One command (from the repository root):

    bench/run_bench.py                 # full run: 7 interleaved rounds
    bench/run_bench.py --rounds 9      # more rounds
    bench/run_bench.py --quick         # CI smoke run (1 round, few requests, 500 idle conns)
    bench/run_bench.py --pin           # redis-benchmark on CPU 0, every server on CPU 1
    bench/run_bench.py --profile callgrind   # profile ringproxy under -c 50 -P 16 get,set

What it does:
  * starts 3 redis-server backends on free 127.0.0.1 ports, Debian's nutcracker over them
    (generated YAML: hash fnv1a_64, distribution ketama, redis true, servers 127.0.0.1:P:1),
    ringproxy over the same backends with the same ring, and one more redis-server as the
    "direct" baseline;
  * idle-connection memory: opens N (default 10,000) TCP connections to each proxy, each sends
    one PING and reads the reply, then reads VmRSS/VmHWM from /proc/PID/status;
  * runs redis-benchmark (-r 100000, --csv) against ringproxy, twemproxy and direct,
    interleaved in rounds, and reports medians and ratios;
  * writes CSVs and a PNG chart (gnuplot, bench/plot.gp) to bench/results/<timestamp>/ or --out.

Everything it starts listens on 127.0.0.1 only and is stopped on exit (also on Ctrl-C).
Only the Python standard library is used.
"""

import argparse
import csv
import datetime
import io
import itertools
import os
import platform
import re
import resource
import selectors
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import types

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
TARGETS = ["ringproxy", "twemproxy", "direct"]
PROXIES = ["ringproxy", "twemproxy"]
# --pin: the load generator on one CPU, everything it measures on another.
CLIENT_CPUS = {0}
SERVER_CPUS = {1}

# (scenario id, redis-benchmark -t tests, clients, pipeline, requests in a full run,
#  runs per round). Request counts are chosen so that one run takes a few seconds on a
# small (2-core) machine.
# LPUSH sends every request to one list, so one backend does all the work, and on 2 cores
# where the kernel puts the client, the proxy and that backend decides a whole run: the
# slow placement costs either proxy about a quarter (bench/README.md, "LPUSH: three runs
# per round"). So it runs on its own, three times per round, and its median is taken over
# three times as many runs; every other row runs once per round.
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


def log(msg):
    print(msg, flush=True)


# --------------------------------------------------------------------------------------------
# Process management


class Procs:
    """Processes started by this script; all are stopped by stop_all()."""

    def __init__(self, cpus=None):
        self.items = []  # (name, Popen)
        self.cpus = cpus  # CPU affinity of everything started here (None: unpinned)

    def start(self, name, argv, logpath, cwd=None):
        f = open(logpath, "ab")
        p = subprocess.Popen(argv, stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                             cwd=cwd, start_new_session=True, preexec_fn=pin_to(self.cpus))
        f.close()
        self.items.append((name, p))
        return p

    @staticmethod
    def signal_group(p, sig):
        """Signal the process and its children (each process we start leads its own group)."""
        try:
            os.killpg(p.pid, sig)
        except ProcessLookupError:
            pass

    def stop(self, p, timeout=5.0):
        if p.poll() is None:
            self.signal_group(p, signal.SIGTERM)
            try:
                p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.signal_group(p, signal.SIGKILL)
                p.wait()
        # A wrapper (perf, valgrind) may have exited before its child: sweep the group.
        self.signal_group(p, signal.SIGKILL)

    def stop_all(self):
        for name, p in reversed(self.items):
            self.stop(p)
        self.items = []


def default_ringproxy():
    """build-bench/ringproxy, else build/ringproxy, else None."""
    for cand in ("build-bench/ringproxy", "build/ringproxy"):
        path = os.path.join(REPO, cand)
        if os.access(path, os.X_OK):
            return path
    return None


def setup_args_for(binary, ringproxy_args):
    """What Setup needs, for the scripts that reuse it without this one's options."""
    return types.SimpleNamespace(
        redis_server=shutil.which("redis-server") or "redis-server",
        nutcracker=shutil.which("nutcracker") or "/usr/sbin/nutcracker",
        ringproxy=binary, idle_conns=0, ringproxy_arg=list(ringproxy_args))


def free_port():
    """A port free on 127.0.0.1 right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, proc, what, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with status {proc.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} is not listening on 127.0.0.1:{port} after {timeout}s")


def resp_command(port, *args, timeout=5.0):
    """Send one command, return the raw reply bytes (enough for +OK / +PONG / short replies)."""
    payload = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        payload += b"$%d\r\n%s\r\n" % (len(a), a)
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(payload)
        data = b""
        while not data.endswith(b"\r\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        return data


def proc_status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM"):
                out[k] = int(v.split()[0])  # kB
    return out


def proc_cpu_seconds(pid):
    """utime + stime of a process, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def proc_syscalls(pid):
    """(read, write) syscalls made so far by a process (/proc/PID/io syscr, syscw)."""
    try:
        with open(f"/proc/{pid}/io") as f:
            d = dict(line.split(": ") for line in f.read().splitlines())
        return int(d["syscr"]), int(d["syscw"])
    except (OSError, KeyError, ValueError):
        return None


def loadavg():
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


def machine_info():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem_kb = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "kernel": platform.release(),
        "mem_gib": round(mem_kb / 1048576, 1),
    }


def tool_version(argv):
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=10)
        return (r.stdout + r.stderr).strip().splitlines()[0]
    except Exception as e:  # noqa: BLE001 - informational only
        return f"? ({e})"


# --------------------------------------------------------------------------------------------
# The setup: 3 backends + nutcracker + ringproxy over them, 1 direct redis-server


class Setup:
    def __init__(self, args, workdir, procs):
        self.args = args
        self.workdir = workdir
        self.procs = procs
        self.backend_ports = []
        self.backend_pids = []
        self.ports = {}  # target -> port
        self.pids = {}   # target -> pid
        self.popen = {}

    def start_redis(self, name):
        for attempt in range(5):
            port = free_port()
            p = self.procs.start(name, [
                self.args.redis_server, "--port", str(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--protected-mode", "yes",
                "--daemonize", "no", "--dir", self.workdir, "--logfile", "",
                "--maxclients", "20000",
            ], os.path.join(self.workdir, f"{name}.log"))
            try:
                wait_listening(port, p, name)
                return port, p
            except RuntimeError as e:
                log(f"  {name}: {e}; retrying on another port")
                self.procs.stop(p)
        raise RuntimeError(f"could not start {name}")

    def start_nutcracker(self):
        servers = "".join(f"   - 127.0.0.1:{p}:1\n" for p in self.backend_ports)
        for attempt in range(5):
            port, stats_port = free_port(), free_port()
            if port == stats_port:
                continue
            yml = os.path.join(self.workdir, "nutcracker.yml")
            with open(yml, "w") as f:
                f.write("bench:\n"
                        f"  listen: 127.0.0.1:{port}\n"
                        "  hash: fnv1a_64\n"
                        "  distribution: ketama\n"
                        "  redis: true\n"
                        "  servers:\n" + servers)
            p = self.procs.start("twemproxy", [
                self.args.nutcracker, "-c", yml, "-s", str(stats_port), "-a", "127.0.0.1",
                "-o", os.path.join(self.workdir, "nutcracker.log"),
            ], os.path.join(self.workdir, "nutcracker.stdout"))
            try:
                wait_listening(port, p, "nutcracker")
                return port, p
            except RuntimeError as e:
                log(f"  nutcracker: {e}; retrying on other ports")
                self.procs.stop(p)
        raise RuntimeError("could not start nutcracker")

    def start_ringproxy(self):
        argv_b = []
        for bp in self.backend_ports:
            argv_b += ["--backend", f"127.0.0.1:{bp}:1"]
        for attempt in range(5):
            port = free_port()
            p = self.procs.start("ringproxy", [
                self.args.ringproxy, "--listen", f"127.0.0.1:{port}",
                "--hash", "fnv1a_64", "--distribution", "ketama",
                "--max-clients", str(max(10000, self.args.idle_conns + 1000)),
                "--log-level", "warn",
            ] + self.args.ringproxy_arg + argv_b, os.path.join(self.workdir, "ringproxy.log"))
            try:
                wait_listening(port, p, "ringproxy")
                return port, p
            except RuntimeError as e:
                log(f"  ringproxy: {e}; retrying on another port")
                self.procs.stop(p)
        raise RuntimeError("could not start ringproxy")

    def start(self, with_direct=True, with_twemproxy=True):
        for i in range(3):
            port, p = self.start_redis(f"backend{i + 1}")
            self.backend_ports.append(port)
            self.backend_pids.append(p.pid)
        port, p = self.start_ringproxy()
        self.ports["ringproxy"], self.pids["ringproxy"], self.popen["ringproxy"] = port, p.pid, p
        if with_twemproxy:
            port, p = self.start_nutcracker()
            self.ports["twemproxy"], self.pids["twemproxy"], self.popen["twemproxy"] = port, p.pid, p
        if with_direct:
            port, p = self.start_redis("direct")
            self.ports["direct"], self.pids["direct"], self.popen["direct"] = port, p.pid, p
        # Routing sanity check: both proxies must put a key on the same backend.
        for k in ("foo", "bar", "user:1", "user:10", "key:000000012345"):
            for t in [t for t in PROXIES if t in self.ports]:
                r = resp_command(self.ports[t], "SET", k, t)
                if not r.startswith(b"+OK"):
                    raise RuntimeError(f"SET through {t} failed: {r!r}")
            holders = [bp for bp in self.backend_ports if resp_command(bp, "EXISTS", k).startswith(b":1")]
            if len(holders) != 1:
                raise RuntimeError(f"key {k!r} is on {len(holders)} backends: the two rings differ")
        for bp in self.backend_ports:
            resp_command(bp, "FLUSHALL")

    def check_alive(self):
        for t, p in self.popen.items():
            if p.poll() is not None:
                raise RuntimeError(f"{t} died (exit status {p.returncode}); logs in {self.workdir}")


# --------------------------------------------------------------------------------------------
# Idle connections and RSS


def open_idle_connections(port, n, batch=200, timeout=20.0):
    """Open n connections; each sends PING and reads +PONG. Returns the list of sockets."""
    socks = []
    ping = b"*1\r\n$4\r\nPING\r\n"
    sel = selectors.DefaultSelector()
    try:
        while len(socks) < n:
            todo = min(batch, n - len(socks))
            pending = {}
            for _ in range(todo):
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                # RST on close: no TIME_WAIT left behind, the ephemeral ports come back at once.
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                s.settimeout(timeout)
                s.connect(("127.0.0.1", port))
                s.sendall(ping)
                s.setblocking(False)
                pending[s] = b""
                sel.register(s, selectors.EVENT_READ)
                socks.append(s)
            deadline = time.time() + timeout
            while pending:
                left = deadline - time.time()
                if left <= 0:
                    raise RuntimeError(f"{len(pending)} PINGs unanswered after {timeout}s "
                                       f"({len(socks)} connections open)")
                for key, _ in sel.select(timeout=left):
                    s = key.fileobj
                    data = s.recv(64)
                    if not data:
                        raise RuntimeError(f"connection closed by the proxy after {len(socks)} connections")
                    pending[s] += data
                    if pending[s].endswith(b"\r\n"):
                        if not pending[s].startswith(b"+PONG"):
                            raise RuntimeError(f"unexpected reply to PING: {pending[s]!r}")
                        sel.unregister(s)
                        del pending[s]
        return socks
    except BaseException:
        for s in socks:
            s.close()
        raise
    finally:
        sel.close()


def measure_idle_rss(setup, target, n):
    port, pid = setup.ports[target], setup.pids[target]
    # Warm up with a few keyed commands so both proxies have their backend connections.
    for i in range(30):
        resp_command(port, "SET", f"warm:{i}", "x")
    time.sleep(0.5)
    before = proc_status(pid)
    t0 = time.time()
    socks = open_idle_connections(port, n)
    open_s = time.time() - t0
    time.sleep(1.0)
    during = proc_status(pid)
    # Again after a few seconds: periodic sweeps (ringproxy frees idle buffers every second)
    # have run by then; freed heap memory need not go back to the kernel, though.
    time.sleep(2.0)
    later = proc_status(pid)
    # The proxy must still serve traffic with all of them open.
    ok = resp_command(port, "GET", "warm:1").startswith(b"$1")
    for s in socks:
        s.close()
    time.sleep(0.5)
    after = proc_status(pid)
    per_conn = (during["VmRSS"] - before["VmRSS"]) / n
    return {
        "target": target, "connections": n,
        "rss_idle_kb": before["VmRSS"], "rss_with_kb": during["VmRSS"], "hwm_kb": during["VmHWM"],
        "rss_3s_kb": later["VmRSS"], "rss_after_close_kb": after["VmRSS"], "kb_per_conn": round(per_conn, 2),
        "open_seconds": round(open_s, 2), "still_serving": ok,
    }


def raise_nofile(want):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    new_soft = hard if hard != resource.RLIM_INFINITY else max(soft, want)
    if new_soft > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (new_soft, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


# --------------------------------------------------------------------------------------------
# redis-benchmark


def schedstat(pid):
    """(CPU the task last ran on, ns it has run), or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            cpu = int(f.read().rsplit(")", 1)[1].split()[36])
        with open(f"/proc/{pid}/schedstat") as f:
            return cpu, int(f.read().split()[0])
    except (OSError, IndexError, ValueError):
        return None


class PlacementSampler(threading.Thread):
    """Every 10 ms: is the proxy alone on its CPU among the processes that ran?

    On 2 cores the kernel keeps one placement for most of a run, and it sets -P 1
    throughput (bench/cpu_placement.py): the share of samples in which no other active
    process (redis-benchmark, a backend) last ran on the proxy's CPU tells which one a
    round got.
    """

    def __init__(self, proxy_pid, other_pids):
        super().__init__(daemon=True)
        self.proxy_pid, self.other_pids = proxy_pid, list(other_pids)
        self.stop_event = threading.Event()
        self.samples = self.alone = 0

    def run(self):
        last = {}
        while not self.stop_event.wait(0.01):
            now = {p: schedstat(p) for p in [self.proxy_pid] + self.other_pids}
            if any(v is None for v in now.values()):
                continue
            if last:
                # Active: ran at least 1 ms of the last 10 ms.
                active = [p for p in self.other_pids if now[p][1] - last[p][1] > 1_000_000]
                proxy_cpu = now[self.proxy_pid][0]
                self.samples += 1
                self.alone += all(now[p][0] != proxy_cpu for p in active)
            last = now

    def alone_pct(self):
        return round(100 * self.alone / self.samples) if self.samples else None


def pin_to(cpus):
    """A preexec_fn that sets the child's CPU affinity before it execs (so threads it starts
    inherit it), or None for no pinning."""
    if not cpus:
        return None
    return lambda: os.sched_setaffinity(0, cpus)


def run_redis_benchmark(args, port, tests, clients, pipeline, requests, logf, placement=None):
    """Runs redis-benchmark; `placement` = (proxy pid, backend pids) samples placement.

    Returns (rows, errors, % of samples with the proxy alone on its CPU or None)."""
    argv = [args.redis_benchmark, "-h", "127.0.0.1", "-p", str(port), "-t", tests,
            "-c", str(clients), "-P", str(pipeline), "-n", str(requests),
            "-r", "100000", "--csv"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=pin_to(CLIENT_CPUS if args.pin else None))
    sampler = None
    if placement is not None:
        sampler = PlacementSampler(placement[0], list(placement[1]) + [proc.pid])
        sampler.start()
    try:
        out, err = proc.communicate(timeout=args.run_timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise
    finally:
        if sampler is not None:
            sampler.stop_event.set()
            sampler.join()
    logf.write("$ " + " ".join(argv) + "\n" + out + err + "\n")
    logf.flush()
    errors = [l for l in err.splitlines() if l.strip() and "Could not fetch server CONFIG" not in l]
    rows = {}
    for row in csv.DictReader(io.StringIO(out)):
        if row.get("test") and row.get("rps"):
            rows[row["test"]] = row
    if proc.returncode != 0 or not rows:
        raise RuntimeError(f"redis-benchmark failed (status {proc.returncode}): {err.strip()[:300]}")
    return rows, errors, (sampler.alone_pct() if sampler else None)


def fmt_num(x, nd=0):
    if x is None:
        return "-"
    return f"{x:,.{nd}f}"


def fmt_ratio(x):
    return "-" if x is None else f"{x:.2f}"


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def ratio(a, b):
    return a / b if a is not None and b else None


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
                    help="extra ringproxy argument (repeat: --ringproxy-arg=--busy-poll-us --ringproxy-arg=20)")
    ap.add_argument("--nutcracker", default=shutil.which("nutcracker") or "/usr/sbin/nutcracker")
    ap.add_argument("--redis-server", default=shutil.which("redis-server") or "redis-server")
    ap.add_argument("--redis-benchmark", default=shutil.which("redis-benchmark") or "redis-benchmark")
    ap.add_argument("--max-load", type=float, default=1.5,
                    help="wait (up to --max-wait s) for the 1-minute load average to drop below this")
    ap.add_argument("--max-wait", type=int, default=None, help="seconds (default 300; 0 with --quick)")
    ap.add_argument("--run-timeout", type=int, default=600, help="timeout of one redis-benchmark run (s)")
    ap.add_argument("--no-plot", action="store_true", help="skip the gnuplot chart")
    ap.add_argument("--pin", action="store_true",
                    help="pin redis-benchmark to CPU 0 and every server (backends, proxies, the "
                         "direct redis-server) to CPU 1: the same fixed placement for every target "
                         "instead of the scheduler's (needs 2 or more CPUs)")
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
    for tool in (args.nutcracker, args.redis_server, args.redis_benchmark):
        if not (os.access(tool, os.X_OK) or shutil.which(tool)):
            sys.exit(f"{tool} not found: run scripts/install-deps.sh")

    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = os.path.abspath(args.out or os.path.join(HERE, "results", stamp))
    os.makedirs(out, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix="ringproxy-bench-")

    nofile = raise_nofile(args.idle_conns + 1000)  # inherited by the proxies we start
    procs = Procs(SERVER_CPUS if args.pin else None)

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
        "placement": ("pinned: redis-benchmark on CPU 0, servers on CPU 1" if args.pin
                      else "unpinned (the scheduler's placement)"),
        "ringproxy": args.ringproxy,
        "ringproxy_mtime": datetime.datetime.fromtimestamp(os.path.getmtime(args.ringproxy)).isoformat(
            timespec="seconds"),
        "ringproxy_version": tool_version([args.ringproxy, "--version"]),
        "nutcracker_version": tool_version([args.nutcracker, "-V"]),
        "redis_version": tool_version([args.redis_server, "--version"]),
        "rounds": args.rounds, "scale": args.scale, "quick": args.quick,
        "ringproxy_args": " ".join(args.ringproxy_arg),
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
    log("started: backends " + ", ".join(map(str, setup.backend_ports)) + "; " +
        ", ".join(f"{t} :{setup.ports[t]}" for t in TARGETS) + f"; work dir {workdir}")

    # ---- idle connections / RSS (before any load, so earlier traffic does not inflate RSS)
    rss_rows = []
    if args.idle_conns > 0:
        n = min(args.idle_conns, nofile - 200)
        if n < args.idle_conns:
            log(f"RLIMIT_NOFILE is {nofile}: using {n} idle connections instead of {args.idle_conns}")
        for t in PROXIES:
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
    runs = THROUGHPUT_RUNS + [LATENCY_RUN]
    raw = []  # dicts
    raw_log = open(os.path.join(out, "redis-benchmark.log"), "w")
    t_start = time.time()
    for rnd in range(1, args.rounds + 1):
        # Each round starts with the next target (A B C, B C A, C A B, ...): whatever the
        # previous run leaves behind (CPU placement, caches, the backends' state) does not
        # always fall on the same target.
        shift = (rnd - 1) % len(TARGETS)
        order = TARGETS[shift:] + TARGETS[:shift]
        for run_id, tests, c, P, n_full, samples in runs:
            n = max(1000, int(n_full * args.scale))
            for sample, t in itertools.product(range(1, samples + 1), order):
                setup.check_alive()
                pid = setup.pids[t]
                cpu0 = proc_cpu_seconds(pid)
                sys0 = proc_syscalls(pid)
                # The direct target has no backends behind it.
                back_pids = setup.backend_pids if t in PROXIES else []
                back0 = sum(proc_cpu_seconds(b) for b in back_pids)
                ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
                w0 = time.time()
                try:
                    rows, errors, alone = run_redis_benchmark(
                        args, setup.ports[t], tests, c, P, n, raw_log,
                        placement=((pid, setup.backend_pids)
                                   if t in PROXIES and args.sample_placement else None))
                except Exception as e:  # noqa: BLE001
                    log(f"  round {rnd} {run_id} {t}: FAILED: {e}")
                    continue
                wall = time.time() - w0
                cpu = proc_cpu_seconds(pid) - cpu0
                back = sum(proc_cpu_seconds(b) for b in back_pids) - back0
                ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
                client = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
                sys1 = proc_syscalls(pid)
                if sys0 is not None and sys1 is not None:
                    reads, writes = sys1[0] - sys0[0], sys1[1] - sys0[1]
                else:
                    reads = writes = None
                total_req = n * len(rows)
                for test, row in rows.items():
                    raw.append({
                        "round": rnd, "sample": sample, "run": run_id, "test": test, "target": t,
                        "clients": c, "pipeline": P, "requests": n,
                        "rps": float(row["rps"]), "avg_ms": float(row["avg_latency_ms"]),
                        "p50_ms": float(row["p50_latency_ms"]), "p95_ms": float(row["p95_latency_ms"]),
                        "p99_ms": float(row["p99_latency_ms"]), "max_ms": float(row["max_latency_ms"]),
                        # CPU of the target process over the whole run (all its tests), per request
                        "cpu_us_per_req": round(cpu * 1e6 / total_req, 3),
                        # ... of the three backends behind a proxy (0 for direct), and of
                        # redis-benchmark: the whole machine's cost of a request is the sum
                        "backends_cpu_us_per_req": round(back * 1e6 / total_req, 3),
                        "client_cpu_us_per_req": round(client * 1e6 / total_req, 3),
                        "total_cpu_us_per_req": round((cpu + back + client) * 1e6 / total_req, 3),
                        # read+write syscalls of the target process per request (same caveat)
                        "syscalls_per_req": (round((reads + writes) / total_req, 4)
                                             if reads is not None else None),
                        "reads_per_req": round(reads / total_req, 4) if reads is not None else None,
                        "writes_per_req": round(writes / total_req, 4) if writes is not None else None,
                        "errors": len(errors),
                        # % of 10 ms samples in which no other busy process shared the
                        # proxy's CPU (None for direct, and without --sample-placement)
                        "proxy_alone_pct": alone,
                    })
                short = " ".join(f"{k.split()[0]}={float(v['rps']):,.0f}" for k, v in rows.items())
                nth = "" if samples == 1 else f" #{sample}"
                log(f"  round {rnd}/{args.rounds} {run_id:12s}{nth} {t:9s} {short}  ({wall:.1f}s"
                    + (f", proxy alone on its CPU {alone}%" if alone is not None else "")
                    + (f", {len(errors)} error lines" if errors else "") + ")")
    raw_log.close()
    load_end = loadavg()
    info["load_at_end"] = " ".join(f"{x:.2f}" for x in load_end)
    info["bench_seconds"] = int(time.time() - t_start)

    # ---- aggregate
    def med(run_id, test, target, field):
        return median([r[field] for r in raw
                       if r["run"] == run_id and r["test"] == test and r["target"] == target])

    def spread(run_id, test, target):
        xs = [r["rps"] for r in raw if r["run"] == run_id and r["test"] == test and r["target"] == target]
        return (min(xs), max(xs)) if xs else (None, None)

    def rounds_won(run_id, test):
        """(runs in which ringproxy beat twemproxy, runs with both measured), paired by
        round and, where a round runs a test more than once, by run within the round."""
        by_round = {}
        for r in raw:
            if r["run"] == run_id and r["test"] == test and r["target"] in PROXIES:
                by_round.setdefault((r["round"], r["sample"]), {})[r["target"]] = r["rps"]
        pairs = [v for v in by_round.values() if len(v) == len(PROXIES)]
        return sum(v["ringproxy"] > v["twemproxy"] for v in pairs), len(pairs)

    summary = []
    for label, run_id, test in SCENARIOS:
        row = {"scenario": label}
        for t in TARGETS:
            row[t] = med(run_id, test, t, "rps")
            lo, hi = spread(run_id, test, t)
            row[f"{t}_min"], row[f"{t}_max"] = lo, hi
        row["rp_over_tw"] = ratio(row["ringproxy"], row["twemproxy"])
        row["rp_won_rounds"], row["paired_rounds"] = rounds_won(run_id, test)
        row["rp_over_direct"] = ratio(row["ringproxy"], row["direct"])
        row["tw_over_direct"] = ratio(row["twemproxy"], row["direct"])
        for t in TARGETS:
            row[f"{t}_cpu_us"] = med(run_id, test, t, "cpu_us_per_req")
            row[f"{t}_syscalls"] = med(run_id, test, t, "syscalls_per_req")
            row[f"{t}_total_cpu_us"] = med(run_id, test, t, "total_cpu_us_per_req")
        summary.append(row)

    latency = []
    for test in ("GET", "SET"):
        for t in TARGETS:
            latency.append({
                "test": f"{test} c10 P1", "target": t,
                "rps": med(LATENCY_RUN[0], test, t, "rps"),
                "p50_ms": med(LATENCY_RUN[0], test, t, "p50_ms"),
                "p99_ms": med(LATENCY_RUN[0], test, t, "p99_ms"),
            })

    # ---- write CSVs
    def write_csv(name, rows, fields=None):
        path = os.path.join(out, name)
        if not rows:
            return path
        fields = fields or list(rows[0].keys())
        with open(path, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
            w.writeheader()
            for r in rows:
                w.writerow({k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()})
        return path

    write_csv("raw.csv", raw)
    write_csv("summary.csv", summary)
    write_csv("latency.csv", latency)
    rss_fields = ["target", "connections", "rss_idle_kb", "rss_with_kb", "hwm_kb", "rss_3s_kb",
                  "rss_after_close_kb",
                  "kb_per_conn", "open_seconds", "still_serving", "error"]
    write_csv("rss.csv", rss_rows, rss_fields)
    with open(os.path.join(out, "machine.txt"), "w") as f:
        for k, v in info.items():
            f.write(f"{k}: {v}\n")

    # ---- print tables
    lines = []
    lines.append(f"Throughput, requests/s (median of {args.rounds} round(s); "
                 f"redis-benchmark -r 100000; ratio > 1 = ringproxy faster;")
    repeated = "".join(f"{tests.upper()} {k} runs per round, median of all; "
                       for _, tests, _, _, _, k in THROUGHPUT_RUNS if k > 1)
    lines.append(f"{repeated}won = runs in which ringproxy beat twemproxy)")
    hdr = (f"{'scenario':17s} {'ringproxy':>10s} {'twemproxy':>10s} {'direct':>10s} "
           f"{'rp/tw':>6s} {'won':>5s} {'rp/direct':>9s} {'tw/direct':>9s}")
    lines.append(hdr)
    lines.append("-" * len(hdr))
    for r in summary:
        won = f"{r['rp_won_rounds']}/{r['paired_rounds']}"
        lines.append(f"{r['scenario']:17s} {fmt_num(r['ringproxy']):>10s} {fmt_num(r['twemproxy']):>10s} "
                     f"{fmt_num(r['direct']):>10s} {fmt_ratio(r['rp_over_tw']):>6s} {won:>5s} "
                     f"{fmt_ratio(r['rp_over_direct']):>9s} {fmt_ratio(r['tw_over_direct']):>9s}")
    # Each run of the cost tables: its label, id and the test whose rows stand for it.
    cost_runs = [(f"{tests} -c {c} -P {P}", run_id, COST_TEST[tests])
                 for run_id, tests, c, P, _, _ in THROUGHPUT_RUNS + [LATENCY_RUN]]
    lines.append("")
    lines.append("Cost per request of each process over a whole redis-benchmark run (median over rounds):")
    lines.append("CPU µs (utime+stime, /proc/PID/stat) and read+write syscalls (/proc/PID/io)")
    hdr = (f"{'run':26s} {'rp CPU µs':>9s} {'tw CPU µs':>9s} {'redis CPU µs':>12s} "
           f"{'rp sysc':>7s} {'tw sysc':>7s} {'redis sysc':>10s}")
    lines.append(hdr)
    lines.append("-" * len(hdr))
    for label, run_id, first in cost_runs:
        vals = [med(run_id, first, t, "cpu_us_per_req") for t in TARGETS]
        sysc = [med(run_id, first, t, "syscalls_per_req") for t in TARGETS]
        lines.append(f"{label:26s} {fmt_num(vals[0], 2):>9s} {fmt_num(vals[1], 2):>9s} "
                     f"{fmt_num(vals[2], 2):>12s} {fmt_num(sysc[0], 3):>7s} {fmt_num(sysc[1], 3):>7s} "
                     f"{fmt_num(sysc[2], 3):>10s}")
    lines.append("")
    lines.append("CPU µs per request of everything involved: the target, the backends behind it and")
    lines.append("redis-benchmark (on a saturated 2-core machine throughput is about 2 s / this total)")
    hdr = (f"{'run':26s} {'target':10s} {'target':>7s} {'backends':>8s} {'client':>7s} {'total':>7s}")
    lines.append(hdr)
    lines.append("-" * len(hdr))
    for label, run_id, first in cost_runs:
        for t in TARGETS:
            parts = [med(run_id, first, t, f) for f in ("cpu_us_per_req", "backends_cpu_us_per_req",
                                                         "client_cpu_us_per_req", "total_cpu_us_per_req")]
            lines.append(f"{label:26s} {t:10s} " +
                         " ".join(f"{fmt_num(v, 2):>{w}s}" for v, w in zip(parts, (7, 8, 7, 7))))
    lines.append("")
    lines.append("Latency at -c 10 -P 1 (median over rounds of redis-benchmark's p50/p99), ms")
    lines.append(f"{'test':10s} {'target':10s} {'req/s':>9s} {'p50':>7s} {'p99':>7s}")
    for r in latency:
        lines.append(f"{r['test']:10s} {r['target']:10s} {fmt_num(r['rps']):>9s} "
                     f"{fmt_num(r['p50_ms'], 3):>7s} {fmt_num(r['p99_ms'], 3):>7s}")
    if rss_rows:
        lines.append("")
        lines.append("Memory with idle client connections (each sent one PING)")
        lines.append(f"{'proxy':10s} {'conns':>6s} {'RSS idle kB':>11s} {'RSS with kB':>11s} "
                     f"{'VmHWM kB':>9s} {'kB/conn':>8s} {'RSS +3s kB':>10s} {'after close':>11s}")
        for r in rss_rows:
            if "error" in r:
                lines.append(f"{r['target']:10s} FAILED: {r['error']}")
            else:
                lines.append(f"{r['target']:10s} {r['connections']:>6d} {r['rss_idle_kb']:>11d} "
                             f"{r['rss_with_kb']:>11d} {r['hwm_kb']:>9d} {r['kb_per_conn']:>8.2f} "
                             f"{r['rss_3s_kb']:>10d} {r['rss_after_close_kb']:>11d}")
        lines.append("(kB/conn = (RSS with - RSS idle) / conns, RSS read 1 s after the last PONG)")
    lines.append("")
    lines.append(f"machine: {info['nproc']} CPUs, {info['cpu']}, kernel {info['kernel']}; "
                 f"load average at start {info['load_at_start']}, at end {info['load_at_end']}; "
                 f"{info['bench_seconds']}s of benchmarks; {info['placement']}")
    table = "\n".join(lines)
    log("")
    log(table)
    with open(os.path.join(out, "table.txt"), "w") as f:
        f.write(table + "\n")

    # ---- chart
    if not args.no_plot:
        dat = os.path.join(out, "plot.dat")
        with open(dat, "w") as f:
            f.write("# scenario ringproxy twemproxy direct rp/tw rp/direct\n")
            for r in summary:
                vals = [r["ringproxy"], r["twemproxy"], r["direct"], r["rp_over_tw"], r["rp_over_direct"]]
                f.write(f"\"{r['scenario']}\" " + " ".join("NaN" if v is None else f"{v:.4f}" for v in vals) + "\n")
        png = os.path.join(out, "throughput.png")
        title = (f"ringproxy vs twemproxy 0.5.0 vs direct redis - {info['nproc']} CPUs {info['cpu']}, "
                 f"median of {args.rounds} round(s)")
        if shutil.which("gnuplot"):
            r = subprocess.run(["gnuplot", "-e", f"datafile='{dat}'; outfile='{png}'; charttitle='{title}'",
                                os.path.join(HERE, "plot.gp")], capture_output=True, text=True)
            if r.returncode != 0:
                log("gnuplot failed: " + r.stderr.strip())
            else:
                log(f"chart: {png}")
        else:
            log("gnuplot not found: no chart")
    log(f"results: {out}")
    failed = [r for r in summary if r["ringproxy"] is None or r["twemproxy"] is None or r["direct"] is None]
    return 1 if failed else 0


# --------------------------------------------------------------------------------------------
# Profiling


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
    p = procs.start("ringproxy-profiled", argv, os.path.join(out, "profiled-ringproxy.log"))
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


if __name__ == "__main__":
    sys.exit(main())
