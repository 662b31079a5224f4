// The implementation: session, options from the environment, flusher, crash handler, JSONL writer and the
// process hub. Compiled in exactly one file of each executable or shared library: the one that defines
// SPANLOG_IMPLEMENTATION before including <spanlog/spanlog.hpp>, or the build's spanlog library.
#pragma once
#include "chosen_stats_spans.hpp"
#include "entry_points.hpp"
#include "metric_lines.hpp"
#include "run_summary.hpp"
#include "span_stats_lines.hpp"
