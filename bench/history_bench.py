#!/usr/bin/env python3
"""History benchmark: `spanlog load` into SQLite and into PostgreSQL beside `spanlog summary` on the same run.

Generates a synthetic telemetry.jsonl (reader_bench.py's generator: nested spans on several threads,
span_start/span_end pairs, instants, counters, gauges), then, --runs times each and once the file is in the
page cache:
  - `spanlog summary --no-write FILE`                      the baseline: reading and aggregating the run
  - `spanlog load FILE --db NEW.sqlite`                    one transaction, prepared inserts
  - `spanlog load FILE --db postgresql://.../NEW_DATABASE`  COPY, into a PostgreSQL 15 server this script
                                                           starts on a free loopback port (initdb in a
                                                           temporary directory, as user postgres under root)
and prints a markdown table of median wall times, the spread (max/min - 1, which flags a noisy machine),
spans loaded per second, and each time as a multiple of the summary's.

  python3 bench/history_bench.py --spanlog build/tools/spanlog [--size-mb 100] [--runs 3] [--no-postgres]

Target (issue 8): at least 1 million spans per second into each database.
"""
import argparse
import os
import pwd
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reader_bench  # noqa: E402  (the same generator as the reader's benchmark)

PG_BIN = "/usr/lib/postgresql/15/bin"


def timed(command):
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Postgres:
    """A throwaway PostgreSQL 15 server; trust authentication on loopback only."""

    def __init__(self, workdir):
        self.dir = os.path.join(workdir, "pg")
        os.mkdir(self.dir)
        self.prefix = []
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.dir, user.pw_uid, user.pw_gid)
            self.prefix = ["runuser", "-u", "postgres", "--"]
        self.port = free_port()
        data = os.path.join(self.dir, "data")
        subprocess.run(self.prefix + [PG_BIN + "/initdb", "-D", data, "-U", "bench", "--auth=trust", "-E", "UTF8",
                                      "--no-sync"], check=True, stdout=subprocess.DEVNULL)
        self.pg_ctl = self.prefix + [PG_BIN + "/pg_ctl", "-D", data]
        options = "-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off" % (self.port, self.dir)
        subprocess.run(self.pg_ctl + ["-w", "-l", os.path.join(self.dir, "log"), "-o", options, "start"],
                       check=True, stdout=subprocess.DEVNULL)

    def url(self, database):
        return "postgresql://bench@127.0.0.1:%d/%s" % (self.port, database)

    def create(self, database):
        subprocess.run([PG_BIN + "/psql", "-q", "-h", "127.0.0.1", "-p", str(self.port), "-U", "bench", "-d",
                        "postgres", "-c", "CREATE DATABASE " + database], check=True)

    def stop(self):
        subprocess.run(self.pg_ctl + ["-m", "immediate", "-w", "stop"], stdout=subprocess.DEVNULL)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--spanlog", required=True)
    parser.add_argument("--size-mb", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="spanlog-history-bench-")
    os.chmod(workdir, 0o755)
    server = None
    try:
        run_file = os.path.join(workdir, "telemetry.jsonl")
        reader_bench.generate(run_file, args.size_mb << 20)
        subprocess.run([args.spanlog, "summary", "--no-write", run_file], check=True, stdout=subprocess.DEVNULL)

        probe = os.path.join(workdir, "probe.sqlite")
        subprocess.run([args.spanlog, "load", run_file, "--db", probe], check=True, stdout=subprocess.DEVNULL)
        spans = int(subprocess.run([args.spanlog, "query", "--format", "csv", "--db", probe,
                                    "SELECT COUNT(*) FROM spans"], check=True, capture_output=True,
                                   text=True).stdout.split()[1])

        rows = {"spanlog summary (baseline)": [], "load into SQLite": []}
        for i in range(args.runs):
            rows["spanlog summary (baseline)"].append(timed([args.spanlog, "summary", "--no-write", run_file]))
            target = os.path.join(workdir, "history%d.sqlite" % i)
            rows["load into SQLite"].append(timed([args.spanlog, "load", run_file, "--db", target]))
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(target + suffix):
                    os.remove(target + suffix)

        if not args.no_postgres:
            if not os.path.exists(PG_BIN + "/initdb"):
                print("PostgreSQL 15 server not installed (postgresql-15): its row is left out", file=sys.stderr)
            else:
                server = Postgres(workdir)
                rows["load into PostgreSQL (COPY)"] = []
                for i in range(args.runs):
                    database = "history%d" % i
                    server.create(database)
                    rows["load into PostgreSQL (COPY)"].append(
                        timed([args.spanlog, "load", run_file, "--db", server.url(database)]))

        size = os.path.getsize(run_file)
        print("run: %.0f MB, %d spans; medians of %d runs; load average %s" %
              (size / 1e6, spans, args.runs, " ".join(open("/proc/loadavg").read().split()[:3])))
        print()
        print("| step | median | spread | spans/s | × summary |")
        print("|---|---:|---:|---:|---:|")
        baseline = statistics.median(rows["spanlog summary (baseline)"])
        for name, times in rows.items():
            median = statistics.median(times)
            spread = max(times) / min(times) - 1
            print("| %s | %.3f s | %.0f%% | %.2f M | %.2f |" %
                  (name, median, spread * 100, spans / median / 1e6, median / baseline))
    finally:
        if server:
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
