// The out-of-line half of spanlog, compiled once per program (include/spanlog/impl/, by the one file that
// defines SPANLOG_IMPLEMENTATION or by the build's spanlog library). Only declarations here.
//
// The namespace's name is the fix the linker prints: "undefined reference to
// ...::needs_SPANLOG_IMPLEMENTATION_ in_exactly_one_file::..." when no file defines it, "multiple definition
// of ..." when several do.
#pragma once
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>

#include "../config.hpp"

SPANLOG_BEGIN_NAMESPACE
struct Options;
namespace detail {
struct ThreadBuffer;
struct Site;
struct CounterSlot;
struct StatsSlot;
struct StatsCell;

namespace needs_SPANLOG_IMPLEMENTATION_in_exactly_one_file {
// The calling thread's ring, made or found on its first record (late: after its thread_local objects began
// to be destroyed); nullptr when no run records.
ThreadBuffer* attach_current_thread(bool late);
void start_default_session();
// A ring past its high-water mark: wakes the flusher, and under the block policy waits for it.
bool make_room(ThreadBuffer& b, std::uint64_t need);
// The site's counter slot number, given on its first add; 0 when every slot is taken.
std::uint32_t counter_slot_for(const Site& s, CounterSlot& slot);
// The thread's histogram for a statistics-span site, made on the site's first span on the thread; nullptr
// when every slot is taken or memory ran out.
StatsCell* stats_cell_for(ThreadBuffer& b, const Site& s, StatsSlot& slot);
// A metric's unit and description (SPANLOG_METRIC_INFO), for this run's header or file and every later run's.
void declare_metric_info(const char* name, std::string_view unit, std::string_view description);

// "exception std::runtime_error: disk full" into out; e nullptr: the exception being handled.
void describe_exception(const std::exception* e, char* out, std::size_t size);

Options options_from_env();
bool start(const Options* opts);  // nullptr: options from the environment
void flush();
void stop();
std::string run_directory();
}  // namespace needs_SPANLOG_IMPLEMENTATION_in_exactly_one_file
namespace slow = needs_SPANLOG_IMPLEMENTATION_in_exactly_one_file;

}  // namespace detail
SPANLOG_END_NAMESPACE
