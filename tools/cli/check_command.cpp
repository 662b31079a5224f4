// `spanlog check RUN --rule ...`: every rule is parsed before anything is read, so a typo costs no time;
// then each rule prints one line, and any failure makes the exit status 1.
#include <vector>

#include "cli/commands.hpp"
#include "cli/losses.hpp"
#include "cli/usage_error.hpp"
#include "reader/aggregator.hpp"
#include "reader/rules.hpp"
#include "reader/run_location.hpp"

namespace spanlog::cli {

int check_command(const CheckOptions& options, const Console& console) {
  if (options.rules.empty()) throw UsageError("check needs at least one --rule");
  std::vector<reader::Rule> rules;
  for (const auto& text : options.rules) {
    try {
      rules.push_back(reader::parse_rule(text));
    } catch (const reader::RuleSyntaxError& e) {
      throw UsageError(e.what());
    }
  }
  reader::ReadOptions read_options;
  read_options.skip_bad = options.skip_bad;
  reader::AggregateOptions aggregate;
  aggregate.selections = reader::span_selections(rules);
  if (aggregate.selections.size() > reader::kMaxSpanSelections)
    throw UsageError(fmt::format("{} different subjects with attribute filters: at most {} in one check",
                                 aggregate.selections.size(), reader::kMaxSpanSelections));
  reader::Summary summary =
      options.stored_runs
          ? options.stored_runs(
                options.run ? std::vector<std::string>{*options.run} : std::vector<std::string>{}, aggregate)
          : reader::summarize({reader::locate_run(options.run).file}, aggregate, read_options);
  if (options.raw) summary.use_raw_self_time();
  for (const auto& run : summary.runs)
    if (run.read.torn_last_line) console.warning("{}", *run.read.torn_last_line);
  if (const std::string lost = dropped_phrase(summary); !lost.empty())
    console.warning("the run {}: the rules judge what was recorded", lost);

  std::size_t failed = 0;
  for (const auto& rule : rules) {
    const reader::RuleResult result = reader::evaluate(rule, summary);
    if (!result.passed) ++failed;
    console.print("{}  {}  ({})\n", result.passed ? console.green("ok  ") : console.red("FAIL"), rule.text,
                  result.explanation);
  }
  if (failed > 0) console.print("{} of {} rules failed\n", failed, rules.size());
  return failed > 0 ? 1 : 0;
}

}  // namespace spanlog::cli
