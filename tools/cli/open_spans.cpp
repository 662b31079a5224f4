#include "cli/open_spans.hpp"

#include <algorithm>

namespace spanlog::cli {

std::optional<OpenSpanTracker::Span> OpenSpanTracker::end(std::uint64_t span_id) {
  const auto it = open_.find(span_id);
  if (it == open_.end()) return std::nullopt;
  Span span = std::move(it->second);
  open_.erase(it);
  return span;
}

std::map<std::uint64_t, std::vector<OpenSpanTracker::Nested>> OpenSpanTracker::by_thread() const {
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

}  // namespace spanlog::cli
