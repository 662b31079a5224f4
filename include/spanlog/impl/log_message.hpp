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
#include "jsonl_writer.hpp"
#include "text_buffer.hpp"

SPANLOG_BEGIN_NAMESPACE
namespace detail {

// One attribute of a record as fmt formats it: `spec` is what follows the colon in the hole, maybe empty. A
// spec that does not suit the value (`{name:d}` given a string) leaves the value as it is, never an error.
inline void append_formatted_attr(std::string& out, const AttrSlot& slot, const std::byte* bytes,
                                  std::string_view spec) {
  if (spec.empty() && slot.type == AttrType::string)
    return static_cast<void>(out.append(reinterpret_cast<const char*>(bytes), slot.length));
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

// Walks a format checked at compile time (detail/log_format.hpp): `on_text(piece)` for each run of literal
// text (`{{` and `}}` as single braces), `on_hole(spec)` for each hole in order, spec empty when it has none.
template <class OnText, class OnHole>
void walk_log_format(const char* format, const OnText& on_text, const OnHole& on_hole) {
  const char* run = format;
  for (const char* p = format; *p; ++p) {
    const bool doubled = (*p == '{' && p[1] == '{') || (*p == '}' && p[1] == '}');
    if (!doubled && *p != '{') continue;
    on_text(std::string_view(run, static_cast<std::size_t>(p - run) + (doubled ? 1 : 0)));
    if (doubled) {
      run = ++p + 1;
      continue;
    }
    const char* close = std::strchr(p, '}');
    if (!close) return;
    const char* colon = static_cast<const char*>(std::memchr(p, ':', static_cast<std::size_t>(close - p)));
    on_hole(colon ? std::string_view(colon + 1, static_cast<std::size_t>(close - colon - 1))
                  : std::string_view());
    p = close;
    run = close + 1;
  }
  on_text(std::string_view(run));
}

// Steps through a record's attributes: the next one's slot and the bytes after it (a string's text).
class AttrCursor {
 public:
  AttrCursor(const std::byte* attrs, std::uint8_t count) : at_(attrs), left_(count) {}
  bool next(AttrSlot& slot, const std::byte*& bytes) {
    if (!left_) return false;
    std::memcpy(&slot, at_, sizeof slot);
    bytes = at_ + sizeof slot;
    at_ += sizeof slot + (slot.type == AttrType::string ? align_up(slot.length, 8) : 0);
    --left_;
    return true;
  }

 private:
  const std::byte* at_;
  std::uint8_t left_;
};

// The message's pieces in order: `on_text(text)` for literal text, `on_value(slot, bytes, spec)` for each
// hole with the attribute it takes (a hole past the attributes, which the compile-time check rules out, is
// skipped).
template <class OnText, class OnValue>
void for_each_message_piece(const char* format, const std::byte* attrs, std::uint8_t count,
                            const OnText& on_text, const OnValue& on_value) {
  AttrCursor cursor(attrs, count);
  walk_log_format(format, on_text, [&](std::string_view spec) {
    AttrSlot slot;
    const std::byte* bytes = nullptr;
    if (cursor.next(slot, bytes)) on_value(slot, bytes, spec);
  });
}

// The message as a person reads it (the console).
inline void format_log_message(std::string& out, const char* format, const std::byte* attrs,
                               std::uint8_t count) {
  for_each_message_piece(
      format, attrs, count, [&out](std::string_view text) { out.append(text.data(), text.size()); },
      [&out](const AttrSlot& slot, const std::byte* bytes, std::string_view spec) {
        append_formatted_attr(out, slot, bytes, spec);
      });
}

// The message escaped for a JSON string, straight into the line: literal text and strings escaped as they go,
// integers and booleans written as they are; only a spec or a double goes through fmt (`scratch`).
inline void append_escaped_log_message(TextBuffer& out, std::string& scratch, const char* format,
                                       const std::byte* attrs, std::uint8_t count) {
  for_each_message_piece(
      format, attrs, count, [&out](std::string_view text) { JsonlWriter::escape_into(out, text); },
      [&](const AttrSlot& slot, const std::byte* bytes, std::string_view spec) {
        if (spec.empty()) {
          char* const first = out.reserve(20);
          char* last = nullptr;
          if (slot.type == AttrType::i64)
            last = write_signed_decimal(first, static_cast<std::int64_t>(slot.bits));
          if (slot.type == AttrType::u64) last = write_decimal(first, slot.bits);
          if (last) return out.commit(static_cast<std::size_t>(last - first));
          if (slot.type == AttrType::string)
            return JsonlWriter::escape_into(
                out, std::string_view(reinterpret_cast<const char*>(bytes), slot.length));
        }
        scratch.clear();
        append_formatted_attr(scratch, slot, bytes, spec);
        JsonlWriter::escape_into(out, scratch);
      });
}

inline const char* log_level_name(std::uint8_t level) {
  static constexpr const char* names[] = {"trace", "debug", "info", "warn", "error", "off"};
  return level < 6 ? names[level] : "off";
}

}  // namespace detail
SPANLOG_END_NAMESPACE
