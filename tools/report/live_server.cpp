#include "report/live_server.hpp"

#include <httplib.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <chrono>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include "reader/aggregator.hpp"
#include "reader/file_follower.hpp"
#include "reader/summary_json.hpp"
#include "reader/units.hpp"
#include "report/page.hpp"
#include "report/routes.hpp"

namespace spanlog::report {
namespace {

using Clock = std::chrono::steady_clock;

// One /events client: its own follower, so each browser gets the whole file from the start.
struct EventStream {
  explicit EventStream(const std::filesystem::path& file) : follower(file) {}
  reader::FileFollower follower;
  bool greeted = false;
  Clock::time_point last_write = Clock::now();
};

// The name the page shows for the run `file` is now (for DIR/latest/telemetry.jsonl, where the link points):
// its run directory's name, which is the run id, or the file's own name outside a run directory; nothing
// while there is no such file.
std::optional<std::string> run_name(const std::filesystem::path& file) {
  std::error_code ec;
  const std::filesystem::path resolved = std::filesystem::canonical(file, ec);
  if (ec) return std::nullopt;
  if (resolved.filename() == "telemetry.jsonl") return resolved.parent_path().filename().string();
  return resolved.filename().string();
}

// `event: reset` with the run now followed: {"run":"20261123-184100-4242","latest":true}, or "run":null while
// a runs directory has none yet.
std::string reset_event(const std::filesystem::path& file, bool follows_latest) {
  const std::optional<std::string> run = run_name(file);
  return fmt::format("event: reset\ndata: {{\"run\":{},\"latest\":{}}}\n\n",
                     run ? reader::json_string(*run) : "null", follows_latest ? "true" : "false");
}

// Every line as a "data:" event. A line never holds a newline, so one data field.
void append_data_events(std::string& out, const std::string& lines) {
  std::size_t from = 0;
  while (from < lines.size()) {
    std::size_t end = lines.find('\n', from);
    if (end == std::string::npos) end = lines.size();
    std::string_view line(lines.data() + from, end - from);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty()) {
      out += "data: ";
      out += line;
      out += "\n\n";
    }
    from = end + 1;
  }
}

// File identity and size: a summary is read again when any of them changes (a new run has another inode).
struct FileVersion {
  std::uint64_t device = 0, inode = 0, size = 0;
  std::int64_t mtime = 0;
  bool operator==(const FileVersion&) const = default;
};

}  // namespace

struct LiveServer::Impl {
  ServeOptions options;
  httplib::Server server;
  std::thread thread;
  std::atomic<bool> stopping{false};
  int port = 0;
  bool loopback_only = false;

  // The summary of the file as it was at (size, modification time): many browsers polling do not each
  // read the run again.
  std::mutex summary_mutex;
  FileVersion summary_version;
  std::optional<reader::Summary> summary;

  // Nothing while there is no run yet (a runs directory before its first run).
  const reader::Summary* current_summary() {
    struct stat st {};
    if (::stat(options.file.c_str(), &st) != 0) return nullptr;
    const FileVersion version{static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino),
                              static_cast<std::uint64_t>(st.st_size),
                              st.st_mtim.tv_sec * 1'000'000'000LL + st.st_mtim.tv_nsec};
    if (!summary || !(version == summary_version)) {
      reader::ReadOptions read_options;
      read_options.skip_bad = true;  // a file being written may hold a torn line
      summary = reader::summarize({options.file}, {}, read_options);
      summary_version = version;
    }
    return &*summary;
  }
};

LiveServer::LiveServer(ServeOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
}

