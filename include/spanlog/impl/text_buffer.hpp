// The flusher's output buffer.
#pragma once
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>

#include "../config.hpp"

SPANLOG_BEGIN_NAMESPACE
namespace detail {

// Copies the few bytes of a name, key or literal without a call into the C library: two fixed-size copies
// that overlap cover any length up to 32, and the compiler makes each a register move. Past 32 bytes a
// call's cost no longer matters. The flusher makes about ten copies a span; as calls they took a quarter of
// its time.
inline void copy_bytes(char* out, const char* in, std::size_t n) {
  if (n >= 16) {
    if (n > 32) {
      std::memcpy(out, in, n);
      return;
    }
    char head[16], tail[16];
    std::memcpy(head, in, 16);
    std::memcpy(tail, in + n - 16, 16);
    std::memcpy(out, head, 16);
    std::memcpy(out + n - 16, tail, 16);
  } else if (n >= 8) {
    char head[8], tail[8];
    std::memcpy(head, in, 8);
    std::memcpy(tail, in + n - 8, 8);
    std::memcpy(out, head, 8);
    std::memcpy(out + n - 8, tail, 8);
  } else if (n >= 4) {
    char head[4], tail[4];
    std::memcpy(head, in, 4);
    std::memcpy(tail, in + n - 4, 4);
    std::memcpy(out, head, 4);
    std::memcpy(out + n - 4, tail, 4);
  } else if (n > 0) {
    out[0] = in[0];
    out[n / 2] = in[n / 2];
    out[n - 1] = in[n - 1];
  }
}

// A growing byte buffer: appends are an inline capacity check and a memcpy (the flusher makes about ten
// per span, most of a few bytes).
class text_buffer {
 public:
  text_buffer() = default;
  text_buffer(const text_buffer&) = delete;
  text_buffer& operator=(const text_buffer&) = delete;
  ~text_buffer() { std::free(data_); }

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
