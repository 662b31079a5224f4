// A shared library linked at build time, built with hidden visibility and carrying its own copy of the
// implementation (it links the build's spanlog library): its spans must be children of the executable's.
#include <spanlog/spanlog.hpp>

#include "library.hpp"

int library_work(int n) {
  SPANLOG_SPAN("library.work", "n", n);
  SPANLOG_COUNTER_ADD("library.calls", 1);
  int sum = 0;
  for (int i = 0; i < n; ++i) sum += i * i;
  return sum;
}