LiveServer::~LiveServer() {
  stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

int LiveServer::start() {
  Impl& impl = *impl_;
  const std::size_t threads = impl.options.max_clients;
  impl.loopback_only =
      impl.options.host == "127.0.0.1" || impl.options.host == "localhost" || impl.options.host == "::1";
  impl.server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  impl.server.set_keep_alive_max_count(20);
  // httplib's default also sets SO_REUSEPORT, with which a second server on the same port would start
  // silently and take half the connections: only SO_REUSEADDR here, so a port in use is an error.
  impl.server.set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });

  impl.server.Get(".*", [this, &impl](const httplib::Request& request, httplib::Response& response) {
    response.set_header("Cache-Control", "no-store");
    if (impl.loopback_only && !is_loopback_host(request.get_header_value("Host"), impl.port)) {
      response.status = 403;
      response.set_content("this server answers requests for 127.0.0.1 or localhost only\n", "text/plain");
      return;
    }
    switch (route_for(request.path)) {
      case Route::page: {
        response.set_content(render_page({}), "text/html; charset=utf-8");
        return;
      }
      case Route::summary_json:
      case Route::metrics: {
        std::lock_guard lock(impl.summary_mutex);
        try {
          const reader::Summary* summary = impl.current_summary();
          const bool metrics = route_for(request.path) == Route::metrics;
          if (metrics && !impl.options.metrics_text) {
            response.status = 404;
          } else if (!summary && metrics) {
            // A scrape target waiting for its first run is up, with no series yet.
            response.set_content("", "text/plain; version=0.0.4; charset=utf-8");
          } else if (!summary) {
            response.status = 503;
            response.set_content(
                fmt::format("{{\"error\":{}}}", reader::json_string(fmt::format("{}: not there (yet)",
                                                                                impl.options.file.string()))),
                "application/json");
          } else if (metrics) {
            response.set_content(impl.options.metrics_text(*summary),
                                 "text/plain; version=0.0.4; charset=utf-8");
          } else {
            response.set_content(reader::summary_json(*summary), "application/json");
          }
        } catch (const std::exception& e) {
          response.status = 503;
          response.set_content(fmt::format("{{\"error\":{}}}", reader::json_string(e.what())),
                               "application/json");
        }
        return;
      }
      case Route::events: {
        ++event_clients_;
        auto stream = std::make_shared<EventStream>(impl.options.file);
        response.set_header("X-Accel-Buffering", "no");
        response.set_chunked_content_provider(
            "text/event-stream",
            [&impl, stream](std::size_t, httplib::DataSink& sink) {
              if (impl.stopping) return false;
              const bool was_open = stream->follower.is_open();
              const reader::FileFollower::Update update = stream->follower.poll();
              // A new run (or the first, once it appears) is announced before its lines.
              std::string text;
              if (!stream->greeted || update.reset || (!was_open && stream->follower.is_open()))
                text = reset_event(impl.options.file, impl.options.follows_latest);
              append_data_events(text, update.lines);
              stream->greeted = true;
              const auto now = Clock::now();
              if (text.empty() && std::chrono::duration<double>(now - stream->last_write).count() >=
                                      impl.options.keepalive_seconds)
                text = ": idle\n\n";
              if (!text.empty()) {
                if (!sink.write(text.data(), text.size())) return false;  // the client went away
                stream->last_write = now;
              }
              if (update.lines.empty())
                std::this_thread::sleep_for(std::chrono::duration<double>(impl.options.poll_seconds));
              return !impl.stopping;
            },
            [this](bool) { --event_clients_; });
        return;
      }
      case Route::not_found:
        break;
    }
    response.status = 404;
    response.set_content("not found\n", "text/plain");
  });

  impl.port = impl.options.port == 0
                  ? impl.server.bind_to_any_port(impl.options.host)
                  : (impl.server.bind_to_port(impl.options.host, impl.options.port) ? impl.options.port : -1);
  if (impl.port <= 0)
    throw std::runtime_error(fmt::format("cannot listen on {}:{}", impl.options.host, impl.options.port));
  impl.thread = std::thread([&impl] { impl.server.listen_after_bind(); });
  return impl.port;
}

void LiveServer::wait() {
  if (impl_->thread.joinable()) impl_->thread.join();
}

void LiveServer::stop() {
  impl_->stopping = true;
  impl_->server.stop();
}

}  // namespace spanlog::report
