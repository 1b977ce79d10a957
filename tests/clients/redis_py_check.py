#!/usr/bin/python3
"""redis-py (Debian python3-redis 4.3.x), used unchanged, against ringproxy.

Usage: /usr/bin/python3 redis_py_check.py PORT

Run by tests/integration/clients_test.cpp against a proxy over 3 backends
with --hash-tag {}. Prints "ok <check>" per passing check, then
"redis-py: all checks passed"; on the first mismatch prints "FAIL <check>: ..."
to stderr and exits 1. Every socket operation has a timeout.
"""
import sys
import time

import redis

HOST = "127.0.0.1"
TIMEOUT = 10  # seconds, per socket operation


class Mismatch(Exception):
    pass


def expect(what, got, want):
    if got != want:
        raise Mismatch(f"{what}: got {got!r}, want {want!r}")


def expect_true(what, cond, detail=""):
    if not cond:
        raise Mismatch(f"{what}: {detail}" if detail else what)


def connect(port, **kwargs):
    return redis.Redis(
        host=HOST,
        port=port,
        socket_timeout=TIMEOUT,
        socket_connect_timeout=TIMEOUT,
        **kwargs,
    )


def check_basic(port):
    r = connect(port)
    # Counters start from scratch, so that a rerun on the same backends passes.
    r.delete("py:counter", "py:pipe:counter", "{py:order}:items", "{py:order}:h")
    expect("set", r.set("py:basic", "v1"), True)
    expect("get", r.get("py:basic"), b"v1")
    expect("get missing", r.get("py:missing"), None)
    # redis-py sends incr as INCRBY k 1 and decr as DECRBY k 1.
    expect("incr", r.incr("py:counter"), 1)
    expect("incr by 5", r.incr("py:counter", 5), 6)
    expect("decr", r.decr("py:counter"), 5)
    expect("set ex", r.set("py:ttl", "x", ex=100), True)
    ttl = r.ttl("py:ttl")
    expect_true("ttl", 0 < ttl <= 100, f"ttl={ttl}")
    r.close()


def check_handshake(port):
    # client_name + health_check_interval: PING, then CLIENT SETNAME, on every
    # new connection; then a PING before a command once the interval passed.
    r = connect(port, client_name="ringproxy-compat", health_check_interval=1,
                decode_responses=True)
    expect("set", r.set("py:hs", "1"), True)
    expect("client getname", r.client_getname(), "ringproxy-compat")
    time.sleep(1.2)  # next command is preceded by a health-check PING
    expect("get after health check", r.get("py:hs"), "1")
    r.close()


def check_pipeline_plain(port):
    r = connect(port, decode_responses=True)
    n = 500
    p = r.pipeline(transaction=False)
    for i in range(n):
        p.set(f"py:pipe:{i}", str(i))
    for i in range(n):
        p.get(f"py:pipe:{i}")
    p.incr("py:pipe:counter")
    p.ping()
    res = p.execute()
    expect("pipeline reply count", len(res), 2 * n + 2)
    expect("pipeline SET replies", res[:n], [True] * n)
    expect("pipeline GET replies", res[n:2 * n], [str(i) for i in range(n)])
    expect("pipeline INCR reply", res[2 * n], 1)
    expect("pipeline PING reply", res[2 * n + 1], True)
    r.close()


def check_pipeline_transaction(port):
    r = connect(port, decode_responses=True)
    p = r.pipeline()  # transaction=True: MULTI ... EXEC
    p.set("{py:order}:status", "new")
    p.incr("{py:order}:items")
    p.incr("{py:order}:items", 2)
    p.hset("{py:order}:h", mapping={"a": "1", "b": "2"})
    p.get("{py:order}:status")
    res = p.execute()
    expect("MULTI/EXEC results", res, [True, 1, 3, 2, "new"])
    expect("after EXEC", r.hgetall("{py:order}:h"), {"a": "1", "b": "2"})
    r.close()


