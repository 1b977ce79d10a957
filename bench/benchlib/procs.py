"""Processes and /proc readings shared by the benchmark scripts (standard library only)."""

import os
import platform
import resource
import signal
import socket
import statistics
import subprocess
import time

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # bench/
REPO = os.path.dirname(HERE)
# --pin LAYOUT: the CPUs of the load generator (redis-benchmark), of the backends behind the
# proxies, and of the target measured (each proxy, the direct redis-server).
#   servers: the load generator on one CPU, every server on the other;
#   target:  the target alone on one CPU (a proxy with a core of its own), the load
#            generator and the backends on the other.
LAYOUTS = {
    "servers": {"client": {0}, "backends": {1}, "targets": {1}},
    "target": {"client": {0}, "backends": {0}, "targets": {1}},
}


def layout_cpus(layout, role):
    """The CPUs of `role` ("client", "backends", "targets") under --pin `layout`, or None."""
    return LAYOUTS[layout][role] if layout else None


def log(msg):
    print(msg, flush=True)


def pin_to(cpus):
    """A preexec_fn that sets the child's CPU affinity before it execs (so threads it starts
    inherit it), or None for no pinning."""
    if not cpus:
        return None
    return lambda: os.sched_setaffinity(0, cpus)


class Procs:
    """Processes started by this script; all are stopped by stop_all()."""

    def __init__(self, cpus=None):
        self.items = []  # (name, Popen)
        self.cpus = cpus  # CPU affinity of everything started here (None: unpinned)

    def start(self, name, argv, logpath, cwd=None, cpus=None):
        """Starts argv with its output in logpath, on `cpus` (default: this Procs' CPUs)."""
        f = open(logpath, "ab")
        p = subprocess.Popen(argv, stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                             cwd=cwd, start_new_session=True,
                             preexec_fn=pin_to(cpus if cpus is not None else self.cpus))
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


def raise_nofile(want):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    new_soft = hard if hard != resource.RLIM_INFINITY else max(soft, want)
    if new_soft > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (new_soft, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def schedstat(pid):
    """(CPU the task last ran on, ns it has run), or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            cpu = int(f.read().rsplit(")", 1)[1].split()[36])
        with open(f"/proc/{pid}/schedstat") as f:
            return cpu, int(f.read().split()[0])
    except (OSError, IndexError, ValueError):
        return None


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
