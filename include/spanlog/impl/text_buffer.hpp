// The flusher's output buffer.
#pragma once
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>

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

// Copies the few bytes of a name, key or literal without a call into the C library: two fixed-size copies
// that overlap cover any length up to 32. Past 32 bytes a call's cost no longer matters. The flusher makes
// about ten copies a span; as calls they took a quarter of its time.
inline void copy_bytes(char* out, const char* in, std::size_t n) {
  if (n > 32) {
    copy_long(out, in, n);
  } else if (n >= 16) {
    copy_two_overlapping<16>(out, in, n);
  } else if (n >= 8) {
    copy_two_overlapping<8>(out, in, n);
  } else if (n >= 4) {
    copy_two_overlapping<4>(out, in, n);
  } else if (n > 0) {
    out[0] = in[0];
    out[n / 2] = in[n / 2];
    out[n - 1] = in[n - 1];
  }
}

// A growing byte buffer: appends are an inline capacity check and a memcpy (the flusher makes about ten
// per span, most of a few bytes).
class TextBuffer {
 public:
  TextBuffer() = default;
  TextBuffer(const TextBuffer&) = delete;
  TextBuffer& operator=(const TextBuffer&) = delete;
  ~TextBuffer() { std::free(data_); }

  std::size_t size() const { return size_; }
  const char* data() const { return data_; }
  void clear() { size_ = 0; }

  // Room for `n` more bytes at end(); commit(count) then takes what was written there.
  char* reserve(std::size_t n) {
    if (capacity_ - size_ < n) grow(n);
    return data_ + size_;
  }
  void commit(std::size_t n) { size_ += n; }

  void append(const char* begin, const char* end) {
    const auto n = static_cast<std::size_t>(end - begin);
    copy_bytes(reserve(n), begin, n);
    size_ += n;
  }
  void push_back(char c) {
    *reserve(1) = c;
    ++size_;
  }

 private:
  // Out of line: the appends stay a compare and a copy.
  SPANLOG_NOINLINE void grow(std::size_t n) {
    std::size_t capacity = capacity_ ? capacity_ * 2 : 4096;
    while (capacity - size_ < n) capacity *= 2;
    void* grown = std::realloc(data_, capacity);
    if (!grown) throw std::bad_alloc();
    data_ = static_cast<char*>(grown);
    capacity_ = capacity;
  }

  char* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

}  // namespace detail
SPANLOG_END_NAMESPACE
