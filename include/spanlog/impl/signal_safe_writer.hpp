// Output for the crash handler: a fixed buffer and write(2), nothing that allocates or locks. Strings are
// escaped by the same code as the JSONL writer's, so a crash record reads like any other.
#pragma once
#include <unistd.h>

#include <algorithm>
#include <atomic>
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

class SignalSafeWriter;
// The crash handler's writer while it writes, for a second fault to save its whole lines.
inline std::atomic<SignalSafeWriter*> g_crash_writer{nullptr};

class SignalSafeWriter {
 public:
  explicit SignalSafeWriter(int fd) : fd_(fd) { g_crash_writer.store(this, std::memory_order_release); }
  ~SignalSafeWriter() {
    flush();
    g_crash_writer.store(nullptr, std::memory_order_release);
  }
  SignalSafeWriter(const SignalSafeWriter&) = delete;
  SignalSafeWriter& operator=(const SignalSafeWriter&) = delete;

  void append(const char* begin, const char* end) {
    while (begin < end) {
      if (size_ == sizeof buf_) write_complete_lines();
      const std::size_t n = std::min<std::size_t>(static_cast<std::size_t>(end - begin), sizeof buf_ - size_);
      std::memcpy(buf_ + size_, begin, n);
      size_ += n;
      begin += n;
    }
  }
  void raw(const char* s) { append(s, s + std::strlen(s)); }
  void raw(std::string_view s) { append(s.data(), s.data() + s.size()); }
  void raw(char c) { append(&c, &c + 1); }
  void boolean(bool v) { raw(v ? "true" : "false"); }
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
  void string(const char* s) { string(s ? std::string_view(s) : std::string_view()); }
  void string(std::string_view s) {
    raw('"');
    JsonlWriter::escape_into(*this, s);
    raw('"');
  }
  void flush() {
    write_bytes(buf_, size_);
    size_ = 0;
  }

  // Up to the last complete line, keeping the rest: a full buffer goes out so, and so does the buffer of a
  // crash handler that a second fault ends, so the file ends with whole lines. A single line longer than
  // the buffer goes out as it is.
  void write_complete_lines() {
    std::size_t complete = size_;
    while (complete > 0 && buf_[complete - 1] != '\n') --complete;
    if (complete == 0) complete = size_;
    write_bytes(buf_, complete);
    std::memmove(buf_, buf_ + complete, size_ - complete);
    size_ -= complete;
  }

 private:
  void write_bytes(const char* p, std::size_t left) {
    while (left && fd_ >= 0) {
      const ssize_t n = ::write(fd_, p, left);
      if (n > 0) {
        p += n;
        left -= static_cast<std::size_t>(n);
      } else if (!(n < 0 && errno == EINTR)) {
        break;
      }
    }
  }

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
    case SIGTERM:
      return "SIGTERM";
    case SIGINT:
      return "SIGINT";
    default:
      return "signal";
  }
}

}  // namespace detail
SPANLOG_END_NAMESPACE
