// Cheap facts about a run without reading all of it: its header (first line), its end (the last lines), its
// run_summary.json, and whether its process is still alive.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "reader/summary.hpp"

namespace spanlog::cli {

struct RunStatus {
  enum class State { complete, running, crashed };
  std::filesystem::path directory;
  std::string run_id;
  std::uint64_t start_ts = 0;
  std::uint64_t pid = 0;
  std::string host;
  State state = State::crashed;
  std::optional<std::uint64_t> wall_ns;
  std::optional<std::uint64_t> spans;
};

RunStatus probe_run(const std::filesystem::path& directory);
// True when the run's process is alive on this host (so a run without footer may still be writing).
bool process_alive(std::uint64_t pid, const std::string& host);
const char* state_name(RunStatus::State state);

// How the run came to be written, from the footer's `stopped_by`: "the process got SIGTERM", "the process
// called quick_exit".
std::string stopped_by_phrase(std::string_view stopped_by);
// What ended the program, where and when: "SIGSEGV (thread 4243, at +1.20 s)"; `start_ts` is the run's start.
std::string crash_phrase(const reader::CrashInfo& crash, std::uint64_t start_ts);

}  // namespace spanlog::cli
