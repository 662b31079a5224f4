// Test support: the spans a `spans` record (schema 1.3) holds, read with simdjson's DOM and not with the
// reader under test: each row as the span line it stands for. The columns are the ones this recorder writes.
#pragma once
#include <doctest/doctest.h>
#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace test_support {

struct RowSpan {
  std::uint64_t id = 0;
  bool has_parent = false;
  std::uint64_t parent = 0;
  std::string name;
  std::uint64_t tid = 0;
  std::uint64_t ts = 0;
  std::uint64_t dur = 0;
};

// Calls each(RowSpan) for every row of the record `e`, in order.
template <class Each>
void for_each_span_row(simdjson::dom::element e, Each&& each) {
  REQUIRE(simdjson::minify(e["fields"]) == R"(["name","span_id","parent","ts","dur_ns","attrs"])");
  const std::uint64_t id_base = e["id_base"].get_uint64(), tid = e["tid"].get_uint64();
  const std::int64_t ts = e["ts"].get_int64();
  for (simdjson::dom::element row : e["rows"].get_array()) {
    const simdjson::dom::array cells = row.get_array();
    RowSpan s;
    s.id = id_base + std::uint64_t(cells.at(1).get_uint64());
    s.name = std::string(std::string_view(cells.at(0).get_string()));
    s.tid = tid;
    s.ts = static_cast<std::uint64_t>(ts + std::int64_t(cells.at(3).get_int64()));
    s.has_parent = !cells.at(2).is_null();
    if (s.has_parent) s.parent = id_base + std::uint64_t(cells.at(2).get_uint64());
    s.dur = cells.at(4).get_uint64();
    each(s);
  }
}

}  // namespace test_support
