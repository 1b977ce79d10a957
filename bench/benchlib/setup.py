"""The benchmark's processes: 3 redis-server backends, nutcracker and one or more ringproxy
instances over them with the same ring, and one redis-server as the "direct" baseline."""

import os
import shutil
import types

from benchlib.procs import free_port, layout_cpus, log, resp_command, wait_listening


def setup_args_for(binary, ringproxy_args):
    """What Setup needs, for the scripts that reuse it without this one's options."""
    return types.SimpleNamespace(
        redis_server=shutil.which("redis-server") or "redis-server",
        nutcracker=shutil.which("nutcracker") or "/usr/sbin/nutcracker",
        ringproxy=binary, idle_conns=0, ringproxy_arg=list(ringproxy_args))


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
        self.ringproxies = []  # target names of the ringproxy instances

    def cpus(self, role):
        return layout_cpus(getattr(self.args, "pin", None), role)

    def start_redis(self, name, role="backends"):
        for attempt in range(5):
            port = free_port()
            p = self.procs.start(name, [
                self.args.redis_server, "--port", str(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--protected-mode", "yes",
                "--daemonize", "no", "--dir", self.workdir, "--logfile", "",
                "--maxclients", "20000",
            ], os.path.join(self.workdir, f"{name}.log"), cpus=self.cpus(role))
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
            ], os.path.join(self.workdir, "nutcracker.stdout"), cpus=self.cpus("targets"))
            try:
                wait_listening(port, p, "nutcracker")
                return port, p
            except RuntimeError as e:
                log(f"  nutcracker: {e}; retrying on other ports")
                self.procs.stop(p)
        raise RuntimeError("could not start nutcracker")

    def start_ringproxy(self, name="ringproxy", binary=None, extra_args=()):
        argv_b = []
        for bp in self.backend_ports:
            argv_b += ["--backend", f"127.0.0.1:{bp}:1"]
        for attempt in range(5):
            port = free_port()
            p = self.procs.start(name, [
                binary or self.args.ringproxy, "--listen", f"127.0.0.1:{port}",
                "--hash", "fnv1a_64", "--distribution", "ketama",
                "--max-clients", str(max(10000, self.args.idle_conns + 1000)),
                "--log-level", "warn",
            ] + list(extra_args) + argv_b, os.path.join(self.workdir, f"{name}.log"),
                cpus=self.cpus("targets"))
            try:
                wait_listening(port, p, name)
                return port, p
            except RuntimeError as e:
                log(f"  {name}: {e}; retrying on another port")
                self.procs.stop(p)
        raise RuntimeError(f"could not start {name}")

    def start(self, with_direct=True, with_twemproxy=True):
        for i in range(3):
            port, p = self.start_redis(f"backend{i + 1}")
            self.backend_ports.append(port)
            self.backend_pids.append(p.pid)
        # "ringproxy" (--ringproxy, --ringproxy-arg), then each --variant: NAME, BINARY, ARGS.
        for name, binary, extra in [("ringproxy", None, self.args.ringproxy_arg)] + list(
                getattr(self.args, "variants", [])):
            port, p = self.start_ringproxy(name, binary, extra)
            self.ports[name], self.pids[name], self.popen[name] = port, p.pid, p
            self.ringproxies.append(name)
        if with_twemproxy:
            port, p = self.start_nutcracker()
            self.ports["twemproxy"], self.pids["twemproxy"], self.popen["twemproxy"] = port, p.pid, p
        if with_direct:
            port, p = self.start_redis("direct", role="targets")
            self.ports["direct"], self.pids["direct"], self.popen["direct"] = port, p.pid, p
        # Routing sanity check: both proxies must put a key on the same backend.
        for k in ("foo", "bar", "user:1", "user:10", "key:000000012345"):
            for t in self.proxies():
                r = resp_command(self.ports[t], "SET", k, t)
                if not r.startswith(b"+OK"):
                    raise RuntimeError(f"SET through {t} failed: {r!r}")
            holders = [bp for bp in self.backend_ports if resp_command(bp, "EXISTS", k).startswith(b":1")]
            if len(holders) != 1:
                raise RuntimeError(f"key {k!r} is on {len(holders)} backends: the two rings differ")
        for bp in self.backend_ports:
            resp_command(bp, "FLUSHALL")

    def proxies(self):
        """Every proxy target started: the ringproxy instances, then twemproxy."""
        return self.ringproxies + [t for t in ("twemproxy",) if t in self.ports]

    def check_alive(self):
        for t, p in self.popen.items():
            if p.poll() is not None:
                raise RuntimeError(f"{t} died (exit status {p.returncode}); logs in {self.workdir}")
