// Reading a ring's records back: the one place for the format's rules (the tag in the low bits of the first
// word, a padding record's length, an extended record's header and size). Used by the flusher's drain, by
// the skip of records written between runs and by the crash handler, so it allocates nothing and calls
// nothing that is not async-signal-safe.
#pragma once
#include <cstdint>
#include <cstring>

#include "../config.hpp"
#include "../detail/record.hpp"
#include "../detail/thread_buffer.hpp"

SPANLOG_BEGIN_NAMESPACE
namespace detail {

struct RingRecord {
  RecordTag tag;
  const Site* s;                     // the call site; nullptr for an extended record named by ext.arg2
  std::uint64_t value;               // ticks, a metric's bits, or a padding record's length
  ExtendedHeader ext{};              // of an extended record
  const std::byte* attrs = nullptr;  // an extended record's attributes, in the ring
  std::uint64_t size = sizeof(RecordHeader);  // bytes up to the next record
  std::byte* next_ring = nullptr;             // a link record's new ring (value: its capacity)

  // The name of a span, event or async span: its site's, or the pointer the record carries.
  const char* name() const { return s ? s->name : reinterpret_cast<const char*>(ext.arg2); }
  // The key the flusher's name cache knows the name by.
  const void* name_key() const { return s ? static_cast<const void*>(s) : static_cast<const void*>(name()); }
  bool is_extended(ExtendedOp op) const { return tag == tag_extended && ext.op == op; }
  // A record that the recording thread counted as a span (its id's number).
  bool begins_span() const {
    return tag == tag_span_begin || is_extended(ExtendedOp::span_begin) ||
           is_extended(ExtendedOp::async_begin);
  }
  bool begins_phase() const {
    return (tag == tag_span_begin && s->kind == SiteKind::phase) ||
           (is_extended(ExtendedOp::span_begin) &&
            ((s && s->kind == SiteKind::phase) || (ext.flags & ext_flag_phase)));
  }
};

inline RingRecord read_record(const ThreadBuffer& b, std::uint64_t pos) {
  const std::byte* p = b.read_at(pos);
  RecordHeader h;
  std::memcpy(&h, p, sizeof h);
  RingRecord r;
  r.tag = static_cast<RecordTag>(h.site_and_tag & tag_mask);
  r.s = reinterpret_cast<const Site*>(h.site_and_tag & ~tag_mask);
  r.value = h.value;
  if (r.tag == tag_padding) {
    r.size = h.value;
  } else if (r.tag == tag_ring_link) {
    r.next_ring = reinterpret_cast<std::byte*>(h.site_and_tag & ~tag_mask);
    r.s = nullptr;
  } else if (r.tag == tag_extended) {
    std::memcpy(&r.ext, p + sizeof h, sizeof r.ext);
    r.attrs = p + sizeof h + sizeof r.ext;
    r.size = r.ext.size;
  }
  return r;
}

// The reader goes on in the ring a link record names, at the same positions; returns the ring it leaves,
// which the recording thread no longer writes to (the flusher frees it once nothing points into it).
inline std::byte* follow_ring_link(ThreadBuffer& b, const RingRecord& link) {
  std::byte* left = b.read_data;
  b.read_data = link.next_ring;
  b.read_mask = link.value - 1;
  return left;
}

}  // namespace detail
SPANLOG_END_NAMESPACE
