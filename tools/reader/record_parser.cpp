// One pass over the fields of a record, in whatever order they come: each known field is type-checked and
// stored in a RawRecord, then the record kind decides which fields are required and what the record holds.
// The document was parsed whole by simdjson's DOM, so every value of the line, known or not, is valid JSON.
#include "reader/record_parser.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <iterator>

#include <fmt/format.h>

namespace spanlog::reader {

void ParsedChunk::begin(std::size_t text_bytes) {
  entries.clear();
  attrs.clear();
  messages.clear();
  lines = 0;
  strings_.clear();
  strings_.reserve(text_bytes);
  spilled_.clear();
  counts_.clear();
  buckets_.clear();
  labels_.clear();
  metric_infos_.clear();
}

std::string_view ParsedChunk::keep(std::string_view text) {
  // Unescaping never lengthens a string, so the strings of a chunk's records fit in its text's size; the
  // spill is only a guard.
  if (strings_.size() + text.size() > strings_.capacity()) return spilled_.emplace_back(text);
  const std::size_t at = strings_.size();
  strings_.append(text);
  return std::string_view(strings_.data() + at, text.size());
}

NamedCounts ParsedChunk::keep_counts(std::vector<NamedCount> counts) {
  if (counts.empty()) return {};
  const std::vector<NamedCount>& kept = counts_.emplace_back(std::move(counts));
  return NamedCounts(kept.data(), kept.size());
}

std::span<const SpanStatsRecord::Bucket> ParsedChunk::keep_buckets(
    std::vector<SpanStatsRecord::Bucket> buckets) {
  if (buckets.empty()) return {};
  const std::vector<SpanStatsRecord::Bucket>& kept = buckets_.emplace_back(std::move(buckets));
  return {kept.data(), kept.size()};
}

Labels ParsedChunk::keep_labels(std::vector<Attr> labels) {
  if (labels.empty()) return {};
  const std::vector<Attr>& kept = labels_.emplace_back(std::move(labels));
  return {kept.data(), kept.size()};
}

std::span<const MetricInfoRecord> ParsedChunk::keep_metric_infos(std::vector<MetricInfoRecord> infos) {
  if (infos.empty()) return {};
  const std::vector<MetricInfoRecord>& kept = metric_infos_.emplace_back(std::move(infos));
  return {kept.data(), kept.size()};
}

std::uint32_t ParsedChunk::add_message(std::string message) {
  messages.push_back(std::move(message));
  return static_cast<std::uint32_t>(messages.size() - 1);
}

namespace {

namespace dom = simdjson::dom;

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
  signal,
  stopped_by,
  overhead,
  span_names,
  event_names,
  bytes,
  rings_grown,
  largest_ring,
  total_ns,
  self_ns,
  stats_ns,
  buckets,
  stats_spans,
  level,
  msg,
  site,
  logs,
  labels,
  sum,
  unit,
  description,
  metric_overflow,
};

// Switch on the length first so that a key costs one or two comparisons.
// The first eight bytes of a key as one integer (little-endian, zero-filled): comparing keys of up to eight
// bytes is then one integer comparison instead of a call to memcmp per candidate. A match is checked for its
// length too, since a key may hold NUL bytes ("ts\u0000" is not "ts").
static_assert(std::endian::native == std::endian::little, "classify() loads keys as little-endian integers");
constexpr std::uint64_t packed(std::string_view k) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < k.size() && i < 8; ++i)
    v |= std::uint64_t{static_cast<unsigned char>(k[i])} << (8 * i);
  return v;
}

// packed(k) at run time, with fixed-size loads (a memcpy of a variable size would be a call): two loads that
// may overlap cover every length; the overlapping bytes are the same in both.
std::uint64_t load_packed(std::string_view k) {
  const char* p = k.data();
  const std::size_t n = k.size();
  if (n >= 4) {
    std::uint32_t low = 0, high = 0;
    std::memcpy(&low, p, 4);
    std::memcpy(&high, p + n - 4, 4);
    return low | (std::uint64_t{high} << (8 * (n - 4)));
  }
  if (n >= 2) {
    std::uint16_t low = 0, high = 0;
    std::memcpy(&low, p, 2);
    std::memcpy(&high, p + n - 2, 2);
    return low | (std::uint64_t{high} << (8 * (n - 2)));
  }
  return n == 1 ? static_cast<unsigned char>(p[0]) : 0;
}

