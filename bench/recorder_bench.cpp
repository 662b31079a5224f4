// recorder_bench: what the recorder costs, against an inline baseline measured in the same process, printed
// as a markdown table. Run: scripts/bench.sh [--reps N] [--seconds S] (see --help), which builds it and
// passes the reader CLI for the reader's row. Uses only the public API (start/stop/flush, the macros,
// options); it never reads the recorder's internals.
//
// Each group of scenarios runs in a process of its own, forked before spanlog is touched: a thread keeps its
// ring across runs, so a group that needs a different ring size needs a fresh process, and peak RSS
// (getrusage) can only be attributed to one configuration that way. Every group measures the baseline itself,
// so each ratio in the table compares two numbers from one process.
//
// This file is the main: the arguments, a forked child per group, the heading and the table. The rest is in
// recorder/, one concept a file: settings, machine, timed_loops, run_files, Reporter, table, groups_*.
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>

#include "recorder/groups_callgrind.hpp"
#include "recorder/groups_crash_cold.hpp"
#include "recorder/groups_hot_path.hpp"
#include "recorder/groups_peers_reader.hpp"
#include "recorder/groups_throughput.hpp"
#include "recorder/machine.hpp"
#include "recorder/reporter.hpp"
#include "recorder/settings.hpp"
#include "recorder/table.hpp"
#include "recorder/timed_loops.hpp"

namespace {

void usage() {
  std::printf(
      "recorder_bench: the spanlog recorder's cost, as a markdown table\n"
      "  --reps N            repetitions per scenario (default 9, at least 5)\n"
      "  --seconds S         length of the sustained run (default 5)\n"
      "  --burst N           operations per timed burst (default 100000 spans' worth of ring)\n"
      "  --flusher-spans N   spans recorded before timing the flusher (default 4000000)\n"
      "  --dir PATH          where runs are written (default a new directory under $TMPDIR or /tmp)\n"
      "  --reader PATH       the spanlog reader CLI: adds its throughput on a recorded run\n"
      "  --only G[,G]        groups: single, threads, flusher, sustained, burst, peers, reader, callgrind,\n"
      "                      crash, cold\n"
      "                      (default all; reader only with --reader; callgrind needs valgrind)\n");
}

}  // namespace

