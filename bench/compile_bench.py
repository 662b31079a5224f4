#!/usr/bin/env python3
"""Compile-time benchmark: what including <spanlog/spanlog.hpp> costs an instrumented file.

Times `CXX -std=c++17 -O2 -c` and the same at -O0 on six files, in one run:
  (1) an empty file that includes <string> and <vector> (the floor of any C++ file),
  (2) bench/compile_sample.cpp, a typical instrumented file (about ten spans with attributes, counters,
      gauges, an event, a phase), with -DSPANLOG_ENABLED=1,
  (3) the same file with -DSPANLOG_ENABLED=0,
  (4) the implementation alone (src/spanlog.cpp: fmt, concurrentqueue, the flusher), compiled once per
      program,
  (5) a file that includes <fmt/format.h> and calls fmt::format once,
  (6) a file that includes <spdlog/spdlog.h> and logs once (with `pkg-config --cflags spdlog`, as Debian's
      libspdlog-dev is used).
Each repetition compiles every file at both levels in turn, so a change in the machine's load reaches all of
them alike; the table shows the median wall time over --reps repetitions (after one untimed compile of each,
which warms the page cache), its spread (max/min - 1, which flags a noisy machine), the median CPU time at -O2
(user + system of the compiler's processes, which a busy machine changes less than the wall time) and the
peak memory of the compiler (GNU time's maximum resident set size, when /usr/bin/time is there). Below it:
(2) against (3), the load average before and after, and the compiler's version.

  python3 bench/compile_bench.py [--cxx g++] [--include <repo>/include] [--reps 5]

Target (compile-time issue): (2) at most 150 ms more than (3) at -O2.
"""
import argparse
import os
import pathlib
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
TARGET_MS = 150
LEVELS = ["-O2", "-O0"]

EMPTY = """#include <string>
#include <vector>
"""
FMT = """#include <fmt/format.h>

#include <string>

std::string describe(int items) { return fmt::format("{} items in {:.2f} s", items, 0.25); }
"""
SPDLOG = """#include <spdlog/spdlog.h>

void report(int items) { spdlog::info("{} items in {:.2f} s", items, 0.25); }
"""


def pkg_config_cflags(package):
    """The flags a user of the package compiles with; empty when pkg-config does not know it."""
    if not shutil.which("pkg-config"):
        return []
    r = subprocess.run(["pkg-config", "--cflags", package], capture_output=True, text=True)
    return r.stdout.split() if r.returncode == 0 else []


