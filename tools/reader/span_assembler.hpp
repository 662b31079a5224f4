// Pairs each `span_start` with its `span_end` into one whole span with owned strings, and hands out the spans
// still open: at the run's end (the exporters), or nested per thread (what `doctor` reports for a run that
// died, what `tail -f` and `top` show as active). Memory grows with the spans open at once, not with the
// file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "reader/owned_attrs.hpp"
#include "reader/records.hpp"

namespace spanlog::reader {

struct WholeSpan {
  std::uint64_t span_id = 0;
  std::optional<std::uint64_t> parent;
  std::string name;
  std::uint64_t tid = 0;      // the thread that began it
  std::uint64_t end_tid = 0;  // the thread that ended it (differs only for async spans)
  std::uint64_t start_ts = 0;
  std::uint64_t dur_ns = 0;  // for an open span: up to the time given to still_open()
  bool error = false;
  std::string message;
  bool is_phase = false;
  bool is_async = false;
  bool open = false;             // never ended: the run crashed or stopped with it open
  OwnedAttrs attrs;              // set at the start, then those set while open (which win)
  std::uint64_t start_line = 0;  // the line of its `span_start`, when it had one
};

class SpanAssembler {
 public:
  static WholeSpan whole(const SpanRecord& r);
  void start(const SpanStartRecord& r, std::uint64_t line = 0);
  // The span that ends, or nothing for an end without a start (a format violation the exporters skip).
  std::optional<WholeSpan> end(const SpanEndRecord& r);
  // The spans never ended, as if they ended at `end_ts`, ordered by start time.
  std::vector<WholeSpan> still_open(std::uint64_t end_ts) const;
  std::uint64_t orphan_ends() const { return orphan_ends_; }

  bool empty() const { return open_.empty(); }
  std::size_t open_count() const { return open_.size(); }
  struct Nested {
    const WholeSpan* span = nullptr;
    std::size_t depth = 0;  // number of open ancestors
  };
  // The open spans grouped by the thread that began them, each thread's ordered so that a child follows its
  // parent. The pointers stay valid until the next start() or end().
  std::map<std::uint64_t, std::vector<Nested>> open_by_thread() const;

 private:
  std::unordered_map<std::uint64_t, WholeSpan> open_;
  std::uint64_t orphan_ends_ = 0;
};

}  // namespace spanlog::reader
