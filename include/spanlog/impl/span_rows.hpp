// The `spans` record (docs/format.md, schema 1.3): the complete spans of one thread as rows of one line, with
// ids relative to the thread's id base and starts relative to the record's first. A span takes about 40% of
// the bytes of its own `span` line.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "../config.hpp"
#include "jsonl_writer.hpp"
#include "text_buffer.hpp"

SPANLOG_BEGIN_NAMESPACE
namespace detail {

class SpanRows {
 public:
  // Rows per record: a line stays a size a line-oriented tool handles (about 64 KiB).
  static constexpr std::uint32_t max_rows = 1000;

  bool open() const { return open_; }

  // Whether a span of thread `tid` with this parent can be a row of the record being written (or of a new
  // one): its parent is none or on the same thread.
  static bool fits(std::uint64_t parent, std::uint64_t id_base, std::uint64_t id_base_mask) {
    return parent == 0 || (parent & id_base_mask) == id_base;
  }

  // Whether a row of thread `tid` goes into the open record; if not, the caller closes it first.
  bool continues(std::uint64_t tid) const { return open_ && tid == tid_ && rows_ < max_rows; }

  // Starts the row, with the record's opening when no record is open. The caller writes the attributes, if
  // any, between begin_row and end_row.
  void begin_row(JsonlWriter& w, std::uint64_t tid, std::uint64_t id_base, std::int64_t start_ns,
                 const std::string& quoted_name, std::uint64_t id, std::uint64_t parent,
                 std::int64_t dur_ns) {
    if (!open_) {
      w.raw("{\"event\":\"spans\",\"tid\":");
      w.u64(tid);
      w.raw(",\"ts\":");
      w.i64(start_ns);
      w.raw(",\"id_base\":");
      w.u64(id_base);
      w.raw(",\"fields\":[\"name\",\"span_id\",\"parent\",\"ts\",\"dur_ns\",\"attrs\"],\"rows\":[[");
      tid_ = tid;
      id_base_ = id_base;
      ts_ = start_ns;
      rows_ = 0;
    } else {
      w.raw(",[");
    }
    // One reserve for the columns (the name, four numbers of at most 20 characters, their commas): no check
    // of the buffer's room between them.
    TextBuffer& out = w.buffer();
    char* const first = out.reserve(quoted_name.size() + 4 * (1 + 20));
    char* p = first;
    copy_bytes(p, quoted_name.data(), quoted_name.size());
    p += quoted_name.size();
    *p++ = ',';
    p = write_decimal(p, id - id_base_);
    if (parent) {
      *p++ = ',';
      p = write_decimal(p, parent - id_base_);
    } else {
      std::memcpy(p, ",null", 5);
      p += 5;
    }
    *p++ = ',';
    p = write_signed_decimal(p, start_ns - ts_);
    *p++ = ',';
    p = write_signed_decimal(p, dur_ns);
    out.commit(static_cast<std::size_t>(p - first));
  }

  // The row is whole. The text of an open record ends in ']' after each whole row and a closed one in a
  // newline, which tells a crash handler whether to close it.
  void end_row(JsonlWriter& w) {
    w.raw(']');
    open_ = true;
    ++rows_;
  }

  // What ends the record; a crash handler appends it after the last whole row.
  static constexpr std::string_view closing = "]}\n";

  void close(JsonlWriter& w) {
    if (!open_) return;
    w.raw(closing);
    open_ = false;
  }

 private:
  bool open_ = false;
  std::uint64_t tid_ = 0;
  std::uint64_t id_base_ = 0;
  std::int64_t ts_ = 0;
  std::uint32_t rows_ = 0;
};

}  // namespace detail
SPANLOG_END_NAMESPACE
