#include "report/page.hpp"

namespace spanlog::report {

std::string render_page(std::string_view data_json) {
  std::string page;
  page.reserve(kPageBeforeData.size() + data_json.size() + kPageAfterData.size() + 64);
  page += kPageBeforeData;
  for (const char c : data_json) {
    if (c == '<')
      page += "\\u003c";
    else
      page += c;
  }
  page += kPageAfterData;
  return page;
}

}  // namespace spanlog::report
