// The units and descriptions the program declared for its metrics (SPANLOG_METRIC_INFO, spanlog::MetricInfo),
// kept by the image that holds the session, for every run of the process: the header lists those declared
// before the run began, and the flusher writes a `metric_info` line for each one declared later.
#pragma once
#include <atomic>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "../config.hpp"

SPANLOG_BEGIN_NAMESPACE
namespace detail {

struct MetricInfoEntry {
  std::string name, unit, description;
};

class MetricInfoRegistry {
 public:
  // A second declaration of a name is kept after the first: readers take the last.
  void declare(std::string_view name, std::string_view unit, std::string_view description) {
    std::lock_guard<std::mutex> lock(mutex_);
    entries_.push_back(MetricInfoEntry{std::string(name), std::string(unit), std::string(description)});
    declared_.store(entries_.size(), std::memory_order_release);
  }

  // How many declarations there are: a flusher that has written fewer asks for the rest.
  std::size_t declared() const { return declared_.load(std::memory_order_acquire); }

  std::vector<MetricInfoEntry> declared_from(std::size_t first) const {
    std::lock_guard<std::mutex> lock(mutex_);
    if (first >= entries_.size()) return {};
    return std::vector<MetricInfoEntry>(entries_.begin() + static_cast<std::ptrdiff_t>(first),
                                        entries_.end());
  }

 private:
  mutable std::mutex mutex_;
  std::vector<MetricInfoEntry> entries_;
  std::atomic<std::size_t> declared_{0};
};

inline MetricInfoRegistry g_metric_info;

inline void declare_metric_info_here(const char* name, std::string_view unit, std::string_view description) {
  g_metric_info.declare(name, unit, description);
}

}  // namespace detail
SPANLOG_END_NAMESPACE
