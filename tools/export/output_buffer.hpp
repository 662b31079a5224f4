// Text built in memory and written to a stream in large blocks, so that an exporter formats with fmt and pays
// for one write per megabyte instead of one per value. Write failures throw.
#pragma once

#include <iterator>
#include <ostream>
#include <stdexcept>
#include <string_view>

#include <fmt/format.h>

namespace spanlog::exporters {

class OutputBuffer {
 public:
  explicit OutputBuffer(std::ostream& out) : out_(out) {}

  template <class... Args>
  void format(fmt::format_string<Args...> format, Args&&... args) {
    fmt::format_to(std::back_inserter(buffer_), format, std::forward<Args>(args)...);
  }
  void append(std::string_view text) { buffer_.append(text.data(), text.data() + text.size()); }
  void append(char c) { buffer_.push_back(c); }
  // Ends a line, and writes the buffer out once it holds enough.
  void end_line() {
    buffer_.push_back('\n');
    if (buffer_.size() >= kFlushBytes) flush();
  }
  void flush() {
    out_.write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    buffer_.clear();
    out_.flush();
    if (!out_) throw std::runtime_error("write failed");
  }

 private:
  static constexpr std::size_t kFlushBytes = std::size_t{1} << 20;
  std::ostream& out_;
  fmt::memory_buffer buffer_;
};

}  // namespace spanlog::exporters
