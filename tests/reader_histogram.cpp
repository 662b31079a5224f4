// The histogram: percentiles within 1% of the exact nearest-rank values, exact count/sum/min/max, and merging
// equal to adding everything to one histogram.
#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "reader/histogram.hpp"
#include "support/reader_support.hpp"

using spanlog::reader::Histogram;

namespace {

// Nearest rank, computed independently of the histogram: the value at 1-based rank ceil(q * n).
std::uint64_t exact_percentile(std::vector<std::uint64_t> values, double q) {
  std::sort(values.begin(), values.end());
  const auto n = static_cast<double>(values.size());
  auto rank = static_cast<std::size_t>(std::ceil(q * n - 1e-9));
  rank = std::clamp<std::size_t>(rank, 1, values.size());
  return values[rank - 1];
}

void check_within_one_percent(const Histogram& h, const std::vector<std::uint64_t>& values) {
  for (const double q : {0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999}) {
    const auto exact = static_cast<double>(exact_percentile(values, q));
    const auto approx = static_cast<double>(h.percentile(q));
    INFO("q = " << q << ", exact " << exact << ", histogram " << approx);
    CHECK(std::fabs(approx - exact) <= 0.01 * exact);
  }
}

}  // namespace

TEST_CASE("percentiles of log-normal durations are within 1% of exact; totals are exact") {
  std::mt19937_64 random(42);
  std::lognormal_distribution<double> durations(9.0, 2.0);  // a median around 8 µs, a long tail
  Histogram h;
  std::vector<std::uint64_t> values;
  std::uint64_t sum = 0;
  for (int i = 0; i < 100000; ++i) {
    const auto v = static_cast<std::uint64_t>(durations(random));
    values.push_back(v);
    sum += v;
    h.add(v);
  }
  CHECK(h.count() == values.size());
  CHECK(h.sum() == sum);
  CHECK(h.min() == *std::min_element(values.begin(), values.end()));
  CHECK(h.max() == *std::max_element(values.begin(), values.end()));
  CHECK(h.percentile(0.0) == h.min());
  CHECK(h.percentile(1.0) == h.max());
  check_within_one_percent(h, values);
}

TEST_CASE("small values are exact and an empty histogram reports zeros") {
  Histogram empty;
  CHECK(empty.count() == 0);
  CHECK(empty.percentile(0.5) == 0);
  CHECK(empty.min() == 0);
  CHECK(empty.max() == 0);

  Histogram h;
  for (std::uint64_t v = 1; v <= 100; ++v) h.add(v);
  CHECK(h.percentile(0.5) == 50);
  CHECK(h.percentile(0.9) == 90);
  CHECK(h.percentile(0.99) == 99);
  CHECK(h.mean() == doctest::Approx(50.5));
}

TEST_CASE("every bucket is narrower than 1/64 of its lower bound and buckets tile the range") {
  for (std::uint64_t v : {127ull, 128ull, 129ull, 1000ull, 123456789ull, 1ull << 40, ~0ull}) {
    const auto bucket = Histogram::bucket_of(v);
    INFO("value " << v);
    CHECK(Histogram::bucket_lower_bound(bucket) <= v);
    CHECK(Histogram::bucket_upper_bound(bucket) >= v);
    const auto low = Histogram::bucket_lower_bound(bucket), high = Histogram::bucket_upper_bound(bucket);
    CHECK(static_cast<double>(high - low) <= static_cast<double>(low) / 64.0);
    if (v != ~0ull) CHECK(Histogram::bucket_lower_bound(bucket + 1) == high + 1);
  }
}

TEST_CASE("merging equals adding everything to one histogram") {
  std::mt19937_64 random(7);
  std::uniform_int_distribution<std::uint64_t> small(100, 10000), large(1'000'000, 50'000'000);
  Histogram a, b, all;
  std::vector<std::uint64_t> values;
  for (int i = 0; i < 5000; ++i) {
    const auto x = small(random), y = large(random);
    a.add(x);
    b.add(y);
    all.add(x);
    all.add(y);
    values.push_back(x);
    values.push_back(y);
  }
  Histogram merged = a;
  merged.merge(b);
  CHECK(merged.count() == all.count());
  CHECK(merged.sum() == all.sum());
  CHECK(merged.min() == all.min());
  CHECK(merged.max() == all.max());
  for (const double q : {0.1, 0.5, 0.9, 0.99}) CHECK(merged.percentile(q) == all.percentile(q));
  check_within_one_percent(merged, values);

  Histogram into_empty;
  into_empty.merge(b);
  CHECK(into_empty.min() == b.min());
  CHECK(into_empty.percentile(0.5) == b.percentile(0.5));
}

TEST_CASE("add_bucket counts values by their bucket; the exact sum is added apart; merge keeps both") {
  Histogram h;
  h.add_bucket(1'000, 2);  // the bucket of 1000 holds 1000 to 1007
  h.add_bucket(1'536, 1);
  h.add_bucket(1'540, 1);  // not a lower bound: the bucket that holds it, the one of 1536
  CHECK(h.count() == 4);
  CHECK(h.sum() == 0);  // untouched: the sum is known apart
  h.add_sum(5'120);
  CHECK(h.sum() == 5'120);
  CHECK(h.mean() == 1'280.0);
  // Minimum and maximum are the bounds of the lowest and highest buckets.
  CHECK(h.min() == 1'000);
  CHECK(h.max() == Histogram::bucket_upper_bound(Histogram::bucket_of(1'536)));
  CHECK(h.max() == 1'551);
  CHECK(h.percentile(0.5) == 1'003);  // the middle of the bucket of 1000
  CHECK(h.percentile(0.75) == 1'543);
  h.add_bucket(5, 0);  // nothing
  CHECK(h.count() == 4);

  // The same as adding values of those buckets one by one, but for the sum and the bounds.
  Histogram values;
  for (const std::uint64_t v : {1'000ull, 1'004ull, 1'536ull, 1'540ull}) values.add(v);
  for (const double q : {0.25, 0.5, 0.75})
    CHECK(values.percentile(q) == std::clamp(h.percentile(q), values.min(), values.max()));

  Histogram merged;
  merged.add(100);
  merged.merge(h);
  CHECK(merged.count() == 5);
  CHECK(merged.sum() == 5'220);
  CHECK(merged.min() == 100);
  CHECK(merged.max() == 1'551);

  // Exact below 128: the bounds are the value.
  Histogram small;
  small.add_bucket(7, 3);
  small.add_sum(21);
  CHECK(small.min() == 7);
  CHECK(small.max() == 7);
  CHECK(small.percentile(0.5) == 7);
}
