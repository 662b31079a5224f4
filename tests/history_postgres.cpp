// The run history in a real PostgreSQL 15 server from Debian's packages: initdb in a temporary directory,
// password authentication, a free loopback port, run as an unprivileged user when the test runs as root. The
// same checks as on SQLite, plus unreachable servers and bad credentials. The server is stopped at the end,
// also when a check fails or the program is interrupted.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>
#include <csignal>

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "support/history_support.hpp"
#include "support/temp_dir.hpp"

using namespace history_test;

namespace {

const fs::path kServerBin = "/usr/lib/postgresql/15/bin";
constexpr const char* kPassword = "history-test-secret";

std::optional<std::string> missing_server() {
  for (const char* program : {"initdb", "pg_ctl", "postgres"})
    if (::access((kServerBin / program).c_str(), X_OK) != 0)
      return (kServerBin / program).string() +
             " is missing (Debian package postgresql-15: scripts/install-deps.sh installs it as root)";
  return std::nullopt;
}

bool report_skip() {
  const auto reason = missing_server();
  if (reason) std::cerr << "history_postgres: skipped: " << *reason << "\n";
  return reason.has_value();
}
const bool kSkip = report_skip();

int free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  socklen_t length = sizeof address;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  ::close(fd);
  return ntohs(address.sin_port);
}

// The command that stops the server, kept where the atexit and signal handlers can reach it.
std::string stop_command;

void stop_server() {
  if (stop_command.empty()) return;
  const std::string command = stop_command;
  stop_command.clear();
  if (std::system(command.c_str()) != 0) std::cerr << "history_postgres: could not stop the server\n";
}

void stop_on_signal(int signal_number) {
  stop_server();
  std::signal(signal_number, SIG_DFL);
  std::raise(signal_number);
}

class Server {
 public:
  Server() {
    dir_ = test_support::new_temp_dir("spanlog-postgres");
    // As root, the server runs as an unprivileged user (postgres refuses root), owning its directory.
    std::string as_user;
    if (::geteuid() == 0) {
      const char* user = ::getpwnam("postgres") ? "postgres" : "nobody";
      const passwd* entry = ::getpwnam(user);
      REQUIRE(entry != nullptr);
      REQUIRE(::chown(dir_.c_str(), entry->pw_uid, entry->pw_gid) == 0);
      as_user = std::string("runuser -u ") + user + " -- ";
    }
    reader_test::write_text(dir_ / "password", kPassword);
    if (::geteuid() == 0) {
      const passwd* entry = ::getpwnam(::getpwnam("postgres") ? "postgres" : "nobody");
      REQUIRE(::chown((dir_ / "password").c_str(), entry->pw_uid, entry->pw_gid) == 0);
    }
    port_ = free_loopback_port();
    run(as_user + quoted((kServerBin / "initdb").string()) + " -D " + quoted((dir_ / "data").string()) +
        " -U spanlog --auth=scram-sha-256 --pwfile=" + quoted((dir_ / "password").string()) +
        " -E UTF8 --no-sync");
    const std::string pg_ctl =
        as_user + quoted((kServerBin / "pg_ctl").string()) + " -D " + quoted((dir_ / "data").string());
    stop_command = pg_ctl + " -m immediate -w stop >/dev/null 2>&1";
    std::atexit(stop_server);
    for (const int signal_number : {SIGINT, SIGTERM, SIGABRT, SIGSEGV, SIGHUP})
      std::signal(signal_number, stop_on_signal);
    run(pg_ctl + " -w -t 60 -l " + quoted((dir_ / "server.log").string()) + " -o " +
        quoted("-p " + std::to_string(port_) + " -k " + dir_.string() +
               " -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=20") +
        " start");
  }
  ~Server() {
    stop_server();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::string url(const std::string& database, const std::string& password = kPassword) const {
    return "postgresql://spanlog:" + password + "@127.0.0.1:" + std::to_string(port_) + "/" + database;
  }
  int port() const { return port_; }

  // A fresh database for one test case.
  std::string create_database() {
    const std::string name = "history_" + std::to_string(++databases_);
    history::open_store(url("postgres"))->execute("CREATE DATABASE " + name);
    return url(name);
  }

 private:
  static void run(const std::string& command) {
    const auto result = try_run(command);
    INFO(command << "\n" << result.output);
    REQUIRE(result.status == 0);
  }

  fs::path dir_;
  int port_ = 0;
  int databases_ = 0;
};

Server& server() {
  static Server instance;
  return instance;
}

}  // namespace

TEST_CASE("PostgreSQL: views and --db commands equal the reader's summary; loading again adds nothing" *
          doctest::skip(kSkip)) {
  reader_test::TempDir dir;
  check_everything(server().create_database(), dir.path());
}

TEST_CASE("PostgreSQL: statistics-mode spans are stored and a stored run shows the file's figures" *
          doctest::skip(kSkip)) {
  check_statistics(server().create_database());
}

TEST_CASE("PostgreSQL: log lines are stored one row each and a stored run gives them back as the file did" *
          doctest::skip(kSkip)) {
  check_logs(server().create_database());
}

TEST_CASE(
    "PostgreSQL: metric labels, histograms and units are stored; histogram_stats gives the percentiles" *
    doctest::skip(kSkip)) {
  check_metrics(server().create_database());
}

TEST_CASE("PostgreSQL: a database of version 6 is migrated to the logs table" * doctest::skip(kSkip)) {
  check_migration_to_logs(server().create_database());
}

TEST_CASE("PostgreSQL: a run loaded while running is completed by loading it again" * doctest::skip(kSkip)) {
  reader_test::TempDir dir;
  check_completed_later(server().create_database(), dir.path());
}

TEST_CASE("PostgreSQL: two loaders at once neither corrupt nor duplicate" * doctest::skip(kSkip)) {
  reader_test::TempDir dir;
  check_concurrent_loaders(server().create_database(), dir.path());
}

TEST_CASE("PostgreSQL: older schemas are refused until migrated, newer ones always; SQL errors exit 2" *
          doctest::skip(kSkip)) {
  check_schema_versions(server().create_database(), reader_test::data("basic") / "telemetry.jsonl");
}

TEST_CASE("PostgreSQL: unreachable servers, bad credentials and missing databases exit 2" *
          doctest::skip(kSkip)) {
  Server& s = server();
  const std::string run = quoted((reader_test::data("basic") / "telemetry.jsonl").string());

  const auto wrong_password =
      run_spanlog("load " + run + " --db " + quoted(s.url("postgres", "not-the-password")));
  CHECK(wrong_password.status == 2);
  CHECK(reader_test::contains(wrong_password.output, "password authentication failed"));
  CHECK(reader_test::contains(wrong_password.output, "postgresql://spanlog@127.0.0.1:"));
  CHECK_FALSE(reader_test::contains(wrong_password.output, "not-the-password"));

  const std::string nowhere = "postgresql://spanlog@127.0.0.1:" + std::to_string(free_loopback_port()) + "/x";
  const auto unreachable = run_spanlog("query 'SELECT 1' --db " + quoted(nowhere));
  CHECK(unreachable.status == 2);
  CHECK(reader_test::contains(unreachable.output, "cannot connect"));

  const auto no_database = run_spanlog("summary last --db " + quoted(s.url("no_such_database")));
  CHECK(no_database.status == 2);
  CHECK(reader_test::contains(no_database.output, "no_such_database"));

  const auto empty = run_spanlog("query 'SELECT 1' --db " + quoted(s.create_database()));
  CHECK(empty.status == 2);
  CHECK(reader_test::contains(empty.output, "no spanlog history here yet"));
}