int main(int argc, char** argv) {
  using namespace recorder_bench;
  Config cfg;
  std::string parent_dir;
  bool callgrind_child_mode = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--reps")
      cfg.reps = std::max(1, std::atoi(next()));
    else if (a == "--seconds")
      cfg.seconds = std::max(0.5, std::atof(next()));
    else if (a == "--burst")
      cfg.burst = std::max<std::size_t>(1000, std::strtoull(next(), nullptr, 10));
    else if (a == "--flusher-spans")
      cfg.flusher_spans = std::max<std::size_t>(1000, std::strtoull(next(), nullptr, 10));
    else if (a == "--dir")
      parent_dir = next();
    else if (a == "--reader")
      cfg.reader = next();
    else if (a == "--callgrind-child")
      callgrind_child_mode = true;
    else if (a == "--only") {
      std::string list = next();
      std::size_t pos = 0;
      while (pos <= list.size()) {
        std::size_t comma = list.find(',', pos);
        if (comma == std::string::npos) comma = list.size();
        cfg.only.insert(list.substr(pos, comma - pos));
        pos = comma + 1;
      }
    } else if (a == "--help" || a == "-h") {
      usage();
      return 0;
    } else {
      std::fprintf(stderr, "unknown argument %s\n", a.c_str());
      usage();
      return 2;
    }
  }
  for (const auto& g : cfg.only) {
    if (g != "single" && g != "threads" && g != "flusher" && g != "sustained" && g != "burst" &&
        g != "peers" && g != "reader" && g != "callgrind" && g != "crash" && g != "cold") {
      std::fprintf(stderr, "unknown group %s\n", g.c_str());
      usage();
      return 2;
    }
  }
  if (const char* v = std::getenv("SPANLOG"); v && (!std::strcmp(v, "off") || !std::strcmp(v, "0") ||
                                                    !std::strcmp(v, "false") || !std::strcmp(v, "no"))) {
    std::fprintf(stderr, "SPANLOG=%s in the environment would switch recording off: unset it\n", v);
    return 2;
  }
  if (cfg.reps < 5)
    std::fprintf(stderr, "note: --reps %d is below the 5 the figures are meant to use\n", cfg.reps);

  if (callgrind_child_mode) {  // run by group_callgrind under valgrind, inside the parent's directory
    cfg.dir = parent_dir;
    callgrind_child(cfg);
    return 0;
  }
  if (parent_dir.empty()) {
    const char* t = std::getenv("TMPDIR");
    parent_dir = (t && *t) ? t : "/tmp";
  }
  std::string templ = parent_dir + "/spanlog-bench-XXXXXX";
  if (!::mkdtemp(templ.data())) {
    std::fprintf(stderr, "cannot create a directory under %s: %s\n", parent_dir.c_str(),
                 std::strerror(errno));
    return 1;
  }
  cfg.dir = templ;
  g_dynamic_value =
      "tenant-" + std::to_string(42) + "/user-" + std::to_string(1234567) + "/avatar";  // 29 bytes

  utsname u{};
  ::uname(&u);
  std::printf("## spanlog recorder benchmark\n\n");
  std::printf("- machine: %s, %ld cores online%s; Linux %s\n", cpu_model().c_str(),
              ::sysconf(_SC_NPROCESSORS_ONLN), cpu_flag("hypervisor") ? " (virtual machine)" : "", u.release);
  std::printf("- TSC: %s; compiler: g++ %s, %s\n",
              cpu_flag("constant_tsc") && cpu_flag("nonstop_tsc") ? "invariant" : "not known to be invariant",
              __VERSION__,
#ifdef __OPTIMIZE__
              "optimized"
#else
              "NOT optimized"
#endif
  );
  std::printf(
      "- settings: %d repetitions per scenario; bursts of %zu spans' worth of ring (%.1f MiB) with `flush()` "
      "between bursts; runs written under %s (%s) and deleted\n\n",
      cfg.reps, cfg.burst, static_cast<double>(cfg.burst * span_ring_bytes) / 1048576, cfg.dir.c_str(),
      fs_type(cfg.dir).c_str());
  std::fflush(stdout);

  const double load_before = load_average();
  Results res;
  auto want = [&](const char* g) { return cfg.only.empty() || cfg.only.count(g); };
  const std::int64_t t0 = now_ns();
  // Generous limits: ten times what a group takes here.
  const double reps = static_cast<double>(cfg.reps);
  const double burst_s = 10 * (2 + reps * static_cast<double>(cfg.burst) * 1e-6);
  const double flusher_s = 10 * (2 + (reps + 2) * static_cast<double>(cfg.flusher_spans) * 2e-7);
  if (want("single"))
    run_group(
        "single", burst_s, [&](Reporter& out) { group_single(cfg, out); }, res);
  if (want("threads"))
    run_group(
        "threads", burst_s, [&](Reporter& out) { group_threads(cfg, out); }, res);
  if (want("flusher"))
    run_group(
        "flusher", flusher_s, [&](Reporter& out) { group_flusher(cfg, out); }, res);
  if (want("sustained"))
    run_group(
        "sustained", 60 + 3 * cfg.seconds, [&](Reporter& out) { group_sustained(cfg, out); }, res);
  if (want("burst"))
    run_group(
        "burst", 60 + 10 * reps, [&](Reporter& out) { group_burst(cfg, out); }, res);
  if (want("crash"))
    run_group(
        "crash", 60 + 3 * reps, [&](Reporter& out) { group_crash(cfg, out); }, res);
  if (want("cold"))
    run_group(
        "cold", 60 + 3 * reps, [&](Reporter& out) { group_cold(cfg, out); }, res);
  if (want("peers"))
    run_group(
        "peers", burst_s * 4, [&](Reporter& out) { group_peers(cfg, out); }, res);
  if (want("reader") && !cfg.reader.empty())
    run_group(
        "reader", flusher_s, [&](Reporter& out) { group_reader(cfg, out); }, res);
  if (want("callgrind"))
    run_group(
        "callgrind", 600, [&](Reporter& out) { group_callgrind(cfg, self_path(), out); }, res);
  const double total_s = static_cast<double>(now_ns() - t0) * 1e-9;

  print_table(build_rows(cfg, res));
  std::printf(
      "\nmedian and min – max over the repetitions (sustained: over %d windows); err = median absolute "
      "percentage error (noise); × baseline = median / the "
      "baseline's median in the same process. Total %.1f s. 1-minute load average before the run: %.2f "
      "on %ld cores (anything well above 0 is other work competing with the benchmark's threads).\n",
      std::max(cfg.reps, 5), total_s, load_before, ::sysconf(_SC_NPROCESSORS_ONLN));
  for (const auto& g : res.failed) std::printf("\n**group failed**: %s; its rows are missing\n", g.c_str());

  std::error_code ec;
  std::filesystem::remove_all(cfg.dir, ec);
  return res.failed.empty() ? 0 : 1;
}
