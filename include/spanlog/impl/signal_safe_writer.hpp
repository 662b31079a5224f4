// Output for the crash handler: a fixed buffer and write(2), nothing that allocates or locks. Strings are
// escaped by the same code as the JSONL writer's, so a crash record reads like any other.
#pragma once
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "../config.hpp"
#include "jsonl_writer.hpp"
#include "runtime_constants.hpp"

SPANLOG_BEGIN_NAMESPACE
namespace detail {

class signal_safe_writer {
 public:
  explicit signal_safe_writer(int fd) : fd_(fd) {}
  ~signal_safe_writer() { flush(); }
  signal_safe_writer(const signal_safe_writer&) = delete;
  signal_safe_writer& operator=(const signal_safe_writer&) = delete;

  void append(const char* begin, const char* end) {
    while (begin < end) {
      if (size_ == sizeof buf_) flush();
      const std::size_t n = std::min<std::size_t>(static_cast<std::size_t>(end - begin), sizeof buf_ - size_);
      std::memcpy(buf_ + size_, begin, n);
      size_ += n;
      begin += n;
    }
  }
  void raw(const char* s) { append(s, s + std::strlen(s)); }
  void u64(std::uint64_t v) {
    char tmp[24];
    char* p = tmp + sizeof tmp;
    do {
      *--p = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v);
    append(p, tmp + sizeof tmp);
  }
  void i64(std::int64_t v) {
    if (v < 0) {
      raw("-");
      u64(static_cast<std::uint64_t>(-(v + 1)) + 1);
    } else {
      u64(static_cast<std::uint64_t>(v));
    }
  }
  void string(const char* s) {
    raw("\"");
    jsonl_writer::escape_into(*this, s ? std::string_view(s) : std::string_view());
    raw("\"");
  }
  void flush() {
    const char* p = buf_;
    while (size_ && fd_ >= 0) {
      const ssize_t n = ::write(fd_, p, size_);
      if (n > 0) {
        p += n;
        size_ -= static_cast<std::size_t>(n);
      } else if (!(n < 0 && errno == EINTR)) {
        break;
      }
    }
    size_ = 0;
  }

 private:
  int fd_;
  std::size_t size_ = 0;
  char buf_[crash_output_bytes];
};

inline const char* signal_name(int sig) {
  switch (sig) {
    case SIGSEGV:
      return "SIGSEGV";
    case SIGABRT:
      return "SIGABRT";
    case SIGBUS:
      return "SIGBUS";
    case SIGFPE:
      return "SIGFPE";
    case SIGILL:
      return "SIGILL";
    default:
      return "signal";
  }
}

}  // namespace detail
SPANLOG_END_NAMESPACE
