#!/usr/bin/python3
"""Time for a fleet of two proxies to converge after an etcd membership change.

Starts a throwaway single-member etcd (temp data dir), three redis-servers and
two ringproxy processes with --etcd and no --backend, all on free loopback
ports. PROXY WHERE, pipelined for 200 probe keys, says which backend each key
routes to on each proxy (a read of the data would not do: a backend that gets
ranges back answers them as misses until its stale copies are cleaned). Each
trial puts (or deletes) the third backend's member key with one HTTP call to
etcd's JSON gateway and polls both proxies until each routes every probe key
as the new ring says; the time from the put's start to the moment both do is
the convergence time.

    bench/etcd_converge.py                     # build/ringproxy, 20 trials
    bench/etcd_converge.py --ringproxy PATH --trials 50 --tmpdir /dev/shm

Trials alternate add and remove. Each add names a redis-server that was never
a member (the member key is the same, so the placement is too): a backend that
was a member before goes through the rejoin policy (--rise good probes, then a
flush) before it takes keys, which is not the fleet's convergence;
--same-backend re-adds the same one every time and so measures that too. The
new ring's routing is what both proxies agree on once they have settled (read
after the trial), so the script needs no copy of the placement code.
"""

import argparse
import base64
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

from benchlib.procs import Procs, default_ringproxy, free_port, log, wait_listening

PREFIX = "/ringproxy/bench/backends/"
KEYS = [f"probe:{i}" for i in range(200)]


def b64(s):
    return base64.b64encode(s.encode()).decode()


def etcd_call(url, path, body):
    req = urllib.request.Request(url + path, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    return json.loads(urllib.request.urlopen(req, timeout=5).read())


def encode(*args):
    payload = b"*%d\r\n" % len(args)
    for a in args:
        a = a.encode() if isinstance(a, str) else a
        payload += b"$%d\r\n%s\r\n" % (len(a), a)
    return payload


def read_reply(f):
    line = f.readline()
    kind, rest = line[:1], line[1:-2]
    if kind == b"*":
        return [read_reply(f) for _ in range(int(rest))]
    if kind == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)[:-2]
        return data.decode()
    if kind == b"-":
        return "ERR"
    return rest.decode()


def connect(port):
    import socket
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return (s, s.makefile("rb"))


WHERE = b"".join(encode("PROXY", "WHERE", k) for k in KEYS)


def routes(conn):
    """Each probe key's owner (host:port) on this proxy, in KEYS order."""
    sock, f = conn
    try:
        sock.sendall(WHERE)
        out = []
        for _ in KEYS:
            line = read_reply(f)
            out.append(next(w for w in line.split() if w.startswith("owner=")))
        return tuple(out)
    except (OSError, ValueError, StopIteration):
        return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ringproxy", default=default_ringproxy())
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--tmpdir", default=None, help="where etcd's data dir goes (default $TMPDIR)")
    ap.add_argument("--same-backend", action="store_true",
                    help="re-add the same backend every time (it goes through the rejoin policy)")
    args = ap.parse_args()
    if not args.ringproxy:
        sys.exit("no ringproxy binary; build first (scripts/build.sh)")
    work = tempfile.mkdtemp(prefix="ringproxy-bench-converge-", dir=args.tmpdir)
    procs = Procs()
    try:
        client, peer = free_port(), free_port()
        url, peer_url = f"http://127.0.0.1:{client}", f"http://127.0.0.1:{peer}"
        etcd = procs.start("etcd", [
            "etcd", "--name=bench", f"--data-dir={work}/etcd", f"--listen-client-urls={url}",
            f"--advertise-client-urls={url}", f"--listen-peer-urls={peer_url}",
            f"--initial-advertise-peer-urls={peer_url}", f"--initial-cluster=bench={peer_url}"],
            f"{work}/etcd.log")
        wait_listening(client, etcd, "etcd", timeout=20)
        redis = []
        adds = (args.trials + 1) // 2
        for i in range(3 if args.same_backend else 2 + adds):
            port = free_port()
            p = procs.start(f"redis{i}", ["redis-server", "--port", str(port), "--bind",
                                          "127.0.0.1", "--save", "", "--appendonly", "no"],
                            f"{work}/redis{i}.log")
            wait_listening(port, p, "redis-server")
            redis.append(port)
        for i in range(2):
            etcd_call(url, "/v3/kv/put", {"key": b64(f"{PREFIX}r{i}"),
                                          "value": b64(f"127.0.0.1:{redis[i]}")})
        proxies = []
        for i in range(2):
            port = free_port()
            p = procs.start(f"proxy{i}", [args.ringproxy, "--listen", f"127.0.0.1:{port}",
                                          "--etcd", url, "--pool-name", "bench"],
                            f"{work}/proxy{i}.log")
            wait_listening(port, p, "ringproxy")
            proxies.append(connect(port))

        times = {"add": [], "remove": []}
        put_ms = []
        poll_ms = []
        for t in range(args.trials):
            kind = "add" if t % 2 == 0 else "remove"
            before = [routes(c) for c in proxies]
            assert before[0] == before[1], "proxies disagree before the change"
            start = time.perf_counter()
            if kind == "add":
                third = redis[2] if args.same_backend else redis[2 + t // 2]
                etcd_call(url, "/v3/kv/put", {"key": b64(f"{PREFIX}r2"),
                                              "value": b64(f"127.0.0.1:{third}")})
            else:
                etcd_call(url, "/v3/kv/deleterange", {"key": b64(f"{PREFIX}r2")})
            put_ms.append((time.perf_counter() - start) * 1000.0)
            polls = 0
            seen = [[] for _ in proxies]  # (time, routes) whenever a proxy's routing changed
            last = list(before)
            while time.perf_counter() - start < 3.0:
                polls += 1
                for i, c in enumerate(proxies):
                    r = routes(c)
                    if r != last[i]:
                        seen[i].append((time.perf_counter() - start, r))
                        last[i] = r
            poll_ms.append(3000.0 / polls)
            final = [routes(c) for c in proxies]
            assert final[0] == final[1] and final[0] != before[0], "no convergence within 3 s"
            # When each proxy first routed as the settled ring does.
            reached = [next(ts for ts, r in s if r == final[0]) for s in seen]
            times[kind].append(max(reached) * 1000.0)
        for kind, xs in times.items():
            xs.sort()
            log(f"{kind:6s} n={len(xs)} median {statistics.median(xs):.1f} ms  "
                f"p90 {xs[max(0, math.ceil(len(xs) * 0.9) - 1)]:.1f} ms  max {xs[-1]:.1f} ms")
        log(f"etcd put/delete round trip median {statistics.median(put_ms):.1f} ms; "
            f"one poll of both proxies median {statistics.median(poll_ms):.2f} ms")
    finally:
        procs.stop_all()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
