// The binary layout of records in a thread's ring, shared by the recording thread and the flusher.
// Every record is a multiple of 16 bytes, so the fixed 16-byte records never straddle the ring's end.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

#include "../config.hpp"
#include "attr_check.hpp"
#include "copy_bytes.hpp"

SPANLOG_BEGIN_NAMESPACE
namespace detail {

enum class SiteKind : std::uint8_t {
  span,
  phase,
  instant,
  counter_int,
  counter_float,
  gauge,
  log,
  histogram
};

// Per call site, `static constexpr`: the hot path stores a pointer to it, never the strings.
struct alignas(8) Site {
  const char* name;
  const char* function;
  const char* file;
  std::uint32_t line;
  SiteKind kind;
  std::uint8_t log_level = 0;  // a log site's LogLevel (detail/log_format.hpp); its name is the format
};

// The low three bits of a record's first word (a site pointer, 8-aligned) say what the record is. The hot
// path adds the tag to the site's address, so that both fold into one address constant.
enum RecordTag : std::uintptr_t {
  tag_span_begin = 0,  // {site, tsc}
  tag_span_end = 1,    // {0, tsc}: ends the innermost open span of the thread
  tag_instant = 2,     // {site, tsc}
  tag_counter = 3,     // {site, delta as int64 or double bits}
  tag_gauge = 4,       // {site, value as double bits}
  tag_extended = 5,    // {site or 0, tsc} + extended_header + attributes
  tag_padding = 6,     // skip to the ring's start
  tag_ring_link = 7,   // {new ring's memory, its capacity}: the ring grew; read on there, same positions
};
constexpr std::uintptr_t tag_mask = 7;
constexpr std::size_t record_align = 16;

struct RecordHeader {
  std::uintptr_t site_and_tag;
  std::uint64_t value;
};
static_assert(sizeof(RecordHeader) == 16, "fixed records are 16 bytes");

enum class ExtendedOp : std::uint8_t {
  span_begin,   // site (or arg2 = name pointer); arg = explicit parent id, 0 for the thread's innermost span
  instant,      // site; attributes
  span_attrs,   // arg = span id: attributes set while the span is open
  span_error,   // arg = span id; an optional string attribute "message"
  async_begin,  // arg = caller's id, arg2 = name pointer: a span that may end on any thread
  async_end,    // arg = caller's id; attributes
  thread_name,  // one string attribute
  // arg = span id, arg2 = ticks: time the span's direct statistics-mode children took (detail/span_stats.hpp)
  stats_children,
  log,  // site (a log site); one attribute per hole of its format, keyed by the hole's name
  // site (a counter, gauge or histogram site); arg = the value (an int64, or a double's bits for a
  // floating-point counter and a gauge); the attributes are the series' labels
  metric,
};

// extended_header::flags
constexpr std::uint16_t ext_flag_phase = 1;
constexpr std::uint16_t ext_flag_unwound = 2;  // span_error: set because an exception unwound the span

struct ExtendedHeader {
  std::uint32_t size;  // of the whole record, header included, a multiple of record_align
  ExtendedOp op;
  std::uint8_t attr_count;
  std::uint16_t flags;
  std::uint64_t arg;
  std::uint64_t arg2;  // a name pointer where op needs both an id and a name
  std::uint64_t pad;
};
static_assert(sizeof(RecordHeader) + sizeof(ExtendedHeader) == 48, "extended header is 48 bytes");

enum class AttrType : std::uint32_t { i64, u64, f64, boolean, string };

// One attribute; a string's bytes follow it, padded to 8.
struct AttrSlot {
  const char* key;
  AttrType type;
  std::uint32_t length;
  std::uint64_t bits;
};
static_assert(sizeof(AttrSlot) == 24, "attribute slots are 24 bytes");

constexpr std::size_t align_up(std::size_t n, std::size_t a) {
  return (n + a - 1) & ~(a - 1);
}

// Cuts a string to the limit without splitting a UTF-8 sequence.
inline std::size_t clipped_length(const char* s, std::size_t n) {
  if (n <= SPANLOG_MAX_STRING_BYTES) return n;
  std::size_t cut = SPANLOG_MAX_STRING_BYTES;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return cut;
}

inline void store_slot(std::byte* out, const char* key, AttrType type, std::uint32_t length,
                       std::uint64_t bits);

inline void count_string_cut();  // on the recording thread's ring (detail/recorder.hpp)

// How a value of type T is carried: the attribute type and the bytes it adds after its slot.
template <class T>
struct AttrCodec {
  using D = std::decay_t<T>;
  static constexpr bool is_string = is_string_value<T>;
  static_assert(is_attr_value<T>, SPANLOG_ATTR_VALUES_MESSAGE_);

