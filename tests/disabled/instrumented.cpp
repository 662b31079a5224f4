// Compiled by tests/disabled_object.cpp with SPANLOG_ENABLED=0; must match plain.cpp instruction for
// instruction.
#include <spanlog/spanlog.hpp>

int checksum(const char* data, int size) {
  SPANLOG_SPAN("checksum", "bytes", size);
  SPANLOG_SPAN_STATS("checksum.hot");
  SPANLOG_EVENT("checksum.begin", "first", data[0]);
  SPANLOG_COUNTER_ADD("bytes.summed", size);
  int sum = 0;
  for (int i = 0; i < size; ++i) sum = sum * 31 + data[i];
  SPANLOG_GAUGE_SET("last.sum", sum);
  SPANLOG_LOG_INFO("sum {sum} of {bytes} bytes", sum, size);
  return sum;
}
