// The slow paths the light header declares (detail/slow_paths.hpp), defined here once per image: each goes
// to the process's hub, which may be this image or another one.
#pragma once
#include <string>

#include "../config.hpp"
#include "../detail/slow_paths.hpp"
#include "exception_description.hpp"
#include "options_from_env.hpp"
#include "process_hub.hpp"
#include "uncaught_exceptions.hpp"

SPANLOG_BEGIN_NAMESPACE
namespace detail {
namespace needs_SPANLOG_IMPLEMENTATION_in_exactly_one_file {

ThreadBuffer* attach_current_thread(bool late) {
  ThreadBuffer* b = hub().acquire_thread_ring();
  if (b) b->uncaught_exceptions = uncaught_exceptions_of_this_thread();
  tl_buffer = b;
  (late ? tl_late_exit_guard : tl_exit_guard).buffer = b;
  return b;
}

void start_default_session() {
  hub().start_default_session();
}

bool make_room(ThreadBuffer& b, std::uint64_t need) {
  return hub().make_room(b, need);
}

std::uint32_t counter_slot_for(const Site& s, CounterSlot& slot) {
  return hub().counter_slot_for(s, slot);
}

StatsCell* stats_cell_for(ThreadBuffer& b, const Site& s, StatsSlot& slot) {
  return hub().stats_cell_for(b, s, slot);
}

void declare_metric_info(const char* name, std::string_view unit, std::string_view description) {
  hub().declare_metric_info(name, unit, description);
}

void describe_exception(const std::exception* e, char* out, std::size_t size) {
  detail::describe_exception("exception ", e, out, size);
}

Options options_from_env() {
  return options_from_environment();
}

bool start(const Options* opts) {
  return hub().start(opts);
}

void flush() {
  hub().flush();
}

void stop() {
  hub().stop();
}

std::string run_directory() {
  return hub().run_directory();
}

}  // namespace needs_SPANLOG_IMPLEMENTATION_in_exactly_one_file
}  // namespace detail
SPANLOG_END_NAMESPACE
