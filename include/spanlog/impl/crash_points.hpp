// Named moments in the life of a run, for the tests of the crash handler: a test program compiled with
// SPANLOG_TEST_CRASH_POINTS crashes (SPANLOG_TEST_CRASH_AT=name) or holds still (SPANLOG_TEST_HOLD_AT=name)
// on the thread that reaches one, until another thread's crash comes: that crash meets the run exactly there,
// and the thread goes on from there as it would have. `name@N` acts the Nth time the point is reached. In
// every other program the points compile to nothing.
#pragma once
#include "../config.hpp"
#include "crash_state.hpp"

#if defined(SPANLOG_TEST_CRASH_POINTS)
#include <signal.h>
#include <time.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>

SPANLOG_BEGIN_NAMESPACE
namespace detail {

struct CrashPointPlan {
  std::string name;
  long hit = 1;  // which reaching of the point acts
  bool crash = false;
  std::atomic<long> reached{0};
};

inline CrashPointPlan* plan_from(const char* variable, bool crash) {
  const char* v = std::getenv(variable);
  if (!v || !*v) return nullptr;
  auto* plan = new CrashPointPlan();
  plan->name = v;
  plan->crash = crash;
  if (const auto at = plan->name.find('@'); at != std::string::npos) {
    plan->hit = std::atol(plan->name.c_str() + at + 1);
    plan->name.resize(at);
  }
  return plan;
}

inline CrashPointPlan* the_crash_point_plan() {
  static CrashPointPlan* plan = [] {
    CrashPointPlan* p = plan_from("SPANLOG_TEST_CRASH_AT", true);
    return p ? p : plan_from("SPANLOG_TEST_HOLD_AT", false);
  }();
  return plan;
}

inline std::atomic<bool> g_crash_point_holding{false};

// Whether a thread holds still at the planned point: the test program waits for it before crashing.
inline bool crash_point_holding() {
  return g_crash_point_holding.load(std::memory_order_acquire);
}

// A real fault, not a raised signal; UBSan would stop the program at the store instead.
__attribute__((no_sanitize("undefined"))) inline void fault_here() {
  static int* volatile nowhere = nullptr;
  *nowhere = 1;
  ::raise(SIGSEGV);  // should the store not fault
}

inline void crash_point(const char* name) {
  CrashPointPlan* plan = the_crash_point_plan();
  if (!plan || plan->name != name) return;
  if (plan->reached.fetch_add(1, std::memory_order_relaxed) + 1 != plan->hit) return;
  if (plan->crash) fault_here();
  g_crash_point_holding.store(true, std::memory_order_release);
  while (!g_crashing.load(std::memory_order_acquire)) {
    const timespec step{0, 100000};
    ::nanosleep(&step, nullptr);
  }
}

}  // namespace detail
SPANLOG_END_NAMESPACE

#define SPANLOG_CRASH_POINT(name) ::spanlog::detail::crash_point(name)
#else
#define SPANLOG_CRASH_POINT(name) static_cast<void>(0)
#endif
