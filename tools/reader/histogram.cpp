#include "reader/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace spanlog::reader {
namespace {

constexpr std::uint64_t kSubBuckets = std::uint64_t{1} << Histogram::kSubBucketBits;
// Values below 2 * kSubBuckets have buckets one unit wide, so they are exact.
constexpr std::uint64_t kExactBelow = 2 * kSubBuckets;

std::uint64_t saturating_add(std::uint64_t a, std::uint64_t b) {
  const std::uint64_t sum = a + b;
  return sum < a ? std::numeric_limits<std::uint64_t>::max() : sum;
}

}  // namespace

std::size_t Histogram::bucket_of(std::uint64_t value) {
  if (value < kExactBelow) return static_cast<std::size_t>(value);
  // value has its top bit at `exponent` >= kSubBucketBits + 1; keep the kSubBucketBits bits below it.
  const unsigned exponent = 63u - static_cast<unsigned>(std::countl_zero(value));
  const unsigned shift = exponent - kSubBucketBits;
  const std::uint64_t sub_bucket = (value >> shift) - kSubBuckets;
  return static_cast<std::size_t>(kExactBelow + (shift - 1) * kSubBuckets + sub_bucket);
}

std::uint64_t Histogram::bucket_lower_bound(std::size_t bucket) {
  if (bucket < kExactBelow) return bucket;
  const std::uint64_t above = bucket - kExactBelow;
  const unsigned shift = static_cast<unsigned>(above / kSubBuckets) + 1;
  return (kSubBuckets + above % kSubBuckets) << shift;
}

std::uint64_t Histogram::bucket_upper_bound(std::size_t bucket) {
  if (bucket < kExactBelow) return bucket;
  const unsigned shift = static_cast<unsigned>((bucket - kExactBelow) / kSubBuckets) + 1;
  return bucket_lower_bound(bucket) + ((std::uint64_t{1} << shift) - 1);
}

void Histogram::add(std::uint64_t value, std::uint64_t times) {
  if (times == 0) return;
  const std::size_t bucket = bucket_of(value);
  if (counts_.empty()) {
    first_bucket_ = bucket;
    counts_.assign(1, 0);
  } else if (bucket < first_bucket_) {
    counts_.insert(counts_.begin(), first_bucket_ - bucket, 0);
    first_bucket_ = bucket;
  } else if (bucket >= first_bucket_ + counts_.size()) {
    counts_.resize(bucket - first_bucket_ + 1, 0);
  }
  counts_[bucket - first_bucket_] += times;
  count_ += times;
  std::uint64_t product = 0;
  sum_ = __builtin_mul_overflow(value, times, &product) ? std::numeric_limits<std::uint64_t>::max()
                                                        : saturating_add(sum_, product);
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
}

void Histogram::add_bucket(std::uint64_t value, std::uint64_t times) {
  if (times == 0) return;
  const std::size_t bucket = bucket_of(value);
  const std::uint64_t saved_sum = sum_;
  add(bucket_lower_bound(bucket), times);
  sum_ = saved_sum;
  max_ = std::max(max_, bucket_upper_bound(bucket));
}

void Histogram::add_sum(std::uint64_t ns) {
  sum_ = saturating_add(sum_, ns);
}

void Histogram::merge(const Histogram& other) {
  if (other.count_ == 0) return;
  for (std::size_t i = 0; i < other.counts_.size(); ++i) {
    if (other.counts_[i] == 0) continue;
    // add() with the bucket's lower bound lands in the same bucket; fix up the exact fields after.
    const std::size_t bucket = other.first_bucket_ + i;
    const std::uint64_t saved_sum = sum_, saved_min = min_, saved_max = max_;
    add(bucket_lower_bound(bucket), other.counts_[i]);
    sum_ = saved_sum;
    min_ = saved_min;
    max_ = saved_max;
  }
  sum_ = saturating_add(sum_, other.sum_);
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

std::vector<Histogram::BucketCount> Histogram::buckets() const {
  std::vector<BucketCount> in_use;
  for (std::size_t i = 0; i < counts_.size(); ++i)
    if (counts_[i] > 0)
      in_use.push_back(
          {bucket_lower_bound(first_bucket_ + i), bucket_upper_bound(first_bucket_ + i), counts_[i]});
  return in_use;
}

std::uint64_t Histogram::percentile(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  // The small epsilon keeps 0.9 * 10 at rank 9 despite 0.9 not being exact in binary.
  const double exact_rank = std::ceil(q * static_cast<double>(count_) - 1e-9);
  const auto rank = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(exact_rank));
  if (rank >= count_) return max_;
  if (rank == 1) return min_;
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      const std::size_t bucket = first_bucket_ + i;
      const std::uint64_t low = bucket_lower_bound(bucket), high = bucket_upper_bound(bucket);
      // The midpoint, but never outside what was actually seen.
      return std::clamp(low + (high - low) / 2, min_, max_);
    }
  }
  return max_;
}

}  // namespace spanlog::reader
