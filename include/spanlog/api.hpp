// The macro-free API: the run's lifecycle, scoped spans, phases, async spans, events, counters, gauges and
// thread names. The SPANLOG_ macros expand to these; code that prefers objects to macros uses them directly.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "config.hpp"
#include "detail/log_recorder.hpp"
#include "detail/metric_recorder.hpp"
#include "detail/recorder.hpp"
#include "detail/slow_paths.hpp"
#include "detail/stats_recorder.hpp"

SPANLOG_BEGIN_NAMESPACE

// Names a span so that work on another thread can be its child.
struct SpanContext {
  std::uint64_t span_id = 0;
  explicit operator bool() const { return span_id != 0; }
};

namespace detail {
struct SiteToken {};  // selects the constructors the macros use

template <std::size_t N, class... A>
SPANLOG_ALWAYS_INLINE void macro_event(const Site& s, const char (&)[N], const A&... attrs) {
  static_assert(attrs_valid<A...>());
  event(s, attrs...);
}
}  // namespace detail

// A span over the enclosing scope. Keys of attributes are string literals; values are integers, floating
// point, bool or strings (copied, up to SPANLOG_MAX_STRING_BYTES). Ends on the thread that began it.
class ScopedSpan {
 public:
  // From a macro: per-site static metadata (the name is already in it). Always inlined, as the hot path is
  // only as cheap as its call site lets it be: left to itself, the compiler may call it once it grows.
  template <std::size_t N, class... A>
  SPANLOG_ALWAYS_INLINE ScopedSpan(detail::SiteToken, const detail::Site& s, const char (&)[N],
                                   const A&... attrs) {
    static_assert(detail::attrs_valid<A...>());
    if ((buffer_ = detail::buffer_for<detail::flag_spans>())) {
      if constexpr (sizeof...(A) == 0) {
        previous_ = buffer_->current_span;
        uncaught_ = *buffer_->uncaught_exceptions;
        seq_ = detail::span_begin(*buffer_, s);
        buffer_->current_span = seq_;
      } else {
        seq_ = detail::span_begin_with(*buffer_, &s, 0, nullptr, 0, attrs...);
        enter();
      }
    } else {
      enter_unrecorded();
    }
  }
  SPANLOG_ALWAYS_INLINE ScopedSpan(detail::SiteToken, const detail::Site& s) {
    if ((buffer_ = detail::buffer_for<detail::flag_spans>())) {
      previous_ = buffer_->current_span;
      uncaught_ = *buffer_->uncaught_exceptions;
      seq_ = detail::span_begin(*buffer_, s);
      buffer_->current_span = seq_;
    } else {
      enter_unrecorded();
    }
  }
  // From a macro, with a parent that may be on another thread.
  template <std::size_t N, class... A>
  ScopedSpan(detail::SiteToken, const detail::Site& s, SpanContext parent, const char (&)[N],
             const A&... attrs) {
    static_assert(detail::attrs_valid<A...>());
    if ((buffer_ = detail::buffer_for<detail::flag_spans>())) {
      seq_ = detail::span_begin_with(*buffer_, &s, parent.span_id, nullptr, 0, attrs...);
      enter();
    } else {
      enter_unrecorded();
    }
  }

  // Macro-free: a literal name.
  template <std::size_t N, class... A>
  explicit ScopedSpan(const char (&name)[N], const A&... attrs) : ScopedSpan(SpanContext{}, name, attrs...) {}
  template <std::size_t N, class... A>
  ScopedSpan(SpanContext parent, const char (&name)[N], const A&... attrs) {
    static_assert(detail::attrs_valid<A...>());
    begin_named(parent.span_id, name, 0, attrs...);
  }

  ScopedSpan(const ScopedSpan&) = delete;
  ScopedSpan& operator=(const ScopedSpan&) = delete;

  // A span that an exception unwinds ends with status error: the thread has more exceptions in flight than
  // when the span began (a span begun while one was unwinding, in a destructor, is not blamed for it).
  SPANLOG_ALWAYS_INLINE ~ScopedSpan() {
    if (!buffer_) return;
    if (seq_) {
      if (SPANLOG_UNLIKELY(*buffer_->uncaught_exceptions > uncaught_)) detail::span_unwound(*buffer_, seq_);
      detail::span_end(*buffer_);
    }
    buffer_->current_span = previous_;
  }

