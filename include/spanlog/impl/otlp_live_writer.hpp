// The live OTLP/JSON file, traces.otlp.jsonl (options::otlp): one TracesData line per drain, of the spans
// that ended in it, for an OpenTelemetry Collector's otlpjsonfile receiver to tail. The trace id is the run's
// (derived from the run id exactly as `spanlog otlp` derives it), span ids are spanlog's, in 16 hex digits.
#pragma once
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../config.hpp"
#include "../detail/record.hpp"
#include "jsonl_writer.hpp"

SPANLOG_BEGIN_NAMESPACE
namespace detail {

class OtlpLiveWriter {
 public:
  // An ended span as OTLP needs it; the name is already quoted and escaped (the flusher's name cache).
  struct Span {
    std::uint64_t id, parent;
    const std::string& quoted_name;
    std::int64_t start_ns, end_ns;
    std::uint64_t tid;
    bool is_phase, error;
    const std::string& message;
  };

  // Written nowhere until open() is given the file (never, when the run does not write it).
  OtlpLiveWriter() = default;
  void open(int fd, std::string_view run_id, const std::string& service_name,
            const std::vector<std::pair<std::string, std::string>>& resource_attrs) {
    fd_ = fd;
    trace_id_ = trace_id(run_id);
    if (fd_ >= 0) prefix_ = line_prefix(service_name, resource_attrs);
  }
  OtlpLiveWriter(const OtlpLiveWriter&) = delete;
  OtlpLiveWriter& operator=(const OtlpLiveWriter&) = delete;
  ~OtlpLiveWriter() {
    if (fd_ >= 0) ::close(fd_);
  }

  bool enabled() const { return fd_ >= 0; }

  static std::string trace_id(std::string_view run_id) {
    const std::uint64_t high = splitmix(fnv1a(run_id, 0xcbf29ce484222325ull));
    std::uint64_t low = splitmix(fnv1a(run_id, 0x84222325cbf29ce4ull) ^ 0x5370616e6c6f67ull);
    if (high == 0 && low == 0) low = 1;
    return fmt::format("{:016x}{:016x}", high, low);
  }

  // Attributes from a ring record, appended to `out` as OTLP KeyValue objects.
  static void append_attrs(std::string& out, const std::byte* p, std::uint8_t count) {
    for (std::uint8_t i = 0; i < count; ++i) {
      AttrSlot slot;
      std::memcpy(&slot, p, sizeof slot);
      append_key(out, slot.key);
      switch (slot.type) {
        case AttrType::i64:
          out += fmt::format("{{\"intValue\":\"{}\"}}}}", static_cast<std::int64_t>(slot.bits));
          break;
        case AttrType::u64:
          out += slot.bits <= static_cast<std::uint64_t>(INT64_MAX)
                     ? fmt::format("{{\"intValue\":\"{}\"}}}}", slot.bits)
                     : fmt::format("{{\"doubleValue\":{}}}}}", static_cast<double>(slot.bits));
          break;
        case AttrType::boolean:
          out += slot.bits ? "{\"boolValue\":true}}" : "{\"boolValue\":false}}";
          break;
        case AttrType::f64: {
          double d;
          std::memcpy(&d, &slot.bits, 8);
          out += std::isfinite(d) ? fmt::format("{{\"doubleValue\":{}}}}}", d) : std::string("{}}");
          break;
        }
        case AttrType::string: {
          fmt::memory_buffer escaped;
          JsonlWriter::escape_into(
              escaped, std::string_view(reinterpret_cast<const char*>(p + sizeof slot), slot.length));
          out += "{\"stringValue\":\"";
          out.append(escaped.data(), escaped.size());
          out += "\"}}";
          break;
        }
      }
      p += sizeof slot + (slot.type == AttrType::string ? align_up(slot.length, 8) : 0);
    }
  }