Key classify(std::string_view k) {
  if (k.size() <= 8) {
    switch (load_packed(k)) {
      case packed("ts"):
        return k.size() == 2 ? Key::ts : Key::unknown;
      case packed("max"):
        return k.size() == 3 ? Key::max : Key::unknown;
      case packed("min"):
        return k.size() == 3 ? Key::min : Key::unknown;
      case packed("pid"):
        return k.size() == 3 ? Key::pid : Key::unknown;
      case packed("tid"):
        return k.size() == 3 ? Key::tid : Key::unknown;
      case packed("sum"):
        return k.size() == 3 ? Key::sum : Key::unknown;
      case packed("unit"):
        return k.size() == 4 ? Key::unit : Key::unknown;
      case packed("labels"):
        return k.size() == 6 ? Key::labels : Key::unknown;
      case packed("msg"):
        return k.size() == 3 ? Key::msg : Key::unknown;
      case packed("host"):
        return k.size() == 4 ? Key::host : Key::unknown;
      case packed("kind"):
        return k.size() == 4 ? Key::kind : Key::unknown;
      case packed("name"):
        return k.size() == 4 ? Key::name : Key::unknown;
      case packed("site"):
        return k.size() == 4 ? Key::site : Key::unknown;
      case packed("logs"):
        return k.size() == 4 ? Key::logs : Key::unknown;
      case packed("async"):
        return k.size() == 5 ? Key::async : Key::unknown;
      case packed("attrs"):
        return k.size() == 5 ? Key::attrs : Key::unknown;
      case packed("clock"):
        return k.size() == 5 ? Key::clock : Key::unknown;
      case packed("count"):
        return k.size() == 5 ? Key::count : Key::unknown;
      case packed("delta"):
        return k.size() == 5 ? Key::delta : Key::unknown;
      case packed("event"):
        return k.size() == 5 ? Key::event : Key::unknown;
      case packed("spans"):
        return k.size() == 5 ? Key::spans : Key::unknown;
      case packed("bytes"):
        return k.size() == 5 ? Key::bytes : Key::unknown;
      case packed("value"):
        return k.size() == 5 ? Key::value : Key::unknown;
      case packed("level"):
        return k.size() == 5 ? Key::level : Key::unknown;
      case packed("dur_ns"):
        return k.size() == 6 ? Key::dur_ns : Key::unknown;
      case packed("end_ts"):
        return k.size() == 6 ? Key::end_ts : Key::unknown;
      case packed("events"):
        return k.size() == 6 ? Key::events : Key::unknown;
      case packed("exited"):
        return k.size() == 6 ? Key::exited : Key::unknown;
      case packed("parent"):
        return k.size() == 6 ? Key::parent : Key::unknown;
      case packed("reason"):
        return k.size() == 6 ? Key::reason : Key::unknown;
      case packed("run_id"):
        return k.size() == 6 ? Key::run_id : Key::unknown;
      case packed("schema"):
        return k.size() == 6 ? Key::schema : Key::unknown;
      case packed("signal"):
        return k.size() == 6 ? Key::signal : Key::unknown;
      case packed("status"):
        return k.size() == 6 ? Key::status : Key::unknown;
      case packed("dropped"):
        return k.size() == 7 ? Key::dropped : Key::unknown;
      case packed("end_tid"):
        return k.size() == 7 ? Key::end_tid : Key::unknown;
      case packed("message"):
        return k.size() == 7 ? Key::message : Key::unknown;
      case packed("metrics"):
        return k.size() == 7 ? Key::metrics : Key::unknown;
      case packed("options"):
        return k.size() == 7 ? Key::options : Key::unknown;
      case packed("process"):
        return k.size() == 7 ? Key::process : Key::unknown;
      case packed("records"):
        return k.size() == 7 ? Key::records : Key::unknown;
      case packed("span_id"):
        return k.size() == 7 ? Key::span_id : Key::unknown;
      case packed("version"):
        return k.size() == 7 ? Key::version : Key::unknown;
      case packed("wall_ns"):
        return k.size() == 7 ? Key::wall_ns : Key::unknown;
      case packed("start_ts"):
        return k.size() == 8 ? Key::start_ts : Key::unknown;
      case packed("overhead"):
        return k.size() == 8 ? Key::overhead : Key::unknown;
      case packed("total_ns"):
        return k.size() == 8 ? Key::total_ns : Key::unknown;
      case packed("stats_ns"):
        return k.size() == 8 ? Key::stats_ns : Key::unknown;
      case packed("self_ns"):
        return k.size() == 7 ? Key::self_ns : Key::unknown;
      case packed("buckets"):
        return k.size() == 7 ? Key::buckets : Key::unknown;
      default:
        return Key::unknown;
    }
  }
  if (k == "open_spans") return Key::open_spans;
  if (k == "async_ends") return Key::async_ends;
  if (k == "sampled_out") return Key::sampled_out;
  if (k == "schema_minor") return Key::schema_minor;
  if (k == "stopped_by") return Key::stopped_by;
  if (k == "span_names") return Key::span_names;
  if (k == "event_names") return Key::event_names;

  if (k == "unwritten_records") return Key::unwritten_records;
  if (k == "rings_grown") return Key::rings_grown;
  if (k == "largest_ring") return Key::largest_ring;
  if (k == "stats_spans") return Key::stats_spans;
  if (k == "description") return Key::description;
  if (k == "metric_overflow") return Key::metric_overflow;
  return Key::unknown;
}

constexpr std::size_t kKeys = static_cast<std::size_t>(Key::metric_overflow) + 1;
static_assert(kKeys <= 64, "RawRecord::present has a bit per key");

// How a known key's value is read.
enum class KeyType : std::uint8_t {
  none,              // Key::unknown
  unsigned_integer,  // ts, tid, span_id, ...
  text,              // a string the record keeps (name, message, run_id, ...)
  word,              // a string only compared (event, status, kind, level)
  boolean,           // async, exited
  number,            // delta: an integer or a float
  optional_double,   // value, min, max: a number, or null when not finite
  nested,            // attrs, dropped, clock, options, overhead, span_names, event_names, buckets, site,
                     // labels, metrics (a count in `dropped` records, an object in the header)
};

constexpr KeyType type_of(Key key) {
  switch (key) {
    case Key::unknown:
      return KeyType::none;
    case Key::event:
    case Key::status:
    case Key::kind:
    case Key::level:
      return KeyType::word;
    case Key::name:
    case Key::message:
    case Key::msg:
    case Key::reason:
    case Key::version:
    case Key::run_id:
    case Key::process:
    case Key::host:
    case Key::stopped_by:
    case Key::unit:
    case Key::description:
      return KeyType::text;
    case Key::async:
    case Key::exited:
      return KeyType::boolean;
    case Key::delta:
      return KeyType::number;
    case Key::value:
    case Key::min:
    case Key::max:
      return KeyType::optional_double;
    case Key::attrs:
    case Key::dropped:
    case Key::clock:
    case Key::options:
    case Key::overhead:
    case Key::span_names:
    case Key::event_names:
    case Key::buckets:
    case Key::site:
    case Key::labels:
    case Key::metrics:
      return KeyType::nested;
    default:
      return KeyType::unsigned_integer;
  }
}

// A string that costs nothing to leave unset (std::string_view would be zeroed for every record).
struct Text {
  const char* data;
  std::size_t size;
  std::string_view view() const { return {data, size}; }
};

// Every field of every kind, flattened: the kinds share the meaning of their field names (docs/format.md),
// except `attrs`, an object everywhere but a count in `dropped` records. Deliberately left uninitialised but
// for the bit masks: a value is read only when its key's bit is set, and a record's fields are few of the
// many keys, so not clearing them all is a fifth of the parse.
struct RawRecord {
  std::uint64_t present = 0;    // bit i set when Key(i) was seen
  std::uint64_t nulls = 0;      // bit i set when the optional double Key(i) was null
  std::uint64_t values[kKeys];  // unsigned integers, booleans, doubles (as bits), attrs as a count
  Text texts[kKeys];            // strings
  Number delta;
  DroppedCounts footer_dropped;
  std::optional<std::uint64_t> flush_interval_ms, ring_bytes, ring_max_bytes;  // from `options`
  Text clock_source{nullptr, 0};
  Text site_file{nullptr, 0};  // a log line's `site`, read only when Key::site is present
  std::uint64_t site_line = 0;
  double overhead[6];  // InstrumentationOverhead's fields in order, read only when Key::overhead is present
  NamedCounts span_names, event_names;
  std::span<const SpanStatsRecord::Bucket> buckets;
  std::uint64_t buckets_count = 0;  // the buckets' counts summed (saturating)
  bool attrs_is_count = false;      // `attrs` was a number: right for a `dropped` record only
  bool metrics_is_object = false;   // `metrics` was an object: right for a `header` only
  Labels labels;                    // read only when Key::labels is present
  dom::element metrics_object;      // the header's `metrics`, when metrics_is_object
  std::uint32_t attrs_begin = 0, attrs_count_seen = 0;

  static std::uint64_t bit(Key k) { return std::uint64_t{1} << static_cast<unsigned>(k); }
  bool has(Key k) const { return (present & bit(k)) != 0; }
  std::uint64_t u(Key k, std::uint64_t otherwise = 0) const {
    return has(k) ? values[static_cast<std::size_t>(k)] : otherwise;
  }
  std::optional<std::uint64_t> maybe(Key k) const {
    return has(k) ? std::optional<std::uint64_t>(values[static_cast<std::size_t>(k)]) : std::nullopt;
  }
  bool flag(Key k) const { return u(k) != 0; }
  std::string_view text(Key k) const {
    return has(k) ? texts[static_cast<std::size_t>(k)].view() : std::string_view();
  }
  std::optional<double> optional_double(Key k) const {
    if (!has(k) || (nulls & bit(k)) != 0) return std::nullopt;
    return std::bit_cast<double>(values[static_cast<std::size_t>(k)]);
  }
};