  static std::string_view view(const T& v) {
    if constexpr (std::is_same_v<D, std::string_view> || std::is_same_v<D, std::string>) {
      return std::string_view(v);
    } else if constexpr (std::is_array_v<std::remove_reference_t<T>>) {
      return std::string_view(v, strnlen(v, sizeof(v)));
    } else {
      return v ? std::string_view(v) : std::string_view();
    }
  }
  static std::size_t extra_bytes(const T& v) {
    if constexpr (is_string) {
      auto s = view(v);
      return align_up(clipped_length(s.data(), s.size()), 8);
    } else {
      (void)v;
      return 0;
    }
  }
  // Writes the slot (and a string's bytes) at `out`; returns the bytes written. The slot goes straight into
  // the ring as three 8-byte stores: built on the stack and copied, its 4-byte fields would stall the
  // 16-byte loads of the copy (a failed store-to-load forward), which cost a log line a third of its time.
  static std::size_t write(std::byte* out, const char* key, const T& v) {
    AttrType type = AttrType::i64;
    std::uint32_t length = 0;
    std::uint64_t bits = 0;
    std::size_t extra = 0;
    if constexpr (std::is_same_v<D, bool>) {
      type = AttrType::boolean;
      bits = v ? 1 : 0;
    } else if constexpr (std::is_floating_point_v<D>) {
      type = AttrType::f64;
      const double d = static_cast<double>(v);
      std::memcpy(&bits, &d, 8);
    } else if constexpr (std::is_enum_v<D>) {
      bits = static_cast<std::uint64_t>(static_cast<std::int64_t>(v));
    } else if constexpr (std::is_integral_v<D> && std::is_signed_v<D>) {
      bits = static_cast<std::uint64_t>(static_cast<std::int64_t>(v));
    } else if constexpr (std::is_integral_v<D>) {
      type = AttrType::u64;
      bits = static_cast<std::uint64_t>(v);
    } else {
      auto s = view(v);
      std::size_t n = clipped_length(s.data(), s.size());
      if (SPANLOG_UNLIKELY(n < s.size())) count_string_cut();
      type = AttrType::string;
      length = static_cast<std::uint32_t>(n);
      char* const to = reinterpret_cast<char*>(out + sizeof(AttrSlot));
      if constexpr (std::is_array_v<std::remove_reference_t<T>> &&
                    std::extent_v<std::remove_reference_t<T>> <= 32)
        copy_bytes_within<std::extent_v<std::remove_reference_t<T>>>(to, s.data(), n);
      else
        copy_bytes(to, s.data(), n);
      extra = align_up(n, 8);
    }
    store_slot(out, key, type, length, bits);
    return sizeof(AttrSlot) + extra;
  }
};

// Two 4-byte fields as the 8 bytes they occupy in memory, composed in a register.
inline std::uint64_t pack_u32_pair(std::uint32_t first, std::uint32_t second) {
  std::uint64_t word = 0;
  std::memcpy(reinterpret_cast<char*>(&word), &first, 4);
  std::memcpy(reinterpret_cast<char*>(&word) + 4, &second, 4);
  return word;
}

inline void store_slot(std::byte* out, const char* key, AttrType type, std::uint32_t length,
                       std::uint64_t bits) {
  static_assert(
      offsetof(AttrSlot, type) == 8 && offsetof(AttrSlot, length) == 12 && offsetof(AttrSlot, bits) == 16,
      "the slot's stores follow its layout");
  const std::uint64_t type_and_length = pack_u32_pair(static_cast<std::uint32_t>(type), length);
  std::memcpy(out, &key, 8);
  std::memcpy(out + 8, &type_and_length, 8);
  std::memcpy(out + 16, &bits, 8);
}

inline std::size_t attrs_bytes() {
  return 0;
}
template <class K, class V, class... Rest>
std::size_t attrs_bytes(const K&, const V& v, const Rest&... rest) {
  return sizeof(AttrSlot) + AttrCodec<V>::extra_bytes(v) + attrs_bytes(rest...);
}

inline std::size_t write_attrs(std::byte*) {
  return 0;
}
template <class K, class V, class... Rest>
std::size_t write_attrs(std::byte* out, const K& key, const V& v, const Rest&... rest) {
  std::size_t n = AttrCodec<V>::write(out, key, v);
  return n + write_attrs(out + n, rest...);
}

}  // namespace detail
SPANLOG_END_NAMESPACE
