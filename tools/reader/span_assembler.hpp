// Pairs each `span_start` with its `span_end` into one whole span with owned strings, and hands out the spans
// still open when the run ends. Memory grows with the spans open at once, not with the file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "export/owned_attrs.hpp"
#include "reader/records.hpp"

namespace spanlog::exporters {

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
  bool open = false;  // never ended: the run crashed or stopped with it open
  OwnedAttrs attrs;   // set at the start, then those set while open (which win)
};

class SpanAssembler {
 public:
  static WholeSpan whole(const reader::SpanRecord& r);
  void start(const reader::SpanStartRecord& r);
  // The span that ends, or nothing for an end without a start (a format violation the exporters skip).
  std::optional<WholeSpan> end(const reader::SpanEndRecord& r);
  // The spans never ended, as if they ended at `end_ts`, ordered by start time.
  std::vector<WholeSpan> still_open(std::uint64_t end_ts) const;
  std::uint64_t orphan_ends() const { return orphan_ends_; }

 private:
  std::unordered_map<std::uint64_t, WholeSpan> open_;
  std::uint64_t orphan_ends_ = 0;
};

}  // namespace spanlog::exporters
