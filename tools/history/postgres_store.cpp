// The PostgreSQL history, for a team: one libpq connection; rows go in with COPY (text format) in batches,
// and statements take their parameters separately from the SQL text.
#include <libpq-fe.h>

#include <fmt/format.h>

#include "history/store.hpp"

namespace spanlog::history {
namespace {

// Rows buffered per table before a COPY sends them: large enough that a COPY's round trips do not matter,
// small enough to keep the loader's memory flat.
constexpr std::size_t kCopyBatchBytes = std::size_t{8} << 20;

// postgresql://user:secret@host/db -> postgresql://user@host/db, for messages.
std::string without_password(const std::string& url) {
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return url;
  const std::size_t at = url.find('@', scheme_end + 3);
  const std::size_t slash = url.find('/', scheme_end + 3);
  if (at == std::string::npos || (slash != std::string::npos && slash < at)) return url;
  const std::size_t colon = url.find(':', scheme_end + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon) + url.substr(at);
}

std::string trimmed(const char* message) {
  std::string text = message ? message : "";
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

using Result = std::unique_ptr<PGresult, void (*)(PGresult*)>;

class PostgresStore;

class CopyAppender : public RowAppender {
 public:
  CopyAppender(PGconn* connection, std::string copy_sql, std::string table)
      : connection_(connection), copy_sql_(std::move(copy_sql)), table_(std::move(table)) {}

  void integer(std::int64_t value) override {
    separate();
    fmt::format_to(std::back_inserter(buffer_), "{}", value);
  }
  void real(double value) override {
    separate();
    fmt::format_to(std::back_inserter(buffer_), "{}", value);
  }
  void text(std::string_view value) override {
    separate();
    for (const char c : value) {
      switch (c) {
        case '\\':
          buffer_ += "\\\\";
          break;
        case '\t':
          buffer_ += "\\t";
          break;
        case '\n':
          buffer_ += "\\n";
          break;
        case '\r':
          buffer_ += "\\r";
          break;
        default:
          buffer_ += c;
      }
    }
  }
  void null() override {
    separate();
    buffer_ += "\\N";
  }
  void end_row() override {
    buffer_ += '\n';
    first_ = true;
    if (buffer_.size() >= kCopyBatchBytes) send();
  }
  void finish() override { send(); }

 private:
  void separate() {
    if (!first_) buffer_ += '\t';
    first_ = false;
  }
  void send() {
    if (buffer_.empty()) return;
    Result started(PQexec(connection_, copy_sql_.c_str()), PQclear);
    if (PQresultStatus(started.get()) != PGRES_COPY_IN)
      throw HistoryError(fmt::format("COPY into {}: {}", table_, trimmed(PQerrorMessage(connection_))));
    if (PQputCopyData(connection_, buffer_.data(), static_cast<int>(buffer_.size())) != 1 ||
        PQputCopyEnd(connection_, nullptr) != 1)
      throw HistoryError(fmt::format("COPY into {}: {}", table_, trimmed(PQerrorMessage(connection_))));
    bool failed = false;
    std::string message;
    while (PGresult* result = PQgetResult(connection_)) {
      if (PQresultStatus(result) != PGRES_COMMAND_OK) {
        failed = true;
        message = trimmed(PQresultErrorMessage(result));
      }
      PQclear(result);
    }
    if (failed) throw HistoryError(fmt::format("COPY into {}: {}", table_, message));
    buffer_.clear();
  }

  PGconn* connection_;
  std::string copy_sql_, table_;
  std::string buffer_;
  bool first_ = true;
};

class PostgresStore : public Store {
 public:
  explicit PostgresStore(const std::string& url) : name_(without_password(url)) {
    connection_ = PQconnectdb(url.c_str());
    if (connection_ == nullptr || PQstatus(connection_) != CONNECTION_OK) {
      const std::string message = connection_ ? trimmed(PQerrorMessage(connection_)) : "out of memory";
      PQfinish(connection_);
      throw HistoryError(fmt::format("{}: cannot connect: {}", name_, message));
    }
    // Notices (e.g. "relation already exists, skipping") are not for the user.
    PQsetNoticeProcessor(
        connection_, [](void*, const char*) {}, nullptr);
  }
  ~PostgresStore() override { PQfinish(connection_); }

  Dialect dialect() const override { return Dialect::postgresql; }
  const std::string& display_name() const override { return name_; }

  void execute(std::string_view sql) override {
    Result result(PQexec(connection_, std::string(sql).c_str()), PQclear);
    check(result.get());
  }

  QueryResult query(std::string_view sql, const std::vector<std::string>& params) override {
    std::vector<const char*> values;
    for (const auto& p : params) values.push_back(p.c_str());
    Result result(PQexecParams(connection_, std::string(sql).c_str(), static_cast<int>(values.size()),
                               nullptr, values.data(), nullptr, nullptr, 0),
                  PQclear);
    check(result.get());
    QueryResult out;
    const int columns = PQnfields(result.get());
    for (int c = 0; c < columns; ++c) out.columns.emplace_back(PQfname(result.get(), c));
    const int rows = PQntuples(result.get());
    out.rows.reserve(static_cast<std::size_t>(rows));
    for (int r = 0; r < rows; ++r) {
      auto& row = out.rows.emplace_back();
      for (int c = 0; c < columns; ++c) {
        if (PQgetisnull(result.get(), r, c))
          row.emplace_back();
        else
          row.emplace_back(std::string(PQgetvalue(result.get(), r, c),
                                       static_cast<std::size_t>(PQgetlength(result.get(), r, c))));
      }
    }
    return out;
  }

  std::unique_ptr<RowAppender> append_rows(std::string_view table,
                                           const std::vector<std::string_view>& columns) override {
    return std::make_unique<CopyAppender>(
        connection_, fmt::format("COPY {} ({}) FROM STDIN", table, fmt::join(columns, ", ")),
        std::string(table));
  }

  void begin_write() override { execute("BEGIN"); }
  void commit() override { execute("COMMIT"); }
  void rollback() override {
    if (PQtransactionStatus(connection_) != PQTRANS_IDLE) {
      Result result(PQexec(connection_, "ROLLBACK"), PQclear);
    }
  }

 private:
  void check(PGresult* result) const {
    const auto status = PQresultStatus(result);
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return;
    throw HistoryError(trimmed(result ? PQresultErrorMessage(result) : PQerrorMessage(connection_)));
  }

  std::string name_;
  PGconn* connection_ = nullptr;
};

}  // namespace

std::unique_ptr<Store> open_postgresql(const std::string& url) {
  return std::make_unique<PostgresStore>(url);
}

}  // namespace spanlog::history
