// A log-bucketed histogram of durations in nanoseconds: percentiles within 1% relative error, memory that
// depends on the range of values and not on their number, and exact count, sum, minimum and maximum (for
// values added one by one; add_bucket() knows minimum and maximum to a bucket's width).
// Two histograms merge by adding their buckets, so runs and threads combine without the raw values.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

namespace spanlog::reader {

class Histogram {
 public:
  // Each power of two is split into 2^kSubBucketBits buckets, so a bucket is at most 1/64 of its lower bound
  // wide; reporting the bucket's midpoint keeps the relative error below 1/128 (0.8%).
  static constexpr unsigned kSubBucketBits = 6;

  void add(std::uint64_t value) { add(value, 1); }
  void add(std::uint64_t value, std::uint64_t times);
  void merge(const Histogram& other);
  // Values known only by their bucket (a span_stats line's [lower_ns, count] pairs): `times` values in the
  // bucket of `value`, the sum left to add_sum(). Minimum and maximum take the bucket's bounds, which hold
  // the values seen.
  void add_bucket(std::uint64_t value, std::uint64_t times);
  void add_sum(std::uint64_t ns);

  std::uint64_t count() const { return count_; }
  // The sum saturates instead of wrapping (it would take 584 years of nanoseconds to get there).
  std::uint64_t sum() const { return sum_; }
  std::uint64_t min() const { return count_ == 0 ? 0 : min_; }
  std::uint64_t max() const { return max_; }
  double mean() const { return count_ == 0 ? 0.0 : static_cast<double>(sum_) / static_cast<double>(count_); }

  // The nearest-rank percentile (q in [0, 1]): the value whose rank is ceil(q * count), within 1%; exact at
  // q = 0 and q = 1, and for values below 128. Zero for an empty histogram.
  std::uint64_t percentile(double q) const;

  // The buckets in use, ascending: each one's smallest and largest value and how many values it holds.
  struct BucketCount {
    std::uint64_t lower = 0, upper = 0, count = 0;
  };
  std::vector<BucketCount> buckets() const;

  static std::size_t bucket_of(std::uint64_t value);
  static std::uint64_t bucket_lower_bound(std::size_t bucket);
  static std::uint64_t bucket_upper_bound(std::size_t bucket);  // inclusive

 private:
  // Only the range of buckets in use is stored: `counts_[i]` is bucket `first_bucket_ + i`.
  std::vector<std::uint64_t> counts_;
  std::size_t first_bucket_ = 0;
  std::uint64_t count_ = 0;
  std::uint64_t sum_ = 0;
  std::uint64_t min_ = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t max_ = 0;
};

}  // namespace spanlog::reader
