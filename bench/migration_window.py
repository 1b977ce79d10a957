#!/usr/bin/python3
"""Hit rate through a 3 -> 4 expansion, with and without the migration window.

For each window length in --windows (seconds; 0 is no window), starts 4 redis-servers and
ringproxy over the first 3 on free loopback ports, fills --keys keys through the proxy, and
runs --clients cache-aside clients: each round reads a pipelined batch of random keys (GET),
writes back every key that missed (SET with a --ttl, as an application refilling its cache
does), and overwrites a few keys (--write-share of the reads). --before seconds into the load the fourth
backend is added with PROXY ADD; the load runs --after seconds more.

Prints, per run, the hit rate per second around the change, the misses the change caused
(compared with the hit rate before it), the window's own counters from INFO, and the proxy's
CPU time per read over the ten seconds after the change. Keys are read uniformly, so without
a window about a quarter of the reads miss right after the change and the rate recovers as
the clients refill the moved keys. With a window, moved keys are read from their previous
backend until they expire there (or are written), so a window at least as long as the
values' TTL lets every moved key move by itself, with no extra miss.

    bench/migration_window.py                          # build/ringproxy, windows 0 and 15
    bench/migration_window.py --windows 0,10,60 --keys 50000

127.0.0.1 only; needs redis-server and Debian's python3-redis (/usr/bin/python3).
"""

import argparse
import os
import random
import sys
import tempfile
import threading
import time

import redis

from benchlib.procs import Procs, default_ringproxy, free_port, log, proc_cpu_seconds, wait_listening


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.per_second = {}  # second since start -> [reads, hits]

    def add(self, second, reads, hits):
        with self.lock:
            row = self.per_second.setdefault(second, [0, 0])
            row[0] += reads
            row[1] += hits


