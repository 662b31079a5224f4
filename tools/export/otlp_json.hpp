// The pieces of OTLP/JSON (the protobuf JSON mapping of opentelemetry-proto) that traces and metrics share:
// ids as hex, typed attribute values, the resource that describes the process and the instrumentation scope.
// Field names are the proto fields in lowerCamelCase; 64-bit integers are decimal strings; enums are
// integers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "export/run_context.hpp"
#include "reader/owned_attrs.hpp"

namespace spanlog::exporters::otlp {

// 32 hex digits: a 128-bit hash of the run id, so every export of a run names the same trace. Never all zero,
// which OTLP reserves for "no trace". The recorder's live OTLP file (include/spanlog/flusher.hpp) derives the
// same id: change both together (tests/exporters_check.cpp compares them).
std::string trace_id(std::string_view run_id);
// 16 hex digits, zero-padded.
std::string span_id(std::uint64_t id);

// Appends `{"key":..,"value":{..}}` to a JSON array being built (`out` starts with "["); a value that was not
// a finite number becomes an empty AnyValue.
void append_attribute(std::string& out, const reader::OwnedAttr& attr);
void append_attribute(std::string& out, std::string_view key, std::string_view value);
void append_attribute(std::string& out, std::string_view key, std::int64_t value);
void append_attribute(std::string& out, std::string_view key, bool value);

// `{"attributes":[..]}`: service.name, service.instance.id (the run id), process.pid,
// process.executable.name, host.name, then the header's other process attributes as they were recorded.
std::string resource(const RunContext& context);
// `{"name":"spanlog","version":..}`: the recorder that wrote the run.
std::string scope(const RunContext& context);

}  // namespace spanlog::exporters::otlp
