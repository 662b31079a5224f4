#include "reader/span_assembler.hpp"

#include <algorithm>
#include <tuple>

namespace spanlog::reader {

namespace {

// What a span's first line tells, whether it is a whole span or a `span_start`.
template <class Begun>
WholeSpan begun(const Begun& r) {
  WholeSpan span;
  span.span_id = r.span_id;
  span.parent = r.parent;
  span.name = r.name;
  span.tid = r.tid;
  span.end_tid = r.tid;
  span.start_ts = r.ts;
  span.is_phase = r.is_phase;
  span.is_async = r.is_async;
  merge_attrs(span.attrs, r.attrs);
  return span;
}

}  // namespace

WholeSpan SpanAssembler::whole(const SpanRecord& r) {
  WholeSpan span = begun(r);
  span.end_tid = r.end_tid.value_or(r.tid);
  span.dur_ns = r.dur_ns;
  span.error = r.error;
  span.message = r.message;
  return span;
}

void SpanAssembler::start(const SpanStartRecord& r, std::uint64_t line) {
  WholeSpan span = begun(r);
  span.start_line = line;
  open_.insert_or_assign(r.span_id, std::move(span));
}

std::optional<WholeSpan> SpanAssembler::end(const SpanEndRecord& r) {
  const auto it = open_.find(r.span_id);
  if (it == open_.end()) {
    ++orphan_ends_;
    return std::nullopt;
  }
  WholeSpan span = std::move(it->second);
  open_.erase(it);
  span.end_tid = r.tid.value_or(span.tid);
  span.dur_ns = r.dur_ns;
  span.error = r.error;
  span.message = r.message;
  merge_attrs(span.attrs, r.attrs);
  return span;
}

std::vector<WholeSpan> SpanAssembler::still_open(std::uint64_t end_ts) const {
  std::vector<WholeSpan> spans;
  spans.reserve(open_.size());
  for (const auto& [span_id, span] : open_) {
    WholeSpan copy = span;
    copy.open = true;
    copy.dur_ns = end_ts > span.start_ts ? end_ts - span.start_ts : 0;
    spans.push_back(std::move(copy));
  }
  std::sort(spans.begin(), spans.end(), [](const WholeSpan& a, const WholeSpan& b) {
    return std::tie(a.start_ts, a.span_id) < std::tie(b.start_ts, b.span_id);
  });
  return spans;
}

std::map<std::uint64_t, std::vector<SpanAssembler::Nested>> SpanAssembler::open_by_thread() const {
  std::map<std::uint64_t, std::vector<Nested>> threads;
  for (const auto& [id, span] : open_) {
    std::size_t depth = 0;
    // Walk up through open ancestors; the bound guards against a cycle in corrupt input.
    for (auto parent = span.parent; parent && depth < open_.size(); ++depth) {
      const auto it = open_.find(*parent);
      if (it == open_.end()) break;
      parent = it->second.parent;
    }
    threads[span.tid].push_back(Nested{&span, depth});
  }
  // Start order is nesting order within a thread: a parent starts before its children.
  for (auto& [tid, spans] : threads)
    std::sort(spans.begin(), spans.end(), [](const Nested& a, const Nested& b) {
      return a.span->start_ts != b.span->start_ts ? a.span->start_ts < b.span->start_ts : a.depth < b.depth;
    });
  return threads;
}

}  // namespace spanlog::reader
