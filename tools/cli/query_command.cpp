// `spanlog query "SQL" [--db TARGET] [--format table|json|csv]`: one statement, its rows printed.
#include <fmt/format.h>

#include "cli/history_commands.hpp"
#include "cli/usage_error.hpp"
#include "history/attrs_json.hpp"
#include "history/schema.hpp"
#include "reader/run_location.hpp"

namespace spanlog::cli {
namespace {

// A value the database printed as a number stays a JSON number; anything else is a string.
bool looks_numeric(std::string_view text) {
  if (text.empty()) return false;
  std::size_t i = text[0] == '-' ? 1 : 0;
  if (i == text.size() || text[i] < '0' || text[i] > '9') return false;
  if (text[i] == '0' && i + 1 < text.size() && text[i + 1] >= '0' && text[i + 1] <= '9') return false;
  bool dot = false, exponent = false;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c >= '0' && c <= '9') continue;
    if (c == '.' && !dot && !exponent) {
      dot = true;
    } else if ((c == 'e' || c == 'E') && !exponent) {
      exponent = true;
      if (i + 1 < text.size() && (text[i + 1] == '+' || text[i + 1] == '-')) ++i;
    } else {
      return false;
    }
  }
  const char last = text.back();
  return last >= '0' && last <= '9';
}

std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\n\r") == std::string_view::npos) return std::string(text);
  std::string quoted = "\"";
  for (const char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

}  // namespace

int query_command(const QueryOptions& options, const Console& console) {
  if (options.format != "table" && options.format != "json" && options.format != "csv")
    throw UsageError(fmt::format("--format {}: expected table, json or csv", options.format));
  const auto store = history::open_store(options.db.empty() ? history::default_target() : options.db);
  history::require_current_schema(*store);
  history::QueryResult result;
  try {
    result = store->query(options.sql);
  } catch (const history::HistoryError& e) {
    throw history::HistoryError(fmt::format("{}: SQL error: {}", store->display_name(), e.what()));
  }

  if (options.format == "csv") {
    std::string out;
    for (std::size_t c = 0; c < result.columns.size(); ++c)
      out += (c ? "," : "") + csv_field(result.columns[c]);
    out += '\n';
    for (const auto& row : result.rows) {
      for (std::size_t c = 0; c < row.size(); ++c) out += (c ? "," : "") + csv_field(row[c].value_or(""));
      out += '\n';
    }
    console.print("{}", out);
  } else if (options.format == "json") {
    std::string out = "[";
    for (std::size_t r = 0; r < result.rows.size(); ++r) {
      out += r ? ",\n{" : "{";
      for (std::size_t c = 0; c < result.columns.size(); ++c) {
        if (c) out += ',';
        history::append_json_string(out, result.columns[c]);
        out += ':';
        const auto& cell = result.rows[r][c];
        if (!cell)
          out += "null";
        else if (looks_numeric(*cell))
          out += *cell;
        else
          history::append_json_string(out, *cell);
      }
      out += '}';
    }
    console.print("{}]\n", out);
  } else {
    std::vector<Table::Column> columns;
    for (const auto& name : result.columns) columns.push_back({name, Table::Align::left});
    Table table(std::move(columns));
    for (const auto& row : result.rows) {
      std::vector<std::string> cells;
      for (const auto& cell : row) cells.push_back(cell.value_or("NULL"));
      table.add_row(std::move(cells));
    }
    if (!result.columns.empty()) table.print(console);
    console.print("{}\n", console.dim(fmt::format("({} rows)", result.rows.size())));
  }
  return 0;
}

}  // namespace spanlog::cli
