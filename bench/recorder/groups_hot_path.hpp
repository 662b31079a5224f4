// The hot path's groups: "single" (every operation on one thread, in bursts the flusher drains between) and
// "threads" (the span on 1, 2 and 4 producer threads at once), each against the baseline.
#pragma once
#include <spanlog/options.hpp>
#include <spanlog/spanlog.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "reporter.hpp"
#include "run_files.hpp"
#include "settings.hpp"
#include "timed_loops.hpp"

namespace recorder_bench {

// ---------------------------------------------------------------------------------------------------------
// Group "single": one thread, bursts with the flusher draining between them (spanlog::flush()).
// ---------------------------------------------------------------------------------------------------------

struct BurstScenario {
  const char* key;
  std::int64_t (*loop)(std::size_t);
  std::size_t ring_bytes_per_op;  // so that every burst moves the same bytes through the ring
  double spans_per_op, events_per_op;
};

inline const BurstScenario single_scenarios[] = {
    {"baseline", loop_baseline, span_ring_bytes, 0, 0},
    {"span", loop_span, span_ring_bytes, 1, 0},
    {"span_attrs", loop_span_attrs, 112, 1, 0},    // 96-byte extended begin + 16-byte end
    {"span_string", loop_span_string, 128, 1, 0},  // 112-byte begin (29 bytes copied) + 16-byte end
    {"span_fn", loop_span_fn, span_ring_bytes, 1, 0},
    {"span_stats", loop_span_stats, span_ring_bytes, 0, 0},  // no ring bytes: as many as the span's burst
    {"event", loop_event, 16, 0, 1},
    {"log", loop_log, log_ring_bytes, 0, 0},  // counted in the footer's `logs`, not its events
    {"log_suppressed", loop_log_suppressed, span_ring_bytes, 0, 0},  // no ring bytes: as many as the span's
    {"counter", loop_counter, 16, 0, 0},
    {"gauge", loop_gauge, 16, 0, 0},
    {"counter_labelled", loop_counter_labelled, 128, 0, 0},     // 48-byte header, 2 labels, 16 string bytes
    {"histogram", loop_histogram, span_ring_bytes, 0, 0},       // no ring bytes: as many as the span's
    {"histogram_labelled", loop_histogram_labelled, 96, 0, 0},  // 48-byte header, 1 label, 16 string bytes
};

inline void group_single(const Config& cfg, Reporter& out) {
  const std::size_t burst_bytes = cfg.burst * span_ring_bytes;
  const std::size_t ring = ring_for(burst_bytes);
  spanlog::start(run_options(cfg, "single", ring));
  out.value("single.ring_bytes", static_cast<double>(ring));
  double spans = 0, events = 0;
  auto run = [&](const BurstScenario& s) {
    const std::size_t n = std::max<std::size_t>(1, burst_bytes / s.ring_bytes_per_op);
    const std::int64_t ns = s.loop(n);
    spans += s.spans_per_op * static_cast<double>(n);
    events += s.events_per_op * static_cast<double>(n);
    spanlog::flush();
    return static_cast<double>(ns) / static_cast<double>(n);
  };
  // Warm up: every loop once, then spans until the whole ring has been written (page faults, caches).
  for (const auto& s : single_scenarios) run(s);
  for (std::size_t written = 0; written < 2 * ring; written += burst_bytes) run(single_scenarios[1]);

  constexpr std::size_t count = sizeof single_scenarios / sizeof single_scenarios[0];
  std::vector<std::vector<double>> samples(count);
  for (int r = 0; r < cfg.reps; ++r) {
    // Interleaved, starting at a different scenario each repetition, so that drift and order hit all alike.
    for (std::size_t k = 0; k < count; ++k) {
      const std::size_t i = (k + static_cast<std::size_t>(r)) % count;
      samples[i].push_back(run(single_scenarios[i]));
    }
  }
  for (std::size_t i = 0; i < count; ++i)
    out.samples(std::string("single.") + single_scenarios[i].key, samples[i]);
  stop_and_verify(out, "single", spans, events);
}

// ---------------------------------------------------------------------------------------------------------
// Group "threads": one producer thread alone, then 2 and 4 at once (on 2 cores, with the flusher competing).
// ---------------------------------------------------------------------------------------------------------

inline constexpr int team_size = 4;

class ProducerTeam {
 public:
  enum class Op { baseline, span, quit };