// A field of the wrong type: the message is built only when there is one.
struct Failure {
  std::string_view field;
  const char* expected = nullptr;
};

constexpr const char* kUnsigned = "an unsigned integer";
constexpr const char* kString = "a string";
constexpr const char* kBool = "true or false";
constexpr const char* kNumber = "a number";
constexpr const char* kObject = "an object";

bool is_number(dom::element_type t) {
  return t == dom::element_type::INT64 || t == dom::element_type::UINT64 || t == dom::element_type::DOUBLE;
}

// An integer that fits int64 stays exact; a larger one, or a fraction, is a double.
Number number_of(dom::element v) {
  Number n;
  std::int64_t i = 0;
  if (v.type() == dom::element_type::INT64 && v.get_int64().get(i) == simdjson::SUCCESS) {
    n.as_integer = i;
    n.as_double = static_cast<double>(i);
    n.is_integer = true;
  } else {
    n.as_double = v.get_double().value_unsafe();
    n.is_integer = false;
  }
  return n;
}

// Appends the attribute values of an `attrs` object to the chunk's attributes.
void append_attrs(dom::object object, ParsedChunk& out) {
  for (const dom::key_value_pair field : object) {
    Attr attr;
    switch (field.value.type()) {
      case dom::element_type::INT64:
      case dom::element_type::UINT64:
      case dom::element_type::DOUBLE:
        attr.value.type = AttrValue::Type::number;
        attr.value.number = number_of(field.value);
        break;
      case dom::element_type::STRING:
        attr.value.type = AttrValue::Type::string;
        attr.value.string = out.keep(field.value.get_string().value_unsafe());
        break;
      case dom::element_type::BOOL:
        attr.value.type = AttrValue::Type::boolean;
        attr.value.boolean = field.value.get_bool().value_unsafe();
        break;
      case dom::element_type::NULL_VALUE:
        attr.value.type = AttrValue::Type::null;
        break;
      default:
        continue;  // nested values are not attribute values of schema 1: ignore them like unknown fields
    }
    attr.key = out.keep(field.key);
    out.attrs.push_back(attr);
  }
}

class FieldReader {
 public:
  FieldReader(ParsedChunk& out, bool collect_attrs) : out_(out), collect_attrs_(collect_attrs) {}

  std::optional<Failure> read(Key key, std::string_view name, dom::element v, RawRecord& r) {
    const auto i = static_cast<std::size_t>(key);
    switch (type_of(key)) {
      case KeyType::none:
        return std::nullopt;
      case KeyType::unsigned_integer:
        if (v.get_uint64().get(r.values[i]) != simdjson::SUCCESS) return Failure{name, kUnsigned};
        return std::nullopt;
      case KeyType::word:
      case KeyType::text: {
        std::string_view s;
        if (v.get_string().get(s) != simdjson::SUCCESS) return Failure{name, kString};
        if (type_of(key) == KeyType::text) s = out_.keep(s);
        r.texts[i] = Text{s.data(), s.size()};
        return std::nullopt;
      }
      case KeyType::boolean: {
        bool b = false;
        if (v.get_bool().get(b) != simdjson::SUCCESS) return Failure{name, kBool};
        r.values[i] = b ? 1 : 0;
        return std::nullopt;
      }
      case KeyType::number:
        if (!is_number(v.type())) return Failure{name, kNumber};
        r.delta = number_of(v);
        return std::nullopt;
      case KeyType::optional_double:
        if (v.is_null()) {
          r.nulls |= RawRecord::bit(key);
          return std::nullopt;
        }
        if (!is_number(v.type())) return Failure{name, kNumber};
        r.nulls &= ~RawRecord::bit(key);
        r.values[i] = std::bit_cast<std::uint64_t>(v.get_double().value_unsafe());
        return std::nullopt;
      case KeyType::nested:
        break;
    }
    switch (key) {
      case Key::dropped:
        return read_dropped_counts(v, r.footer_dropped);
      case Key::clock:
        return read_clock(v, r.clock_source);
      case Key::options:
        return read_options(v, r);
      case Key::overhead:
        return read_overhead(v, r.overhead);
      case Key::span_names:
        return read_named_counts(v, name, r.span_names);
      case Key::event_names:
        return read_named_counts(v, name, r.event_names);
      case Key::buckets:
        return read_buckets(v, r);
      case Key::site:
        return read_site(v, r);
      case Key::labels:
        return read_labels(v, r);
      case Key::metrics:
        if (is_number(v.type())) {
          r.metrics_is_object = false;
          if (v.get_uint64().get(r.values[i]) != simdjson::SUCCESS) return Failure{name, kUnsigned};
          return std::nullopt;
        }
        // Read once the record is known to be a header: a `dropped` record's object is an error of its own.
        r.metrics_is_object = true;
        r.metrics_object = v;
        return std::nullopt;
      default:  // Key::attrs
        if (is_number(v.type())) {
          r.attrs_is_count = true;
          if (v.get_uint64().get(r.values[i]) != simdjson::SUCCESS) return Failure{name, kUnsigned};
          return std::nullopt;
        }
        r.attrs_is_count = false;
        if (!collect_attrs_) {
          if (!v.is_object()) return Failure{"attrs", kObject};
          return std::nullopt;
        }
        return read_attrs(v, r);
    }
  }

 private:
  std::optional<Failure> read_attrs(dom::element v, RawRecord& r) {
    dom::object object;
    if (v.get_object().get(object) != simdjson::SUCCESS) return Failure{"attrs", kObject};
    // A second `attrs` replaces the first, like any repeated key.
    out_.attrs.resize(r.attrs_begin);
    append_attrs(object, out_);
    r.attrs_count_seen = static_cast<std::uint32_t>(out_.attrs.size()) - r.attrs_begin;
    return std::nullopt;
  }

