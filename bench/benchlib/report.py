"""bench/run_bench.py's results: medians and ratios over the rounds, the CSV files, the tables
of table.txt and the chart."""

import csv
import os
import shutil
import subprocess

from benchlib.procs import HERE, fmt_num, fmt_ratio, log, median, ratio


class Results:
    """The raw rows of a run (one per redis-benchmark test per target per run) and the
    medians over rounds the tables show."""

    def __init__(self, raw, scenarios, latency_run):
        self.raw, self.scenarios, self.latency_run = raw, scenarios, latency_run

    def rows(self, run_id, test, target):
        return [r for r in self.raw if r["run"] == run_id and r["test"] == test and r["target"] == target]

    def med(self, run_id, test, target, field):
        return median([r[field] for r in self.rows(run_id, test, target)])

    def spread(self, run_id, test, target):
        xs = [r["rps"] for r in self.rows(run_id, test, target)]
        return (min(xs), max(xs)) if xs else (None, None)

    def paired(self, run_id, test, a, b):
        """requests/s of a and b in the same run of the same round: [(a, b), ...]."""
        by_round = {}
        for r in self.raw:
            if r["run"] == run_id and r["test"] == test and r["target"] in (a, b):
                by_round.setdefault((r["round"], r["sample"]), {})[r["target"]] = r["rps"]
        return [(v[a], v[b]) for v in by_round.values() if a in v and b in v]

    def won(self, run_id, test, a, b):
        """(runs in which a beat b, runs with both measured), paired by round and, where a
        round runs a test more than once, by run within the round."""
        pairs = self.paired(run_id, test, a, b)
        return sum(x > y for x, y in pairs), len(pairs)

    def summary(self, targets):
        out = []
        for label, run_id, test in self.scenarios:
            row = {"scenario": label}
            for t in targets:
                row[t] = self.med(run_id, test, t, "rps")
                row[f"{t}_min"], row[f"{t}_max"] = self.spread(run_id, test, t)
            row["rp_over_tw"] = ratio(row.get("ringproxy"), row.get("twemproxy"))
            row["rp_won_rounds"], row["paired_rounds"] = self.won(run_id, test, "ringproxy", "twemproxy")
            row["rp_over_direct"] = ratio(row.get("ringproxy"), row.get("direct"))
            row["tw_over_direct"] = ratio(row.get("twemproxy"), row.get("direct"))
            for t in targets:
                row[f"{t}_cpu_us"] = self.med(run_id, test, t, "cpu_us_per_req")
                row[f"{t}_syscalls"] = self.med(run_id, test, t, "syscalls_per_req")
                row[f"{t}_total_cpu_us"] = self.med(run_id, test, t, "total_cpu_us_per_req")
            out.append(row)
        return out

    def latency(self, targets):
        out = []
        for test in ("GET", "SET"):
            for t in targets:
                out.append({"test": f"{test} c10 P1", "target": t,
                            "rps": self.med(self.latency_run[0], test, t, "rps"),
                            "p50_ms": self.med(self.latency_run[0], test, t, "p50_ms"),
                            "p99_ms": self.med(self.latency_run[0], test, t, "p99_ms")})
        return out


def write_csv(out, name, rows, fields=None):
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


RSS_FIELDS = ["target", "connections", "rss_idle_kb", "rss_with_kb", "hwm_kb", "rss_3s_kb",
              "rss_after_close_kb", "kb_per_conn", "open_seconds", "still_serving", "error"]


def main_table(res, summary, rounds, throughput_runs):
    lines = [f"Throughput, requests/s (median of {rounds} round(s); "
             f"redis-benchmark -r 100000; ratio > 1 = ringproxy faster;"]
    repeated = "".join(f"{tests.upper()} {k} runs per round, median of all; "
                       for _, tests, _, _, _, k in throughput_runs if k > 1)
    lines.append(f"{repeated}won = runs in which ringproxy beat twemproxy)")
    hdr = (f"{'scenario':17s} {'ringproxy':>10s} {'twemproxy':>10s} {'direct':>10s} "
           f"{'rp/tw':>6s} {'won':>5s} {'rp/direct':>9s} {'tw/direct':>9s}")
    lines += [hdr, "-" * len(hdr)]
    for r in summary:
        won = f"{r['rp_won_rounds']}/{r['paired_rounds']}"
        lines.append(f"{r['scenario']:17s} {fmt_num(r['ringproxy']):>10s} {fmt_num(r['twemproxy']):>10s} "
                     f"{fmt_num(r['direct']):>10s} {fmt_ratio(r['rp_over_tw']):>6s} {won:>5s} "
                     f"{fmt_ratio(r['rp_over_direct']):>9s} {fmt_ratio(r['tw_over_direct']):>9s}")
    return lines