def ttl(rng, mean):
    """A TTL spread around `mean` (so expiries do not come in waves); None: no TTL."""
    return rng.randint(max(1, mean // 2), mean + mean // 2) if mean > 0 else None


def client(port, keys, args, start, stop, tally, seed):
    rng = random.Random(seed)
    r = redis.Redis(host="127.0.0.1", port=port, socket_timeout=10)
    while not stop.is_set():
        batch = [rng.choice(keys) for _ in range(args.batch)]
        p = r.pipeline(transaction=False)
        for k in batch:
            p.get(k)
        values = p.execute()
        hits = sum(v is not None for v in values)
        tally.add(int(time.monotonic() - start), len(batch), hits)
        p = r.pipeline(transaction=False)
        for k, v in zip(batch, values):
            if v is None:
                p.set(k, "value-of-" + k, ex=ttl(rng, args.ttl))
        for _ in range(max(1, int(args.batch * args.write_share))):
            k = rng.choice(keys)
            p.set(k, "value-of-" + k, ex=ttl(rng, args.ttl))
        p.execute()


def info(port):
    text = redis.Redis(host="127.0.0.1", port=port).execute_command("INFO", "all")
    if isinstance(text, dict):
        return text
    out = {}
    for line in text.decode().splitlines() if isinstance(text, bytes) else text.splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            out[k] = v
    return out


def run(args, window_s, workdir):
    procs = Procs()
    try:
        ports = [free_port() for _ in range(4)]
        for i, port in enumerate(ports):
            p = procs.start(f"redis{i}", ["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                                          "--save", "", "--appendonly", "no"],
                            os.path.join(workdir, f"redis{i}.log"))
            wait_listening(port, p, f"redis-server {port}")
        proxy_port = free_port()
        argv = [args.ringproxy, "--listen", f"127.0.0.1:{proxy_port}", "--distribution", "ketama",
                "--migration-window-s", str(window_s)]
        for port in ports[:3]:
            argv += ["--backend", f"127.0.0.1:{port}:1"]
        proxy = procs.start("ringproxy", argv, os.path.join(workdir, f"proxy-{window_s}.log"))
        wait_listening(proxy_port, proxy, "ringproxy")

        keys = [f"mw:{i}" for i in range(args.keys)]
        r = redis.Redis(host="127.0.0.1", port=proxy_port)
        for i in range(0, len(keys), 1000):
            p = r.pipeline(transaction=False)
            for k in keys[i:i + 1000]:
                # Spread the first expiries over one TTL, as in a cache that has been running.
                p.set(k, "value-of-" + k, ex=random.randint(1, args.ttl) if args.ttl > 0 else None)
            p.execute()

        tally = Tally()
        stop = threading.Event()
        start = time.monotonic()
        threads = [threading.Thread(target=client, args=(proxy_port, keys, args, start, stop, tally, s))
                   for s in range(args.clients)]
        for t in threads:
            t.start()
        time.sleep(args.before)
        change_s = int(time.monotonic() - start)
        cpu0 = proc_cpu_seconds(proxy.pid)
        with tally.lock:
            reads0 = sum(row[0] for row in tally.per_second.values())
        reply = r.execute_command("PROXY", "ADD", f"127.0.0.1:{ports[3]}:1")
        log(f"  window {window_s}s: PROXY ADD at {change_s}s -> {reply}")
        time.sleep(min(args.after, 10))
        cpu1 = proc_cpu_seconds(proxy.pid)
        with tally.lock:
            reads1 = sum(row[0] for row in tally.per_second.values())
        time.sleep(max(0, args.after - 10))
        stop.set()
        for t in threads:
            t.join()
        counters = info(proxy_port)
        # Each read is followed by its refills and writes: about 1 + miss + write_share
        # requests per read; CPU per read is what is compared.
        cpu_us_per_read = (cpu1 - cpu0) * 1e6 / max(1, reads1 - reads0)
        return tally, change_s, counters, cpu_us_per_read
    finally:
        procs.stop_all()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ringproxy", default=default_ringproxy())
    ap.add_argument("--windows", default="0,15", help="window lengths in seconds, comma-separated")
    ap.add_argument("--keys", type=int, default=200000)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--batch", type=int, default=50, help="GETs per pipelined round")
    ap.add_argument("--write-share", type=float, default=0.1, help="overwrites per read")
    ap.add_argument("--ttl", type=int, default=10,
                    help="mean seconds a value lives (SET EX, spread by +-50%%); 0: no TTL")
    ap.add_argument("--before", type=float, default=8)
    ap.add_argument("--after", type=float, default=30)
    args = ap.parse_args()
    if not args.ringproxy:
        sys.exit("no ringproxy binary: build first or pass --ringproxy")

    results = {}
    with tempfile.TemporaryDirectory(prefix="migration-window-") as workdir:
        for w in [int(x) for x in args.windows.split(",")]:
            results[w] = run(args, w, workdir)

    windows = list(results)
    print()
    print("| second from the change | " + " | ".join(f"hit rate, window {w} s" for w in windows) + " |")
    print("|---:|" + "---:|" * len(windows))
    span = range(-2, int(args.after))
    for d in span:
        cells = []
        for w in windows:
            tally, change_s, _, _ = results[w]
            reads, hits = tally.per_second.get(change_s + d, [0, 0])
            cells.append(f"{100.0 * hits / reads:.1f}%" if reads else "-")
        print(f"| {d:+d} | " + " | ".join(cells) + " |")
    print()
    print("| window | reads | hit rate, 5 s before | first 5 s after | rest of the run | "
          "misses caused by the change | window_reads | window_hits | window_invalidations | "
          "proxy CPU µs per read (10 s after) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for w in windows:
        tally, change_s, counters, cpu = results[w]

        def rate(lo, hi):
            rows = [tally.per_second[s] for s in tally.per_second if lo <= s - change_s < hi]
            return sum(h for _, h in rows) / max(1, sum(r for r, _ in rows))

        total = sum(r for r, _ in tally.per_second.values())
        # Only without TTLs is the hit rate before the change a steady baseline to count
        # extra misses against (with TTLs it swings with the expiries).
        extra = "-"
        if args.ttl == 0:
            base = rate(-5, 0)
            after = [tally.per_second[s] for s in tally.per_second if s >= change_s]
            extra = f"{max(0, sum(r * base - h for r, h in after)):.0f}"
        print(f"| {w} s | {total} | {100 * rate(-5, 0):.1f}% | {100 * rate(0, 5):.1f}% | "
              f"{100 * rate(5, 10 ** 6):.1f}% | {extra} | {counters.get('window_reads', '-')} | "
              f"{counters.get('window_hits', '-')} | {counters.get('window_invalidations', '-')} | {cpu:.1f} |")

if __name__ == "__main__":
    main()
