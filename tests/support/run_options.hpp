// Test support: options for a test run written to <dir>/<run_id>. Include after the spanlog header.
#pragma once
#include <string>

namespace test_support {

inline spanlog::options run_options(const std::string& dir, const char* run_id,
                                    spanlog::overflow_policy policy = spanlog::overflow_policy::drop) {
  spanlog::options o;
  o.dir = dir;
  o.run_id = run_id;
  o.overflow = policy;
  return o;
}

}  // namespace test_support
