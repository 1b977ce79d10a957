#!/usr/bin/python3
"""etcd client costs: put -> watch callback latency and the client's idle cost.

Starts a throwaway single-member etcd on free loopback ports (temp data dir),
runs build*/bench/etcd_watch_bench against it and stops it.

    bench/etcd_watch.py                          # build-bench/ or build/
    bench/etcd_watch.py --bench PATH --puts 100 --idle-s 10
    bench/etcd_watch.py --tmpdir /dev/shm        # etcd's data on tmpfs: no disk fsync

etcd fsyncs its write-ahead log on every put, so on a disk the put latency is
mostly the disk's; on tmpfs it is mostly the two processes' own work.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

from benchlib.procs import free_port


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    default = next((p for p in (os.path.join(root, d, "bench", "etcd_watch_bench")
                                for d in ("build-bench", "build")) if os.path.exists(p)), None)
    ap.add_argument("--bench", default=default)
    ap.add_argument("--puts", default="100")
    ap.add_argument("--idle-s", default="10")
    ap.add_argument("--tmpdir", default=None, help="where etcd's data dir goes (default $TMPDIR)")
    args = ap.parse_args()
    if not args.bench:
        sys.exit("etcd_watch_bench not found; build with -DRINGPROXY_BENCH=ON")
    client, peer = free_port(), free_port()
    data = tempfile.mkdtemp(prefix="ringproxy-bench-etcd-", dir=args.tmpdir)
    url = f"http://127.0.0.1:{client}"
    peer_url = f"http://127.0.0.1:{peer}"
    etcd = subprocess.Popen(
        ["etcd", "--name=bench", f"--data-dir={data}", f"--listen-client-urls={url}",
         f"--advertise-client-urls={url}", f"--listen-peer-urls={peer_url}",
         f"--initial-advertise-peer-urls={peer_url}", f"--initial-cluster=bench={peer_url}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 20
        while True:
            try:
                if b'"true"' in urllib.request.urlopen(url + "/health", timeout=1).read():
                    break
            except OSError:
                pass
            if time.time() > deadline or etcd.poll() is not None:
                sys.exit("etcd did not become ready")
            time.sleep(0.02)
        subprocess.run([args.bench, "--etcd", url, "--puts", args.puts, "--idle-s", args.idle_s],
                       check=True)
    finally:
        etcd.terminate()
        etcd.wait(10)
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
