// The group "callgrind": instructions per iteration of every timed loop, counted by running this program
// again under valgrind's callgrind (the child side, callgrind_child, and the parent side, group_callgrind).
#pragma once
#include <unistd.h>
#include <valgrind/callgrind.h>

#include <spanlog/options.hpp>
#include <spanlog/spanlog.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "reporter.hpp"
#include "run_files.hpp"
#include "settings.hpp"
#include "timed_loops.hpp"

namespace recorder_bench {

// ---------------------------------------------------------------------------------------------------------
// Instruction counts: the program runs itself under `valgrind --tool=callgrind --collect-atstart=no`; the
// child collects each loop at two lengths and dumps after each, so (count(2n) - count(n)) / n is exactly one
// iteration's instructions (the loop's own increment, compare and branch included, as in the baseline).
// ---------------------------------------------------------------------------------------------------------

struct CountedLoop {
  const char* key;
  std::int64_t (*loop)(std::size_t);
};
inline const CountedLoop counted_loops[] = {
    {"empty", loop_empty},
    {"baseline", loop_baseline},
    {"span", loop_span},
    {"span_attrs", loop_span_attrs},
    {"span_string", loop_span_string},
    {"span_fn", loop_span_fn},
    {"span_stats", loop_span_stats},
    {"event", loop_event},
    {"counter", loop_counter},
    {"gauge", loop_gauge},
    {"counter_labelled", loop_counter_labelled},
    {"histogram", loop_histogram},
    {"histogram_labelled", loop_histogram_labelled},
};
inline constexpr std::size_t counted_n = 10000;

// In the child under valgrind: dumps 2 profiles per loop, in the order of counted_loops.
inline void callgrind_child(const Config& cfg) {
  spanlog::Options o = run_options(cfg, "callgrind", ring_for(8 * counted_n * 128));
  o.flush_interval = std::chrono::milliseconds(60000);  // the flusher sleeps while the loops are counted
  spanlog::start(o);
  for (const auto& c : counted_loops) {
    c.loop(counted_n);  // warm: the thread's ring is attached, the site's first record written
    for (std::size_t n : {counted_n, 2 * counted_n}) {
      CALLGRIND_TOGGLE_COLLECT;
      c.loop(n);
      CALLGRIND_TOGGLE_COLLECT;
      CALLGRIND_DUMP_STATS;
    }
  }
  const std::string run_dir = spanlog::run_directory();
  spanlog::stop();
  remove_run(run_dir);
}

inline std::string self_path() {
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

// The "summary:" total of instructions (Ir) in one callgrind dump, or NaN.
inline double callgrind_total(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (!f) return std::nan("");
  char line[4096];
  double v = std::nan("");
  while (std::fgets(line, sizeof line, f))
    if (std::strncmp(line, "summary:", 8) == 0 || std::strncmp(line, "totals:", 7) == 0)
      v = std::atof(line + 8);
  std::fclose(f);
  return v;
}

inline void group_callgrind(const Config& cfg, const std::string& self, Reporter& out) {
  const std::string prefix = cfg.dir + "/callgrind.out";
  const std::string argv = "valgrind --tool=callgrind --collect-atstart=no --callgrind-out-file=" + prefix +
                           ".%p " + self + " --callgrind-child --dir " + cfg.dir + " >/dev/null 2>&1";
  if (std::system(argv.c_str()) != 0) {
    out.value("callgrind.failed", 1);
    return;
  }
  // Dumps are written as <file>.<pid>.<n>, numbered from 1 in the order they were made.
  std::string base;
  for (const auto& e : std::filesystem::directory_iterator(cfg.dir)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("callgrind.out.", 0) == 0 && std::count(name.begin(), name.end(), '.') == 2)
      base = e.path().string();
  }
  if (base.empty()) {
    out.value("callgrind.failed", 1);
    return;
  }
  int dump = 1;
  for (const auto& c : counted_loops) {
    const double once = callgrind_total(base + "." + std::to_string(dump++));
    const double twice = callgrind_total(base + "." + std::to_string(dump++));
    out.value(std::string("callgrind.") + c.key, (twice - once) / static_cast<double>(counted_n));
  }
}

}  // namespace recorder_bench
