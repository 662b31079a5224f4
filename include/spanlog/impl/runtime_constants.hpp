// The implementation's fixed numbers, each with why it is what it is. None changes the record layout (those
// are in config.hpp); changing one changes only how the flusher and the slow paths pace themselves.
#pragma once
#include <cstddef>
#include <cstdint>

#include "../config.hpp"

SPANLOG_BEGIN_NAMESPACE
namespace detail {

// The flusher drains a ring in batches of this many bytes, so the text formatted between two safe points
// (where the file matches the rings' consumed positions) stays bounded whatever a ring holds.
constexpr std::uint64_t drain_batch_bytes = std::uint64_t{256} << 10;
// How far ahead of the record being read the drain asks for the ring's memory.
constexpr std::uint64_t drain_prefetch_bytes = 512;
// At most this many passes over the rings per cycle: a thread recording as fast as the flusher drains cannot
// keep it from writing, flushing or stopping.
constexpr int drain_passes_per_cycle = 256;
// Formatted text is written out once it reaches this size, even mid-cycle: memory stays flat under bursts.
constexpr std::size_t write_out_bytes = std::size_t{4} << 20;
// A long run's file is sent to the disk and dropped from the page cache in windows of this size.
constexpr std::uint64_t page_cache_window_bytes = std::uint64_t{64} << 20;
// Names escaped once per call site, looked up by address: a direct-mapped cache in front of the map.
constexpr std::size_t name_cache_fast_slots = 512;

// The TSC rate is first measured over 2 ms (so the flusher can write at once), then refined over 50 ms.
constexpr std::int64_t calibration_initial_ns = 2000000;
constexpr std::int64_t calibration_refined_ns = 50000000;

// A new thread waits this long at most for the ring of a thread that exited, instead of allocating one.
constexpr int reusable_ring_wait_ms = 50;
// Under the block policy a thread short of room sleeps at most this long per wait (a missed wake or a stopped
// run costs that, never a hang).
constexpr long block_wait_ns = 1000000;

// The crash handler looks this often whether the flusher has stopped for it (between drains it stops at
// once; in a drain, at its next record), and gives up waiting after the second figure: only a write to a disk
// that does not answer takes that long.
constexpr long crash_poll_us = 20;
constexpr int crash_wait_for_flusher_ms = 2000;
// How long a start waits for the flusher to know the clock's rate (about 2 ms in a process's first run).
constexpr int clock_rate_wait_ms = 100;
// Another thread that crashes while the crash handler writes waits this long at most for it to end the
// process with the first signal, then ends it with its own.
constexpr int crash_wait_for_first_handler_ms = 10000;
// Spans open at once per thread that the crash handler can pair with their ends.
constexpr std::size_t crash_max_depth = 256;
// The crash handler's output buffer: on its stack-free static storage, written with write(2).
constexpr std::size_t crash_output_bytes = 16384;
// How long the flusher waits, at the start of a run, for the hot path to be told to record before it
// measures what recording costs (start sets the flags microseconds after launching the flusher).
constexpr std::int64_t overhead_wait_ns = 20000000;

}  // namespace detail
SPANLOG_END_NAMESPACE