  // Attributes known only while the span runs (tokens used, bytes written); written with its end.
  template <class... A>
  void set(const A&... attrs) {
    static_assert(detail::attrs_valid<A...>());
    if (seq_) detail::span_update(id(), detail::ExtendedOp::span_attrs, attrs...);
  }
  void set_error(std::string_view message = {}) {
    if (!seq_) return;
    if (message.empty()) {
      detail::span_update(id(), detail::ExtendedOp::span_error);
    } else {
      detail::span_update(id(), detail::ExtendedOp::span_error, "message", message);
    }
  }

  SpanContext context() const { return SpanContext{id()}; }
  bool recorded() const { return seq_ != 0; }

 protected:
  ScopedSpan() = default;

  template <std::size_t N, class... A>
  void begin_named(std::uint64_t parent, const char (&name)[N], std::uint16_t flags, const A&... attrs) {
    if ((buffer_ = detail::buffer_for<detail::flag_spans>())) {
      seq_ = detail::span_begin_with(*buffer_, nullptr, parent, name, flags, attrs...);
      enter();
    } else {
      enter_unrecorded();
    }
  }
  void enter() {
    previous_ = buffer_->current_span;
    uncaught_ = *buffer_->uncaught_exceptions;
    buffer_->current_span = seq_;
  }
  // Not recorded (sampled out, dropped, off): attributes set meanwhile must not reach the parent.
  void enter_unrecorded() {
    seq_ = 0;
    uncaught_ = 0;
    previous_ = 0;
    if ((buffer_ = detail::tl_buffer)) {
      previous_ = buffer_->current_span;
      buffer_->current_span = 0;
    }
  }

  // Every constructor sets buffer_ and seq_, previous_ when buffer_ is set, and uncaught_ when seq_ is: no
  // member has a default, so the hot path stores each once.
  detail::ThreadBuffer* buffer_;
  // The span's number on its thread, 0 when not recorded: the hot path keeps the number, and the id
  // (id_base | number) is made only when asked for.
  std::uint64_t seq_;

 private:
  std::uint64_t id() const { return seq_ ? buffer_->span_id(seq_) : 0; }

  std::uint64_t previous_;
  unsigned int uncaught_;  // the thread's exceptions in flight when the span began
};

// A named stage of the whole run ("discovery", "analysis"): a span that summaries report as a phase. Its
// begin and end are announced to the flusher before their timestamps are read (detail::announce_phase_mark),
// so that run_summary.json counts exactly the spans of every thread that started inside it.
class Phase : public ScopedSpan {
 public:
  template <std::size_t N>
  explicit Phase(const char (&name)[N]) {
    if ((buffer_ = detail::buffer_for<detail::flag_spans>())) {
      detail::announce_phase_mark(*buffer_);
      seq_ = detail::span_begin_with(*buffer_, nullptr, 0, name, detail::ext_flag_phase);
      settle_begin();
    } else {
      enter_unrecorded();
    }
  }
  // From SPANLOG_PHASE: the site names it.
  template <std::size_t N>
  Phase(detail::SiteToken, const detail::Site& s, const char (&)[N]) {
    if ((buffer_ = detail::buffer_for<detail::flag_spans>())) {
      detail::announce_phase_mark(*buffer_);
      seq_ = detail::span_begin(*buffer_, s);
      settle_begin();
    } else {
      enter_unrecorded();
    }
  }
  Phase(const Phase&) = delete;
  Phase& operator=(const Phase&) = delete;
  // Before the span's own end reads the clock.
  ~Phase() {
    if (recorded()) detail::announce_phase_mark(*buffer_);
  }

 private:
  void settle_begin() {
    if (!seq_) detail::withdraw_phase_mark(*buffer_);  // dropped: no mark will reach the flusher
    enter();
  }
};

// The innermost span open on this thread, to hand to work on other threads as their parent.
inline SpanContext current_span() {
  const detail::ThreadBuffer* b = detail::tl_buffer;
  return SpanContext{b ? b->span_id(b->current_span) : 0};
}

// Attributes on the innermost open span of this thread.
template <class... A>
void set_span_attrs(const A&... attrs) {
  static_assert(detail::attrs_valid<A...>());
  if (const detail::ThreadBuffer* b = detail::tl_buffer)
    detail::span_update(b->span_id(b->current_span), detail::ExtendedOp::span_attrs, attrs...);
}
inline void set_span_error(std::string_view message = {}) {
  const detail::ThreadBuffer* b = detail::tl_buffer;
  if (!b) return;
  if (message.empty()) {
    detail::span_update(b->span_id(b->current_span), detail::ExtendedOp::span_error);
  } else {
    detail::span_update(b->span_id(b->current_span), detail::ExtendedOp::span_error, "message", message);
  }
}

