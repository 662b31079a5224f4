// A plugin loaded with dlopen(RTLD_NOW | RTLD_LOCAL), built with hidden visibility. Built several times:
// with a name prefix of its own (so that a second plugin mapped where an unloaded one was has other names at
// the same offsets), and once with another ABI (-DSPANLOG_MAX_ATTRS=8), which compiles its own
// implementation here (SPANLOG_TEST_OWN_IMPLEMENTATION) and must keep to itself.
#ifdef SPANLOG_TEST_OWN_IMPLEMENTATION
#define SPANLOG_IMPLEMENTATION
#endif
#include <spanlog/spanlog.hpp>

#ifndef PLUGIN_PREFIX
#define PLUGIN_PREFIX "plugin"
#endif

extern "C" __attribute__((visibility("default"))) int plugin_work(int n) {
  SPANLOG_SPAN(PLUGIN_PREFIX ".work", "n", n, PLUGIN_PREFIX ".key", PLUGIN_PREFIX ".value");
  SPANLOG_COUNTER_ADD(PLUGIN_PREFIX ".calls", 1);
  SPANLOG_EVENT(PLUGIN_PREFIX ".event", PLUGIN_PREFIX ".attr", n);
  int sum = 0;
  for (int i = 0; i < n; ++i) sum += i ^ (i >> 1);
  return sum;
}

// Dies of SIGSEGV inside a span of its own, with the caller's span open around it.
extern "C" __attribute__((visibility("default"), no_sanitize("undefined"))) int plugin_crash(int n) {
  SPANLOG_SPAN(PLUGIN_PREFIX ".crashing", "n", n);
  static volatile int* volatile nowhere = nullptr;
  *nowhere = n;
  return 0;
}
