#!/usr/bin/env python3
"""Reader benchmark: `spanlog summary` against `wc -l`, jq and Python's json module on the same file.

Generates a synthetic telemetry.jsonl of the requested size (spans of a few names on several threads, nested,
with span_start/span_end pairs, instants, counters and gauges), then times each tool over it once the file is
in the page cache, and prints a markdown table with wall time, throughput, the ratio to `wc -l`, and peak
memory (maximum resident set size of the child process).

  python3 bench/reader_bench.py --spanlog build/tools/spanlog [--size-mb 200] [--runs 3] [--keep FILE | --file FILE]
                                [--no-jq] [--no-python]

Each tool runs --runs times; the table shows the median wall time (and the spread, max/min - 1, which flags a
noisy machine) and the largest peak memory. It also prints the simdjson kernels spanlog parses with
(`spanlog --version`) and the machine's load average before and after. Needs GNU time (/usr/bin/time, Debian
package `time`) for the peak memory.

Targets (issue 3): spanlog at no less than 1/5 of wc -l's speed, and under 100 MB peak whatever the size.
"""
import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

START_TS = 1795459260000000000


def generate(path, size_bytes, seed=1):
    """Writes records until the file reaches size_bytes; returns the number of lines."""
    rnd = random.Random(seed)
    names = ["db.query", "parse", "render", "cache.get", "http.request", "llm.call"]
    models = ["small", "large"]
    lines = 0
    span_id = 1
    ts = START_TS + 1000
    with open(path, "w", buffering=1 << 20) as out:
        out.write(json.dumps({"event": "header", "schema": 1, "schema_minor": 0, "version": "0.1.0",
                              "run_id": "bench", "pid": 1, "process": "bench", "host": "bench",
                              "start_ts": START_TS, "clock": {"source": "steady"},
                              "options": {"flush_interval_ms": 100}}, separators=(",", ":")) + "\n")
        for tid in range(1, 9):
            out.write('{"event":"thread","tid":%d,"name":"worker-%d","ts":%d}\n' % (tid, tid, ts))
        lines = 9
        written = out.tell()
        while written < size_bytes:
            batch = []
            for _ in range(2000):
                tid = rnd.randint(1, 8)
                parent = span_id
                span_id += 1
                batch.append('{"event":"span_start","span_id":%d,"name":"request","tid":%d,"ts":%d,'
                             '"attrs":{"model":"%s"}}' % (parent, tid, ts, rnd.choice(models)))
                child_ts = ts + 100
                total = 0
                for _ in range(rnd.randint(2, 6)):
                    dur = int(rnd.lognormvariate(9, 1.5))
                    batch.append('{"event":"span","span_id":%d,"parent":%d,"name":"%s","tid":%d,"ts":%d,'
                                 '"dur_ns":%d,"status":"ok","attrs":{"bytes":%d}}'
                                 % (span_id, parent, rnd.choice(names), tid, child_ts, dur, rnd.randint(1, 65536)))
                    span_id += 1
                    child_ts += dur + 50
                    total += dur + 50
                if rnd.random() < 0.2:
                    batch.append('{"event":"instant","name":"cache.miss","tid":%d,"ts":%d,"parent":%d,'
                                 '"attrs":{"key":"users/%d"}}' % (tid, child_ts, parent, rnd.randint(1, 1000)))
                batch.append('{"event":"span_end","span_id":%d,"ts":%d,"dur_ns":%d,"status":"ok",'
                             '"attrs":{"tokens":%d}}' % (parent, child_ts + 100, total + 200, rnd.randint(10, 900)))
                ts = child_ts + 1000
            batch.append('{"event":"counter","name":"bytes.parsed","tid":1,"ts":%d,"delta":%d}' % (ts, rnd.randint(1, 1 << 20)))
            batch.append('{"event":"gauge","name":"queue.depth","tid":1,"ts":%d,"value":%d,"min":0,"max":64,"count":100}'
                         % (ts, rnd.randint(0, 64)))
            out.write("\n".join(batch) + "\n")
            lines += len(batch)
            written = out.tell()
        out.write('{"event":"footer","ts":%d,"wall_ns":%d,"records":%d,"spans":%d,"events":0,'
                  '"dropped":{"spans":0,"events":0,"metrics":0,"attrs":0},"sampled_out":0,"open_spans":0}\n'
                  % (ts, ts - START_TS, lines + 1, span_id - 1))
    return lines + 1


