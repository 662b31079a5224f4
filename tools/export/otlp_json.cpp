#include "export/otlp_json.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "reader/units.hpp"

namespace spanlog::exporters::otlp {
namespace {

using reader::AttrValue;
using reader::json_string;

std::uint64_t fnv1a(std::string_view text, std::uint64_t basis) {
  std::uint64_t hash = basis;
  for (const char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ull;
  }
  return hash;
}

// The splitmix64 finaliser: spreads FNV's weak low-entropy bits over the whole word.
std::uint64_t mix(std::uint64_t x) {
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

void append_key(std::string& out, std::string_view key) {
  if (!out.empty() && out.back() != '[') out += ',';
  out += "{\"key\":";
  out += json_string(key);
  out += ",\"value\":";
}

}  // namespace

std::string trace_id(std::string_view run_id) {
  const std::uint64_t high = mix(fnv1a(run_id, 0xcbf29ce484222325ull));
  std::uint64_t low = mix(fnv1a(run_id, 0x84222325cbf29ce4ull) ^ 0x5370616e6c6f67ull);
  if (high == 0 && low == 0) low = 1;
  return fmt::format("{:016x}{:016x}", high, low);
}

std::string span_id(std::uint64_t id) {
  return fmt::format("{:016x}", id);
}

void append_attribute(std::string& out, const reader::OwnedAttr& attr) {
  append_key(out, attr.key);
  switch (attr.type) {
    case AttrValue::Type::string:
      out += "{\"stringValue\":" + json_string(attr.string) + "}}";
      return;
    case AttrValue::Type::boolean:
      out += attr.boolean ? "{\"boolValue\":true}}" : "{\"boolValue\":false}}";
      return;
    case AttrValue::Type::number:
      out += attr.number.is_integer ? fmt::format("{{\"intValue\":\"{}\"}}}}", attr.number.as_integer)
                                    : "{\"doubleValue\":" + reader::json_number(attr.number.as_double) + "}}";
      return;
    case AttrValue::Type::null:
      out += "{}}";
      return;
  }
}

void append_attribute(std::string& out, std::string_view key, std::string_view value) {
  append_key(out, key);
  out += "{\"stringValue\":" + json_string(value) + "}}";
}

void append_attribute(std::string& out, std::string_view key, std::int64_t value) {
  append_key(out, key);
  out += fmt::format("{{\"intValue\":\"{}\"}}}}", value);
}

void append_attribute(std::string& out, std::string_view key, bool value) {
  append_key(out, key);
  out += value ? "{\"boolValue\":true}}" : "{\"boolValue\":false}}";
}

std::string resource(const RunContext& context) {
  std::string attributes = "[";
  const std::string service = context.service_name();
  if (!service.empty()) append_attribute(attributes, "service.name", service);
  if (!context.run_id.empty()) append_attribute(attributes, "service.instance.id", context.run_id);
  if (context.has_header) append_attribute(attributes, "process.pid", static_cast<std::int64_t>(context.pid));
  if (!context.process.empty()) append_attribute(attributes, "process.executable.name", context.process);
  if (!context.host.empty()) append_attribute(attributes, "host.name", context.host);
  constexpr std::array<std::string_view, 5> kWritten = {"service.name", "service.instance.id", "process.pid",
                                                        "process.executable.name", "host.name"};
  for (const reader::OwnedAttr& attr : context.process_attrs)
    if (std::find(kWritten.begin(), kWritten.end(), attr.key) == kWritten.end())
      append_attribute(attributes, attr);
  return "{\"attributes\":" + attributes + "]}";
}

std::string scope(const RunContext& context) {
  std::string text = "{\"name\":\"spanlog\"";
  if (!context.version.empty()) text += ",\"version\":" + json_string(context.version);
  return text + "}";
}

}  // namespace spanlog::exporters::otlp
