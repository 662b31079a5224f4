// Cheap facts about a run without reading all of it: its header (first line), its end (the last lines), its
// run_summary.json; and the words for a run's state and end.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "cli/console.hpp"
#include "reader/run_state.hpp"
#include "reader/summary.hpp"

namespace spanlog::cli {

struct RunStatus {
  std::filesystem::path directory;
  std::string run_id;
  std::uint64_t start_ts = 0;
  std::uint64_t pid = 0;
  std::string host;
  reader::RunState state;  // decided by reader::decide_run_state, as every view does
  std::optional<std::uint64_t> wall_ns;
  std::optional<std::uint64_t> spans;
  std::string lost;  // what the footer says was dropped, in words ("dropped 7.0% of spans (...)"); else empty
};

RunStatus probe_run(const std::filesystem::path& directory);
// The state's word, coloured as every command colours it.
std::string state_text(const reader::RunState& state, const Console& console);

// How the run came to be written, from the footer's `stopped_by`: "the process got SIGTERM", "the process
// called quick_exit".
std::string stopped_by_phrase(std::string_view stopped_by);
// What ended the program, where and when: "SIGSEGV (thread 4243, at +1.20 s)"; `start_ts` is the run's start.
std::string crash_phrase(const reader::CrashInfo& crash, std::uint64_t start_ts);

}  // namespace spanlog::cli