def timed_runs(command, runs, env=None):
    """Runs a command `runs` times; returns (median seconds, spread, peak RSS in MB over the runs)."""
    results = [timed(command, env) for _ in range(runs)]
    seconds = sorted(r[0] for r in results)
    median = seconds[len(seconds) // 2] if len(seconds) % 2 else (seconds[len(seconds) // 2 - 1] + seconds[len(seconds) // 2]) / 2
    return median, seconds[-1] / seconds[0] - 1, max(r[1] for r in results)


def timed(command, env=None):
    """Runs a command with its output discarded; returns (seconds, peak RSS in MB).

    The peak comes from GNU time, whose own small process forks the tool: measured from Python directly, the
    kernel would carry Python's own peak over into the child at exec."""
    report = tempfile.NamedTemporaryFile(prefix="spanlog-bench-rss-", delete=False)
    report.close()
    try:
        begin = time.perf_counter()
        result = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", report.name] + command,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                env=None if env is None else dict(os.environ, **env))
        seconds = time.perf_counter() - begin
        if result.returncode != 0:
            sys.exit("failed (status %d): %s\n%s" % (result.returncode, " ".join(command), result.stderr.decode()))
        with open(report.name) as f:
            peak_kb = int(f.read().split()[-1])
    finally:
        os.unlink(report.name)
    return seconds, peak_kb / 1024.0


PYTHON_READER = """
import json, sys
spans = 0
with open(sys.argv[1], 'rb') as f:
    for line in f:
        record = json.loads(line)
        if record.get('event') in ('span', 'span_end'):
            spans += 1
print(spans)
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--spanlog", required=True, help="the spanlog program")
    parser.add_argument("--size-mb", type=float, default=200, help="size of the generated file (default 200)")
    parser.add_argument("--keep", help="write the file here and keep it (default: a temporary file)")
    parser.add_argument("--file", help="measure this existing telemetry.jsonl instead of generating one")
    parser.add_argument("--no-jq", action="store_true", help="skip jq (slow on large files)")
    parser.add_argument("--no-python", action="store_true", help="skip python3's json module")
    parser.add_argument("--runs", type=int, default=3, help="runs per tool; the median is shown (default 3)")
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="spanlog-reader-bench-")
    path = args.keep or os.path.join(workdir, "telemetry.jsonl")
    try:
        if args.file:
            path = args.file
            with open(path, "rb") as f:
                lines = sum(1 for _ in f)
        else:
            print("generating %.0f MB of telemetry.jsonl..." % args.size_mb, file=sys.stderr)
            lines = generate(path, int(args.size_mb * 1e6))
        size = os.path.getsize(path)
        subprocess.run(["cat", path], stdout=subprocess.DEVNULL, check=True)  # into the page cache

        version = subprocess.run([args.spanlog, "--version"], capture_output=True, text=True).stdout.strip()
        load_before = os.getloadavg()
        rows = []
        summary = [args.spanlog, "summary", "--no-write", path]
        wc = timed_runs(["wc", "-l", path], args.runs)
        rows.append(("wc -l", wc))
        rows.append(("spanlog summary", timed_runs(summary, args.runs)))
        rows.append(("spanlog summary, 1 thread", timed_runs(summary, args.runs, {"SPANLOG_READER_THREADS": "1"})))
        rows.append(("spanlog summary --by model",
                     timed_runs([args.spanlog, "summary", "--no-write", "--by", "model", path], args.runs)))
        if not args.no_jq and shutil.which("jq"):
            rows.append(("jq (count spans)", timed_runs(["jq", "-c", 'select(.event == "span" or .event == "span_end") | 1', path], 1)))
        if not args.no_python:
            rows.append(("python3 json", timed_runs([sys.executable, "-c", PYTHON_READER, path], 1)))
        load_after = os.getloadavg()

        print("\n%s: %.0f MB, %d lines; %s; %d CPUs, load average %.1f before, %.1f after\n"
              % (os.path.basename(path), size / 1e6, lines, version, os.cpu_count(), load_before[0], load_after[0]))
        print("| reader | wall (median) | spread | MB/s | speed vs wc -l | peak RSS |")
        print("|---|---:|---:|---:|---:|---:|")
        for name, (seconds, spread, rss) in rows:
            print("| %s | %.3f s | %.0f%% | %.0f | 1/%.1f | %.0f MB |"
                  % (name, seconds, spread * 100, size / 1e6 / seconds, seconds / wc[0], rss))
        spanlog_seconds, _, spanlog_rss = rows[1][1]
        print("\ntargets: spanlog at >= 1/5 of wc -l: %s (1/%.1f); peak < 100 MB: %s (%.0f MB)"
              % ("met" if spanlog_seconds <= 5 * wc[0] else "NOT met", spanlog_seconds / wc[0],
                 "met" if spanlog_rss < 100 else "NOT met", spanlog_rss))
        if max(load_before[0], load_after[0]) > (os.cpu_count() or 1) * 0.5:
            print("note: the machine was busy (load average above half its CPUs): the figures are noisy")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
