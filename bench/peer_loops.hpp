// The peers' hot paths, timed in the same loop shape as spanlog's (bench/recorder/timed_loops.cpp): spdlog's
// async logger logging one integer, and the raw enqueue of a 32-byte item into moodycamel's ConcurrentQueue
// (with a producer token) and ReaderWriterQueue. Each queue is sized for a whole burst, so the timed loop
// measures the enqueue, not waiting for a consumer; the queue is emptied after the clock stops.
#pragma once
#include <concurrentqueue/concurrentqueue.h>
#include <readerwriterqueue/readerwriterqueue.h>
#include <spdlog/async.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace peers {

// What an event recorder would queue: a site, a timestamp and two words of payload.
struct Item32 {
  const void* site;
  std::uint64_t tsc;
  std::uint64_t a, b;
};
static_assert(sizeof(Item32) == 32, "the queued item is 32 bytes");

inline std::int64_t clock_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

inline void compiler_barrier() {
  asm volatile("" ::: "memory");
}

const char item_site = 0;

class ConcurrentQueueLoop {
 public:
  explicit ConcurrentQueueLoop(std::size_t burst) : queue_(burst), token_(queue_), drained_(burst) {}
  __attribute__((noinline)) std::int64_t run(std::size_t n) {
    const std::int64_t t0 = clock_ns();
    for (std::size_t i = 0; i < n; ++i) {
      queue_.enqueue(token_, Item32{&item_site, __builtin_ia32_rdtsc(), i, 0});
      compiler_barrier();
    }
    const std::int64_t t1 = clock_ns();
    while (queue_.try_dequeue_bulk(drained_.data(), drained_.size()) > 0) {
    }
    return t1 - t0;
  }

 private:
  moodycamel::ConcurrentQueue<Item32> queue_;
  moodycamel::ProducerToken token_;
  std::vector<Item32> drained_;
};

class ReaderWriterQueueLoop {
 public:
  explicit ReaderWriterQueueLoop(std::size_t burst) : queue_(burst) {}
  __attribute__((noinline)) std::int64_t run(std::size_t n) {
    const std::int64_t t0 = clock_ns();
    for (std::size_t i = 0; i < n; ++i) {
      queue_.try_enqueue(Item32{&item_site, __builtin_ia32_rdtsc(), i, 0});
      compiler_barrier();
    }
    const std::int64_t t1 = clock_ns();
    Item32 out;
    while (queue_.try_dequeue(out)) {
    }
    return t1 - t0;
  }

 private:
  moodycamel::ReaderWriterQueue<Item32> queue_;
};

// spdlog's async logger (one backend thread, overflow policy block) into a file: the queue holds a whole
// burst, and the backend thread drains it between bursts, as spanlog's flusher does.
class SpdlogAsyncLoop {
 public:
  SpdlogAsyncLoop(std::size_t burst, const std::string& path) {
    pool_ = std::make_shared<spdlog::details::thread_pool>(burst + 1024, 1);
    auto sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path, true);
    logger_ =
        std::make_shared<spdlog::async_logger>("bench", sink, pool_, spdlog::async_overflow_policy::block);
  }
  __attribute__((noinline)) std::int64_t run(std::size_t n) {
    const std::int64_t t0 = clock_ns();
    for (std::size_t i = 0; i < n; ++i) {
      logger_->info("value {}", i);
      compiler_barrier();
    }
    const std::int64_t t1 = clock_ns();
    while (pool_->queue_size() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return t1 - t0;
  }
  ~SpdlogAsyncLoop() {
    logger_.reset();
    pool_.reset();
  }

 private:
  std::shared_ptr<spdlog::details::thread_pool> pool_;
  std::shared_ptr<spdlog::async_logger> logger_;
};

}  // namespace peers
