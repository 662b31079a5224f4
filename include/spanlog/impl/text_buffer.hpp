// The flusher's output buffer.
#pragma once
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>

#include "../config.hpp"
#include "../detail/copy_bytes.hpp"

SPANLOG_BEGIN_NAMESPACE
namespace detail {

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
