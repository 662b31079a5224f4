// The flusher's groups: "flusher" (how fast it writes a full ring), "sustained" (one producer for S seconds,
// rate, CPU and RSS) and "burst" (1 M spans with the default options, and the time until they are written).
#pragma once
#include <spanlog/options.hpp>
#include <spanlog/spanlog.hpp>
// The vitals' reads alone, as the flusher makes them (no fmt, no session): timed without a run.
#include <spanlog/impl/process_vitals.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "machine.hpp"
#include "reporter.hpp"
#include "run_files.hpp"
#include "settings.hpp"
#include "timed_loops.hpp"

namespace recorder_bench {

// ---------------------------------------------------------------------------------------------------------
// Group "flusher": records every span into a ring big enough to hold them all while the flusher sleeps (flush
// interval 60 s, below the high-water mark), then times spanlog::flush(): wall time from the last record
// until all is written, and the flusher thread's CPU time meanwhile.
// ---------------------------------------------------------------------------------------------------------

// What one repetition measured, per record: `record(n)` into the sleeping flusher's ring, then flush() timed.
struct FlusherPass {
  double wall_ns = 0, cpu_ns = 0, early_share = 0, bytes = 0, record_ns = 0, kernel_share = -1;
  FooterFacts footer;
};

inline FlusherPass flusher_pass(const Config& cfg, std::size_t ring, std::size_t n,
                                std::int64_t (*record)(std::size_t), int rounds) {
  spanlog::Options o = run_options(cfg, "flusher", ring);
  o.flush_interval = std::chrono::milliseconds(60000);
  const std::vector<pid_t> before = task_ids();
  spanlog::start(o);
  const std::vector<pid_t> flusher_tids = new_tasks(before);
  // Let the flusher calibrate, write the header and go to sleep before the records are made.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const double cpu_before = threads_cpu_seconds(flusher_tids);
  const CpuSplit split0 = threads_cpu_split(flusher_tids);
  const std::int64_t t0 = now_ns();
  for (int round = 0; round < rounds; ++round) record(n);
  const std::int64_t t1 = now_ns();
  const double cpu0 = threads_cpu_seconds(flusher_tids);
  spanlog::flush();
  const std::int64_t t2 = now_ns();
  const double cpu1 = threads_cpu_seconds(flusher_tids);
  const CpuSplit split1 = threads_cpu_split(flusher_tids);
  const std::string run_dir = spanlog::run_directory();
  spanlog::stop();
  FlusherPass p;
  p.footer = read_footer(run_dir);
  const double records = static_cast<double>(n) * rounds;
  p.bytes = static_cast<double>(file_size(run_dir + "/telemetry.jsonl")) / records;
  remove_run(run_dir);
  p.wall_ns = static_cast<double>(t2 - t1) / records;
  // All the flusher's CPU time since it went to sleep, so work it did while the records were made (it should
  // do none: below the high-water mark, flush interval 60 s) is counted too, and reported apart.
  p.cpu_ns = (cpu1 - cpu_before) * 1e9 / records;
  p.early_share = cpu1 > cpu_before ? (cpu0 - cpu_before) / (cpu1 - cpu_before) : 0;
  p.record_ns = static_cast<double>(t1 - t0) / records;
  const double ticks = (split1.user - split0.user) + (split1.system - split0.system);
  if (ticks > 0) p.kernel_share = (split1.system - split0.system) / ticks;
  return p;
}

inline void group_flusher(const Config& cfg, Reporter& out) {
  out.samples("flusher.baseline", baseline_samples(cfg.burst, cfg.reps));
  const std::size_t n = cfg.flusher_spans;
  const std::size_t ring = ring_for(n * span_ring_bytes);  // 256 MiB for 4M spans
  out.value("flusher.ring_bytes", static_cast<double>(ring));
  std::vector<double> wall_ns, cpu_ns, bytes, record_ns, kernel_share, early_share;
  bool all_ok = true;
  // The first repetition records twice as many spans, so that the whole ring has been faulted in before the
  // reported ones (the ring outlives the run: a thread keeps its buffer); it is not reported.
  for (int r = 0; r < cfg.reps + 1; ++r) {
    const FlusherPass p = flusher_pass(cfg, ring, n, loop_span, r == 0 ? 2 : 1);
    all_ok = all_ok && p.footer.present && p.footer.dropped == 0 &&
             p.footer.spans == static_cast<double>(r == 0 ? 2 * n : n);
    if (r == 0) continue;
    wall_ns.push_back(p.wall_ns);
    cpu_ns.push_back(p.cpu_ns);
    early_share.push_back(p.early_share);
    bytes.push_back(p.bytes);
    record_ns.push_back(p.record_ns);
    if (p.kernel_share >= 0) kernel_share.push_back(p.kernel_share);
  }
  out.samples("flusher.kernel_share", kernel_share);
  out.samples("flusher.early_share", early_share);
  out.samples("flusher.wall", wall_ns);
  out.samples("flusher.cpu", cpu_ns);
  out.samples("flusher.bytes", bytes);
  out.samples("flusher.record", record_ns);
  out.value("flusher.lossless", all_ok ? 1 : 0);
  out.value("flusher.peak_rss", peak_rss_mib());

  // Log lines (loop_log's: two integers and a 20-byte string), a quarter as many in a ring of their size.
  const std::size_t lines = n / 4;
  const std::size_t log_ring = ring_for(lines * log_ring_bytes);
  std::vector<double> log_cpu_ns, log_bytes;
  bool logs_ok = true;
  for (int r = 0; r < cfg.reps + 1; ++r) {
    const FlusherPass p = flusher_pass(cfg, log_ring, lines, loop_log, r == 0 ? 2 : 1);
    logs_ok = logs_ok && p.footer.present && p.footer.dropped == 0 &&
              p.footer.logs == static_cast<double>(r == 0 ? 2 * lines : lines);
    if (r == 0) continue;
    log_cpu_ns.push_back(p.cpu_ns);
    log_bytes.push_back(p.bytes);
  }
  out.samples("flusher.log_cpu", log_cpu_ns);
  out.samples("flusher.log_bytes", log_bytes);
  out.value("flusher.log_lines", static_cast<double>(lines));
  out.value("flusher.logs_lossless", logs_ok ? 1 : 0);

  // The vitals' reads, once per statistics interval: /proc/self/statm, getrusage and the thread's clock.
  std::vector<double> vitals_ns;
  constexpr int reads = 2000;
  for (int r = 0; r < cfg.reps; ++r) {
    const std::int64_t t0 = now_ns();
    std::uint64_t sink = 0;
    for (int i = 0; i < reads; ++i) {
      sink += spanlog::detail::resident_bytes();
      sink += static_cast<std::uint64_t>(spanlog::detail::process_cpu().user_seconds);
      sink += static_cast<std::uint64_t>(spanlog::detail::this_thread_cpu_seconds());
    }
    vitals_ns.push_back(static_cast<double>(now_ns() - t0) / reads + static_cast<double>(sink & 0));
  }
  out.samples("flusher.vitals_ns", vitals_ns);
}

// ---------------------------------------------------------------------------------------------------------
// Group "sustained": one producer as fast as it can for S seconds, overflow `block`, the default ring size;
// the rate per window, then the footer must account for every span.
// ---------------------------------------------------------------------------------------------------------

inline void group_sustained(const Config& cfg, Reporter& out) {
  out.samples("sustained.baseline", baseline_samples(cfg.burst, cfg.reps));
  const double rss_before = rss_mib();
  const spanlog::Options defaults;
  const std::vector<pid_t> before = task_ids();
  spanlog::start(run_options(cfg, "sustained", defaults.ring_bytes));
  const std::vector<pid_t> flusher_tids = new_tasks(before);
  out.value("sustained.ring_bytes", static_cast<double>(defaults.ring_bytes));
  const int windows = std::max(cfg.reps, 5);
  const auto window_ns = static_cast<std::int64_t>(cfg.seconds * 1e9 / windows);
  const double cpu0 = threads_cpu_seconds(flusher_tids);
  const CpuSplit split0 = threads_cpu_split(flusher_tids);
  const double own0 = own_cpu_seconds();
  const std::int64_t start = now_ns();
  std::vector<double> ns_per_span, rss;
  double spans = 0;
  constexpr std::size_t chunk = 4096;
  for (int w = 0; w < windows; ++w) {
    const std::int64_t w0 = now_ns();
    const std::int64_t deadline = start + window_ns * (w + 1);
    std::size_t in_window = 0;
    std::int64_t t = w0;
    while (t < deadline) {
      loop_span(chunk);
      in_window += chunk;
      t = now_ns();
    }
    spans += static_cast<double>(in_window);
    ns_per_span.push_back(static_cast<double>(t - w0) / static_cast<double>(in_window));
    rss.push_back(rss_mib());
  }
  const std::int64_t end = now_ns();
  const double cpu1 = threads_cpu_seconds(flusher_tids);
  const CpuSplit split1 = threads_cpu_split(flusher_tids);
  const double own1 = own_cpu_seconds();
  const double ticks = (split1.user - split0.user) + (split1.system - split0.system);
  out.value("sustained.flusher_kernel_share",
            ticks > 0 ? (split1.system - split0.system) / ticks : std::nan(""));
  const std::string run_dir = spanlog::run_directory();
  spanlog::stop();
  const FooterFacts f = read_footer(run_dir);
  out.samples("sustained.span", ns_per_span);
  out.value("sustained.producer_cpu_share", (own1 - own0) / (static_cast<double>(end - start) * 1e-9));
  out.value("sustained.flusher_cpu_per_span", (cpu1 - cpu0) * 1e9 / spans);
  out.samples("sustained.rss", rss);
  out.value("sustained.lossless",
            f.present && f.dropped == 0 && f.spans == spans && f.open_spans == 0 ? 1 : 0);
  out.value("sustained.spans_emitted", spans);
  out.value("sustained.footer_spans", f.present ? f.spans : -1);
  out.value("sustained.footer_dropped", f.present ? f.dropped : -1);
  out.value("sustained.seconds", static_cast<double>(end - start) * 1e-9);
  out.value("sustained.flusher_cpu_share", (cpu1 - cpu0) / (static_cast<double>(end - start) * 1e-9));
  out.value("sustained.bytes_per_span", static_cast<double>(file_size(run_dir + "/telemetry.jsonl")) / spans);
  out.value("sustained.rss_before", rss_before);
  out.value("sustained.peak_rss", peak_rss_mib());
  remove_run(run_dir);
}

// ---------------------------------------------------------------------------------------------------------
// Group "burst": the default options (1 MiB ring, overflow `block`); 1 million spans as fast as possible,
// then the time until the flusher has written them all (`flush()` returns: in the file, i.e. the page cache).
// ---------------------------------------------------------------------------------------------------------

inline void group_burst(const Config& cfg, Reporter& out) {
  out.samples("burst.baseline", baseline_samples(cfg.burst, cfg.reps));
  constexpr std::size_t n = 1000000;
  const spanlog::Options defaults;
  std::vector<double> record_ns, drain_ms, total_ms;
  bool all_ok = true;
  for (int r = 0; r < cfg.reps + 1; ++r) {  // the first warms the ring and the file system; not reported
    spanlog::start(run_options(cfg, "burst", defaults.ring_bytes));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const std::int64_t t0 = now_ns();
    loop_span(n);
    const std::int64_t t1 = now_ns();
    spanlog::flush();
    const std::int64_t t2 = now_ns();
    const std::string run_dir = spanlog::run_directory();
    spanlog::stop();
    const FooterFacts f = read_footer(run_dir);
    all_ok = all_ok && f.present && f.dropped == 0 && f.spans == static_cast<double>(n);
    remove_run(run_dir);
    if (r == 0) continue;
    record_ns.push_back(static_cast<double>(t1 - t0) / static_cast<double>(n));
    drain_ms.push_back(static_cast<double>(t2 - t1) * 1e-6);
    total_ms.push_back(static_cast<double>(t2 - t0) * 1e-6);
  }
  out.samples("burst.record", record_ns);
  out.samples("burst.drain_ms", drain_ms);
  out.samples("burst.total_ms", total_ms);
  out.value("burst.lossless", all_ok ? 1 : 0);
}

}  // namespace recorder_bench
