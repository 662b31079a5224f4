// What outlives every run of the process: the active run's flusher, the queues that hand rings between
// recording threads and the flusher, and the settings a new ring is made with. Kept by the image that holds
// the session (process_hub.hpp); the other images reach it through the hub.
#pragma once
#include <concurrentqueue/concurrentqueue.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "../config.hpp"
#include "../detail/thread_buffer.hpp"
#include "../options.hpp"
#include "flusher.hpp"

SPANLOG_BEGIN_NAMESPACE
namespace detail {

// Never destroyed, so threads recording during static destruction find it.
struct SessionControl {
  std::mutex lifecycle;
  std::unique_ptr<Flusher> active;
  std::string run_dir;  // of the active run, or the last one
  WakeSignal signal;
  moodycamel::ConcurrentQueue<ThreadBuffer*> new_buffers;
  moodycamel::ConcurrentQueue<ThreadBuffer*> free_buffers;
  std::vector<ThreadBuffer*> parked;  // buffers of live threads while no run is active
  std::atomic<std::uint64_t> next_slot{1};
  std::atomic<std::int64_t> exited_not_retired{0};  // rings of exited threads the flusher has yet to free
  std::atomic<std::size_t> ring_bytes{std::size_t{1} << 20};
  std::atomic<std::size_t> ring_max_bytes{std::size_t{16} << 20};
  std::atomic<bool> block{false};
  Options last_options;  // of the active or last run, for a forked child's run
  std::string last_run_id;
};

// A forked child leaves its parent's behind (its locks may be held by threads that do not exist in the child)
// and makes a fresh one.
inline std::atomic<SessionControl*> g_control{nullptr};
inline SessionControl* g_parent_control = nullptr;  // in a forked child that records a run of its own

inline SessionControl& control() {
  SessionControl* c = g_control.load(std::memory_order_acquire);
  if (!c) {
    auto* fresh = new SessionControl();
    if (g_control.compare_exchange_strong(c, fresh, std::memory_order_acq_rel)) {
      c = fresh;
    } else {
      delete fresh;
    }
  }
  return *c;
}

inline void wake_flusher() {
  WakeSignal& s = control().signal;
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    s.pending = true;
  }
  s.cv.notify_all();
}

}  // namespace detail
SPANLOG_END_NAMESPACE
