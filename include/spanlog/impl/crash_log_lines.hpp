// A log line still in a ring when the process crashed, written by the crash handler: the last lines before a
// crash are the ones people need most. Nothing here allocates or locks, so fmt is out: the message's holes
// take their values as plain text (specs are not applied), and a double is written with six decimals.
#pragma once
#include <cmath>
#include <cstdint>
#include <string_view>

#include "../config.hpp"
#include "../detail/record.hpp"
#include "log_message.hpp"
#include "signal_safe_writer.hpp"

SPANLOG_BEGIN_NAMESPACE
namespace detail {

// A finite double as [-]digits.dddddd; JSON has no NaN or infinity, so those are null in attributes.
inline void crash_write_double(SignalSafeWriter& w, double d, bool as_json) {
  if (!std::isfinite(d)) return w.raw(as_json ? "null" : (std::isnan(d) ? "nan" : (d < 0 ? "-inf" : "inf")));
  if (std::fabs(d) >= 1e18) return w.raw(as_json ? "null" : "(out of range)");
  if (d < 0) {
    w.raw('-');
    d = -d;
  }
  auto micro = static_cast<std::uint64_t>(std::llround(d * 1e6));
  if (d >= 1e12) micro = static_cast<std::uint64_t>(d) * 1000000u;  // beyond the double's precision anyway
  w.u64(micro / 1000000u);
  w.raw('.');
  char digits[6];
  std::uint64_t fraction = micro % 1000000u;
  for (int i = 5; i >= 0; --i, fraction /= 10) digits[i] = static_cast<char>('0' + fraction % 10);
  w.append(digits, digits + 6);
}

// A value as text inside the message (a string escaped, not quoted), or as a JSON value.
inline void crash_write_attr_value(SignalSafeWriter& w, const AttrSlot& slot, const std::byte* bytes,
                                   bool as_json) {
  switch (slot.type) {
    case AttrType::i64:
      return w.i64(static_cast<std::int64_t>(slot.bits));
    case AttrType::u64:
      return w.u64(slot.bits);
    case AttrType::boolean:
      return w.boolean(slot.bits != 0);
    case AttrType::f64: {
      double d;
      std::memcpy(&d, &slot.bits, 8);
      return crash_write_double(w, d, as_json);
    }
    case AttrType::string: {
      const std::string_view text(reinterpret_cast<const char*>(bytes), slot.length);
      if (as_json) return w.string(text);
      return JsonlWriter::escape_into(w, text);
    }
  }
}

// The `log` line (docs/format.md) of a record at `ts_ns`, in the span `span_id` (0: none).
inline void crash_log_line(SignalSafeWriter& w, const Site& s, std::uint64_t tid, std::int64_t ts_ns,
                           std::uint64_t span_id, const std::byte* attrs, std::uint8_t count) {
  w.raw("{\"event\":\"log\",\"level\":\"");
  w.raw(log_level_name(s.log_level));
  w.raw("\",\"tid\":");
  w.u64(tid);
  w.raw(",\"ts\":");
  w.i64(ts_ns);
  if (span_id) {
    w.raw(",\"span_id\":");
    w.u64(span_id);
  }
  w.raw(",\"msg\":\"");
  for_each_message_piece(
      s.name, attrs, count, [&w](std::string_view text) { JsonlWriter::escape_into(w, text); },
      [&w](const AttrSlot& slot, const std::byte* bytes, std::string_view) {
        crash_write_attr_value(w, slot, bytes, false);
      });
  w.raw('"');
  if (count) {
    w.raw(",\"attrs\":{");
    AttrCursor cursor(attrs, count);
    AttrSlot slot;
    const std::byte* bytes = nullptr;
    for (bool first = true; cursor.next(slot, bytes); first = false) {
      if (!first) w.raw(',');
      w.string(slot.key);
      w.raw(':');
      crash_write_attr_value(w, slot, bytes, true);
    }
    w.raw('}');
  }
  w.raw(",\"site\":{\"file\":");
  w.string(s.file);
  w.raw(",\"line\":");
  w.u64(s.line);
  w.raw("}}\n");
}

}  // namespace detail
SPANLOG_END_NAMESPACE
