// One pass over the fields of a record, in whatever order they come: each known field is type-checked and
// stored in a RawRecord, then the record kind decides which fields are required and what the sink receives.
#include "reader/record_parser.hpp"

#include <fmt/format.h>

namespace spanlog::reader {
namespace {

namespace od = simdjson::ondemand;

enum class Key {
  unknown,
  event,
  ts,
  tid,
  name,
  span_id,
  parent,
  dur_ns,
  status,
  message,
  kind,
  async,
  end_tid,
  attrs,
  delta,
  value,
  min,
  max,
  count,
  end_ts,
  wall_ns,
  spans,
  events,
  metrics,
  reason,
  records,
  dropped,
  sampled_out,
  open_spans,
  async_ends,
  unwritten_records,
  clock,
  schema,
  schema_minor,
  version,
  run_id,
  pid,
  process,
  host,
  start_ts,
  options,
  exited,
};

// Switch on the length first so that a key costs one or two comparisons.
Key classify(std::string_view k) {
  switch (k.size()) {
    case 2:
      return k == "ts" ? Key::ts : Key::unknown;
    case 3:
      if (k == "tid") return Key::tid;
      if (k == "min") return Key::min;
      if (k == "max") return Key::max;
      if (k == "pid") return Key::pid;
      return Key::unknown;
    case 4:
      if (k == "name") return Key::name;
      if (k == "kind") return Key::kind;
      if (k == "host") return Key::host;
      return Key::unknown;
    case 5:
      if (k == "event") return Key::event;
      if (k == "attrs") return Key::attrs;
      if (k == "async") return Key::async;
      if (k == "delta") return Key::delta;
      if (k == "value") return Key::value;
      if (k == "count") return Key::count;
      if (k == "spans") return Key::spans;
      if (k == "clock") return Key::clock;
      return Key::unknown;
    case 6:
      if (k == "parent") return Key::parent;
      if (k == "dur_ns") return Key::dur_ns;
      if (k == "status") return Key::status;
      if (k == "end_ts") return Key::end_ts;
      if (k == "events") return Key::events;
      if (k == "reason") return Key::reason;
      if (k == "schema") return Key::schema;
      if (k == "run_id") return Key::run_id;
      if (k == "exited") return Key::exited;
      return Key::unknown;
    case 7:
      if (k == "span_id") return Key::span_id;
      if (k == "message") return Key::message;
      if (k == "end_tid") return Key::end_tid;
      if (k == "wall_ns") return Key::wall_ns;
      if (k == "metrics") return Key::metrics;
      if (k == "records") return Key::records;
      if (k == "dropped") return Key::dropped;
      if (k == "version") return Key::version;
      if (k == "process") return Key::process;
      if (k == "options") return Key::options;
      return Key::unknown;
    case 8:
      return k == "start_ts" ? Key::start_ts : Key::unknown;
    case 10:
      if (k == "open_spans") return Key::open_spans;
      if (k == "async_ends") return Key::async_ends;
      return Key::unknown;
    case 11:
      return k == "sampled_out" ? Key::sampled_out : Key::unknown;
    case 12:
      return k == "schema_minor" ? Key::schema_minor : Key::unknown;
    case 17:
      return k == "unwritten_records" ? Key::unwritten_records : Key::unknown;
    default:
      return Key::unknown;
  }
}

// Every field of every kind, flattened: the kinds share the meaning of their field names (docs/format.md),
// except `attrs`, an object everywhere but a count in `dropped` records.
struct RawRecord {
  std::uint64_t present = 0;  // bit i set when Key(i) was seen
  std::string_view event, name, status, message, kind, reason, version, run_id, process, host, clock_source;
  std::uint64_t ts = 0, tid = 0, span_id = 0, parent = 0, dur_ns = 0, end_tid = 0, end_ts = 0, wall_ns = 0,
                count = 1, spans = 0, events = 0, metrics = 0, attrs_count = 0, records = 0, sampled_out = 0,
                open_spans = 0, async_ends = 0, unwritten_records = 0, schema = 0, schema_minor = 0, pid = 0,
                start_ts = 0;
  std::optional<std::uint64_t> flush_interval_ms;
  bool async = false, exited = false;
  bool attrs_is_count = false;  // `attrs` was a number: right for a `dropped` record only
  Number delta;
  std::optional<double> value, min, max;
  DroppedCounts footer_dropped;

