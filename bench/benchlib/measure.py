"""What the benchmark measures: idle-connection memory, redis-benchmark runs with the CPU
and syscalls they cost each process, and (optionally) CPU placement."""

import csv
import io
import os
import selectors
import signal
import socket
import subprocess
import threading
import time

from benchlib.procs import layout_cpus, pin_to, proc_status, proc_syscalls, resp_command, schedstat


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


def run_redis_benchmark(args, port, tests, clients, pipeline, requests, logf, placement=None):
    """Runs redis-benchmark; `placement` = (proxy pid, backend pids) samples placement.

    Returns (rows, errors, % of samples with the proxy alone on its CPU or None)."""
    argv = [args.redis_benchmark, "-h", "127.0.0.1", "-p", str(port), "-t", tests,
            "-c", str(clients), "-P", str(pipeline), "-n", str(requests),
            "-r", "100000", "--csv"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=pin_to(layout_cpus(getattr(args, "pin", None), "client")))
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


class SyscallCounter:
    """Counts a process's system calls, context switches and CPU time over a run with
    `perf stat -e raw_syscalls:sys_enter,context-switches,task-clock -p PID` (every call,
    send and epoll_wait included, which /proc/PID/io's read/write counts miss; CPU time in
    nanoseconds, where /proc/PID/stat counts clock ticks). Falls back to /proc/PID/io
    (reads and writes only) where perf cannot attach."""

    def __init__(self, pid, use_perf, outdir):
        self.pid, self.proc = pid, None
        self.path = os.path.join(outdir, f"perf-stat-{pid}.txt")
        self.io0 = proc_syscalls(pid)
        if use_perf:
            self.proc = subprocess.Popen(
                ["perf", "stat", "-x", ",", "-o", self.path, "-e",
                 "raw_syscalls:sys_enter,context-switches,task-clock", "-p", str(pid)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(0.05)  # attached before the run starts

    def stop(self):
        """(syscalls, context switches, CPU seconds); None for what was not counted."""
        if self.proc is not None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            counts = {}
            try:
                with open(self.path) as f:
                    for line in f:
                        parts = line.strip().split(",")
                        if len(parts) > 2 and parts[0].replace(".", "", 1).isdigit():
                            counts[parts[2]] = float(parts[0])
                os.unlink(self.path)
            except OSError:
                pass
            if "raw_syscalls:sys_enter" in counts:
                ms = counts.get("task-clock")
                return (counts["raw_syscalls:sys_enter"], counts.get("context-switches"),
                        ms / 1000 if ms is not None else None)
        io1 = proc_syscalls(self.pid)
        if self.io0 is None or io1 is None:
            return None, None, None
        return (io1[0] - self.io0[0]) + (io1[1] - self.io0[1]), None, None


def perf_can_count():
    """Whether `perf stat` can count syscall tracepoints here (root or a low paranoia level)."""
    try:
        r = subprocess.run(["perf", "stat", "-x", ",", "-e", "raw_syscalls:sys_enter", "true"],
                           capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return r.returncode == 0 and "raw_syscalls:sys_enter" in r.stderr and "not" not in r.stderr
