// The reader's advice names settings that exist: every SPANLOG_* name in a string literal of tools/ (a hint
// such as "raise SPANLOG_RING_SIZE") is one of the recorder's environment variables (the Options table,
// spanlog/impl/env_variables.hpp) and is documented in docs/recording.md. The sources are read as they are
// when the test runs, so a hint added tomorrow is checked too.
#include <doctest/doctest.h>

#include <spanlog/impl/env_variables.hpp>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

std::string setting(const char* name) {
  const char* value = std::getenv(name);
  REQUIRE_MESSAGE(value != nullptr, std::string(name) << " is set by meson");
  return value;
}

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

bool is_word(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

// The contents of the string literals of C++ source text, raw strings included; comments and character
// literals skipped (a quote between digits is a digit separator, 1'000).
std::vector<std::string> string_literals(const std::string& source) {
  std::vector<std::string> literals;
  std::size_t i = 0;
  const std::size_t n = source.size();
  while (i < n) {
    const char c = source[i];
    if (c == '/' && i + 1 < n && source[i + 1] == '/') {
      i = source.find('\n', i);
      if (i == std::string::npos) break;
    } else if (c == '/' && i + 1 < n && source[i + 1] == '*') {
      i = source.find("*/", i + 2);
      if (i == std::string::npos) break;
      i += 2;
    } else if (c == '\'' && i > 0 && std::isxdigit(static_cast<unsigned char>(source[i - 1]))) {
      ++i;  // a digit separator
    } else if (c == '\'') {
      for (++i; i < n && source[i] != '\''; ++i)
        if (source[i] == '\\') ++i;
      ++i;
    } else if (c == 'R' && i + 1 < n && source[i + 1] == '"' &&
               (i == 0 || !is_word(source[i - 1]) || source[i - 1] == '8' || source[i - 1] == 'u' ||
                source[i - 1] == 'U' || source[i - 1] == 'L')) {
      const std::size_t open = source.find('(', i + 2);
      if (open == std::string::npos) break;
      const std::string close = ")" + source.substr(i + 2, open - i - 2) + "\"";
      const std::size_t end = source.find(close, open + 1);
      if (end == std::string::npos) break;
      literals.push_back(source.substr(open + 1, end - open - 1));
      i = end + close.size();
    } else if (c == '"') {
      std::string text;
      for (++i; i < n && source[i] != '"'; ++i) {
        if (source[i] == '\\' && i + 1 < n) text += source[i++];
        text += source[i];
      }
      literals.push_back(text);
      ++i;
    } else {
      ++i;
    }
  }
  return literals;
}

// Each SPANLOG_[A-Z_]+ name in a text.
std::vector<std::string> variable_names(const std::string& text) {
  std::vector<std::string> names;
  for (std::size_t at = text.find("SPANLOG_"); at != std::string::npos; at = text.find("SPANLOG_", at + 1)) {
    if (at > 0 && is_word(text[at - 1])) continue;
    std::size_t end = at + 8;
    while (end < text.size() && (std::isupper(static_cast<unsigned char>(text[end])) || text[end] == '_'))
      ++end;
    if (end < text.size() && is_word(text[end])) continue;  // SPANLOG_X1: not such a name
    if (end > at + 8) names.push_back(text.substr(at, end - at));
  }
  return names;
}

bool in_options_table(const std::string& name) {
  return spanlog::detail::is_env_variable(name);
}

bool documented(const std::string& doc, const std::string& name) {
  for (std::size_t at = doc.find(name); at != std::string::npos; at = doc.find(name, at + 1)) {
    const std::size_t end = at + name.size();
    if ((at == 0 || !is_word(doc[at - 1])) && (end == doc.size() || !is_word(doc[end]))) return true;
  }
  return false;
}

struct Finding {
  std::string name, where;
  bool hint = false;  // in a message, not a literal that is only the name (a getenv argument)
};

std::vector<Finding> findings_in(const std::string& source, const std::string& where) {
  std::vector<Finding> found;
  for (const std::string& literal : string_literals(source))
    for (const std::string& name : variable_names(literal)) found.push_back({name, where, literal != name});
  return found;
}

}  // namespace

TEST_CASE("the collector finds a wrong name in a hint, and only in string literals") {
  const auto found = findings_in(
      "// SPANLOG_IN_A_COMMENT\n"
      "int n = 1'000'000; char q = '\"';\n"
      "bad(\"dropped (raise SPANLOG_RING_BYTES or flush more often)\");\n"
      "const char* v = std::getenv(\"SPANLOG_READER_THREADS\");\n"
      "const char* sql = R\"x(SELECT 'SPANLOG_DIR' -- \")x\";\n",
      "sample");
  REQUIRE(found.size() == 3);
  CHECK(found[0].name == "SPANLOG_RING_BYTES");
  CHECK(found[0].hint);
  CHECK_FALSE(in_options_table(found[0].name));
  CHECK(found[1].name == "SPANLOG_READER_THREADS");
  CHECK_FALSE(found[1].hint);
  CHECK(found[2].name == "SPANLOG_DIR");
  CHECK(in_options_table("SPANLOG_RING_SIZE"));
}

TEST_CASE("every SPANLOG_ name in the reader's messages is a variable of the Options table, documented") {
  const fs::path tools = setting("SPANLOG_TOOLS_SOURCES");
  const std::string recording = read_text(setting("SPANLOG_RECORDING_DOC"));
  REQUIRE_FALSE(recording.empty());
  std::size_t files = 0, hints = 0;
  for (const auto& entry : fs::recursive_directory_iterator(tools)) {
    const std::string extension = entry.path().extension().string();
    if (!entry.is_regular_file() || (extension != ".cpp" && extension != ".hpp")) continue;
    ++files;
    for (const Finding& f : findings_in(read_text(entry.path()), entry.path().string())) {
      INFO(f.where << ": " << f.name);
      CHECK_MESSAGE(in_options_table(f.name), "not in spanlog::detail::env_variables");
      // A literal that is only the name is the reader reading a variable of its own (documented in
      // docs/reader.md); a message names it to the user, who looks it up in docs/recording.md.
      if (!f.hint) continue;
      ++hints;
      CHECK_MESSAGE(documented(recording, f.name), "not in docs/recording.md");
    }
  }
  CHECK(files > 50);
  CHECK(hints > 0);  // the doctor's advice on drops, the commands' help on SPANLOG_DIR
}
