// A log line's message, made by the flusher from the site's format and the arguments the calling thread
// copied into its ring (detail/log_recorder.hpp): the i-th hole takes the i-th attribute, formatted by fmt
// with the hole's spec (`{ms:.1f}`), or as its JSON value would read without one.
#pragma once
#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "../config.hpp"
#include "../detail/record.hpp"

SPANLOG_BEGIN_NAMESPACE
namespace detail {

// One attribute of a record as fmt formats it: `spec` is what follows the colon in the hole, maybe empty. A
// spec that does not suit the value (`{name:d}` given a string) leaves the value as it is, never an error.
inline void append_formatted_attr(std::string& out, const AttrSlot& slot, const std::byte* bytes,
                                  std::string_view spec) {
  std::string pattern = "{:";
  pattern.append(spec.data(), spec.size());
  pattern.push_back('}');
  auto append = [&](const auto& value) {
    try {
      fmt::format_to(std::back_inserter(out), fmt::runtime(spec.empty() ? std::string_view("{}") : pattern),
                     value);
    } catch (const fmt::format_error&) {
      fmt::format_to(std::back_inserter(out), "{}", value);
    }
  };
  switch (slot.type) {
    case AttrType::i64:
      return append(static_cast<std::int64_t>(slot.bits));
    case AttrType::u64:
      return append(slot.bits);
    case AttrType::boolean:
      return append(slot.bits != 0);
    case AttrType::f64: {
      double d;
      std::memcpy(&d, &slot.bits, 8);
      return append(d);
    }
    case AttrType::string:
      return append(std::string_view(reinterpret_cast<const char*>(bytes), slot.length));
  }
}

// The message: the format with `{{` and `}}` as single braces and each hole replaced by its attribute. The
// format was checked at compile time (detail/log_format.hpp), so every hole is closed.
inline void format_log_message(std::string& out, const char* format, const std::byte* attrs, std::uint8_t count) {
  std::uint8_t used = 0;
  for (const char* p = format; *p; ++p) {
    if ((*p == '{' && p[1] == '{') || (*p == '}' && p[1] == '}')) {
      out.push_back(*p++);
      continue;
    }
    if (*p != '{') {
      out.push_back(*p);
      continue;
    }
    const char* close = std::strchr(p, '}');
    if (!close) return;
    const char* colon = static_cast<const char*>(std::memchr(p, ':', static_cast<std::size_t>(close - p)));
    const std::string_view spec = colon ? std::string_view(colon + 1, static_cast<std::size_t>(close - colon - 1))
                                        : std::string_view();
    if (used < count) {
      AttrSlot slot;
      std::memcpy(&slot, attrs, sizeof slot);
      append_formatted_attr(out, slot, attrs + sizeof slot, spec);
      attrs += sizeof slot + (slot.type == AttrType::string ? align_up(slot.length, 8) : 0);
      ++used;
    }
    p = close;
  }
}

inline const char* log_level_name(std::uint8_t level) {
  static constexpr const char* names[] = {"trace", "debug", "info", "warn", "error"};
  return level < 5 ? names[level] : "error";
}

}  // namespace detail
SPANLOG_END_NAMESPACE