namespace detail {
inline void record_exception_on_current_span(const std::exception* e) {
  const ThreadBuffer* b = tl_buffer;
  if (!b || !b->current_span || !(g_flags.load(std::memory_order_relaxed) & flag_running)) return;
  char message[384];
  slow::describe_exception(e, message, sizeof message);
  span_update(b->span_id(b->current_span), ExtendedOp::span_error, "message", std::string_view(message));
}
}  // namespace detail

// In a catch block: marks the innermost open span of this thread as failed by `e`, status error and message
// "exception std::runtime_error: disk full". A span the exception then unwinds keeps that message.
inline void record_exception(const std::exception& e) {
  detail::record_exception_on_current_span(&e);
}
// The same for the exception being handled, of any type (in `catch (...)`).
inline void record_current_exception() {
  detail::record_exception_on_current_span(nullptr);
}

// A span that begins here and ends by the same id on any thread (a request handed between threads).
// The id is the caller's, unique among the async spans open at once.
template <std::size_t N, class... A>
void async_begin(const char (&name)[N], std::uint64_t id, const A&... attrs) {
  static_assert(detail::attrs_valid<A...>());
  if (detail::ThreadBuffer* b = detail::buffer_for<detail::flag_spans>()) {
    if (detail::write_extended(*b, nullptr, detail::ExtendedOp::async_begin, id,
                               reinterpret_cast<std::uintptr_t>(name), 0, detail::ticks(), false, attrs...))
      ++b->span_seq;
    else
      detail::count_dropped_span(*b, nullptr, name);
  }
}
template <class... A>
void async_end(std::uint64_t id, const A&... attrs) {
  static_assert(detail::attrs_valid<A...>());
  // Not subject to sampling: the begin's thread decided that already.
  if (detail::ThreadBuffer* b = detail::buffer_for<detail::flag_running | detail::flag_spans>()) {
    if (!detail::write_extended(*b, nullptr, detail::ExtendedOp::async_end, id, 0, 0, detail::ticks(), false,
                                attrs...))
      detail::ThreadBuffer::count(b->dropped_async_ends);
  }
}

// An instant event with a literal name.
template <std::size_t N, class... A>
void event(const char (&name)[N], const A&... attrs) {
  static_assert(detail::attrs_valid<A...>());
  if (detail::ThreadBuffer* b = detail::buffer_for<detail::flag_events>()) {
    if (!detail::write_extended(*b, nullptr, detail::ExtendedOp::instant, 0,
                                reinterpret_cast<std::uintptr_t>(name), 0, detail::ticks(), false, attrs...))
      detail::count_dropped_event(*b, nullptr, name);
  }
}

// A statistics-mode span site with static storage, for StatsSpan: `static spanlog::StatsSite
// parse("parse");`
class StatsSite {
 public:
  template <std::size_t N>
  constexpr explicit StatsSite(const char (&name)[N]) : site_{name, "", "", 0, detail::SiteKind::span} {}

 private:
  friend class StatsSpan;
  detail::Site site_;
  mutable detail::StatsSlot slot_;
};

// A span over the enclosing scope, kept as statistics only (SPANLOG_SPAN_STATS): its thread's histogram for
// the site counts it, with its duration and self time; no line of its own, no attributes, never dropped
// (detail/span_stats.hpp). Ends on the thread that began it.
class StatsSpan {
 public:
  SPANLOG_ALWAYS_INLINE StatsSpan(detail::SiteToken, const detail::Site& s, detail::StatsSlot& slot) {
    begin(s, slot);
  }
  SPANLOG_ALWAYS_INLINE explicit StatsSpan(const StatsSite& site) { begin(site.site_, site.slot_); }
  StatsSpan(const StatsSpan&) = delete;
  StatsSpan& operator=(const StatsSpan&) = delete;
  SPANLOG_ALWAYS_INLINE ~StatsSpan() {
    if (cell_) detail::stats_span_end(*buffer_, *cell_, start_, saved_);
  }
  bool recorded() const { return cell_ != nullptr; }