def cpu_of_children():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def compile_once(command, time_report):
    """Wall and CPU seconds of one compile and its peak RSS in MB (None without GNU time); exits when it
    fails."""
    wrapped = ["/usr/bin/time", "-f", "%M", "-o", time_report] + command if time_report else command
    cpu_begin = cpu_of_children()
    begin = time.perf_counter()
    r = subprocess.run(wrapped, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - begin
    cpu = cpu_of_children() - cpu_begin
    if r.returncode != 0:
        sys.exit("compile failed: %s\n%s" % (" ".join(command), r.stderr))
    peak = None
    if time_report:
        with open(time_report) as f:
            peak = int(f.read().split()[-1]) / 1024.0
    return seconds, cpu, peak


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cxx", default="g++", help="the compiler (default g++)")
    parser.add_argument("--include", default=str(REPO / "include"), help="spanlog's include directory")
    parser.add_argument("--reps", type=int, default=5, help="timed repetitions of every compile (default 5)")
    args = parser.parse_args()
    if args.reps < 1:
        sys.exit("--reps must be at least 1")
    if not shutil.which(args.cxx):
        sys.exit("%s not found" % args.cxx)
    gnu_time = os.access("/usr/bin/time", os.X_OK)

    with tempfile.TemporaryDirectory(prefix="spanlog-compile-bench-") as tmp:
        tmp = pathlib.Path(tmp)
        (tmp / "empty.cpp").write_text(EMPTY)
        (tmp / "fmt_once.cpp").write_text(FMT)
        (tmp / "spdlog_once.cpp").write_text(SPDLOG)
        sample = str(REPO / "bench" / "compile_sample.cpp")
        include = ["-I" + args.include]
        files = [
            ("(1) empty file: <string>, <vector>", [str(tmp / "empty.cpp")]),
            ("(2) instrumented file, SPANLOG_ENABLED=1", include + ["-DSPANLOG_ENABLED=1", sample]),
            ("(3) instrumented file, SPANLOG_ENABLED=0", include + ["-DSPANLOG_ENABLED=0", sample]),
            ("(4) the implementation (src/spanlog.cpp)", include + [str(REPO / "src" / "spanlog.cpp")]),
            ("(5) <fmt/format.h>, fmt::format once", pkg_config_cflags("fmt") + [str(tmp / "fmt_once.cpp")]),
            ("(6) <spdlog/spdlog.h>, one log call",
             pkg_config_cflags("spdlog") + [str(tmp / "spdlog_once.cpp")]),
        ]
        report = str(tmp / "time.txt") if gnu_time else None

        def command(level, sources):
            return [args.cxx, "-std=c++17", level, "-c", "-o", str(tmp / "out.o")] + sources

        version = subprocess.run([args.cxx, "--version"], capture_output=True,
                                 text=True).stdout.splitlines()[0]
        for _, sources in files:  # untimed: the headers into the page cache
            compile_once(command("-O2", sources), None)

        load_before = os.getloadavg()
        seconds = {(name, level): [] for name, _ in files for level in LEVELS}
        cpu_seconds = {(name, level): [] for name, _ in files for level in LEVELS}
        peaks = {(name, level): [] for name, _ in files for level in LEVELS}
        for _ in range(args.reps):
            for level in LEVELS:
                for name, sources in files:
                    s, cpu, peak = compile_once(command(level, sources), report)
                    seconds[(name, level)].append(s)
                    cpu_seconds[(name, level)].append(cpu)
                    if peak is not None:
                        peaks[(name, level)].append(peak)
        load_after = os.getloadavg()

    median = {key: statistics.median(values) for key, values in seconds.items()}
    spread = {key: max(values) / min(values) - 1 for key, values in seconds.items()}
    cpu_median = {key: statistics.median(values) for key, values in cpu_seconds.items()}
    header = "| file | -O2 median s | -O2 spread | -O0 median s | -O0 spread | -O2 CPU s |"
    rule = "|---|---:|---:|---:|---:|---:|"
    if gnu_time:
        header += " peak MB (-O2) |"
        rule += "---:|"
    print("### Compile time, %s, %d repetitions\n" % (args.cxx, args.reps))
    print(header)
    print(rule)
    for name, _ in files:
        row = "| %s |" % name
        for level in LEVELS:
            row += " %.3f | %.0f%% |" % (median[(name, level)], 100 * spread[(name, level)])
        row += " %.3f |" % cpu_median[(name, "-O2")]
        if gnu_time:
            row += " %.0f |" % max(peaks[(name, "-O2")])
        print(row)

    enabled, disabled = files[1][0], files[2][0]
    print()
    for level in LEVELS:
        more_ms = 1000 * (median[(enabled, level)] - median[(disabled, level)])
        ratio = median[(enabled, level)] / median[(disabled, level)]
        more_cpu_ms = 1000 * (cpu_median[(enabled, level)] - cpu_median[(disabled, level)])
        print("(2) against (3) at %s: %+.0f ms, %.2fx (CPU time: %+.0f ms)"
              % (level, more_ms, ratio, more_cpu_ms))
    more_o2 = 1000 * (median[(enabled, "-O2")] - median[(disabled, "-O2")])
    print("target: (2) at most %d ms more than (3) at -O2: %s (%+.0f ms)"
          % (TARGET_MS, "met" if more_o2 <= TARGET_MS else "NOT met", more_o2))
    print("load average before: %.2f %.2f %.2f, after: %.2f %.2f %.2f (%d cores)"
          % (load_before + load_after + (os.cpu_count() or 0,)))
    print("compiler: %s" % version)


if __name__ == "__main__":
    main()
