// What a run of the benchmark is asked to do (the command line's settings), and how every group starts
// spanlog: the ring a burst needs and the options, taken from the defaults, never from the environment.
#pragma once
#include <spanlog/options.hpp>

#include <cstddef>
#include <set>
#include <string>

namespace recorder_bench {

struct Config {
  int reps = 9;                         // repetitions of every scenario (medians of these)
  double seconds = 5;                   // the sustained run
  std::size_t burst = 100000;           // span-sized operations per timed burst (32 bytes of ring each)
  std::size_t flusher_spans = 4000000;  // spans recorded before the flusher is asked to write them
  std::string dir;                      // temp directory for every run; deleted at the end
  std::set<std::string> only;           // groups to run; empty: all
  std::string reader;                   // the reader CLI for the "reader" group; empty: the group is skipped
};

inline constexpr std::size_t span_ring_bytes =
    32;  // a span without attributes: a 16-byte begin and a 16-byte end
// loop_log's line: a 48-byte extended header, three 24-byte attribute slots and the 20-byte string padded to
// 24
inline constexpr std::size_t log_ring_bytes = 144;

// Smallest power of two (at least 1 MiB, the default) that keeps `bytes` below the ring's high-water mark,
// half the ring, with 1 MiB to spare: a burst of that size never wakes the flusher early nor waits for it.
inline std::size_t ring_for(std::size_t bytes) {
  std::size_t r = std::size_t{1} << 20;
  while (r < 2 * bytes + (std::size_t{1} << 20) && r < (std::size_t{1} << 30)) r <<= 1;
  return r;
}

inline spanlog::Options run_options(const Config& cfg, const char* run_id, std::size_t ring_bytes) {
  spanlog::Options o;  // defaults, not the environment: the table must not depend on SPANLOG_* variables
  o.dir = cfg.dir;
  o.run_id = run_id;
  o.ring_bytes = ring_bytes;
  o.overflow = spanlog::OverflowPolicy::block;  // a full ring shows up as time, never as a cheap drop
  return o;
}

}  // namespace recorder_bench
