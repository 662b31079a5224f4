// A log line on the calling thread: one compare with the run's level, then the arguments copied in binary
// into the ring beside the site's address (format, level, file, line). The flusher formats the message.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <utility>

#include "../config.hpp"
#include "log_format.hpp"
#include "record.hpp"
#include "recorder.hpp"

SPANLOG_BEGIN_NAMESPACE
namespace detail {

// The run's level (Options::log_level, SPANLOG_LOG_LEVEL): lines below it are not recorded.
inline std::atomic<std::uint8_t> g_log_level{static_cast<std::uint8_t>(LogLevel::info)};

template <std::size_t Holes, class... A, std::size_t... I>
bool write_log(ThreadBuffer& b, const Site& s, const HoleNames<Holes>& holes, std::index_sequence<I...>,
               const A&... args) {
  const std::size_t payload = (std::size_t{0} + ... + (sizeof(AttrSlot) + AttrCodec<A>::extra_bytes(args)));
  return write_extended_payload(b, &s, ExtendedOp::log, 0, 0, 0, ticks(), false,
                                static_cast<std::uint8_t>(sizeof...(A)), payload, [&](std::byte* out) {
                                  std::size_t at = 0;
                                  ((at += AttrCodec<A>::write(out + at, holes.names[I], args)), ...);
                                  (void)out, (void)at;
                                });
}

// The format comes again after the site, as the macro's first argument; the site already points to it.
template <std::size_t Holes, std::size_t N, class... A>
SPANLOG_ALWAYS_INLINE void log(const Site& s, const HoleNames<Holes>& holes, const char (&format)[N],
                               const A&... args) {
  static_cast<void>(sizeof(check_log<Holes>(format, args...)));  // the checks, at compile time
  if (s.log_level < g_log_level.load(std::memory_order_relaxed)) return;
  if (ThreadBuffer* b = buffer_for<flag_events>()) {
    if (!write_log(*b, s, holes, std::index_sequence_for<A...>{}, args...))
      count_dropped_event(*b, &s, nullptr);
  }
}

}  // namespace detail
SPANLOG_END_NAMESPACE