  bool has(Key k) const { return (present >> static_cast<unsigned>(k)) & 1u; }
  std::optional<std::uint64_t> maybe(Key k, std::uint64_t v) const {
    return has(k) ? std::optional<std::uint64_t>(v) : std::nullopt;
  }
};

// A failure while reading a field; the message is built only when there is one.
struct Failure {
  std::string_view field;  // empty for a failure of the document itself
  const char* expected = nullptr;
  simdjson::error_code json_error = simdjson::SUCCESS;
};

std::string describe(const Failure& f) {
  if (f.expected != nullptr) return fmt::format("field \"{}\": expected {}", f.field, f.expected);
  if (!f.field.empty())
    return fmt::format("field \"{}\": invalid JSON ({})", f.field, simdjson::error_message(f.json_error));
  return fmt::format("invalid JSON ({})", simdjson::error_message(f.json_error));
}

constexpr const char* kUnsigned = "an unsigned integer";
constexpr const char* kString = "a string";
constexpr const char* kBool = "true or false";
constexpr const char* kNumber = "a number";
constexpr const char* kObject = "an object";

class FieldReader {
 public:
  explicit FieldReader(std::vector<Attr>& attrs) : attrs_(attrs) {}

  std::optional<Failure> read_unsigned(od::value v, std::string_view field, std::uint64_t& out) {
    if (v.get_uint64().get(out) != simdjson::SUCCESS) return Failure{field, kUnsigned};
    return std::nullopt;
  }
  std::optional<Failure> read_string(od::value v, std::string_view field, std::string_view& out) {
    if (v.get_string().get(out) != simdjson::SUCCESS) return Failure{field, kString};
    return std::nullopt;
  }
  std::optional<Failure> read_bool(od::value v, std::string_view field, bool& out) {
    if (v.get_bool().get(out) != simdjson::SUCCESS) return Failure{field, kBool};
    return std::nullopt;
  }
  std::optional<Failure> read_number(od::value v, std::string_view field, Number& out) {
    od::number_type type;
    if (v.get_number_type().get(type) != simdjson::SUCCESS) return Failure{field, kNumber};
    if (type == od::number_type::signed_integer) {
      if (v.get_int64().get(out.as_integer) != simdjson::SUCCESS) return Failure{field, kNumber};
      out.as_double = static_cast<double>(out.as_integer);
      out.is_integer = true;
    } else {
      if (v.get_double().get(out.as_double) != simdjson::SUCCESS) return Failure{field, kNumber};
      out.is_integer = false;
    }
    return std::nullopt;
  }
  // A number, or null for a value that was not finite.
  std::optional<Failure> read_optional_double(od::value v, std::string_view field,
                                              std::optional<double>& out) {
    od::json_type type;
    if (v.type().get(type) != simdjson::SUCCESS) return Failure{field, kNumber};
    if (type == od::json_type::null) {
      bool is_null = false;
      if (v.is_null().get(is_null) != simdjson::SUCCESS || !is_null) return Failure{field, kNumber};
      out.reset();
      return std::nullopt;
    }
    double d = 0;
    if (v.get_double().get(d) != simdjson::SUCCESS) return Failure{field, kNumber};
    out = d;
    return std::nullopt;
  }

  std::optional<Failure> read_attrs(od::value v) {
    od::object object;
    if (v.get_object().get(object) != simdjson::SUCCESS) return Failure{"attrs", kObject};
    for (auto field_result : object) {
      od::field field;
      if (auto err = std::move(field_result).get(field)) return Failure{"attrs", nullptr, err};
      Attr attr;
      if (auto err = field.unescaped_key().get(attr.key)) return Failure{"attrs", nullptr, err};
      od::value value = field.value();
      od::json_type type;
      if (auto err = value.type().get(type)) return Failure{"attrs", nullptr, err};
      switch (type) {
        case od::json_type::number: {
          if (read_number(value, "attrs", attr.value.number))
            return Failure{"attrs", nullptr, simdjson::NUMBER_ERROR};
          attr.value.type = AttrValue::Type::number;
          break;
        }
        case od::json_type::string:
          if (value.get_string().get(attr.value.string)) return Failure{"attrs", kString};
          attr.value.type = AttrValue::Type::string;
          break;
        case od::json_type::boolean:
          if (value.get_bool().get(attr.value.boolean)) return Failure{"attrs", kBool};
          attr.value.type = AttrValue::Type::boolean;
          break;
        case od::json_type::null: {
          bool is_null = false;
          if (value.is_null().get(is_null) || !is_null)
            return Failure{"attrs", nullptr, simdjson::N_ATOM_ERROR};
          attr.value.type = AttrValue::Type::null;
          break;
        }
        default:
          continue;  // nested values are not attribute values of schema 1: ignore them like unknown fields
      }
      attrs_.push_back(attr);
    }
    return std::nullopt;
  }