def check_scan_iter(port):
    r = connect(port, decode_responses=True)
    keys = {f"py:scan:{i}" for i in range(300)}
    p = r.pipeline(transaction=False)
    for k in keys:
        p.set(k, "x")
    p.execute()
    seen = list(r.scan_iter(match="py:scan:*", count=25))
    expect("scan_iter returned each key once", len(seen), len(set(seen)))
    expect_true("scan_iter returned exactly the keys",
                set(seen) == keys,
                f"missing {sorted(keys - set(seen))[:5]}, extra {sorted(set(seen) - keys)[:5]}")
    everything = list(r.scan_iter(count=100))
    expect("unfiltered scan_iter each key once", len(everything), len(set(everything)))
    expect("unfiltered scan_iter == dbsize", len(everything), r.dbsize())
    r.close()


def check_multikey(port):
    r = connect(port, decode_responses=True)
    mapping = {f"py:mk:{i}": f"v{i}" for i in range(60)}
    names = list(mapping)
    expect("mset", r.mset(mapping), True)
    expect("mget", r.mget(names + ["py:mk:absent"]),
           [mapping[k] for k in names] + [None])
    expect("exists (multi-key)", r.exists(*names, "py:mk:absent"), len(names))
    expect("delete (multi-key)", r.delete(*names[:40], "py:mk:absent"), 40)
    expect("exists after delete", r.exists(*names), 20)
    expect("mget after delete", r.mget(names),
           [None] * 40 + [mapping[k] for k in names[40:]])
    r.close()


def check_lock(port):
    r = connect(port)
    lock = r.lock("py:lock:resource", timeout=10, blocking_timeout=5)
    expect("lock acquire (SET NX PX)", lock.acquire(), True)
    other = r.lock("py:lock:resource", timeout=10)
    expect("second lock, non-blocking", other.acquire(blocking=False), False)
    # extend() and release() run Lua scripts: EVALSHA, NOSCRIPT on a fresh
    # backend, SCRIPT LOAD (fanned out to every backend), EVALSHA again.
    expect("lock extend (EVALSHA)", lock.extend(5), True)
    lock.release()
    expect("lock key gone after release", r.exists("py:lock:resource"), 0)
    expect("lock re-acquire", other.acquire(blocking=False), True)
    other.release()
    print(f"lock-release-sha {lock.lua_release.sha}")
    print(f"lock-extend-sha {lock.lua_extend.sha}")
    r.close()


def check_info(port):
    r = connect(port)
    info = r.info()
    expect_true("info() is a dict", isinstance(info, dict), repr(info)[:200])
    expect_true("info has redis_version", "redis_version" in info, sorted(info)[:20])
    expect("info loading", info.get("loading"), 0)
    server = r.info("server")
    expect_true("info('server') has redis_version", "redis_version" in server)
    r.close()


def check_ping(port):
    r = connect(port)
    expect("ping", r.ping(), True)
    expect("echo", r.echo("hello"), b"hello")
    r.close()


CHECKS = [
    ("basic", check_basic),
    ("handshake", check_handshake),
    ("pipeline", check_pipeline_plain),
    ("transaction", check_pipeline_transaction),
    ("scan_iter", check_scan_iter),
    ("multikey", check_multikey),
    ("lock", check_lock),
    ("info", check_info),
    ("ping", check_ping),
]


def main():
    if len(sys.argv) != 2:
        print("usage: redis_py_check.py PORT", file=sys.stderr)
        return 2
    port = int(sys.argv[1])
    print(f"redis-py {redis.__version__}")
    for name, fn in CHECKS:
        try:
            fn(port)
        except Mismatch as e:
            print(f"FAIL {name}: {e}", file=sys.stderr)
            return 1
        except redis.RedisError as e:
            print(f"FAIL {name}: {type(e).__name__}: {e}", file=sys.stderr)
            return 1
        print(f"ok {name}", flush=True)
    print("redis-py: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
