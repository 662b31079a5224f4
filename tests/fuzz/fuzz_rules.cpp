// libFuzzer target: arbitrary text as a `spanlog check --rule`, parsed and evaluated over a fixed run.
// Built and run by tests/fuzz/run.sh.
#include "fuzz_entry.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  spanlog::fuzz::run_rule(data, size);
  return 0;
}
