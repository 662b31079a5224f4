// Compiled by tests/disabled_object.cpp, enabled, with SPANLOG_LOG_LEVEL_MIN above every level used: must
// match plain.cpp instruction for instruction. With the floor at 0 it must not.
#include <spanlog/spanlog.hpp>

int checksum(const char* data, int size) {
  SPANLOG_LOG_TRACE("summing {bytes} bytes", size);
  SPANLOG_LOG_DEBUG("first byte {first}", data[0]);
  int sum = 0;
  for (int i = 0; i < size; ++i) sum = sum * 31 + data[i];
  SPANLOG_LOG_INFO("sum {sum} of {bytes} bytes", sum, size);
  SPANLOG_LOG(spanlog::LogLevel::warn, "sum {}", sum);
  return sum;
}
