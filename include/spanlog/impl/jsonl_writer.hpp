// Appends JSON text to a growing buffer: the flusher's formatting, tuned for throughput (integers without a
// format string, names escaped once per call site). Every string it writes is valid UTF-8 JSON.
#pragma once
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "../config.hpp"
#include "text_buffer.hpp"

SPANLOG_BEGIN_NAMESPACE
namespace detail {

inline constexpr char decimal_pairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

// The digits of v below 10^4; returns the end. Branches on the magnitude, no loop: a column of a span row
// keeps its magnitude from row to row, so the branches predict.
inline char* write_up_to_four_digits(char* out, std::uint32_t v) {
  if (v < 100) {
    if (v < 10) {
      *out = static_cast<char>('0' + v);
      return out + 1;
    }
    std::memcpy(out, decimal_pairs + v * 2, 2);
    return out + 2;
  }
  const std::uint32_t high = v / 100, low = v % 100;
  if (high < 10) {
    *out = static_cast<char>('0' + high);
    std::memcpy(out + 1, decimal_pairs + low * 2, 2);
    return out + 3;
  }
  std::memcpy(out, decimal_pairs + high * 2, 2);
  std::memcpy(out + 2, decimal_pairs + low * 2, 2);
  return out + 4;
}

// Exactly four digits of v (below 10^4), leading zeros included.
inline void write_four_digits(char* out, std::uint32_t v) {
  std::memcpy(out, decimal_pairs + (v / 100) * 2, 2);
  std::memcpy(out + 2, decimal_pairs + (v % 100) * 2, 2);
}

// The digits of v below 10^8; returns the end.
inline char* write_up_to_eight_digits(char* out, std::uint32_t v) {
  if (v < 10000) return write_up_to_four_digits(out, v);
  out = write_up_to_four_digits(out, v / 10000);
  write_four_digits(out, v % 10000);
  return out + 4;
}

// Exactly eight digits of v (below 10^8), leading zeros included.
inline void write_eight_digits(char* out, std::uint32_t v) {
  write_four_digits(out, v / 10000);
  write_four_digits(out + 4, v % 10000);
}

// Decimal digits of v; returns the end. 64-bit division only above 10^8, once per eight digits.
inline char* write_decimal(char* out, std::uint64_t v) {
  if (v < 100000000) return write_up_to_eight_digits(out, static_cast<std::uint32_t>(v));
  const std::uint64_t high = v / 100000000;
  if (high < 100000000) {
    out = write_up_to_eight_digits(out, static_cast<std::uint32_t>(high));
  } else {  // 17 to 20 digits
    out = write_up_to_four_digits(out, static_cast<std::uint32_t>(high / 100000000));
    write_eight_digits(out, static_cast<std::uint32_t>(high % 100000000));
    out += 8;
  }
  write_eight_digits(out, static_cast<std::uint32_t>(v % 100000000));
  return out + 8;
}

// Decimal digits of v, with its sign; returns the end (at most 20 characters).
inline char* write_signed_decimal(char* out, std::int64_t v) {
  if (v < 0) *out++ = '-';
  // The magnitude as unsigned: -INT64_MIN does not fit in int64.
  return write_decimal(out, v < 0 ? 0 - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v));
}

class JsonlWriter {
 public:
  TextBuffer& buffer() { return out_; }
  std::size_t size() const { return out_.size(); }
  void clear() { out_.clear(); }
  const char* data() const { return out_.data(); }

  void raw(std::string_view s) { out_.append(s.data(), s.data() + s.size()); }
  // A literal: its length is known here, so the copy is a few moves, not a call.
  template <std::size_t N>
  void raw(const char (&literal)[N]) {
    std::memcpy(out_.reserve(N - 1), literal, N - 1);
    out_.commit(N - 1);
  }
  void raw(char c) { out_.push_back(c); }

  void u64(std::uint64_t v) {
    char* p = out_.reserve(20);
    out_.commit(static_cast<std::size_t>(write_decimal(p, v) - p));
  }
  void i64(std::int64_t v) {
    char* p = out_.reserve(20);
    out_.commit(static_cast<std::size_t>(write_signed_decimal(p, v) - p));
  }
  // Shortest text that reads back as the same double; JSON has no NaN or infinity: null.
  void f64(double v) {
    if (!std::isfinite(v)) return raw("null");
    char text[32];
    const auto written = fmt::format_to_n(text, sizeof text, "{}", v);
    out_.append(text, text + std::min<std::size_t>(written.size, sizeof text));
  }
  void boolean(bool v) { raw(v ? std::string_view("true") : std::string_view("false")); }

  // A quoted, escaped string; bytes that are not valid UTF-8 become U+FFFD.
  void string(std::string_view s) {
    out_.push_back('"');
    escape_into(out_, s);
    out_.push_back('"');
  }

  template <class Buffer>
  static void escape_into(Buffer& out, std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const auto* end = p + s.size();
    while (p < end) {
      const unsigned char c = *p;
      if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
        const auto* run = p;
        while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\') ++p;
        out.append(reinterpret_cast<const char*>(run), reinterpret_cast<const char*>(p));
        continue;
      }
      if (c < 0x80) {
        const char* esc = nullptr;
        switch (c) {
          case '"':
            esc = "\\\"";
            break;
          case '\\':
            esc = "\\\\";
            break;
          case '\n':
            esc = "\\n";
            break;
          case '\r':
            esc = "\\r";
            break;
          case '\t':
            esc = "\\t";
            break;
          case '\b':
            esc = "\\b";
            break;
          case '\f':
            esc = "\\f";
            break;
          default:
            break;
        }
        if (esc) {
          out.append(esc, esc + 2);
        } else {
          const char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
          out.append(u, u + 6);
        }
        ++p;
        continue;
      }
      std::size_t n = utf8_sequence_length(p, end);
      if (n) {
        out.append(reinterpret_cast<const char*>(p), reinterpret_cast<const char*>(p + n));
        p += n;
      } else {
        static constexpr char replacement[] = "\xEF\xBF\xBD";
        out.append(replacement, replacement + 3);
        ++p;
      }
    }
  }

  // Length of the valid UTF-8 sequence starting at p (a byte >= 0x80), or 0 if it is not valid.
  static std::size_t utf8_sequence_length(const unsigned char* p, const unsigned char* end) {
    const unsigned char c = *p;
    std::size_t n;
    std::uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF)
      n = 2, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
      n = 3, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
      n = 4, cp = c & 0x07;
    else
      return 0;
    if (static_cast<std::size_t>(end - p) < n) return 0;
    for (std::size_t i = 1; i < n; ++i) {
      if ((p[i] & 0xC0) != 0x80) return 0;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return 0;
    return n;
  }

 private:
  TextBuffer out_;
};

}  // namespace detail
SPANLOG_END_NAMESPACE