  // `attrs`: the span's attributes as OTLP KeyValues (start and end), without the thread's.
  void add_span(const Span& o, std::string attrs) {
    append_key(attrs, "thread.id");
    attrs += fmt::format("{{\"intValue\":\"{}\"}}}}", o.tid);
    if (o.is_phase) {
      append_key(attrs, "spanlog.phase");
      attrs += "{\"boolValue\":true}}";
    }
    if (spans_.size() != 0) spans_.push_back(',');
    fmt::format_to(std::back_inserter(spans_), "{{\"traceId\":\"{}\",\"spanId\":\"{:016x}\",", trace_id_,
                   o.id);
    if (o.parent) fmt::format_to(std::back_inserter(spans_), "\"parentSpanId\":\"{:016x}\",", o.parent);
    spans_.append(std::string_view("\"name\":"));
    spans_.append(std::string_view(o.quoted_name));
    fmt::format_to(std::back_inserter(spans_),
                   ",\"kind\":1,\"startTimeUnixNano\":\"{}\",\"endTimeUnixNano\":\"{}\",\"attributes\":[{}]",
                   o.start_ns, o.end_ns, attrs);
    if (o.error) {
      fmt::memory_buffer escaped;
      JsonlWriter::escape_into(escaped, o.message);
      fmt::format_to(std::back_inserter(spans_), ",\"status\":{{\"code\":2,\"message\":\"{}\"}}}}",
                     std::string_view(escaped.data(), escaped.size()));
    } else {
      spans_.append(std::string_view(",\"status\":{\"code\":1}}"));
    }
  }

  // Writes the spans added since the last call as one line. Returns 0, or the errno of a failed write.
  int write_out() {
    if (fd_ < 0 || spans_.size() == 0) return 0;
    std::string line = prefix_;
    line.append(spans_.data(), spans_.size());
    line += "]}]}]}\n";
    spans_.clear();
    const char* p = line.data();
    std::size_t left = line.size();
    while (left) {
      const ssize_t n = ::write(fd_, p, left);
      if (n > 0) {
        p += n;
        left -= static_cast<std::size_t>(n);
      } else if (!(n < 0 && errno == EINTR)) {
        return n < 0 ? errno : ENOSPC;
      }
    }
    return 0;
  }

 private:
  static std::uint64_t fnv1a(std::string_view text, std::uint64_t basis) {
    for (const char c : text) basis = (basis ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
    return basis;
  }
  static std::uint64_t splitmix(std::uint64_t x) {
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
  }

  static void append_key(std::string& out, std::string_view key) {
    if (!out.empty()) out += ',';
    out += "{\"key\":\"";
    fmt::memory_buffer escaped;
    JsonlWriter::escape_into(escaped, key);
    out.append(escaped.data(), escaped.size());
    out += "\",\"value\":";
  }

  static std::string quoted(std::string_view text) {
    fmt::memory_buffer escaped;
    JsonlWriter::escape_into(escaped, text);
    return "\"" + std::string(escaped.data(), escaped.size()) + "\"";
  }

  // What every line begins with: the resource (service, process, host, SPANLOG_ATTRS) and the scope.
  static std::string line_prefix(const std::string& service_name,
                                 const std::vector<std::pair<std::string, std::string>>& resource_attrs) {
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    std::string resource;
    append_key(resource, "service.name");
    resource += "{\"stringValue\":" + quoted(service_name) + "}}";
    append_key(resource, "process.pid");
    resource += fmt::format("{{\"intValue\":\"{}\"}}}}", ::getpid());
    append_key(resource, "host.name");
    resource += "{\"stringValue\":" + quoted(host) + "}}";
    for (const auto& kv : resource_attrs) {
      append_key(resource, kv.first);
      resource += "{\"stringValue\":" + quoted(kv.second) + "}}";
    }
    return "{\"resourceSpans\":[{\"resource\":{\"attributes\":[" + resource +
           "]},\"scopeSpans\":[{\"scope\":{\"name\":\"spanlog\",\"version\":\"" SPANLOG_VERSION_STRING
           "\"},\"spans\":[";
  }

  int fd_ = -1;
  std::string trace_id_;
  std::string prefix_;
  fmt::memory_buffer spans_;
};

}  // namespace detail
SPANLOG_END_NAMESPACE
