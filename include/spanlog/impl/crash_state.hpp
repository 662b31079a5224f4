// Whether the process is crashing: set once by the first crash handler (crash_handler.hpp), read by the
// flusher at each record so that it stops where it is and leaves the rings to the handler.
#pragma once
#include <atomic>

#include "../config.hpp"

SPANLOG_BEGIN_NAMESPACE
namespace detail {

// The signal the process is dying of, once a crash handler has begun (0 before).
inline std::atomic<int> g_crashing{0};

}  // namespace detail
SPANLOG_END_NAMESPACE
