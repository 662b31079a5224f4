// The groups that compare with others: "peers" (spdlog's async logger and moodycamel's queues in the same
// loop shape as the span) and "reader" (the reader CLI's throughput on a run recorded here).
#pragma once
#include <fcntl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <spanlog/options.hpp>
#include <spanlog/spanlog.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>
#include <system_error>
#include <vector>

#include "../peer_loops.hpp"
#include "machine.hpp"
#include "reporter.hpp"
#include "run_files.hpp"
#include "settings.hpp"
#include "timed_loops.hpp"

namespace recorder_bench {

// ---------------------------------------------------------------------------------------------------------
// Group "peers": spdlog's async logger and moodycamel's two queues in the same loop shape, beside the
// baseline and spanlog's own event (16 bytes) and span (32 bytes) measured again in this process.
// ---------------------------------------------------------------------------------------------------------

inline void group_peers(const Config& cfg, Reporter& out) {
  const std::size_t n = cfg.burst;
  spanlog::start(run_options(cfg, "peers", ring_for(n * span_ring_bytes)));
  peers::ConcurrentQueueLoop cq(n);
  peers::ReaderWriterQueueLoop rwq(n);
  peers::SpdlogAsyncLoop spd(n, cfg.dir + "/spdlog.log");
  struct Entry {
    const char* key;
    std::function<std::int64_t(std::size_t)> loop;
    std::vector<double> samples;
  };
  std::vector<Entry> entries = {
      {"baseline", loop_baseline, {}},
      {"span", loop_span, {}},
      {"concurrentqueue", [&](std::size_t k) { return cq.run(k); }, {}},
      {"readerwriterqueue", [&](std::size_t k) { return rwq.run(k); }, {}},
      {"spdlog", [&](std::size_t k) { return spd.run(k); }, {}},
  };
  for (int r = -2; r < cfg.reps; ++r) {  // two rounds of warm-up: allocations, page faults, caches
    for (std::size_t k = 0; k < entries.size(); ++k) {
      Entry& e = entries[(k + static_cast<std::size_t>(r + 2)) % entries.size()];
      const std::int64_t ns = e.loop(n);
      spanlog::flush();
      if (r >= 0) e.samples.push_back(static_cast<double>(ns) / static_cast<double>(n));
    }
  }
  for (const auto& e : entries) out.samples(std::string("peers.") + e.key, e.samples);
  spanlog::stop();
  std::error_code ec;
  std::filesystem::remove(cfg.dir + "/spdlog.log", ec);
}

// ---------------------------------------------------------------------------------------------------------
// Group "reader": the reader CLI (--reader PATH) on a run this process recorded: `spanlog summary`.
// ---------------------------------------------------------------------------------------------------------

// Runs argv with stdout and stderr to /dev/null; returns the wall time in ns, or -1 when it failed.
inline std::int64_t timed_command(const std::vector<std::string>& argv) {
  const std::int64_t t0 = now_ns();
  const pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    const int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, 1);
    ::dup2(devnull, 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  const std::int64_t t1 = now_ns();
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? t1 - t0 : -1;
}

inline void group_reader(const Config& cfg, Reporter& out) {
  const std::size_t n = std::min<std::size_t>(cfg.flusher_spans, 1000000);  // about 125 MB of JSONL
  spanlog::Options o = run_options(cfg, "reader", ring_for(n * span_ring_bytes));
  spanlog::start(o);
  for (std::size_t done = 0; done < n; done += 4096) {
    loop_span(4096);
    SPANLOG_COUNTER_ADD("bench.reader.items", 3);
  }
  const std::string run_dir = spanlog::run_directory();
  spanlog::stop();
  const std::string file = run_dir + "/telemetry.jsonl";
  const double bytes = static_cast<double>(file_size(file));
  double lines = 0;
  if (FILE* f = std::fopen(file.c_str(), "r")) {
    for (int c; (c = std::fgetc(f)) != EOF;) lines += c == '\n';
    std::fclose(f);
  }
  std::vector<double> mb_s, mlines_s;
  for (int r = -1; r < cfg.reps; ++r) {  // the first puts the file in the page cache
    const std::int64_t ns = timed_command({cfg.reader, "summary", "--no-write", file});
    if (ns <= 0) {
      out.value("reader.failed", 1);
      break;
    }
    if (r < 0) continue;
    mb_s.push_back(bytes / 1e6 / (static_cast<double>(ns) * 1e-9));
    mlines_s.push_back(lines / 1e6 / (static_cast<double>(ns) * 1e-9));
  }
  out.samples("reader.mb_s", mb_s);
  out.samples("reader.mlines_s", mlines_s);
  out.value("reader.bytes", bytes);
  out.value("reader.lines", lines);
  remove_run(run_dir);
}

}  // namespace recorder_bench
