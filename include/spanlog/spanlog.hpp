// spanlog: spans, events and counters recorded into per-thread rings and written as JSON Lines by a
// background flusher. Every instrumented file includes this header: the macros, the macro-free API and the
// inline hot path, and no formatting library, queue or thread header.
//
// The implementation is compiled once per program: in one file, `#define SPANLOG_IMPLEMENTATION` before the
// include, or link the build's spanlog library (meson, CMake, pkg-config). -DSPANLOG_ENABLED=0 compiles
// every macro to nothing.
#pragma once
#include "config.hpp"
#include "macros.hpp"

#if SPANLOG_ENABLED
#include "api.hpp"
#else
#include "disabled_api.hpp"
#endif

#if SPANLOG_ENABLED && defined(SPANLOG_IMPLEMENTATION)
#include "impl/implementation.hpp"
#endif
