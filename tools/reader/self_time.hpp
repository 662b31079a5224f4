// A span's self time and parallel time: the one definition every view uses (docs/reader.md, "Self time and
// parallel time"). A span's direct children are gathered as their lines come, in any order, before or after
// the span's own lines; what a span keeps of them stays bounded however many children it has.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace spanlog::reader {

// The union of half-open intervals [start, end) as sorted, disjoint pieces. Past `kMaxPieces` separate pieces
// the earliest half is folded into a total: children arrive mostly in time order, so the folded pieces are
// rarely touched again. A later interval reaching back into the folded time counts from the folded time's
// end on only (so a parent with thousands of separate children can show slightly more self time than it had).
class IntervalUnion {
 public:
  static constexpr std::size_t kMaxPieces = 4096;

  void add(std::uint64_t start, std::uint64_t end);
  void absorb(const IntervalUnion& other);
  // How much of [from, until) the union covers.
  std::uint64_t covered(std::uint64_t from, std::uint64_t until) const;
  bool empty() const { return pieces_.empty() && folded_ns_ == 0; }
  // Folds the earliest pieces until at most `max_pieces` remain.
  void limit(std::size_t max_pieces);

 private:
  struct Piece {
    std::uint64_t start = 0, end = 0;
  };
  std::vector<Piece> pieces_;
  std::uint64_t folded_ns_ = 0;                       // the folded pieces' total length
  std::uint64_t folded_from_ = 0, folded_until_ = 0;  // where the folded pieces lie
};

// One span's direct children as far as its self time and parallel time need them: the time covered by those
// on the span's own thread (an async child counts on the thread it began on), how many those are, and the
// time covered by those on other threads. Children that come before the span's own thread is known are kept
// per thread until then.
class DirectChildren {
 public:
  // The thread the span began on, once its line is read.
  void bind(std::uint64_t span_tid);
  void add(std::uint64_t start, std::uint64_t end, std::uint64_t child_tid);
  bool empty() const { return same_thread_count_ == 0 && other_threads_.empty() && per_thread_.empty(); }
  // Whether any child began on another thread than the span (false before bind()).
  bool has_other_threads() const { return !other_threads_.empty(); }
  // Keeps at most `max_pieces` separate pieces per thread class (for a span that has ended but may still get
  // a late child).
  void limit(std::size_t max_pieces);

  // What the children cover of [from, until), seen from a span on thread `tid`.
  struct Coverage {
    std::uint64_t same_thread_ns = 0, same_thread_count = 0, other_threads_ns = 0;
  };
  Coverage coverage(std::uint64_t tid, std::uint64_t from, std::uint64_t until) const;

 private:
  struct ThreadChildren {
    std::uint64_t tid = 0;
    IntervalUnion covered;
    std::uint64_t count = 0;
  };
  std::optional<std::uint64_t> span_tid_;
  std::vector<ThreadChildren> per_thread_;  // before bind()
  IntervalUnion same_thread_, other_threads_;
  std::uint64_t same_thread_count_ = 0;
};

struct SpanTimes {
  std::uint64_t self_ns = 0;      // with the instrumentation inside the span subtracted
  std::uint64_t raw_self_ns = 0;  // without
  std::uint64_t parallel_ns = 0;
};

// The span [start, start + dur_ns) began on thread `tid`:
//   raw self = dur_ns - the time covered by its direct children on the same thread, each clipped to the span;
//   self     = raw self - round(in_parent_ns x its direct children on the same thread), at least 0: the part
//              of each child's begin and end that the recorder measured to fall in the parent's time;
//   parallel = the time within the span covered by its direct children on other threads.
// `stats_ns` (schema 1.4) is the time of its direct statistics-mode children on its thread, which are not
// among `children` (the file has no spans of them): both self times are less that much, at least 0.
SpanTimes span_times(std::uint64_t start, std::uint64_t dur_ns, std::uint64_t tid,
                     const DirectChildren& children, double in_parent_ns, std::uint64_t stats_ns = 0);

}  // namespace spanlog::reader