  std::optional<Failure> read_dropped_counts(dom::element v, DroppedCounts& out) {
    dom::object object;
    if (v.get_object().get(object) != simdjson::SUCCESS) return Failure{"dropped", kObject};
    for (const dom::key_value_pair field : object) {
      const std::string_view key = field.key;
      std::uint64_t* target = key == "spans"        ? &out.spans
                              : key == "events"     ? &out.events
                              : key == "metrics"    ? &out.metrics
                              : key == "attrs"      ? &out.attrs
                              : key == "async_ends" ? &out.async_ends
                                                    : nullptr;
      if (target != nullptr && field.value.get_uint64().get(*target) != simdjson::SUCCESS)
        return Failure{"dropped", "unsigned integer counts"};
    }
    return std::nullopt;
  }
  // clock.source, the one field of the nested `clock` object the reader uses.
  std::optional<Failure> read_clock(dom::element v, Text& source) {
    dom::object object;
    if (v.get_object().get(object) != simdjson::SUCCESS) return Failure{"clock", kObject};
    for (const dom::key_value_pair field : object) {
      if (field.key != "source") continue;
      std::string_view s;
      if (field.value.get_string().get(s) != simdjson::SUCCESS)
        return Failure{"clock", "\"source\" to be a string"};
      s = out_.keep(s);
      source = Text{s.data(), s.size()};
    }
    return std::nullopt;
  }
  // The options the reader uses: flush_interval_ms (doctor's flusher lag), ring_bytes and ring_max_bytes (a
  // ring's size and bound, schema 1.3).
  std::optional<Failure> read_options(dom::element v, RawRecord& r) {
    dom::object object;
    if (v.get_object().get(object) != simdjson::SUCCESS) return Failure{"options", kObject};
    for (const dom::key_value_pair field : object) {
      std::optional<std::uint64_t>* target = field.key == "flush_interval_ms" ? &r.flush_interval_ms
                                             : field.key == "ring_bytes"      ? &r.ring_bytes
                                             : field.key == "ring_max_bytes"  ? &r.ring_max_bytes
                                                                              : nullptr;
      if (target == nullptr) continue;
      std::uint64_t value = 0;
      if (field.value.get_uint64().get(value) != simdjson::SUCCESS)
        return Failure{"options",
                       field.key == "flush_interval_ms" ? "\"flush_interval_ms\" to be an unsigned integer"
                       : field.key == "ring_bytes"      ? "\"ring_bytes\" to be an unsigned integer"
                                                        : "\"ring_max_bytes\" to be an unsigned integer"};
      *target = value;
    }
    return std::nullopt;
  }

  // A dropped record's span_names / event_names: name -> unsigned count.
  std::optional<Failure> read_named_counts(dom::element v, std::string_view field_name, NamedCounts& out) {
    dom::object object;
    if (v.get_object().get(object) != simdjson::SUCCESS) return Failure{field_name, kObject};
    std::vector<NamedCount> counts;
    for (const dom::key_value_pair field : object) {
      std::uint64_t count = 0;
      if (field.value.get_uint64().get(count) != simdjson::SUCCESS)
        return Failure{field_name, "unsigned integer counts"};
      counts.push_back(NamedCount{out_.keep(field.key), count});
    }
    out = out_.keep_counts(std::move(counts));
    return std::nullopt;
  }

  // A log line's `site`: the call's file and line, both required.
  std::optional<Failure> read_site(dom::element v, RawRecord& r) {
    dom::object object;
    if (v.get_object().get(object) != simdjson::SUCCESS) return Failure{"site", kObject};
    bool has_file = false, has_line = false;
    for (const dom::key_value_pair field : object) {
      if (field.key == "file") {
        std::string_view file;
        if (field.value.get_string().get(file) != simdjson::SUCCESS)
          return Failure{"site", "\"file\" to be a string"};
        file = out_.keep(file);
        r.site_file = Text{file.data(), file.size()};
        has_file = true;
      } else if (field.key == "line") {
        if (field.value.get_uint64().get(r.site_line) != simdjson::SUCCESS)
          return Failure{"site", "\"line\" to be an unsigned integer"};
        has_line = true;
      }
    }
    if (!has_file || !has_line) return Failure{"site", "\"file\" and \"line\""};
    return std::nullopt;
  }

  // A metric line's `labels`: attribute values, sorted by key; of a repeated key the last counts, as for
  // any repeated field. Always collected (collect_attrs or not): they name the line's series.
  std::optional<Failure> read_labels(dom::element v, RawRecord& r) {
    static constexpr const char* kLabelValues =
        "an object of label values (strings, numbers, booleans or null)";
    dom::object object;
    if (v.get_object().get(object) != simdjson::SUCCESS) return Failure{"labels", kLabelValues};
    std::vector<Attr> labels;
    for (const dom::key_value_pair field : object) {
      Attr label;
      label.key = out_.keep(field.key);
      switch (field.value.type()) {
        case dom::element_type::INT64:
        case dom::element_type::UINT64:
        case dom::element_type::DOUBLE:
          label.value.type = AttrValue::Type::number;
          label.value.number = number_of(field.value);
          break;
        case dom::element_type::STRING:
          label.value.type = AttrValue::Type::string;
          label.value.string = out_.keep(field.value.get_string().value_unsafe());
          break;
        case dom::element_type::BOOL:
          label.value.type = AttrValue::Type::boolean;
          label.value.boolean = field.value.get_bool().value_unsafe();
          break;
        case dom::element_type::NULL_VALUE:
          break;
        default:
          return Failure{"labels", kLabelValues};
      }
      labels.push_back(label);
    }
    std::stable_sort(labels.begin(), labels.end(),
                     [](const Attr& a, const Attr& b) { return a.key < b.key; });
    // Of equal keys, keep the last: reversed, unique keeps the first of each run.
    std::reverse(labels.begin(), labels.end());
    labels.erase(std::unique(labels.begin(), labels.end(),
                             [](const Attr& a, const Attr& b) { return a.key == b.key; }),
                 labels.end());
    std::reverse(labels.begin(), labels.end());
    r.labels = out_.keep_labels(std::move(labels));
    return std::nullopt;
  }

  // A span_stats record's `buckets`: [lower_ns, count] pairs of unsigned integers.
  std::optional<Failure> read_buckets(dom::element v, RawRecord& r) {
    static constexpr const char* kPairs = "an array of [lower_ns, count] pairs of unsigned integers";
    dom::array array;
    if (v.get_array().get(array) != simdjson::SUCCESS) return Failure{"buckets", kPairs};
    std::vector<SpanStatsRecord::Bucket> buckets;
    std::uint64_t total = 0;
    for (const dom::element pair_value : array) {
      dom::array pair;
      if (pair_value.get_array().get(pair) != simdjson::SUCCESS || pair.size() != 2)
        return Failure{"buckets", kPairs};
      SpanStatsRecord::Bucket bucket;
      if (pair.at(0).get_uint64().get(bucket.lower_ns) != simdjson::SUCCESS ||
          pair.at(1).get_uint64().get(bucket.count) != simdjson::SUCCESS)
        return Failure{"buckets", kPairs};
      // Saturating: a sum past 2^64 cannot equal `count`, so the line is refused either way.
      total = __builtin_add_overflow(total, bucket.count, &total) ? ~std::uint64_t{0} : total;
      buckets.push_back(bucket);
    }
    r.buckets_count = total;
    r.buckets = out_.keep_buckets(std::move(buckets));
    return std::nullopt;
  }

