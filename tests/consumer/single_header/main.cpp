// The downstream program of ../consumer.cpp, written against the single header (single_include/spanlog.hpp):
// this file only records; implementation.cpp compiles the implementation (tests/packaging.cpp).
#include <spanlog.hpp>

int main() {
  SPANLOG_SPAN("consumer.main");
  SPANLOG_COUNTER_ADD("consumer.runs", 1);
  return 0;
}