  std::optional<Failure> read_dropped_counts(od::value v, DroppedCounts& out) {
    od::object object;
    if (v.get_object().get(object) != simdjson::SUCCESS) return Failure{"dropped", kObject};
    for (auto field_result : object) {
      od::field field;
      if (auto err = std::move(field_result).get(field)) return Failure{"dropped", nullptr, err};
      std::string_view key;
      if (auto err = field.unescaped_key().get(key)) return Failure{"dropped", nullptr, err};
      std::uint64_t* target = key == "spans"        ? &out.spans
                              : key == "events"     ? &out.events
                              : key == "metrics"    ? &out.metrics
                              : key == "attrs"      ? &out.attrs
                              : key == "async_ends" ? &out.async_ends
                                                    : nullptr;
      if (target != nullptr && field.value().get_uint64().get(*target) != simdjson::SUCCESS)
        return Failure{"dropped", "unsigned integer counts"};
    }
    return std::nullopt;
  }

  // Reads one string or unsigned field named `wanted` of a nested object (clock.source,
  // options.flush_interval_ms).
  std::optional<Failure> read_clock(od::value v, std::string_view& source) {
    od::object object;
    if (v.get_object().get(object) != simdjson::SUCCESS) return Failure{"clock", kObject};
    for (auto field_result : object) {
      od::field field;
      if (auto err = std::move(field_result).get(field)) return Failure{"clock", nullptr, err};
      std::string_view key;
      if (auto err = field.unescaped_key().get(key)) return Failure{"clock", nullptr, err};
      if (key == "source" && field.value().get_string().get(source) != simdjson::SUCCESS)
        return Failure{"clock", "\"source\" to be a string"};
    }
    return std::nullopt;
  }
  std::optional<Failure> read_options(od::value v, std::optional<std::uint64_t>& flush_interval_ms) {
    od::object object;
    if (v.get_object().get(object) != simdjson::SUCCESS) return Failure{"options", kObject};
    for (auto field_result : object) {
      od::field field;
      if (auto err = std::move(field_result).get(field)) return Failure{"options", nullptr, err};
      std::string_view key;
      if (auto err = field.unescaped_key().get(key)) return Failure{"options", nullptr, err};
      if (key == "flush_interval_ms") {
        std::uint64_t ms = 0;
        if (field.value().get_uint64().get(ms) != simdjson::SUCCESS)
          return Failure{"options", "\"flush_interval_ms\" to be an unsigned integer"};
        flush_interval_ms = ms;
      }
    }
    return std::nullopt;
  }

