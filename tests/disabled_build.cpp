// SPANLOG_ENABLED=0: macros evaluate nothing, yet still check their arguments' types (this file would not
// compile otherwise). The object-file inspection is tests/disabled_object.cpp.
#define SPANLOG_ENABLED 0
#include <doctest/doctest.h>
#include <spanlog/spanlog.hpp>

#include <string>

// External linkage: clang would otherwise (rightly) warn that, used only unevaluated, it is never emitted.
int side_effects = 0;
int touch();
int touch() {
  return ++side_effects;
}

TEST_CASE("disabled macros do not evaluate their arguments") {
  side_effects = 0;
  {
    SPANLOG_SPAN("s", "k", touch(), "name", std::string("x"));
    SPANLOG_SPAN_SET("k", touch());
    SPANLOG_EVENT("e", "k", touch());
    SPANLOG_COUNTER_ADD("c", touch());
    SPANLOG_GAUGE_SET("g", touch());
    SPANLOG_PHASE("p");
    SPANLOG_SPAN_FN();
    SPANLOG_ASYNC_BEGIN("a", static_cast<unsigned>(touch()));
    SPANLOG_ASYNC_END(static_cast<unsigned>(touch()));
    SPANLOG_SPAN_ERROR(std::to_string(touch()));
  }
  CHECK(side_effects == 0);
  CHECK_FALSE(spanlog::running());
  CHECK(spanlog::run_directory().empty());
}
