// The spans that have started and not ended, per thread, in nesting order: what `doctor` reports for a run
// that died and what `tail -f` shows as active.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace spanlog::cli {

class OpenSpanTracker {
 public:
  struct Span {
    std::uint64_t span_id = 0;
    std::string name;
    std::uint64_t tid = 0;
    std::uint64_t start_ts = 0;
    std::optional<std::uint64_t> parent;
    std::uint64_t line = 0;
    bool is_async = false;  // begun by an explicit id: it may end on another thread
  };
  struct Nested {
    const Span* span = nullptr;
    std::size_t depth = 0;  // number of open ancestors
  };

  void start(Span span) { open_.insert_or_assign(span.span_id, std::move(span)); }
  // Returns the span that ended, if it was open.
  std::optional<Span> end(std::uint64_t span_id);
  bool empty() const { return open_.empty(); }
  std::size_t size() const { return open_.size(); }

  // Open spans grouped by thread, each thread's spans ordered so that a child follows its parent.
  std::map<std::uint64_t, std::vector<Nested>> by_thread() const;

 private:
  std::unordered_map<std::uint64_t, Span> open_;
};

}  // namespace spanlog::cli
