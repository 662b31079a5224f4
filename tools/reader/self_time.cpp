#include "reader/self_time.hpp"

#include <algorithm>
#include <cmath>

namespace spanlog::reader {

void IntervalUnion::add(std::uint64_t start, std::uint64_t end) {
  if (folded_ns_ > 0) start = std::max(start, folded_until_);
  if (end <= start) return;
  // The first piece that ends at or after the new start: everything before it stays apart.
  auto first = std::lower_bound(pieces_.begin(), pieces_.end(), start,
                                [](const Piece& p, std::uint64_t at) { return p.end < at; });
  auto last = first;
  Piece merged{start, end};
  while (last != pieces_.end() && last->start <= end) {
    merged.start = std::min(merged.start, last->start);
    merged.end = std::max(merged.end, last->end);
    ++last;
  }
  if (first == last) {
    pieces_.insert(first, merged);
  } else {
    *first = merged;
    pieces_.erase(first + 1, last);
  }
  if (pieces_.size() > kMaxPieces) limit(kMaxPieces / 2);
}

void IntervalUnion::limit(std::size_t max_pieces) {
  if (pieces_.size() <= max_pieces) return;
  const std::size_t folded = pieces_.size() - max_pieces;
  if (folded_ns_ == 0) folded_from_ = pieces_.front().start;
  for (std::size_t i = 0; i < folded; ++i) {
    folded_ns_ += pieces_[i].end - pieces_[i].start;
    folded_until_ = std::max(folded_until_, pieces_[i].end);
  }
  pieces_.erase(pieces_.begin(), pieces_.begin() + static_cast<std::ptrdiff_t>(folded));
}

void IntervalUnion::absorb(const IntervalUnion& other) {
  if (other.folded_ns_ > 0) {
    // Folded time stays folded: its pieces are gone, only where it lies is known.
    if (folded_ns_ == 0) {
      folded_from_ = other.folded_from_;
      folded_until_ = other.folded_until_;
    } else {
      folded_from_ = std::min(folded_from_, other.folded_from_);
      folded_until_ = std::max(folded_until_, other.folded_until_);
    }
    folded_ns_ = std::min(folded_ns_ + other.folded_ns_, folded_until_ - folded_from_);
  }
  for (const Piece& p : other.pieces_) add(p.start, p.end);
}

std::uint64_t IntervalUnion::covered(std::uint64_t from, std::uint64_t until) const {
  if (until <= from) return 0;
  std::uint64_t total = 0;
  for (const Piece& p : pieces_) {
    if (p.start >= until) break;
    const std::uint64_t lo = std::max(p.start, from), hi = std::min(p.end, until);
    if (hi > lo) total += hi - lo;
  }
  if (folded_ns_ > 0) {
    if (from <= folded_from_ && until >= folded_until_) {
      total += folded_ns_;
    } else {
      // The window cuts the folded time: its share, in proportion (the pieces are no longer known).
      const std::uint64_t lo = std::max(folded_from_, from), hi = std::min(folded_until_, until);
      if (hi > lo)
        total += static_cast<std::uint64_t>(static_cast<double>(folded_ns_) * static_cast<double>(hi - lo) /
                                            static_cast<double>(folded_until_ - folded_from_));
    }
  }
  return std::min(total, until - from);
}

void DirectChildren::bind(std::uint64_t span_tid) {
  if (span_tid_) return;
  span_tid_ = span_tid;
  for (const ThreadChildren& t : per_thread_) {
    if (t.tid == span_tid) {
      same_thread_.absorb(t.covered);
      same_thread_count_ += t.count;
    } else {
      other_threads_.absorb(t.covered);
    }
  }
  per_thread_ = {};
}

void DirectChildren::add(std::uint64_t start, std::uint64_t end, std::uint64_t child_tid) {
  if (span_tid_) {
    if (child_tid == *span_tid_) {
      same_thread_.add(start, end);
      ++same_thread_count_;
    } else {
      other_threads_.add(start, end);
    }
    return;
  }
  auto it = std::find_if(per_thread_.begin(), per_thread_.end(),
                         [&](const ThreadChildren& t) { return t.tid == child_tid; });
  if (it == per_thread_.end()) it = per_thread_.insert(per_thread_.end(), ThreadChildren{child_tid, {}, 0});
  it->covered.add(start, end);
  ++it->count;
}

void DirectChildren::limit(std::size_t max_pieces) {
  same_thread_.limit(max_pieces);
  other_threads_.limit(max_pieces);
  for (ThreadChildren& t : per_thread_) t.covered.limit(max_pieces);
}

DirectChildren::Coverage DirectChildren::coverage(std::uint64_t tid, std::uint64_t from,
                                                  std::uint64_t until) const {
  Coverage c;
  if (span_tid_) {  // a span's thread never changes: bound once, to the thread asked about
    c.same_thread_ns = same_thread_.covered(from, until);
    c.same_thread_count = same_thread_count_;
    c.other_threads_ns = other_threads_.covered(from, until);
    return c;
  }
  IntervalUnion same, others;
  for (const ThreadChildren& t : per_thread_) {
    if (t.tid == tid) {
      same.absorb(t.covered);
      c.same_thread_count += t.count;
    } else {
      others.absorb(t.covered);
    }
  }
  c.same_thread_ns = same.covered(from, until);
  c.other_threads_ns = others.covered(from, until);
  return c;
}

SpanTimes span_times(std::uint64_t start, std::uint64_t dur_ns, std::uint64_t tid,
                     const DirectChildren& children, double in_parent_ns, std::uint64_t stats_ns) {
  SpanTimes times;
  times.raw_self_ns = dur_ns - std::min(stats_ns, dur_ns);
  times.self_ns = times.raw_self_ns;
  if (children.empty()) return times;
  const DirectChildren::Coverage c = children.coverage(tid, start, start + dur_ns);
  times.raw_self_ns = dur_ns - std::min(c.same_thread_ns, dur_ns);
  times.raw_self_ns -= std::min(stats_ns, times.raw_self_ns);
  times.parallel_ns = c.other_threads_ns;
  const double instrumentation = std::max(0.0, in_parent_ns) * static_cast<double>(c.same_thread_count);
  const auto subtracted = static_cast<std::uint64_t>(std::llround(instrumentation));
  times.self_ns = times.raw_self_ns - std::min(subtracted, times.raw_self_ns);
  return times;
}

}  // namespace spanlog::reader
