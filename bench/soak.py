#!/usr/bin/python3
"""Soak: mixed verified traffic through ringproxy while backends are killed and stopped.

Starts 3 redis-servers and ringproxy over them (default options) on free loopback ports,
then for --minutes runs --clients client processes that each own their keys, so every
value read is checked against what that client wrote: SET, GET, MGET, DEL, MSET and
pipelines of them, over connections that open and close all the time (a session of a
few dozen to a few hundred operations, then a pause). Meanwhile, every minute one
backend is killed with SIGKILL and restarted empty on its port --down-seconds later, and
half a minute after each kill another backend is SIGSTOPped for --stop-seconds.

A read may be a miss (a killed backend lost its data; writes made elsewhere meanwhile
are flushed at rejoin), but never a value other than the last one written: a write whose
outcome is unknown (an error or a timeout) makes both the old and the new value
acceptable until the next acknowledged write. Anything else is a wrong answer.

Reports wrong answers (the soak fails on any), misses, error replies and connection
failures by kind, and the proxy's RSS over time with its slope after the warm-up; the
soak also fails when RSS grows after the warm-up (faster than --rss-slope-mb, or by more
than --rss-growth-mb over the measured part; see rss_verdict()), when the proxy dies, or
when no operation succeeds.

    bench/soak.py --minutes 2                       # build/ringproxy
    bench/soak.py --minutes 60 --ringproxy build/ringproxy --csv soak-rss.csv

127.0.0.1 only; needs redis-server and Debian's python3-redis (/usr/bin/python3).
"""

import argparse
import collections
import multiprocessing as mp
import os
import random
import re
import signal
import socket
import sys
import tempfile
import time

import redis

from benchlib.procs import REPO, Procs, log, proc_status, wait_listening

BACKENDS = 3


# --------------------------------------------------------------------------------------------
# Processes


