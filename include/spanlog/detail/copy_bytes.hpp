// Short copies as register moves, for the recording thread's string attributes and the flusher's output.
#pragma once
#include <cstddef>
#include <cstring>

#include "../config.hpp"

SPANLOG_BEGIN_NAMESPACE
namespace detail {

// `n` bytes, Width <= n <= 2 * Width, as two fixed-size copies that overlap: each is a register move.
template <std::size_t Width>
inline void copy_two_overlapping(char* out, const char* in, std::size_t n) {
  char head[Width], tail[Width];
  std::memcpy(head, in, Width);
  std::memcpy(tail, in + n - Width, Width);
  std::memcpy(out, head, Width);
  std::memcpy(out + n - Width, tail, Width);
}

// A long copy, out of line: it is rare, and inlined beside a caller's small buffer the compiler may judge a
// path it cannot take (a 32-byte buffer read past its end) and warn.
SPANLOG_NOINLINE inline void copy_long(char* out, const char* in, std::size_t n) {
  std::memcpy(out, in, n);
}

// `n` bytes from a source of at most Capacity (up to 32): only the copies that fit in it are compiled, so
// that for a char array (a string literal) the compiler sees no path that reads past its end.
template <std::size_t Capacity>
inline void copy_bytes_within(char* out, const char* in, std::size_t n) {
  static_assert(Capacity <= 32, "past 32 bytes, copy_bytes");
  if constexpr (Capacity >= 16) {
    if (n >= 16) return copy_two_overlapping<16>(out, in, n);
    copy_bytes_within<15>(out, in, n);
  } else if constexpr (Capacity >= 8) {
    if (n >= 8) return copy_two_overlapping<8>(out, in, n);
    copy_bytes_within<7>(out, in, n);
  } else if constexpr (Capacity >= 4) {
    if (n >= 4) return copy_two_overlapping<4>(out, in, n);
    copy_bytes_within<3>(out, in, n);
  } else if (n > 0) {
    out[0] = in[0];
    out[n / 2] = in[n / 2];
    out[n - 1] = in[n - 1];
  }
}

// Copies the few bytes of a name, key, literal or string attribute without a call into the C library: two
// fixed-size copies that overlap cover any length up to 32. Past 32 bytes a call's cost no longer matters.
// The flusher makes about ten copies a span; as calls they took a quarter of its time. On the recording
// thread, a string attribute's copy inlined as memcpy was a `rep movs` with its start-up cost.
inline void copy_bytes(char* out, const char* in, std::size_t n) {
  if (n > 32) return copy_long(out, in, n);
  copy_bytes_within<32>(out, in, n);
}

}  // namespace detail
SPANLOG_END_NAMESPACE