  // The header's `overhead`: numbers, integers or not. A field it lacks is 0, except `in_parent_ns`, which is
  // span_ns - in_span_ns by definition (docs/format.md).
  std::optional<Failure> read_overhead(dom::element v, double (&out)[6]) {
    static constexpr std::string_view kFields[6] = {"span_ns",     "span_ticks", "clock_ns",
                                                    "clock_ticks", "in_span_ns", "in_parent_ns"};
    dom::object object;
    if (v.get_object().get(object) != simdjson::SUCCESS) return Failure{"overhead", kObject};
    bool seen[6] = {};
    for (const dom::key_value_pair field : object) {
      for (std::size_t i = 0; i < 6; ++i) {
        if (field.key != kFields[i]) continue;
        if (!is_number(field.value.type())) return Failure{"overhead", "numbers"};
        out[i] = number_of(field.value).as_double;
        seen[i] = true;
      }
    }
    for (std::size_t i = 0; i < 6; ++i)
      if (!seen[i]) out[i] = 0;
    if (!seen[5]) out[5] = std::max(0.0, out[0] - out[4]);
    return std::nullopt;
  }

  ParsedChunk& out_;
  bool collect_attrs_;
};

// What a known key's value must be, for messages.
const char* expected_of(Key key) {
  switch (type_of(key)) {
    case KeyType::unsigned_integer:
      return kUnsigned;
    case KeyType::text:
    case KeyType::word:
      return kString;
    case KeyType::boolean:
      return kBool;
    case KeyType::number:
    case KeyType::optional_double:
      return kNumber;
    default:
      return nullptr;
  }
}

// True when a number somewhere in the value does not parse.
bool holds_bad_number(simdjson::ondemand::value value, int depth) {
  namespace od = simdjson::ondemand;
  od::json_type type;
  if (value.type().get(type) != simdjson::SUCCESS || depth > 64) return false;
  if (type == od::json_type::number) {
    // As the DOM reads numbers: an integer must fit 64 bits, any other number a double.
    od::number_type kind;
    if (value.get_number_type().get(kind) != simdjson::SUCCESS) return true;
    std::int64_t i = 0;
    std::uint64_t u = 0;
    double d = 0;
    switch (kind) {
      case od::number_type::signed_integer:
        return value.get_int64().get(i) != simdjson::SUCCESS;
      case od::number_type::unsigned_integer:
        return value.get_uint64().get(u) != simdjson::SUCCESS;
      default:
        return value.get_double().get(d) != simdjson::SUCCESS;
    }
  }
  if (type == od::json_type::object) {
    od::object object;
    if (value.get_object().get(object) != simdjson::SUCCESS) return false;
    for (auto field_result : object) {
      od::field field;
      if (std::move(field_result).get(field) != simdjson::SUCCESS) return false;
      if (holds_bad_number(field.value(), depth + 1)) return true;
    }
  } else if (type == od::json_type::array) {
    od::array array;
    if (value.get_array().get(array) != simdjson::SUCCESS) return false;
    for (auto element : array) {
      od::value inner;
      if (std::move(element).get(inner) != simdjson::SUCCESS) return false;
      if (holds_bad_number(inner, depth + 1)) return true;
    }
  }
  return false;
}

enum class Event {
  other,
  span,
  spans,
  span_start,
  span_end,
  span_stats,
  instant,
  log,
  counter,
  gauge,
  histogram,
  metric_info,
  phase,
  dropped,
  ring_grown,
  crash,
  footer,
  thread,
  header
};

Event event_of(std::string_view e) {
  if (e.size() > 8)
    return e == "span_start"    ? Event::span_start
           : e == "ring_grown"  ? Event::ring_grown
           : e == "span_stats"  ? Event::span_stats
           : e == "histogram"   ? Event::histogram
           : e == "metric_info" ? Event::metric_info
                                : Event::other;
  switch (load_packed(e)) {
    case packed("log"):
      return e.size() == 3 ? Event::log : Event::other;
    case packed("span"):
      return e.size() == 4 ? Event::span : Event::other;
    case packed("spans"):
      return e.size() == 5 ? Event::spans : Event::other;
    case packed("span_end"):
      return e.size() == 8 ? Event::span_end : Event::other;
    case packed("instant"):
      return e.size() == 7 ? Event::instant : Event::other;
    case packed("counter"):
      return e.size() == 7 ? Event::counter : Event::other;
    case packed("gauge"):
      return e.size() == 5 ? Event::gauge : Event::other;
    case packed("phase"):
      return e.size() == 5 ? Event::phase : Event::other;
    case packed("dropped"):
      return e.size() == 7 ? Event::dropped : Event::other;
    case packed("footer"):
      return e.size() == 6 ? Event::footer : Event::other;
    case packed("crash"):
      return e.size() == 5 ? Event::crash : Event::other;
    case packed("thread"):
      return e.size() == 6 ? Event::thread : Event::other;
    case packed("header"):
      return e.size() == 6 ? Event::header : Event::other;
    default:
      return Event::other;
  }
}

// A `spans` record's columns (docs/format.md, schema 1.3): what each of `fields` names.
enum class Column : std::uint8_t { skip, name, span_id, parent, ts, dur_ns, attrs };
constexpr const char* kColumnNames[] = {"", "name", "span_id", "parent", "ts", "dur_ns", "attrs"};

Column column_of(std::string_view field) {
  for (std::size_t c = 1; c < std::size(kColumnNames); ++c)
    if (field == kColumnNames[c]) return static_cast<Column>(c);
  return Column::skip;
}