 private:
  SPANLOG_ALWAYS_INLINE void begin(const detail::Site& s, detail::StatsSlot& slot) {
    if ((buffer_ = detail::stats_buffer()) && (cell_ = detail::stats_cell_of(*buffer_, s, slot))) {
      start_ = detail::stats_span_begin(*buffer_, saved_);
    } else {
      // Set on this path only (the compiler cannot tell that the end reads them only when recorded).
      cell_ = nullptr;
      start_ = 0;
      saved_ = {};
    }
  }

  detail::ThreadBuffer* buffer_;
  detail::StatsCell* cell_;
  std::uint64_t start_;
  detail::StatsFrame saved_;
};

// A monotonic counter with static storage: `static spanlog::Counter bytes("bytes.parsed"); bytes.add(n);`,
// or with labels: `tokens.add(n, "model", model)` (a ring record; without labels the add is in place).
class Counter {
 public:
  template <std::size_t N>
  constexpr explicit Counter(const char (&name)[N]) : site_{name, "", "", 0, detail::SiteKind::counter_int} {}
  template <class T, class... L>
  void add(T delta, const L&... labels) const {
    static_assert(std::is_integral_v<T>,
                  "spanlog::Counter takes integers; SPANLOG_COUNTER_ADD takes doubles too");
    detail::counter_add(site_, slot_, delta, labels...);
  }

 private:
  detail::Site site_;
  mutable detail::CounterSlot slot_;
};

// A gauge with static storage: `static spanlog::Gauge depth("queue.depth"); depth.set(q.size());`, or with
// labels: `depth.set(n, "queue", name)`.
class Gauge {
 public:
  template <std::size_t N>
  constexpr explicit Gauge(const char (&name)[N]) : site_{name, "", "", 0, detail::SiteKind::gauge} {}
  template <class T, class... L>
  void set(T value, const L&... labels) const {
    detail::gauge_set(site_, value, labels...);
  }

 private:
  detail::Site site_;
};

// A histogram of non-negative integers with static storage: `static spanlog::Histogram
// bytes("request.bytes"); bytes.record(n);` (kept per thread in place), or with labels: `bytes.record(n,
// "route", route)`.
class Histogram {
 public:
  template <std::size_t N>
  constexpr explicit Histogram(const char (&name)[N]) : site_{name, "", "", 0, detail::SiteKind::histogram} {}
  template <class T, class... L>
  void record(T value, const L&... labels) const {
    detail::histogram_record(site_, slot_, value, labels...);
  }

 private:
  detail::Site site_;
  mutable detail::StatsSlot slot_;
};

// A metric's unit and description, declared where an object can stand (at namespace scope too):
// `static const spanlog::MetricInfo tokens_info("llm.tokens", "{token}", "Tokens used by LLM calls");`
class MetricInfo {
 public:
  template <std::size_t N>
  MetricInfo(const char (&name)[N], std::string_view unit, std::string_view description) {
    detail::slow::declare_metric_info(name, unit, description);
  }
};

// Names the calling thread in the output (and in every later run of this process).
inline void set_thread_name(std::string_view name) {
  if (detail::ThreadBuffer* b = detail::buffer_for<detail::flag_running>()) {
    if (!detail::write_extended(*b, nullptr, detail::ExtendedOp::thread_name, 0, 0, 0, detail::ticks(), false,
                                "name", name))
      detail::ThreadBuffer::count(b->dropped_events);
  }
}

// Starts a run with options from the environment, or with these (<spanlog/options.hpp>); SPANLOG=off in the
// environment still wins. Returns false when a run is already active: stop it first. Without a call, the
// first record starts a run with options from the environment.
inline bool start() {
  return detail::slow::start(nullptr);
}
inline bool start(const Options& opts) {
  return detail::slow::start(&opts);
}

// Returns once every record published before the call is in the file.
inline void flush() {
  detail::slow::flush();
}

// Drains everything, writes the footer and run_summary.json. Idempotent; a later start() begins a new run,
// and until then nothing is recorded.
inline void stop() {
  detail::slow::stop();
}

// The active run's directory, or the last one's; empty before the first run or when it could not be made.
inline std::string run_directory() {
  return detail::slow::run_directory();
}

inline bool running() {
  return (detail::g_flags.load(std::memory_order_relaxed) & detail::flag_running) != 0;
}

SPANLOG_END_NAMESPACE
