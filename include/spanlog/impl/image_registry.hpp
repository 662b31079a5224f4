// The executables, shared libraries and plugins that record into this process's session. Each keeps its own
// copy of the hot path's flags (detail/recorder.hpp); the session writes every change to all of them, so
// each image's fast path still reads one word of its own.
#pragma once
#include <atomic>
#include <cstdint>
#include <vector>

#include "../config.hpp"
#include "../detail/log_recorder.hpp"
#include "../detail/recorder.hpp"

SPANLOG_BEGIN_NAMESPACE
namespace detail {

struct ImageLink {
  std::atomic<std::uint32_t>* flags;
  std::atomic<std::uint64_t>* sample_threshold;
  std::atomic<std::uint8_t>* log_level;
  std::uintptr_t begin = 0;  // where the image is mapped: names it recorded point in here
  std::uintptr_t end = 0;
};

// Never destroyed (threads record during static destruction). A spin lock, not a mutex: a forked child may
// find it taken by a thread of its parent that does not exist there, and resets it.
struct ImageRegistry {
  std::atomic<bool> busy{false};
  std::vector<ImageLink*> images;
  std::uint32_t flags = flag_never_started;
  std::uint64_t sample_threshold = ~std::uint64_t{0};
  std::uint8_t log_level = static_cast<std::uint8_t>(LogLevel::info);

  void lock() {
    while (busy.exchange(true, std::memory_order_acquire)) {
    }
  }
  void unlock() { busy.store(false, std::memory_order_release); }
};

inline ImageRegistry& images() {
  static ImageRegistry* const registry = new ImageRegistry();
  return *registry;
}

// The image starts with the session's current flags: a run already going is recorded from its first call.
inline void add_image(ImageLink* link) {
  ImageRegistry& r = images();
  r.lock();
  r.images.push_back(link);
  link->sample_threshold->store(r.sample_threshold, std::memory_order_relaxed);
  link->log_level->store(r.log_level, std::memory_order_relaxed);
  link->flags->store(r.flags, std::memory_order_release);
  r.unlock();
}

inline void remove_image(ImageLink* link) {
  ImageRegistry& r = images();
  r.lock();
  for (auto it = r.images.begin(); it != r.images.end(); ++it) {
    if (*it == link) {
      r.images.erase(it);
      break;
    }
  }
  r.unlock();
}

// Release: a thread that sees a run's flags sees everything the start made before.
inline void set_flags_everywhere(std::uint32_t flags, std::uint64_t sample_threshold = ~std::uint64_t{0},
                                 LogLevel log_level = LogLevel::info) {
  ImageRegistry& r = images();
  r.lock();
  r.flags = flags;
  r.sample_threshold = sample_threshold;
  r.log_level = static_cast<std::uint8_t>(log_level);
  for (ImageLink* link : r.images) {
    link->sample_threshold->store(sample_threshold, std::memory_order_relaxed);
    link->log_level->store(r.log_level, std::memory_order_relaxed);
    link->flags->store(flags, std::memory_order_release);
  }
  r.unlock();
}

// In a forked child: no other thread exists, so the lock is free whoever held it.
inline void set_flags_everywhere_in_child(std::uint32_t flags) {
  images().busy.store(false, std::memory_order_relaxed);
  set_flags_everywhere(flags);
}

}  // namespace detail
SPANLOG_END_NAMESPACE
