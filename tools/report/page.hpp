// The page of `spanlog report` and `spanlog serve` (tools/report/assets/, embedded at build time): HTML with
// its style and script inlined, so it opens with no network access. A report carries its data inside the
// page; the served page carries none and reads the server's /events stream instead.
#pragma once

#include <string>
#include <string_view>

namespace spanlog::report {

extern const std::string_view kPageBeforeData;
extern const std::string_view kPageAfterData;

// The page with `data_json` (a JSON object, see run_snapshot.hpp) as its data; empty for the live page.
// Every '<' of the data is written as \u003c so that no text in it can end the script element.
std::string render_page(std::string_view data_json);

}  // namespace spanlog::report
