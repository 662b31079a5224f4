// libFuzzer target: arbitrary bytes through the whole reading and aggregation path of `spanlog summary`
// (the first byte chooses the options). Built and run by tests/fuzz/run.sh.
#include "fuzz_entry.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  spanlog::fuzz::run_jsonl(data, size);
  return 0;
}