// The rows of a `spans` record as SpanRecord entries: the first into out.entries[first] (already there, for
// this line), the others after it. Returns what was wrong instead, leaving the entries it added for the
// caller to remove. `id_base`, `fields` and `rows` are read here only, so that they cost the other kinds
// nothing; as for every field, the last of a repeated key counts.
std::optional<std::string> parse_spans(dom::object object, const RawRecord& r, std::size_t first,
                                       ParsedChunk& out, bool collect_attrs) {
  dom::element id_base_value, fields_value, rows_value;
  bool has_id_base = false, has_fields = false, has_rows = false;
  for (const dom::key_value_pair field : object) {
    if (field.key == "id_base") {
      id_base_value = field.value;
      has_id_base = true;
    } else if (field.key == "fields") {
      fields_value = field.value;
      has_fields = true;
    } else if (field.key == "rows") {
      rows_value = field.value;
      has_rows = true;
    }
  }
  if (!r.has(Key::tid)) return "field \"tid\": missing";
  if (!r.has(Key::ts)) return "field \"ts\": missing";
  if (!has_id_base) return "field \"id_base\": missing";
  if (!has_fields) return "field \"fields\": missing";
  if (!has_rows) return "field \"rows\": missing";
  std::uint64_t id_base = 0;
  if (id_base_value.get_uint64().get(id_base) != simdjson::SUCCESS)
    return "field \"id_base\": expected an unsigned integer";

  dom::array fields;
  if (fields_value.get_array().get(fields) != simdjson::SUCCESS)
    return "field \"fields\": expected an array of strings";
  std::vector<Column> columns;
  bool named[std::size(kColumnNames)] = {};
  for (const dom::element field : fields) {
    std::string_view text;
    if (field.get_string().get(text) != simdjson::SUCCESS)
      return fmt::format("field \"fields\": fields[{}]: expected a string", columns.size());
    const Column column = column_of(text);
    if (column != Column::skip) {
      if (named[static_cast<std::size_t>(column)]) return fmt::format("field \"fields\": \"{}\" twice", text);
      named[static_cast<std::size_t>(column)] = true;
    }
    columns.push_back(column);
  }
  for (const Column required : {Column::name, Column::span_id, Column::ts, Column::dur_ns})
    if (!named[static_cast<std::size_t>(required)])
      return fmt::format("field \"fields\": \"{}\" missing",
                         kColumnNames[static_cast<std::size_t>(required)]);

  dom::array rows;
  if (rows_value.get_array().get(rows) != simdjson::SUCCESS) return "field \"rows\": expected an array";
  const std::uint64_t record_ts = r.u(Key::ts), tid = r.u(Key::tid);
  // The record's own attrs (none in the format) are not any row's.
  out.attrs.resize(r.attrs_begin);
  std::size_t row_index = 0;
  for (const dom::element row_value : rows) {
    dom::array row;
    if (row_value.get_array().get(row) != simdjson::SUCCESS)
      return fmt::format("rows[{}]: expected an array", row_index);
    SpanRecord span;
    span.tid = tid;
    const auto attrs_begin = static_cast<std::uint32_t>(out.attrs.size());
    bool seen[std::size(kColumnNames)] = {};
    std::size_t i = 0;
    for (const dom::element value : row) {
      if (i >= columns.size())
        return fmt::format("rows[{}]: more values than the {} fields", row_index, columns.size());
      const Column column = columns[i];
      auto bad = [&](const char* expected) {
        return fmt::format("rows[{}][{}] ({}): expected {}", row_index, i,
                           kColumnNames[static_cast<std::size_t>(column)], expected);
      };
      std::uint64_t u = 0;
      switch (column) {
        case Column::skip:
          break;
        case Column::name: {
          std::string_view name;
          if (value.get_string().get(name) != simdjson::SUCCESS) return bad(kString);
          span.name = out.keep(name);
          break;
        }
        case Column::span_id:
        case Column::parent:
          if (column == Column::parent && value.is_null()) break;  // a root
          if (value.get_uint64().get(u) != simdjson::SUCCESS)
            return bad(column == Column::parent ? "an unsigned integer or null" : kUnsigned);
          if (u > ~std::uint64_t{0} - id_base)
            return fmt::format("rows[{}][{}] ({}): id_base + {} is beyond 64 bits", row_index, i,
                               kColumnNames[static_cast<std::size_t>(column)], u);
          (column == Column::span_id ? span.span_id : span.parent.emplace()) = id_base + u;
          break;
        case Column::ts: {
          std::int64_t offset = 0;
          if (value.get_int64().get(offset) != simdjson::SUCCESS) return bad("an integer");
          const std::uint64_t magnitude = offset < 0 ? std::uint64_t{0} - static_cast<std::uint64_t>(offset)
                                                     : static_cast<std::uint64_t>(offset);
          if (offset < 0 ? magnitude > record_ts : magnitude > ~std::uint64_t{0} - record_ts)
            return fmt::format("rows[{}][{}] (ts): the record's ts {} + {} is outside 0 to 2^64 - 1",
                               row_index, i, record_ts, offset);
          span.ts = offset < 0 ? record_ts - magnitude : record_ts + magnitude;
          break;
        }
        case Column::dur_ns:
          if (value.get_uint64().get(span.dur_ns) != simdjson::SUCCESS) return bad(kUnsigned);
          break;
        case Column::attrs: {
          dom::object attrs;
          if (value.get_object().get(attrs) != simdjson::SUCCESS) return bad(kObject);
          if (collect_attrs) append_attrs(attrs, out);  // a column is named once: one attrs per row
          break;
        }
      }
      seen[static_cast<std::size_t>(column)] = true;
      ++i;
    }
    for (const Column required : {Column::name, Column::span_id, Column::ts, Column::dur_ns})
      if (!seen[static_cast<std::size_t>(required)])
        return fmt::format("rows[{}]: {} values, without \"{}\"", row_index, i,
                           kColumnNames[static_cast<std::size_t>(required)]);
    ParsedEntry& entry = row_index == 0 ? out.entries[first] : out.entries.emplace_back();
    if (row_index > 0) {
      entry.line = out.entries[first].line;
      entry.same_line = true;
    }
    entry.status = ParsedEntry::Status::record;
    entry.attrs_begin = attrs_begin;
    entry.attrs_count = static_cast<std::uint32_t>(out.attrs.size()) - attrs_begin;
    entry.record.emplace<SpanRecord>(span);
    ++row_index;
  }
  // No rows: a whole record that holds no span.
  if (row_index == 0) out.entries[first].status = ParsedEntry::Status::ignored;
  return std::nullopt;
}

// The header's `metrics`: metric name -> {"unit": string, "description": string}, either may be absent.
std::optional<Failure> read_metric_infos(dom::element v, ParsedChunk& out,
                                         std::span<const MetricInfoRecord>& infos_out) {
  static constexpr const char* kInfos = "an object of {\"unit\", \"description\"} objects of strings";
  dom::object object;
  if (v.get_object().get(object) != simdjson::SUCCESS) return Failure{"metrics", kInfos};
  std::vector<MetricInfoRecord> infos;
  for (const dom::key_value_pair metric : object) {
    dom::object fields;
    if (metric.value.get_object().get(fields) != simdjson::SUCCESS) return Failure{"metrics", kInfos};
    MetricInfoRecord info;
    info.name = out.keep(metric.key);
    for (const dom::key_value_pair field : fields) {
      std::string_view* target = field.key == "unit"          ? &info.unit
                                 : field.key == "description" ? &info.description
                                                              : nullptr;
      if (target == nullptr) continue;
      std::string_view text;
      if (field.value.get_string().get(text) != simdjson::SUCCESS) return Failure{"metrics", kInfos};
      *target = out.keep(text);
    }
    infos.push_back(info);
  }
  infos_out = out.keep_metric_infos(std::move(infos));
  return std::nullopt;
}

Labels labels_of(const RawRecord& r) {
  return r.has(Key::labels) ? r.labels : Labels();
}

// The fields a kind cannot do without; returns the first one missing.
const char* missing(const RawRecord& r, std::initializer_list<std::pair<Key, const char*>> keys) {
  for (const auto& [key, name] : keys)
    if (!r.has(key)) return name;
  return nullptr;
}

}  // namespace

std::optional<std::string> RecordParser::name_bad_number(const char* line, std::size_t length) {
  namespace od = simdjson::ondemand;
  od::document document;
  od::object object;
  if (walker_.iterate(line, length, length + simdjson::SIMDJSON_PADDING).get(document) != simdjson::SUCCESS ||
      document.get_object().get(object) != simdjson::SUCCESS)
    return std::nullopt;
  for (auto field_result : object) {
    od::field field;
    std::string_view key;
    if (std::move(field_result).get(field) != simdjson::SUCCESS ||
        field.unescaped_key().get(key) != simdjson::SUCCESS)
      return std::nullopt;
    if (!holds_bad_number(field.value(), 0)) continue;
    const char* expected = expected_of(classify(key));
    if (expected != nullptr) return fmt::format("field \"{}\": expected {}", key, expected);
    return fmt::format("field \"{}\": a number out of range", key);
  }
  return std::nullopt;
}

