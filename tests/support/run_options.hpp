// Test support: options for a test run written to <dir>/<run_id>. Include after the spanlog header.
#pragma once
#include <string>

namespace test_support {

inline spanlog::Options run_options(const std::string& dir, const char* run_id,
                                    spanlog::OverflowPolicy policy = spanlog::OverflowPolicy::drop) {
  spanlog::Options o;
  o.dir = dir;
  o.run_id = run_id;
  o.overflow = policy;
  return o;
}

}  // namespace test_support