def instances_table(res, summary, ringproxies):
    """Every ringproxy instance (--variant) side by side, per scenario."""
    lines = ["ringproxy instances side by side (medians over rounds; /tw, /direct: ratio of the",
             "medians; vs ringproxy: median over rounds of the instance's requests/s divided by",
             "the first instance's in the same round; won: rounds ahead of twemproxy; CPU µs and",
             "syscalls: the proxy's, per request of the whole redis-benchmark run)"]
    hdr = (f"{'scenario':17s} {'instance':12s} {'req/s':>9s} {'/tw':>5s} {'won':>5s} {'/direct':>7s} "
           f"{'vs ringproxy':>12s} {'CPU µs':>7s} {'sysc':>6s}")
    lines += [hdr, "-" * len(hdr)]
    for (label, run_id, test), r in zip(res.scenarios, summary):
        if all(r[t] is None for t in ringproxies):
            continue  # not run (--only)
        for i, t in enumerate(ringproxies):
            w, n = res.won(run_id, test, t, "twemproxy")
            rel = median([a / b for a, b in res.paired(run_id, test, t, "ringproxy") if b]) if i else 1.0
            lines.append(f"{label if i == 0 else '':17s} {t:12s} {fmt_num(r[t]):>9s} "
                         f"{fmt_ratio(ratio(r[t], r['twemproxy'])):>5s} {f'{w}/{n}':>5s} "
                         f"{fmt_ratio(ratio(r[t], r['direct'])):>7s} {fmt_ratio(rel):>12s} "
                         f"{fmt_num(r[f'{t}_cpu_us'], 2):>7s} {fmt_num(r[f'{t}_syscalls'], 2):>6s}")
    return lines


def cost_tables(res, targets, cost_runs):
    lines = ["Cost per request of each process over a whole redis-benchmark run (median over rounds):",
             "CPU µs (perf stat task-clock, else utime+stime from /proc/PID/stat), system calls",
             "(perf stat raw_syscalls, else reads+writes from /proc/PID/io) and context switches"]
    hdr = f"{'run':26s} {'target':12s} {'CPU µs':>7s} {'syscalls':>8s} {'ctx sw':>7s}"
    lines += [hdr, "-" * len(hdr)]
    for label, run_id, first in cost_runs:
        for i, t in enumerate(targets):
            lines.append(f"{label if i == 0 else '':26s} {t:12s} "
                         f"{fmt_num(res.med(run_id, first, t, 'cpu_us_per_req'), 2):>7s} "
                         f"{fmt_num(res.med(run_id, first, t, 'syscalls_per_req'), 3):>8s} "
                         f"{fmt_num(res.med(run_id, first, t, 'ctxsw_per_req'), 3):>7s}")
    lines.append("")
    lines.append("CPU µs per request of everything involved: the target, the backends behind it and")
    lines.append("redis-benchmark (on a saturated 2-core machine throughput is about 2 s / this total)")
    hdr = f"{'run':26s} {'target':12s} {'target':>7s} {'backends':>8s} {'client':>7s} {'total':>7s}"
    lines += [hdr, "-" * len(hdr)]
    for label, run_id, first in cost_runs:
        for i, t in enumerate(targets):
            parts = [res.med(run_id, first, t, f) for f in ("cpu_us_per_req", "backends_cpu_us_per_req",
                                                              "client_cpu_us_per_req", "total_cpu_us_per_req")]
            lines.append(f"{label if i == 0 else '':26s} {t:12s} " +
                         " ".join(f"{fmt_num(v, 2):>{w}s}" for v, w in zip(parts, (7, 8, 7, 7))))
    return lines


def latency_table(latency):
    lines = ["Latency at -c 10 -P 1 (median over rounds of redis-benchmark's p50/p99), ms",
             f"{'test':10s} {'target':12s} {'req/s':>9s} {'p50':>7s} {'p99':>7s}"]
    for r in latency:
        if r["rps"] is None:
            continue  # not run (--only)
        lines.append(f"{r['test']:10s} {r['target']:12s} {fmt_num(r['rps']):>9s} "
                     f"{fmt_num(r['p50_ms'], 3):>7s} {fmt_num(r['p99_ms'], 3):>7s}")
    return lines


def rss_table(rss_rows):
    lines = ["Memory with idle client connections (each sent one PING)",
             f"{'proxy':12s} {'conns':>6s} {'RSS idle kB':>11s} {'RSS with kB':>11s} "
             f"{'VmHWM kB':>9s} {'kB/conn':>8s} {'RSS +3s kB':>10s} {'after close':>11s}"]
    for r in rss_rows:
        if "error" in r:
            lines.append(f"{r['target']:12s} FAILED: {r['error']}")
        else:
            lines.append(f"{r['target']:12s} {r['connections']:>6d} {r['rss_idle_kb']:>11d} "
                         f"{r['rss_with_kb']:>11d} {r['hwm_kb']:>9d} {r['kb_per_conn']:>8.2f} "
                         f"{r['rss_3s_kb']:>10d} {r['rss_after_close_kb']:>11d}")
    lines.append("(kB/conn = (RSS with - RSS idle) / conns, RSS read 1 s after the last PONG)")
    return lines


def chart(out, summary, info, rounds):
    dat = os.path.join(out, "plot.dat")
    with open(dat, "w") as f:
        f.write("# scenario ringproxy twemproxy direct rp/tw rp/direct\n")
        for r in summary:
            vals = [r["ringproxy"], r["twemproxy"], r["direct"], r["rp_over_tw"], r["rp_over_direct"]]
            f.write(f"\"{r['scenario']}\" " + " ".join("NaN" if v is None else f"{v:.4f}" for v in vals) + "\n")
    png = os.path.join(out, "throughput.png")
    title = (f"ringproxy vs twemproxy 0.5.0 vs direct redis - {info['nproc']} CPUs {info['cpu']}, "
             f"median of {rounds} round(s)")
    if not shutil.which("gnuplot"):
        log("gnuplot not found: no chart")
        return
    r = subprocess.run(["gnuplot", "-e", f"datafile='{dat}'; outfile='{png}'; charttitle='{title}'",
                        os.path.join(HERE, "plot.gp")], capture_output=True, text=True)
    if r.returncode != 0:
        log("gnuplot failed: " + r.stderr.strip())
    else:
        log(f"chart: {png}")
