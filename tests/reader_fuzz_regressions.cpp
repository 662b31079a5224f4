// Every input a fuzz target ever failed on (tests/fuzz/regressions/), and the seed corpus, through the same
// entry points the libFuzzer programs use (tests/fuzz/fuzz_entry.hpp): each must give a well-formed refusal
// or result. A broken property aborts the program, which the suite counts as a failure.
#include <algorithm>
#include <filesystem>
#include <vector>

#include "fuzz/fuzz_entry.hpp"
#include "support/reader_support.hpp"

using reader_test::contains;

namespace {

namespace fs = std::filesystem;

fs::path fuzz_dir() {
  return reader_test::data("").parent_path().parent_path() / "fuzz";
}

std::vector<fs::path> inputs_in(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.is_regular_file() && entry.path().filename().string().front() != '.')
      files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

std::string bytes_of(const fs::path& file) {
  return reader_test::read_text(file);
}

const std::uint8_t* data_of(const std::string& bytes) {
  return reinterpret_cast<const std::uint8_t*>(bytes.data());
}

void replay_jsonl(const fs::path& dir, std::size_t at_least) {
  const auto files = inputs_in(dir);
  CHECK(files.size() >= at_least);
  for (const auto& file : files) {
    INFO("input: " << file.string());
    const std::string bytes = bytes_of(file);
    const spanlog::fuzz::JsonlOutcome outcome = spanlog::fuzz::run_jsonl(data_of(bytes), bytes.size());
    if (bytes.empty()) continue;
    if (outcome.refused) {
      CHECK(contains(outcome.message, "fuzz/telemetry.jsonl:"));
    } else {
      CHECK(contains(outcome.summary_json, "\"spans\":["));
      CHECK(contains(outcome.run_summary_json, "\"totals\":{"));
      CHECK(outcome.records + outcome.skipped_lines <= outcome.lines);
    }
  }
}

void replay_rules(const fs::path& dir, std::size_t at_least) {
  const auto files = inputs_in(dir);
  CHECK(files.size() >= at_least);
  for (const auto& file : files) {
    INFO("input: " << file.string());
    const std::string bytes = bytes_of(file);
    const spanlog::fuzz::RuleOutcome outcome = spanlog::fuzz::run_rule(data_of(bytes), bytes.size());
    CHECK_FALSE(outcome.message.empty());
    if (outcome.syntax_error) CHECK(outcome.message.rfind("rule '", 0) == 0);
  }
}

}  // namespace

TEST_CASE("every input the JSONL fuzz target failed on reads without failing") {
  replay_jsonl(fuzz_dir() / "regressions" / "jsonl", 1);
}

TEST_CASE("every input the rules fuzz target failed on parses without failing") {
  replay_rules(fuzz_dir() / "regressions" / "rules", 0);
}

TEST_CASE("the seed corpus holds the fuzz targets' properties") {
  replay_jsonl(fuzz_dir() / "corpus" / "jsonl", 20);
  replay_rules(fuzz_dir() / "corpus" / "rules", 20);
}

TEST_CASE("the first regression: a counter whose integer sum leaves int64 is still summed") {
  // Two deltas summing past INT64_MAX were a signed overflow (undefined behaviour); the double total now
  // takes over.
  const std::string run = std::string(1, '\0') +
                          R"({"event":"counter","name":"c","tid":1,"ts":5,"delta":9223372036854775807})"
                          "\n"
                          R"({"event":"counter","name":"c","tid":1,"ts":6,"delta":9223372036854775807})"
                          "\n";
  const auto outcome = spanlog::fuzz::run_jsonl(data_of(run), run.size());
  REQUIRE_FALSE(outcome.refused);
  CHECK(contains(outcome.summary_json, "\"c\":{\"total\":1.8446744073709552e+19"));
}