 private:
  std::vector<Attr>& attrs_;
};

std::optional<Failure> read_field(FieldReader& reader, Key key, std::string_view name, od::value v,
                                  RawRecord& r) {
  switch (key) {
    case Key::event:
      return reader.read_string(v, name, r.event);
    case Key::name:
      return reader.read_string(v, name, r.name);
    case Key::status:
      return reader.read_string(v, name, r.status);
    case Key::message:
      return reader.read_string(v, name, r.message);
    case Key::kind:
      return reader.read_string(v, name, r.kind);
    case Key::reason:
      return reader.read_string(v, name, r.reason);
    case Key::version:
      return reader.read_string(v, name, r.version);
    case Key::run_id:
      return reader.read_string(v, name, r.run_id);
    case Key::process:
      return reader.read_string(v, name, r.process);
    case Key::host:
      return reader.read_string(v, name, r.host);
    case Key::ts:
      return reader.read_unsigned(v, name, r.ts);
    case Key::tid:
      return reader.read_unsigned(v, name, r.tid);
    case Key::span_id:
      return reader.read_unsigned(v, name, r.span_id);
    case Key::parent:
      return reader.read_unsigned(v, name, r.parent);
    case Key::dur_ns:
      return reader.read_unsigned(v, name, r.dur_ns);
    case Key::end_tid:
      return reader.read_unsigned(v, name, r.end_tid);
    case Key::end_ts:
      return reader.read_unsigned(v, name, r.end_ts);
    case Key::wall_ns:
      return reader.read_unsigned(v, name, r.wall_ns);
    case Key::count:
      return reader.read_unsigned(v, name, r.count);
    case Key::spans:
      return reader.read_unsigned(v, name, r.spans);
    case Key::events:
      return reader.read_unsigned(v, name, r.events);
    case Key::metrics:
      return reader.read_unsigned(v, name, r.metrics);
    case Key::records:
      return reader.read_unsigned(v, name, r.records);
    case Key::sampled_out:
      return reader.read_unsigned(v, name, r.sampled_out);
    case Key::open_spans:
      return reader.read_unsigned(v, name, r.open_spans);
    case Key::async_ends:
      return reader.read_unsigned(v, name, r.async_ends);
    case Key::unwritten_records:
      return reader.read_unsigned(v, name, r.unwritten_records);
    case Key::schema:
      return reader.read_unsigned(v, name, r.schema);
    case Key::schema_minor:
      return reader.read_unsigned(v, name, r.schema_minor);
    case Key::pid:
      return reader.read_unsigned(v, name, r.pid);
    case Key::start_ts:
      return reader.read_unsigned(v, name, r.start_ts);
    case Key::async:
      return reader.read_bool(v, name, r.async);
    case Key::exited:
      return reader.read_bool(v, name, r.exited);
    case Key::delta:
      return reader.read_number(v, name, r.delta);
    case Key::value:
      return reader.read_optional_double(v, name, r.value);
    case Key::min:
      return reader.read_optional_double(v, name, r.min);
    case Key::max:
      return reader.read_optional_double(v, name, r.max);
    case Key::dropped:
      return reader.read_dropped_counts(v, r.footer_dropped);
    case Key::clock:
      return reader.read_clock(v, r.clock_source);
    case Key::options:
      return reader.read_options(v, r.flush_interval_ms);
    case Key::attrs: {
      od::json_type type;
      if (auto err = v.type().get(type)) return Failure{name, nullptr, err};
      if (type == od::json_type::number) {
        r.attrs_is_count = true;
        return reader.read_unsigned(v, name, r.attrs_count);
      }
      return reader.read_attrs(v);
    }
    case Key::unknown:
      return std::nullopt;
  }
  return std::nullopt;
}

// The key as written: simdjson's unescaped_key() copies every key into its string buffer, which costs a
// tenth of the parse. Only a key with an escape in it (never written by the recorder) takes that path.
simdjson::error_code key_of(od::field& field, std::string_view& key) {
  const char* raw = field.key().raw();
  for (std::size_t length = 0;; ++length) {
    if (raw[length] == '"') {
      key = std::string_view(raw, length);
      return simdjson::SUCCESS;
    }
    if (raw[length] == '\\') return field.unescaped_key().get(key);
  }
}

ParseOutcome malformed(std::string message) {
  return {ParseOutcome::Status::malformed, std::move(message)};
}

// The fields a kind cannot do without; a missing one makes the line malformed.
std::optional<ParseOutcome> require(const RawRecord& r,
                                    std::initializer_list<std::pair<Key, std::string_view>> keys) {
  for (const auto& [key, name] : keys)
    if (!r.has(key)) return malformed(fmt::format("field \"{}\": missing", name));
  return std::nullopt;
}

std::optional<ParseOutcome> check_status(const RawRecord& r) {
  if (r.has(Key::status) && r.status != "ok" && r.status != "error")
    return malformed(fmt::format("field \"status\": expected \"ok\" or \"error\", got \"{}\"", r.status));
  return std::nullopt;
}

}  // namespace

ParseOutcome RecordParser::parse(od::document_reference document, bool document_is_whole_line,
                                 std::uint64_t line, RecordSink& sink) {
  attrs_.clear();
  od::object object;
  if (auto err = document.get_object().get(object)) {
    if (err == simdjson::INCORRECT_TYPE) return malformed("not a JSON object");
    return malformed(describe(Failure{{}, nullptr, err}));
  }

  RawRecord r;
  FieldReader reader(attrs_);
  for (auto field_result : object) {
    od::field field;
    if (auto err = std::move(field_result).get(field)) return malformed(describe(Failure{{}, nullptr, err}));
    std::string_view name;
    if (auto err = key_of(field, name)) return malformed(describe(Failure{{}, nullptr, err}));
    const Key key = classify(name);
    if (key == Key::unknown) continue;
    if (auto failure = read_field(reader, key, name, field.value(), r)) return malformed(describe(*failure));
    r.present |= std::uint64_t{1} << static_cast<unsigned>(key);
  }

  if (!r.has(Key::event)) return malformed("field \"event\": missing");
  // Trailing text after the object ("{...} x") is only detectable when the document is the whole line.
  // current_location() fails with OUT_OF_BOUNDS exactly when nothing follows the object.
  if (document_is_whole_line && document.current_location().error() != simdjson::OUT_OF_BOUNDS)
    return malformed("text after the JSON object");
  const Attrs attrs(attrs_.data(), attrs_.size());
  const std::string_view event = r.event;

  constexpr std::string_view kKindsWithAttrObjects[] = {"span", "span_start", "span_end", "instant",
                                                        "header"};
  if (r.attrs_is_count)
    for (std::string_view kind : kKindsWithAttrObjects)
      if (event == kind) return malformed("field \"attrs\": expected an object");

  if (event == "span") {
    if (auto bad = require(r, {{Key::span_id, "span_id"},
                               {Key::name, "name"},
                               {Key::tid, "tid"},
                               {Key::ts, "ts"},
                               {Key::dur_ns, "dur_ns"}}))
      return *bad;
    if (auto bad = check_status(r)) return *bad;
    sink.on_span(
        {r.span_id, r.maybe(Key::parent, r.parent), r.name, r.tid, r.ts, r.dur_ns, r.status == "error",
         r.message, r.kind == "phase", r.async, r.maybe(Key::end_tid, r.end_tid), attrs},
        line);
  } else if (event == "span_start") {
    if (auto bad =
            require(r, {{Key::span_id, "span_id"}, {Key::name, "name"}, {Key::tid, "tid"}, {Key::ts, "ts"}}))
      return *bad;
    sink.on_span_start(
        {r.span_id, r.maybe(Key::parent, r.parent), r.name, r.tid, r.ts, r.kind == "phase", r.async, attrs},
        line);
  } else if (event == "span_end") {
    if (auto bad = require(r, {{Key::span_id, "span_id"}, {Key::ts, "ts"}, {Key::dur_ns, "dur_ns"}}))
      return *bad;
    if (auto bad = check_status(r)) return *bad;
    sink.on_span_end(
        {r.span_id, r.maybe(Key::tid, r.tid), r.ts, r.dur_ns, r.status == "error", r.message, attrs}, line);
  } else if (event == "instant") {
    if (auto bad = require(r, {{Key::name, "name"}, {Key::tid, "tid"}, {Key::ts, "ts"}})) return *bad;
    sink.on_instant({r.name, r.tid, r.ts, r.maybe(Key::parent, r.parent), attrs}, line);
  } else if (event == "counter") {
    if (auto bad = require(r, {{Key::name, "name"}, {Key::delta, "delta"}})) return *bad;
    sink.on_counter({r.name, r.tid, r.ts, r.delta}, line);
  } else if (event == "gauge") {
    if (auto bad = require(r, {{Key::name, "name"}, {Key::value, "value"}})) return *bad;
    sink.on_gauge({r.name, r.tid, r.ts, r.value, r.has(Key::min) ? r.min : r.value,
                   r.has(Key::max) ? r.max : r.value, r.count},
                  line);
  } else if (event == "phase") {
    if (auto bad = require(r, {{Key::name, "name"}, {Key::ts, "ts"}})) return *bad;
    if (!r.has(Key::wall_ns) && !r.has(Key::end_ts)) return malformed("field \"wall_ns\": missing");
    const std::uint64_t end_ts = r.has(Key::end_ts) ? r.end_ts : r.ts + r.wall_ns;
    const std::uint64_t wall = r.has(Key::wall_ns) ? r.wall_ns : (end_ts >= r.ts ? end_ts - r.ts : 0);
    sink.on_phase({r.name, r.maybe(Key::span_id, r.span_id), r.ts, end_ts, wall}, line);
  } else if (event == "dropped") {
    if (r.has(Key::attrs) && !r.attrs_is_count)
      return malformed("field \"attrs\": expected an unsigned integer");
    sink.on_dropped({r.tid, r.ts, {r.spans, r.events, r.metrics, r.attrs_count, r.async_ends}, r.reason},
                    line);
  } else if (event == "footer") {
    sink.on_footer({r.ts, r.wall_ns, r.records, r.spans, r.events, r.sampled_out, r.open_spans,
                    r.unwritten_records, r.footer_dropped},
                   line);
  } else if (event == "thread") {
    if (auto bad = require(r, {{Key::tid, "tid"}})) return *bad;
    sink.on_thread({r.tid, r.has(Key::name) ? std::optional(r.name) : std::nullopt, r.ts, r.exited}, line);
  } else if (event == "header") {
    if (auto bad = require(r, {{Key::schema, "schema"}})) return *bad;
    if (r.schema > kSupportedSchema)
      return {ParseOutcome::Status::schema_too_new,
              fmt::format(
                  "schema {} is newer than this spanlog understands (schema {}); upgrade spanlog to read it",
                  r.schema, kSupportedSchema)};
    sink.on_header({r.schema, r.schema_minor, r.version, r.run_id, r.process, r.host, r.clock_source, r.pid,
                    r.start_ts, r.flush_interval_ms, attrs},
                   line);
  }
  // Any other kind is newer than this reader: ignored on purpose (docs/format.md, "Conventions").
  return {};
}

}  // namespace spanlog::reader
