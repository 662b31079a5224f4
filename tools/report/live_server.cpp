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

// "event: reset" and then every line as a "data:" event. A line never holds a newline, so one data field.
std::string events_text(const reader::FileFollower::Update& update, bool first) {
  std::string out;
  if (first || update.reset) out += "event: reset\ndata: {}\n\n";
  std::size_t from = 0;
  while (from < update.lines.size()) {
    std::size_t end = update.lines.find('\n', from);
    if (end == std::string::npos) end = update.lines.size();
    std::string_view line(update.lines.data() + from, end - from);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!line.empty()) {
      out += "data: ";
      out += line;
      out += "\n\n";
    }
    from = end + 1;
  }
  return out;
}

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
  std::uint64_t summary_size = ~std::uint64_t{0};
  std::int64_t summary_mtime = 0;
  std::optional<reader::Summary> summary;

  const reader::Summary& current_summary() {
    struct stat st {};
    if (::stat(options.file.c_str(), &st) != 0)
      throw std::runtime_error(fmt::format("{}: not there (yet)", options.file.string()));
    const std::int64_t mtime = st.st_mtim.tv_sec * 1'000'000'000LL + st.st_mtim.tv_nsec;
    if (!summary || static_cast<std::uint64_t>(st.st_size) != summary_size || mtime != summary_mtime) {
      reader::ReadOptions read_options;
      read_options.skip_bad = true;  // a file being written may hold a torn line
      summary = reader::summarize({options.file}, {}, read_options);
      summary_size = static_cast<std::uint64_t>(st.st_size);
      summary_mtime = mtime;
    }
    return *summary;
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
          const reader::Summary& summary = impl.current_summary();
          if (route_for(request.path) == Route::summary_json) {
            response.set_content(reader::summary_json(summary), "application/json");
          } else if (impl.options.metrics_text) {
            response.set_content(impl.options.metrics_text(summary),
                                 "text/plain; version=0.0.4; charset=utf-8");
          } else {
            response.status = 404;
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
              const reader::FileFollower::Update update = stream->follower.poll();
              std::string text = events_text(update, !stream->greeted);
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