  ProducerTeam() {
    for (int i = 0; i < team_size; ++i) threads_[i] = std::thread([this, i] { work(i); });
  }
  ~ProducerTeam() {
    run(Op::quit, 0, (1u << team_size) - 1);
    for (auto& t : threads_) t.join();
  }

  // Runs `o` for n iterations on the threads in `mask` (bit i: thread i), started together;
  // returns each participant's ns per operation.
  std::vector<double> run(Op o, std::size_t n, unsigned mask) {
    std::unique_lock<std::mutex> lock(mutex_);
    op_ = o;
    n_ = n;
    mask_ = mask;
    arrived_.store(0);
    done_ = 0;
    ++generation_;
    cv_.notify_all();
    const int participants = __builtin_popcount(mask);
    done_cv_.wait(lock, [&] { return done_ == participants; });
    std::vector<double> v;
    for (int i = 0; i < team_size; ++i)
      if (mask & (1u << i)) v.push_back(result_[i]);
    return v;
  }

 private:
  void work(int index) {
    std::uint64_t seen = 0;
    for (;;) {
      Op o;
      std::size_t n;
      unsigned mask;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        cv_.wait(lock, [&] { return generation_ != seen; });
        seen = generation_;
        o = op_;
        n = n_;
        mask = mask_;
      }
      if (!(mask & (1u << index))) continue;
      if (o == Op::quit) {
        finish(index, 0);
        return;
      }
      // Start together: a spinning barrier, so neither thread's burst runs alone.
      arrived_.fetch_add(1);
      while (arrived_.load() != __builtin_popcount(mask)) {
      }
      const std::int64_t ns = o == Op::baseline ? loop_baseline(n) : loop_span(n);
      finish(index, static_cast<double>(ns) / static_cast<double>(n));
    }
  }
  void finish(int index, double v) {
    std::lock_guard<std::mutex> lock(mutex_);
    result_[index] = v;
    ++done_;
    done_cv_.notify_all();
  }

  std::thread threads_[team_size];
  std::mutex mutex_;
  std::condition_variable cv_, done_cv_;
  std::uint64_t generation_ = 0;
  Op op_ = Op::baseline;
  std::size_t n_ = 0;
  unsigned mask_ = 0;
  std::atomic<int> arrived_{0};
  int done_ = 0;
  double result_[team_size] = {};
};

inline void group_threads(const Config& cfg, Reporter& out) {
  const std::size_t n = cfg.burst;
  spanlog::start(run_options(cfg, "threads", ring_for(n * span_ring_bytes)));
  double spans = 0;
  {
    ProducerTeam team;
    using Op = ProducerTeam::Op;
    constexpr unsigned one = 1, two = 3, four = 15;
    // Warm up every ring (written through twice) and every thread's code paths.
    const std::size_t warm = 2 * ring_for(n * span_ring_bytes) / (n * span_ring_bytes) + 1;
    for (std::size_t i = 0; i < warm; ++i) {
      team.run(Op::baseline, n, four);
      team.run(Op::span, n, four);
      spans += 4.0 * static_cast<double>(n);
      spanlog::flush();
    }
    std::vector<double> base1, span1, base2, span2, base4, span4;
    auto add = [](std::vector<double>& to, const std::vector<double>& from) {
      to.insert(to.end(), from.begin(), from.end());
    };
    for (int r = 0; r < cfg.reps; ++r) {
      add(base1, team.run(Op::baseline, n, one));
      add(span1, team.run(Op::span, n, one));
      spans += static_cast<double>(n);
      spanlog::flush();
      add(base2, team.run(Op::baseline, n, two));
      add(span2, team.run(Op::span, n, two));
      spans += 2.0 * static_cast<double>(n);
      spanlog::flush();
      add(base4, team.run(Op::baseline, n, four));
      add(span4, team.run(Op::span, n, four));
      spans += 4.0 * static_cast<double>(n);
      spanlog::flush();
    }
    out.samples("threads.baseline1", base1);
    out.samples("threads.span1", span1);
    out.samples("threads.baseline2", base2);
    out.samples("threads.span2", span2);
    out.samples("threads.baseline4", base4);
    out.samples("threads.span4", span4);
  }
  stop_and_verify(out, "threads", spans, 0);
}

}  // namespace recorder_bench
