// The SQLite history: one file, WAL journal so readers do not block a loader, a busy timeout so concurrent
// loaders wait for each other instead of failing, and prepared inserts reused for every row.
#include <sqlite3.h>

#include <filesystem>

#include <fmt/format.h>

#include "history/store.hpp"

namespace spanlog::history {
namespace {

// A REAL as text that reads back as the same double (SQLite's own text keeps 15 digits, so a sum of float
// counter deltas replayed from it would differ in the last digits from the file's), keeping SQLite's look
// for whole values ("812.0").
std::string real_text(double value) {
  std::string text = fmt::format("{}", value);
  if (text.find_first_of(".eEni") == std::string::npos) text += ".0";
  return text;
}

// A loader holds the write lock for one whole run; another waits this long before giving up.
constexpr int kBusyTimeoutMs = 60000;

class SqliteStore;

class SqliteAppender : public RowAppender {
 public:
  SqliteAppender(sqlite3* db, sqlite3_stmt* statement, std::string table)
      : db_(db), statement_(statement), table_(std::move(table)) {}
  ~SqliteAppender() override { sqlite3_finalize(statement_); }

  void integer(std::int64_t value) override { sqlite3_bind_int64(statement_, ++column_, value); }
  void real(double value) override { sqlite3_bind_double(statement_, ++column_, value); }
  void text(std::string_view value) override {
    sqlite3_bind_text(statement_, ++column_, value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
  }
  void null() override { sqlite3_bind_null(statement_, ++column_); }
  void end_row() override {
    if (sqlite3_step(statement_) != SQLITE_DONE)
      throw HistoryError(fmt::format("inserting into {}: {}", table_, sqlite3_errmsg(db_)));
    sqlite3_reset(statement_);
    column_ = 0;
  }
  void finish() override {}

 private:
  sqlite3* db_;
  sqlite3_stmt* statement_;
  std::string table_;
  int column_ = 0;
};

class SqliteStore : public Store {
 public:
  SqliteStore(const std::string& path, OpenMode mode) : name_(path) {
    std::error_code ec;
    const auto parent = std::filesystem::path(path).parent_path();
    if (mode == OpenMode::create && !parent.empty()) std::filesystem::create_directories(parent, ec);
    const int create = mode == OpenMode::create ? SQLITE_OPEN_CREATE : 0;
    // A connection is only ever used by one thread at a time: no mutex around every call.
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | create | SQLITE_OPEN_NOMUTEX, nullptr) !=
        SQLITE_OK) {
      const std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      throw HistoryError(fmt::format("{}: cannot open the SQLite history: {}", path, message));
    }
    sqlite3_busy_timeout(db_, kBusyTimeoutMs);
    try {
      // Reading the schema proves that the file is a database at all.
      query("SELECT count(*) FROM sqlite_master", {});
      execute("PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536");
    } catch (const HistoryError& e) {
      sqlite3_close(db_);
      throw HistoryError(fmt::format("{}: not a usable SQLite database ({})", path, e.what()));
    }
  }
  ~SqliteStore() override { sqlite3_close(db_); }

  Dialect dialect() const override { return Dialect::sqlite; }
  const std::string& display_name() const override { return name_; }

  void execute(std::string_view sql) override {
    const std::string text(sql);
    char* error = nullptr;
    if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
      const std::string message = error ? error : sqlite3_errmsg(db_);
      sqlite3_free(error);
      throw HistoryError(message);
    }
  }

  QueryResult query(std::string_view sql, const std::vector<std::string>& params) override {
    sqlite3_stmt* statement = nullptr;
    const char* tail = nullptr;
    if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &statement, &tail) != SQLITE_OK)
      throw HistoryError(sqlite3_errmsg(db_));
    if (statement == nullptr) return {};
    std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> owned(statement, sqlite3_finalize);
    for (const char* rest = tail; rest != sql.data() + sql.size(); ++rest)
      if (*rest != ' ' && *rest != '\n' && *rest != '\t' && *rest != ';' && *rest != '\r')
        throw HistoryError("only one statement at a time");
    // By name: SQLite numbers "$N" parameters in the order they first appear, not by N.
    for (std::size_t i = 0; i < params.size(); ++i) {
      const int index = sqlite3_bind_parameter_index(statement, fmt::format("${}", i + 1).c_str());
      if (index > 0)
        sqlite3_bind_text(statement, index, params[i].data(), static_cast<int>(params[i].size()),
                          SQLITE_TRANSIENT);
    }
    QueryResult result;
    const int columns = sqlite3_column_count(statement);
    for (int c = 0; c < columns; ++c) result.columns.emplace_back(sqlite3_column_name(statement, c));
    for (;;) {
      const int status = sqlite3_step(statement);
      if (status == SQLITE_DONE) break;
      if (status != SQLITE_ROW) throw HistoryError(sqlite3_errmsg(db_));
      auto& row = result.rows.emplace_back();
      for (int c = 0; c < columns; ++c) {
        if (sqlite3_column_type(statement, c) == SQLITE_NULL) {
          row.emplace_back();
        } else if (sqlite3_column_type(statement, c) == SQLITE_FLOAT) {
          row.emplace_back(real_text(sqlite3_column_double(statement, c)));
        } else {
          const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement, c));
          row.emplace_back(std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(statement, c))));
        }
      }
    }
    return result;
  }

  std::unique_ptr<RowAppender> append_rows(std::string_view table,
                                           const std::vector<std::string_view>& columns) override {
    std::string sql = fmt::format("INSERT INTO {} ({}) VALUES (", table, fmt::join(columns, ", "));
    for (std::size_t i = 0; i < columns.size(); ++i) sql += i ? ", ?" : "?";
    sql += ")";
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &statement, nullptr) != SQLITE_OK)
      throw HistoryError(fmt::format("preparing {}: {}", sql, sqlite3_errmsg(db_)));
    return std::make_unique<SqliteAppender>(db_, statement, std::string(table));
  }

  void begin_write() override { execute("BEGIN IMMEDIATE"); }
  void commit() override { execute("COMMIT"); }
  void rollback() override {
    if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }

 private:
  std::string name_;
  sqlite3* db_ = nullptr;
};

}  // namespace

std::unique_ptr<Store> open_sqlite(const std::string& path, OpenMode mode) {
  // Memory statistics take a global mutex on every allocation, and nothing here reads them. Only possible
  // before SQLite initializes, that is before the first connection.
  static const bool configured = [] {
    return sqlite3_config(SQLITE_CONFIG_MULTITHREAD) == SQLITE_OK &&
           sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK;
  }();
  (void)configured;
  return std::make_unique<SqliteStore>(path, mode);
}

}  // namespace spanlog::history
