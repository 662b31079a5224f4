// A downstream program: built against an installed or a subproject spanlog by tests/packaging.cpp.
#include <spanlog/spanlog.hpp>

int main() {
  SPANLOG_SPAN("consumer.main");
  SPANLOG_COUNTER_ADD("consumer.runs", 1);
  return 0;
}