void RecordParser::parse(dom::element document, std::uint32_t line, ParsedChunk& out) {
  ParsedEntry& entry = out.entries.emplace_back();
  entry.line = line;
  auto malformed = [&](std::string message) {
    entry.status = ParsedEntry::Status::malformed;
    entry.message = out.add_message(std::move(message));
  };

  dom::object object;
  if (document.get_object().get(object) != simdjson::SUCCESS) return malformed("not a JSON object");

  RawRecord r;
  r.attrs_begin = static_cast<std::uint32_t>(out.attrs.size());
  FieldReader reader(out, collect_attrs);
  for (const dom::key_value_pair field : object) {
    const Key key = classify(field.key);
    if (key == Key::unknown) continue;
    if (auto failure = reader.read(key, field.key, field.value, r))
      return malformed(fmt::format("field \"{}\": expected {}", failure->field, failure->expected));
    r.present |= RawRecord::bit(key);
  }
  if (r.attrs_is_count) out.attrs.resize(r.attrs_begin);  // a later `attrs` count replaced an object
  entry.attrs_begin = r.attrs_begin;
  entry.attrs_count = r.attrs_is_count ? 0 : r.attrs_count_seen;

  if (!r.has(Key::event)) return malformed("field \"event\": missing");
  const std::string_view event = r.text(Key::event);
  const Event kind = event_of(event);
  auto require = [&](std::initializer_list<std::pair<Key, const char*>> keys) {
    if (const char* name = missing(r, keys)) {
      malformed(fmt::format("field \"{}\": missing", name));
      return false;
    }
    return true;
  };
  const std::string_view status = r.text(Key::status);
  auto status_ok = [&] {
    if (!r.has(Key::status) || status == "ok" || status == "error") return true;
    malformed(fmt::format("field \"status\": expected \"ok\" or \"error\", got \"{}\"", status));
    return false;
  };

  if (r.attrs_is_count && (kind == Event::span || kind == Event::span_start || kind == Event::span_end ||
                           kind == Event::instant || kind == Event::log || kind == Event::header))
    return malformed("field \"attrs\": expected an object");

  const bool error = status == "error", is_phase = r.text(Key::kind) == "phase";
  if (kind == Event::spans) {
    const std::size_t first = out.entries.size() - 1;
    if (auto problem = parse_spans(object, r, first, out, collect_attrs)) {
      out.entries.resize(first + 1);
      out.attrs.resize(r.attrs_begin);
      ParsedEntry& line_entry = out.entries[first];
      line_entry.record.emplace<std::monostate>();
      line_entry.attrs_begin = r.attrs_begin;
      line_entry.attrs_count = 0;
      line_entry.status = ParsedEntry::Status::malformed;
      line_entry.message = out.add_message(std::move(*problem));
    }
    return;
  }
  if (kind == Event::span) {
    if (!require({{Key::span_id, "span_id"},
                  {Key::name, "name"},
                  {Key::tid, "tid"},
                  {Key::ts, "ts"},
                  {Key::dur_ns, "dur_ns"}}) ||
        !status_ok())
      return;
    entry.record.emplace<SpanRecord>(SpanRecord{r.u(Key::span_id),
                                                r.maybe(Key::parent),
                                                r.text(Key::name),
                                                r.u(Key::tid),
                                                r.u(Key::ts),
                                                r.u(Key::dur_ns),
                                                error,
                                                r.text(Key::message),
                                                is_phase,
                                                r.flag(Key::async),
                                                r.maybe(Key::end_tid),
                                                {},
                                                r.u(Key::stats_ns)});
  } else if (kind == Event::span_start) {
    if (!require({{Key::span_id, "span_id"}, {Key::name, "name"}, {Key::tid, "tid"}, {Key::ts, "ts"}}))
      return;
    entry.record.emplace<SpanStartRecord>(SpanStartRecord{r.u(Key::span_id),
                                                          r.maybe(Key::parent),
                                                          r.text(Key::name),
                                                          r.u(Key::tid),
                                                          r.u(Key::ts),
                                                          is_phase,
                                                          r.flag(Key::async),
                                                          {}});
  } else if (kind == Event::span_end) {
    if (!require({{Key::span_id, "span_id"}, {Key::ts, "ts"}, {Key::dur_ns, "dur_ns"}}) || !status_ok())
      return;
    entry.record.emplace<SpanEndRecord>(SpanEndRecord{r.u(Key::span_id),
                                                      r.maybe(Key::tid),
                                                      r.u(Key::ts),
                                                      r.u(Key::dur_ns),
                                                      error,
                                                      r.text(Key::message),
                                                      {},
                                                      r.u(Key::stats_ns)});
  } else if (kind == Event::span_stats) {
    if (!require({{Key::name, "name"},
                  {Key::tid, "tid"},
                  {Key::ts, "ts"},
                  {Key::count, "count"},
                  {Key::total_ns, "total_ns"},
                  {Key::self_ns, "self_ns"},
                  {Key::buckets, "buckets"}}))
      return;
    if (r.text(Key::name).empty()) return malformed("field \"name\": expected a non-empty string");
    if (r.buckets_count != r.u(Key::count))
      return malformed(fmt::format("field \"buckets\": the counts sum to {}, not to count {}",
                                   r.buckets_count, r.u(Key::count)));
    if (r.u(Key::self_ns) > r.u(Key::total_ns))
      return malformed(
          fmt::format("field \"self_ns\": {} is above total_ns {}", r.u(Key::self_ns), r.u(Key::total_ns)));
    entry.record.emplace<SpanStatsRecord>(SpanStatsRecord{r.text(Key::name), r.u(Key::tid), r.u(Key::ts),
                                                          r.u(Key::count), r.u(Key::total_ns),
                                                          r.u(Key::self_ns), r.buckets});
  } else if (kind == Event::instant) {
    if (!require({{Key::name, "name"}, {Key::tid, "tid"}, {Key::ts, "ts"}})) return;
    entry.record.emplace<InstantRecord>(
        InstantRecord{r.text(Key::name), r.u(Key::tid), r.u(Key::ts), r.maybe(Key::parent), {}});
  } else if (kind == Event::log) {
    if (!require({{Key::level, "level"},
                  {Key::tid, "tid"},
                  {Key::ts, "ts"},
                  {Key::msg, "msg"},
                  {Key::site, "site"}}))
      return;
    const std::optional<LogLevel> level = log_level_named(r.text(Key::level));
    if (!level)
      return malformed(fmt::format(
          "field \"level\": expected \"trace\", \"debug\", \"info\", \"warn\" or \"error\", got \"{}\"",
          r.text(Key::level)));
    entry.record.emplace<LogRecord>(LogRecord{*level,
                                              r.u(Key::tid),
                                              r.u(Key::ts),
                                              r.u(Key::span_id),
                                              r.text(Key::msg),
                                              {},
                                              r.site_file.view(),
                                              r.site_line});
  } else if (kind == Event::counter) {
    if (!require({{Key::name, "name"}, {Key::delta, "delta"}})) return;
    entry.record.emplace<CounterRecord>(
        CounterRecord{r.text(Key::name), r.u(Key::tid), r.u(Key::ts), r.delta, labels_of(r)});
  } else if (kind == Event::gauge) {
    if (!require({{Key::name, "name"}, {Key::value, "value"}})) return;
    const std::optional<double> value = r.optional_double(Key::value);
    entry.record.emplace<GaugeRecord>(GaugeRecord{r.text(Key::name), r.u(Key::tid), r.u(Key::ts), value,
                                                  r.has(Key::min) ? r.optional_double(Key::min) : value,
                                                  r.has(Key::max) ? r.optional_double(Key::max) : value,
                                                  r.u(Key::count, 1), labels_of(r)});
  } else if (kind == Event::histogram) {
    if (!require({{Key::name, "name"},
                  {Key::ts, "ts"},
                  {Key::sum, "sum"},
                  {Key::count, "count"},
                  {Key::buckets, "buckets"}}))
      return;
    if (r.text(Key::name).empty()) return malformed("field \"name\": expected a non-empty string");
    if (r.buckets_count != r.u(Key::count))
      return malformed(fmt::format("field \"buckets\": the counts sum to {}, not to count {}",
                                   r.buckets_count, r.u(Key::count)));
    entry.record.emplace<HistogramRecord>(HistogramRecord{r.text(Key::name), r.maybe(Key::tid), r.u(Key::ts),
                                                          r.u(Key::sum), r.u(Key::count), r.buckets,
                                                          labels_of(r)});
  } else if (kind == Event::metric_info) {
    if (!require({{Key::name, "name"}})) return;
    if (r.text(Key::name).empty()) return malformed("field \"name\": expected a non-empty string");
    entry.record.emplace<MetricInfoRecord>(
        MetricInfoRecord{r.text(Key::name), r.u(Key::ts), r.text(Key::unit), r.text(Key::description)});
  } else if (kind == Event::phase) {
    if (!require({{Key::name, "name"}, {Key::ts, "ts"}})) return;
    if (!r.has(Key::wall_ns) && !r.has(Key::end_ts)) return malformed("field \"wall_ns\": missing");
    const std::uint64_t ts = r.u(Key::ts), wall_ns = r.u(Key::wall_ns);
    const std::uint64_t end_ts = r.has(Key::end_ts) ? r.u(Key::end_ts) : ts + wall_ns;
    const std::uint64_t wall = r.has(Key::wall_ns) ? wall_ns : (end_ts >= ts ? end_ts - ts : 0);
    entry.record.emplace<PhaseRecord>(
        PhaseRecord{r.text(Key::name), r.maybe(Key::span_id), ts, end_ts, wall});
  } else if (kind == Event::dropped) {
    if (r.has(Key::attrs) && !r.attrs_is_count)
      return malformed("field \"attrs\": expected an unsigned integer");
    if (r.has(Key::metrics) && r.metrics_is_object)
      return malformed("field \"metrics\": expected an unsigned integer");
    entry.record.emplace<DroppedRecord>(DroppedRecord{
        r.u(Key::tid),
        r.u(Key::ts),
        {r.u(Key::spans), r.u(Key::events), r.u(Key::metrics), r.u(Key::attrs), r.u(Key::async_ends)},
        r.text(Key::reason),
        r.has(Key::span_names) ? r.span_names : NamedCounts(),
        r.has(Key::event_names) ? r.event_names : NamedCounts()});
  } else if (kind == Event::ring_grown) {
    if (!require({{Key::tid, "tid"}, {Key::bytes, "bytes"}})) return;
    entry.record.emplace<RingGrownRecord>(RingGrownRecord{r.u(Key::tid), r.u(Key::ts), r.u(Key::bytes)});
  } else if (kind == Event::footer) {
    entry.record.emplace<FooterRecord>(FooterRecord{
        r.u(Key::ts), r.u(Key::wall_ns), r.u(Key::records), r.u(Key::spans), r.u(Key::events),
        r.u(Key::sampled_out), r.u(Key::open_spans), r.u(Key::unwritten_records), r.u(Key::rings_grown),
        r.u(Key::largest_ring), r.has(Key::dropped) ? r.footer_dropped : DroppedCounts{},
        r.text(Key::stopped_by), r.u(Key::stats_spans), r.u(Key::logs), r.u(Key::metric_overflow)});
  } else if (kind == Event::crash) {
    if (!require({{Key::signal, "signal"}})) return;
    entry.record.emplace<CrashRecord>(
        CrashRecord{r.u(Key::signal), r.text(Key::name), r.text(Key::reason), r.u(Key::tid), r.u(Key::ts)});
  } else if (kind == Event::thread) {
    if (!require({{Key::tid, "tid"}})) return;
    entry.record.emplace<ThreadRecord>(
        ThreadRecord{r.u(Key::tid), r.has(Key::name) ? std::optional(r.text(Key::name)) : std::nullopt,
                     r.u(Key::ts), r.flag(Key::exited)});
  } else if (kind == Event::header) {
    if (!require({{Key::schema, "schema"}})) return;
    if (r.u(Key::schema) > kSupportedSchema) {
      entry.status = ParsedEntry::Status::schema_too_new;
      entry.message = out.add_message(fmt::format(
          "schema {} is newer than this spanlog understands (schema {}); upgrade spanlog to read it",
          r.u(Key::schema), kSupportedSchema));
      return;
    }
    std::span<const MetricInfoRecord> metric_infos;
    if (r.has(Key::metrics)) {
      if (!r.metrics_is_object) return malformed("field \"metrics\": expected an object");
      if (auto failure = read_metric_infos(r.metrics_object, out, metric_infos))
        return malformed(fmt::format("field \"{}\": expected {}", failure->field, failure->expected));
    }
    entry.record.emplace<HeaderRecord>(
        HeaderRecord{r.u(Key::schema),
                     r.u(Key::schema_minor),
                     r.text(Key::version),
                     r.text(Key::run_id),
                     r.text(Key::process),
                     r.text(Key::host),
                     r.has(Key::clock) ? r.clock_source.view() : std::string_view(),
                     r.u(Key::pid),
                     r.u(Key::start_ts),
                     r.has(Key::options) ? r.flush_interval_ms : std::nullopt,
                     {},
                     r.has(Key::overhead)
                         ? std::optional(InstrumentationOverhead{r.overhead[0], r.overhead[1], r.overhead[2],
                                                                 r.overhead[3], r.overhead[4], r.overhead[5]})
                         : std::nullopt,
                     r.has(Key::options) ? r.ring_bytes : std::nullopt,
                     r.has(Key::options) ? r.ring_max_bytes : std::nullopt,
                     metric_infos});
  } else {
    // Any other kind is newer than this reader: a record, ignored on purpose (docs/format.md, "Conventions").
    entry.status = ParsedEntry::Status::ignored;
  }
}

}  // namespace spanlog::reader