def free_port():
    """A free loopback port below the kernel's ephemeral range, so that no outgoing
    connection (the proxy's reconnects, clients) can hold it when a killed backend is
    restarted on it."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low = int(f.read().split()[0])
    except OSError:
        low = 32768
    rng = random.Random()
    for _ in range(200):
        port = rng.randrange(10000, max(10001, low))
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise RuntimeError("no free port")


class Cluster:
    def __init__(self, args, workdir):
        self.args = args
        self.workdir = workdir
        self.procs = Procs()
        self.backends = []  # [port, Popen]
        self.proxy = None
        self.proxy_port = None

    def start_redis(self, index, port=None, timeout=15.0):
        """Starts backend `index` (on `port`, retried until `timeout` when given)."""
        deadline = time.time() + timeout
        while True:
            p_port = port or free_port()
            p = self.procs.start(f"backend{index}", [
                "redis-server", "--port", str(p_port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--daemonize", "no", "--dir", self.workdir,
                "--logfile", "", "--maxclients", "10000",
            ], os.path.join(self.workdir, f"backend{index}.log"))
            try:
                wait_listening(p_port, p, f"backend{index}")
                return p_port, p
            except RuntimeError as e:
                self.procs.stop(p)
                if time.time() > deadline:
                    raise RuntimeError(f"backend{index}: {e}")
                time.sleep(0.2)

    def start(self):
        for i in range(BACKENDS):
            self.backends.append(list(self.start_redis(i)))
        for _ in range(5):
            port = free_port()
            argv = [self.args.ringproxy, "--listen", f"127.0.0.1:{port}", "--log-level", "info"]
            for bport, _ in self.backends:
                argv += ["--backend", f"127.0.0.1:{bport}:1"]
            p = self.procs.start("ringproxy", argv + self.args.ringproxy_arg,
                                 os.path.join(self.workdir, "ringproxy.log"))
            try:
                wait_listening(port, p, "ringproxy")
                self.proxy, self.proxy_port = p, port
                return
            except RuntimeError as e:
                log(f"  ringproxy: {e}; retrying on another port")
                self.procs.stop(p)
        raise RuntimeError("could not start ringproxy")

    def kill9(self, i):
        port, p = self.backends[i]
        Procs.signal_group(p, signal.SIGKILL)
        p.wait()

    def restart(self, i):
        port, _ = self.backends[i]
        self.backends[i][1] = self.start_redis(i, port)[1]

    def signal(self, i, sig):
        Procs.signal_group(self.backends[i][1], sig)

    def stop(self):
        for _, p in self.backends:
            Procs.signal_group(p, signal.SIGCONT)
        self.procs.stop_all()


# --------------------------------------------------------------------------------------------
# Clients


def error_kind(exc):
    """A short, stable name for an error: digits and addresses blanked."""
    if isinstance(exc, redis.exceptions.TimeoutError):
        return "timeout (client)"
    if isinstance(exc, redis.exceptions.ConnectionError):
        text = "connection: " + str(exc)
    else:
        text = str(exc)
    text = re.sub(r"\d+\.\d+\.\d+\.\d+:\d+", "ADDR", text)
    text = re.sub(r"\d+", "N", text)
    return text[:90]


class Verifier:
    """What one client may read back: for each of its keys, the acceptable values."""

    def __init__(self, cid, keys):
        self.cid = cid
        self.acceptable = {k: {None} for k in keys}
        self.stats = collections.Counter()
        self.errors = collections.Counter()
        self.examples = []

    def wrote(self, key, value, ok):
        if ok:
            self.acceptable[key] = {value}
            self.stats["writes"] += 1
        else:
            self.acceptable[key].add(value)  # applied or not: unknown
            self.stats["writes_unknown"] += 1

    def read(self, key, got):
        self.stats["reads"] += 1
        ok_values = self.acceptable[key]
        if got is None:
            self.stats["misses" if None not in ok_values else "hits_nil"] += 1
        elif got in ok_values:
            self.stats["hits"] += 1
        else:
            self.stats["wrong"] += 1
            if len(self.examples) < 10:
                shown = sorted(repr(v)[:60] for v in ok_values)
                self.examples.append(f"key {key!r}: got {got!r:.80} expected one of {shown}")

    def error(self, exc):
        self.errors[error_kind(exc)] += 1


def client_main(cid, port, stop_at, rate, keys_per_client, seed, out):
    rng = random.Random(seed)
    keys = [f"soak:{cid}:{i}".encode() for i in range(keys_per_client)]
    v = Verifier(cid, keys)
    seq = 0

    def new_value(key):
        nonlocal seq
        seq += 1
        return key + b":%d:" % seq + b"v" * rng.randrange(0, 300)

    pace = 1.0 / rate
    next_op = time.time()
    try:
        while time.time() < stop_at:
            r = redis.Redis(host="127.0.0.1", port=port, socket_timeout=15,
                            socket_connect_timeout=5)
            try:
                for _ in range(rng.randrange(20, 400)):
                    if time.time() >= stop_at:
                        break
                    next_op += pace
                    delay = next_op - time.time()
                    if delay > 0:
                        time.sleep(delay)
                    else:
                        next_op = time.time()
                    broken = one_op(r, rng, keys, v, new_value)
                    v.stats["ops"] += 1
                    if broken:
                        break  # a new connection, as an application's pool would
            finally:
                r.close()
            v.stats["sessions"] += 1
            time.sleep(rng.random() * 0.5)  # gone for a moment
    except Exception as e:  # a bug in this script: report it, do not hide it
        v.errors["soak client crashed: " + repr(e)[:80]] += 1
        v.stats["crashed"] += 1
    out.put((cid, dict(v.stats), dict(v.errors), v.examples))


def one_op(r, rng, keys, v, new_value):
    """One operation; True when the connection failed."""
    roll = rng.random()
    try:
        if roll < 0.40:
            k = rng.choice(keys)
            v.read(k, r.get(k))
        elif roll < 0.65:
            k = rng.choice(keys)
            val = new_value(k)
            try:
                ok = r.set(k, val)
            except Exception:
                v.wrote(k, val, False)
                raise
            v.wrote(k, val, ok is True)
        elif roll < 0.77:
            ks = rng.sample(keys, rng.randrange(2, 6))
            for k, got in zip(ks, r.mget(ks)):
                v.read(k, got)
        elif roll < 0.82:
            k = rng.choice(keys)
            try:
                r.delete(k)
            except Exception:
                v.wrote(k, None, False)
                raise
            v.wrote(k, None, True)
        elif roll < 0.87:
            ks = rng.sample(keys, rng.randrange(2, 5))
            vals = {k: new_value(k) for k in ks}
            try:
                ok = r.mset(vals)
            except Exception:
                for k, val in vals.items():
                    v.wrote(k, val, False)
                raise
            for k, val in vals.items():
                v.wrote(k, val, ok is True)
        else:
            pipeline(r, rng, keys, v, new_value)
        return False
    except redis.exceptions.ResponseError as e:
        v.error(e)
        return False
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as e:
        v.error(e)
        return True


def pipeline(r, rng, keys, v, new_value):
    p = r.pipeline(transaction=False)
    plan = []
    for _ in range(rng.randrange(2, 12)):
        k = rng.choice(keys)
        if rng.random() < 0.5:
            val = new_value(k)
            p.set(k, val)
            plan.append(("set", k, val))
        else:
            p.get(k)
            plan.append(("get", k, None))
    try:
        results = p.execute(raise_on_error=False)
    except Exception:
        for kind, k, val in plan:
            if kind == "set":
                v.wrote(k, val, False)
        raise
    # Replies arrive in order, so a read sees the writes before it in the pipeline.
    for (kind, k, val), res in zip(plan, results):
        if isinstance(res, Exception):
            v.error(res)
            if kind == "set":
                v.wrote(k, val, False)
        elif kind == "set":
            v.wrote(k, val, res is True)
        else:
            v.read(k, res)


# --------------------------------------------------------------------------------------------
# RSS


def slope_per_minute(samples):
    """Least-squares slope of (seconds, MiB) samples, in MiB per minute."""
    n = len(samples)
    if n < 2:
        return 0.0
    mx = sum(t for t, _ in samples) / n
    my = sum(m for _, m in samples) / n
    sxx = sum((t - mx) ** 2 for t, _ in samples)
    if sxx == 0:
        return 0.0
    return 60.0 * sum((t - mx) * (m - my) for t, m in samples) / sxx


def rss_verdict(samples, warmup_s, slope_limit, growth_limit):
    """(measured samples, slope MiB/min, growth MiB, ok).

    Growth is the slope times the measured span: what a steady leak adds over the run.
    The least-squares line, rather than last minus first, keeps a single spike (a
    backend's rejoin, a burst of buffered replies) from failing or passing the run.
    Two limits, because runs differ in length: the slope limit catches a fast leak in a
    short run (1 MiB/min is about 50 bytes per request at the soak's default load), the
    growth limit a slow one in a long run (4 MiB is what one 100-byte object per error
    reply, at the soak's error rate, adds in about 45 minutes). After the warm-up a
    sound proxy stays far below both (bench/README.md#soak)."""
    measured = [(t, m) for t, m in samples if t >= warmup_s]
    slope = slope_per_minute(measured)
    span_min = (measured[-1][0] - measured[0][0]) / 60.0 if len(measured) > 1 else 0.0
    growth = slope * span_min
    return measured, slope, growth, slope <= slope_limit and growth <= growth_limit


# --------------------------------------------------------------------------------------------


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=2.0)
    ap.add_argument("--ringproxy", default=os.path.join(REPO, "build", "ringproxy"))
    ap.add_argument("--ringproxy-arg", action="append", default=[], metavar="ARG",
                    help="extra ringproxy option (repeat; use --ringproxy-arg=--opt)")
    ap.add_argument("--clients", type=int, default=6, help="client processes")
    ap.add_argument("--rate", type=float, default=150.0, help="operations/s per client")
    ap.add_argument("--keys", type=int, default=200, help="keys per client")
    ap.add_argument("--down-seconds", type=float, default=5.0,
                    help="how long a killed backend stays down")
    ap.add_argument("--stop-seconds", type=float, default=4.0,
                    help="how long a backend stays SIGSTOPped")
    ap.add_argument("--warmup", type=float, default=None,
                    help="seconds before RSS is measured (default: 60 s, or 20%% of a run "
                         "longer than 5 minutes, at most 5 minutes)")
    ap.add_argument("--rss-slope-mb", type=float, default=1.0,
                    help="steepest RSS slope after the warm-up that passes, MiB per minute")
    ap.add_argument("--rss-growth-mb", type=float, default=4.0,
                    help="most RSS growth after the warm-up that passes (MiB, slope times "
                         "the measured span)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--csv", default=None, help="write the RSS samples (seconds,MiB) here")
    args = ap.parse_args()
    if not os.access(args.ringproxy, os.X_OK):
        ap.error(f"no ringproxy binary at {args.ringproxy}: build it or pass --ringproxy")
    duration = args.minutes * 60.0
    warmup = args.warmup
    if warmup is None:
        warmup = min(300.0, max(60.0, 0.2 * duration))
    warmup = min(warmup, duration / 2)

    workdir = tempfile.mkdtemp(prefix="ringproxy-soak-")
    cluster = Cluster(args, workdir)
    out = mp.Queue()
    clients = []
    samples = []
    events = []
    verdicts = []
    stopped = {"flag": False}

    def on_signal(signum, frame):
        stopped["flag"] = True
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    try:
        cluster.start()
        log(f"soak: {args.minutes:g} min, {args.clients} clients x {args.rate:g} ops/s, "
            f"proxy on 127.0.0.1:{cluster.proxy_port} (pid {cluster.proxy.pid}), "
            f"backends {[p for p, _ in cluster.backends]}, logs in {workdir}")
        start = time.time()
        stop_at = start + duration
        for cid in range(args.clients):
            c = mp.Process(target=client_main, daemon=True, args=(
                cid, cluster.proxy_port, stop_at, args.rate, args.keys,
                args.seed * 1000 + cid, out))
            c.start()
            clients.append(c)

        # The schedule: in minute k, kill backend k%3 at 20 s (restart after
        # --down-seconds) and SIGSTOP backend (k+1)%3 at 45 s.
        schedule = []
        for k in range(int(duration // 60) + 1):
            t0 = 60.0 * k
            victim, sleeper = k % BACKENDS, (k + 1) % BACKENDS
            schedule += [(t0 + 20, "kill", victim), (t0 + 20 + args.down_seconds, "restart", victim),
                         (t0 + 45, "stop", sleeper),
                         (t0 + 45 + args.stop_seconds, "cont", sleeper)]
        schedule = [e for e in sorted(schedule) if e[0] < duration - 5]
        next_sample = 0.0
        while not stopped["flag"]:
            now = time.time() - start
            if now >= duration:
                break
            if cluster.proxy.poll() is not None:
                verdicts.append(f"the proxy exited with status {cluster.proxy.returncode}")
                break
            while schedule and schedule[0][0] <= now:
                _, what, i = schedule.pop(0)
                if what == "kill":
                    cluster.kill9(i)
                elif what == "restart":
                    cluster.restart(i)
                elif what == "stop":
                    cluster.signal(i, signal.SIGSTOP)
                else:
                    cluster.signal(i, signal.SIGCONT)
                events.append((now, what, i))
                log(f"  {now:6.1f}s  {what} backend{i}")
            if now >= next_sample:
                rss = proc_status(cluster.proxy.pid)["VmRSS"] / 1024.0
                samples.append((now, rss))
                next_sample += 2.0
            time.sleep(0.1)

        results = []
        for c in clients:
            c.join(timeout=max(5.0, stop_at - time.time() + 30.0))
        while len(results) < len(clients):
            try:
                results.append(out.get(timeout=5))
            except Exception:
                break
        for c in clients:
            if c.is_alive():
                c.kill()
        if len(results) < len(clients):
            verdicts.append(f"only {len(results)} of {len(clients)} clients reported")
        if cluster.proxy.poll() is not None and not any("proxy" in v for v in verdicts):
            verdicts.append(f"the proxy exited with status {cluster.proxy.returncode}")
    finally:
        cluster.stop()

    # Report
    stats = collections.Counter()
    errors = collections.Counter()
    examples = []
    for cid, st, er, ex in sorted(results):
        stats.update(st)
        errors.update(er)
        examples += ex
    elapsed = samples[-1][0] if samples else 0.0
    log("")
    log(f"soak report ({elapsed / 60:.1f} min, {len(events)} backend events)")
    log(f"  operations      {stats['ops']:>10}  ({stats['ops'] / max(elapsed, 1):.0f}/s, "
        f"{stats['sessions']} client sessions)")
    log(f"  reads           {stats['reads']:>10}  hits {stats['hits']}, misses {stats['misses']} "
        f"(a value was expected), nil as expected {stats['hits_nil']}")
    log(f"  writes          {stats['writes']:>10}  acknowledged, {stats['writes_unknown']} with "
        f"unknown outcome")
    log(f"  wrong answers   {stats['wrong']:>10}")
    for e in examples:
        log(f"    {e}")
    log(f"  errors          {sum(errors.values()):>10}")
    for kind, n in errors.most_common():
        log(f"    {n:>8}  {kind}")

    measured, slope, growth, rss_ok = rss_verdict(samples, warmup, args.rss_slope_mb,
                                                  args.rss_growth_mb)
    if samples:
        log(f"  proxy RSS (MiB) start {samples[0][1]:.1f}, max {max(m for _, m in samples):.1f}, "
            f"end {samples[-1][1]:.1f}")
        per_min = collections.OrderedDict()
        for t, m in samples:
            per_min.setdefault(int(t // 60), []).append(m)
        log("    per minute (mean): " + "  ".join(
            f"{k}:{sum(v) / len(v):.1f}" for k, v in per_min.items()))
        log(f"    after {warmup:.0f} s warm-up: slope {slope:+.3f} MiB/min (limit "
            f"{args.rss_slope_mb:g}) over {len(measured)} samples, {growth:+.2f} MiB over the "
            f"measured span (limit {args.rss_growth_mb:g})")
    if args.csv:
        with open(args.csv, "w") as f:
            f.write("seconds,rss_mib\n")
            for t, m in samples:
                f.write(f"{t:.1f},{m:.2f}\n")

    if stats["wrong"]:
        verdicts.append(f"{stats['wrong']} wrong answers")
    if not rss_ok:
        verdicts.append(f"proxy RSS grew after warm-up: {slope:+.2f} MiB/min, {growth:+.1f} MiB "
                        f"(limits {args.rss_slope_mb:g} MiB/min, {args.rss_growth_mb:g} MiB)")
    if stats["crashed"]:
        verdicts.append(f"{stats['crashed']} soak clients crashed (see errors)")
    if stats["hits"] == 0 or stats["writes"] == 0:
        verdicts.append("no successful reads or writes: the soak tested nothing")
    if stopped["flag"]:
        verdicts.append("interrupted")
    if verdicts:
        log("soak: FAILED: " + "; ".join(verdicts) + f" (logs in {workdir})")
        return 1
    log("soak: passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
