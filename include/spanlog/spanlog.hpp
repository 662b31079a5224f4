// spanlog: spans, events and counters recorded into per-thread rings and written as JSON Lines by a
// background flusher. Include this one header. -DSPANLOG_ENABLED=0 compiles every macro to nothing.
#pragma once
#include "config.hpp"
#include "macros.hpp"

#if SPANLOG_ENABLED
#include "api.hpp"
#include "options.hpp"
#include "session.hpp"
#else
#include "disabled_api.hpp"
#endif
