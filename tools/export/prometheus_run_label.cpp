#include "export/prometheus_run_label.hpp"

#include "export/prometheus.hpp"

namespace spanlog::exporters {
namespace {

// Whether the label set that starts after `{` at `open` names `name`: label names are read between the
// quoted values, whose escapes (\" and \\) are skipped, so a value that contains `name=` is not taken for it.
bool has_label(std::string_view line, std::size_t open, std::string_view name) {
  std::size_t at = open + 1;
  while (at < line.size() && line[at] != '}') {
    const std::size_t equals = line.find('=', at);
    if (equals == std::string_view::npos) return false;
    std::string_view label = line.substr(at, equals - at);
    while (!label.empty() && (label.front() == ',' || label.front() == ' ')) label.remove_prefix(1);
    if (label == name) return true;
    at = equals + 2;  // past `="`
    while (at < line.size() && line[at] != '"') at += line[at] == '\\' ? 2 : 1;
    ++at;  // past the closing quote
  }
  return false;
}

void append_sample(std::string& out, std::string_view line, std::string_view label) {
  const std::size_t name_end = line.find_first_of("{ ");
  if (name_end == std::string_view::npos) {
    out += line;
    return;
  }
  if (line[name_end] == ' ') {
    out += line.substr(0, name_end);
    out += '{';
    out += label;
    out += '}';
    out += line.substr(name_end);
    return;
  }
  out += line.substr(0, name_end + 1);
  const bool empty_set = name_end + 1 < line.size() && line[name_end + 1] == '}';
  out += label;
  if (!empty_set) out += ',';
  out += line.substr(name_end + 1);
}

}  // namespace

std::string with_label(std::string_view text, std::string_view name, std::string_view value) {
  const std::string label = std::string(name) + "=\"" + prometheus_label_value(value) + "\"";
  std::string out;
  out.reserve(text.size() + text.size() / 4);
  std::size_t from = 0;
  while (from < text.size()) {
    std::size_t end = text.find('\n', from);
    const bool last = end == std::string_view::npos;
    if (last) end = text.size();
    const std::string_view line = text.substr(from, end - from);
    const std::size_t brace = line.find_first_of("{ ");
    const bool sample = !line.empty() && line.front() != '#';
    if (sample && !(brace != std::string_view::npos && line[brace] == '{' && has_label(line, brace, name)))
      append_sample(out, line, label);
    else
      out += line;
    if (!last) out += '\n';
    from = end + 1;
  }
  return out;
}

}  // namespace spanlog::exporters
