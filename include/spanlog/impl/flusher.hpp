// The background flusher: drains every thread's ring (ring_decoder.hpp), turns records into JSON Lines and
// writes them in batches; the live OTLP file (otlp_live_writer.hpp), run_summary.json (run_summary.hpp) and
// the crash dump (crash_dump.hpp) are its other outputs. It is the only part of spanlog that formats (with
// fmt) or touches the file; it never blocks a recording thread, which only ever waits for it under the
// `block` overflow policy.
#pragma once
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <concurrentqueue/concurrentqueue.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "../config.hpp"
#include "../detail/clock.hpp"
#include "../detail/record.hpp"
#include "../detail/thread_buffer.hpp"
#include "../options.hpp"
#include "clock_calibration.hpp"
#include "counter_sites.hpp"
#include "crash_points.hpp"
#include "crash_state.hpp"
#include "jsonl_writer.hpp"
#include "labelled_series.hpp"
#include "log_console.hpp"
#include "log_message.hpp"
#include "metric_info_registry.hpp"
#include "name_patterns.hpp"
#include "otlp_live_writer.hpp"
#include "process_vitals.hpp"
#include "recorder_overhead.hpp"
#include "ring_decoder.hpp"
#include "ring_wait.hpp"
#include "runtime_constants.hpp"
#include "signal_safe_writer.hpp"
#include "span_rows.hpp"
#include "stats_growth.hpp"
#include "stats_sites.hpp"

SPANLOG_BEGIN_NAMESPACE
namespace detail {

// What a run totals, for the footer and run_summary.json.
struct RunTotals {
  std::uint64_t records = 0;
  std::uint64_t spans = 0;
  std::uint64_t events = 0;
  std::uint64_t logs = 0;
  std::uint64_t dropped_spans = 0, dropped_events = 0, dropped_metrics = 0, dropped_attrs = 0,
                dropped_async_ends = 0;
  std::uint64_t sampled_out = 0;
  std::uint64_t strings_cut = 0;        // string attributes cut at SPANLOG_MAX_STRING_BYTES (kept, shortened)
  std::uint64_t unwritten_records = 0;  // formatted but lost to a write error
  std::uint64_t orphan_ends = 0;        // ends of spans begun before this run started
  std::uint64_t rings_grown = 0;        // doublings of rings whose threads outran the flusher
  std::uint64_t largest_ring = 0;       // bytes of the largest ring grown to (0: none grew)
  std::uint64_t stats_spans = 0;        // spans kept as statistics (span_stats lines)
};

struct PhaseInfo {
  std::string name;
  std::uint64_t span_id;
  std::uint64_t begin_ticks;
  std::uint64_t end_ticks = 0;  // 0 while open
  std::uint64_t spans = 0;
};

struct ThreadSummary {
  std::uint64_t tid;
  std::string name;
  std::uint64_t spans = 0;
};

// How recording threads and lifecycle calls reach the flusher; it outlives every run, so a thread that
// wakes the flusher while a run stops never touches a destroyed object.
struct WakeSignal {
  std::mutex mutex;
  std::condition_variable cv;
  bool pending = false;
};

class Flusher {
 public:
  struct SharedQueues {
    moodycamel::ConcurrentQueue<ThreadBuffer*>* new_buffers;
    moodycamel::ConcurrentQueue<ThreadBuffer*>* free_buffers;
    std::atomic<std::int64_t>* exited_not_retired;
  };

  // The run's files come later (run_directory_made, files_opened): from here on a crash writes the run.
  Flusher(Options opts, std::string run_id, SharedQueues queues, WakeSignal& signal,
          std::vector<ThreadBuffer*> carried_buffers)
      : opts_(std::move(opts)),
        base_run_id_(std::move(run_id)),
        run_id_(base_run_id_),
        queues_(queues),
        mutex_(signal.mutex),
        cv_(signal.cv),
        wake_pending_(signal.pending),
        pid_(::getpid()),
        process_name_(process_name()),
        host_(host_name()),
        stats_names_(opts_.stats_names) {
    calibration_.start();
    opts_.vitals = opts_.vitals && opts_.metrics;  // metrics off: no metric line at all
    metric_infos_written_ = g_metric_info.declared();
    header_tail_ = formatted_header_tail();
    for (ThreadBuffer* b : carried_buffers) adopt(b, true);
  }
  Flusher(const Flusher&) = delete;
  Flusher& operator=(const Flusher&) = delete;
  ~Flusher() {
    if (fd_ >= 0) ::close(fd_);
  }

  // Statistics spans bucket their durations with the clock's rate: the run records once it is known (2 ms
  // into a process's first run, at once in later ones). Bounded, for a flusher held by a crash.
  void wait_for_clock_rate() const {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::milliseconds(clock_rate_wait_ms);
    while (!clock_rate_published_.load(std::memory_order_acquire) &&
           std::chrono::steady_clock::now() < give_up)
      std::this_thread::yield();
  }
  // The thread that starts the run says where it is written as it gets there. Until the file is open, a crash
  // handler makes the directory and the file itself (crash_dump.hpp).
  void run_directory_made(const std::string& run_dir, const std::string& run_id) {
    run_dir_ = run_dir;
    run_id_ = run_id;
    output_stage_.store(stage_directory, std::memory_order_release);
  }
  void files_opened(int fd, int otlp_fd) {
    fd_ = fd;
    otlp_.open(otlp_fd, run_id_, service_name(), opts_.attrs);
    output_stage_.store(stage_file, std::memory_order_release);
  }

  // The thread is named (as top, gdb and perf show it) before launch returns. It takes no asynchronous
  // signal: a SIGTERM or SIGINT sent to the process goes to the program's threads, and a program that waits
  // for signals with sigwait() (blocked in all its threads) keeps getting them.
  void launch() {
    sigset_t all_but_faults, before;
    ::sigfillset(&all_but_faults);
    for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS})
      ::sigdelset(&all_but_faults, sig);
    ::pthread_sigmask(SIG_BLOCK, &all_but_faults, &before);
    thread_ = std::thread([this] { run(); });
    ::pthread_sigmask(SIG_SETMASK, &before, nullptr);
    ::pthread_setname_np(thread_.native_handle(), "spanlog-flusher");
  }

  // From the starting thread, once the hot path records (recorder_overhead.hpp).
  void take_overhead(const RecorderOverhead& o) {
    overhead_ = o;
    overhead_taken_.store(true, std::memory_order_release);
  }

  // Returns once everything published before the call is written.
  void flush() {
    std::unique_lock<std::mutex> lock(mutex_);
    const std::uint64_t ticket = ++flush_requested_;
    cv_.notify_all();
    done_cv_.wait(lock, [&] { return flush_done_ >= ticket || finished_; });
  }

  // An image (a plugin) is being unloaded: everything published before the call is written, as flush() does,
  // and then no name the flusher keeps points into [begin, end), which is about to be unmapped.
  void forget_image(std::uintptr_t begin, std::uintptr_t end) {
    std::unique_lock<std::mutex> lock(mutex_);
    const std::uint64_t ticket = ++flush_requested_;
    forget_requests_.push_back(ForgetRequest{begin, end, ticket});
    cv_.notify_all();
    done_cv_.wait(lock, [&] { return flush_done_ >= ticket || finished_; });
  }

  // Drains everything, writes the footer and run_summary.json, and joins. Returns the buffers still owned
  // by live threads, for the next run. `stopped_by` names what ended the process (a signal, quick_exit), if
  // anything did: the footer says so.
  std::vector<ThreadBuffer*> stop(const char* stopped_by = nullptr) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_requested_ = true;
      stopped_by_ = stopped_by;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    std::vector<ThreadBuffer*> live;
    for (auto& st : states_) live.push_back(st.buf);
    return live;
  }

  const RunTotals& totals() const { return totals_; }

 private:
  // A thread's spans of one name chosen as statistics: the flusher keeps the histogram the recording thread
  // keeps for SPANLOG_SPAN_STATS, and writes it the same way.
  struct ChosenStats {
    const std::string* name;  // quoted, owned by the name cache
    StatsCell cell;
  };

  struct OpenSpan {
    std::uint64_t id = 0;
    std::uint64_t parent = 0;
    std::uint64_t start_ticks = 0;
    const std::string* name = nullptr;       // escaped and quoted, owned by the name cache
    const std::byte* start_attrs = nullptr;  // in the ring: valid until the batch ends
    std::uint8_t start_attr_count = 0;
    bool start_written = false;
    bool is_phase = false;
    bool error = false;
    std::uint64_t stats_ticks = 0;  // what its direct statistics children took (extended_op::stats_children)
    // Kept as statistics by its name (options::stats_names): added to `chosen` at its end, never written.
    ChosenStats* chosen = nullptr;
    std::uint64_t child_ticks = 0;        // its direct children's time, for a chosen span's self time
    std::uint64_t kept_inside_ticks = 0;  // written spans within a chosen span, its kept ancestor's children
    std::string end_attrs;                // "k":v members set while open
    std::string otlp_attrs;  // the same and the start's as OTLP attributes, when the OTLP file is written
    std::string message;
    void reset() {
      start_attrs = nullptr;
      start_attr_count = 0;
      start_written = is_phase = error = false;
      stats_ticks = child_ticks = kept_inside_ticks = 0;
      chosen = nullptr;
      end_attrs.clear();
      otlp_attrs.clear();
      message.clear();
    }
  };

  struct MetricAcc {
    const Site* s;
    bool is_float = false;
    bool dirty = false;
    std::int64_t int_sum = 0;
    double float_sum = 0;
    double last = 0, min = 0, max = 0;
    std::uint64_t sets = 0;
  };

  struct BufferState {
    ThreadBuffer* buf;
    std::vector<OpenSpan> stack;
    std::unordered_map<const void*, std::unique_ptr<ChosenStats>> chosen_stats_by_name;
    std::size_t depth = 0;
    std::vector<MetricAcc> metrics;
    std::size_t thread_index = 0;  // into threads_
    std::uint64_t reported_spans = 0, reported_events = 0, reported_metrics = 0, reported_attrs = 0,
                  reported_async_ends = 0, reported_sampled = 0, reported_cut = 0;
    std::uint64_t phase_marks_drained = 0;  // in step with ThreadBuffer::phase_marks once drained
    double peak_fill = 0;                   // the ring's, over the drains since the last vitals
    // Rings this thread grew out of: freed once the batch that passed their link is written, as open spans
    // point into them until then.
    std::vector<std::byte*> rings_left;
    // ThreadBuffer::dropped_names as last reported
    std::uint64_t reported_name_spans[ThreadBuffer::dropped_names_per_ring] = {};
    std::uint64_t reported_name_events[ThreadBuffer::dropped_names_per_ring] = {};
  };

  struct AsyncOpen {
    OpenSpan span;
    std::uint64_t tid;
  };
  struct AsyncPendingEnd {
    std::uint64_t end_ticks;
    std::uint64_t tid;
    std::string attrs;
  };

  // ---- names: escaped once per call site (or per name pointer) ----
  struct NameCacheSlot {
    const void* key = nullptr;
    const std::string* value = nullptr;
  };

  // The hit is inline and a few instructions (the flusher asks once per span and once per attribute). The
  // fast table is open-addressed (a multiplicative hash, then the next slots), so two names never evict
  // each other; past half full, names beyond go to the map alone.
  SPANLOG_ALWAYS_INLINE const std::string* quoted_name(const void* key, const char* name) {
    static_assert(name_cache_fast_slots == 512, "the slot is the hash's top 9 bits");
    const auto hash =
        static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(key)) * 0x9e3779b97f4a7c15ull;
    const auto first = static_cast<std::size_t>(hash >> (64 - 9));
    if (SPANLOG_LIKELY(name_cache_fast_[first].key == key)) return name_cache_fast_[first].value;
    return quoted_name_probing(first, key, name);
  }

  SPANLOG_NOINLINE const std::string* quoted_name_probing(std::size_t slot, const void* key,
                                                          const char* name) {
    for (;;) {
      if (name_cache_fast_[slot].key == key) return name_cache_fast_[slot].value;
      if (!name_cache_fast_[slot].key) break;
      slot = (slot + 1) & (name_cache_fast_slots - 1);
    }
    auto it = name_cache_.find(key);
    if (it == name_cache_.end()) {
      std::string q = "\"";
      fmt::memory_buffer tmp;
      JsonlWriter::escape_into(tmp, name ? std::string_view(name) : std::string_view("(null)"));
      q.append(tmp.data(), tmp.size());
      q += '"';
      it = name_cache_.emplace(key, std::move(q)).first;
    }
    if (name_cache_fast_used_ < name_cache_fast_slots / 2) {
      name_cache_fast_[slot] = NameCacheSlot{key, &it->second};
      ++name_cache_fast_used_;
    }
    return &it->second;
  }

  // ---- buffers ----
  // A new thread's counts start at zero (attach resets a reused ring's); a ring carried over from the
  // previous run has counts that run reported already.
  void adopt(ThreadBuffer* b, bool carried) {
    BufferState st;
    st.buf = b;
    if (carried) {
      skip_records_from_between_runs(*b);
      st.reported_spans = b->dropped_spans.load(std::memory_order_relaxed);
      st.reported_events = b->dropped_events.load(std::memory_order_relaxed);
      st.reported_metrics = b->dropped_metrics.load(std::memory_order_relaxed);
      st.reported_attrs = b->dropped_attrs.load(std::memory_order_relaxed);
      st.reported_async_ends = b->dropped_async_ends.load(std::memory_order_relaxed);
      st.reported_sampled = b->sampled_out.load(std::memory_order_relaxed);
      st.reported_cut = b->strings_cut.load(std::memory_order_relaxed);
      // Marks of the skipped records (a phase's end cannot be told from a span's there) belong to no run.
      st.phase_marks_drained = b->phase_marks.load(std::memory_order_acquire);
      for (std::size_t i = 0; i < ThreadBuffer::dropped_names_per_ring; ++i) {
        st.reported_name_spans[i] = b->dropped_names[i].spans.load(std::memory_order_relaxed);
        st.reported_name_events[i] = b->dropped_names[i].events.load(std::memory_order_relaxed);
      }
    }
    if (carried) {
      const LostBetweenRuns lost = take_stats_between_runs(*b);
      between_runs_.dropped_spans += lost.spans;
      between_runs_.dropped_metrics += lost.values;
    }
    if (clock_rate_published_.load(std::memory_order_relaxed))
      b->stats_ns_per_tick.store(stats_rate_of(calibration_.current_ns_per_tick()),
                                 std::memory_order_relaxed);
    st.thread_index = threads_.size();
    threads_.push_back(ThreadSummary{b->tid, b->initial_name, 0});
    states_.push_back(std::move(st));
    if (header_written_) write_thread_record(states_.back(), b->initial_name, false);
  }

  // Records a thread wrote while no run was active (it passed the on-check just before the last stop):
  // they belong to no run, so they are skipped here and reported as dropped, reason "between_runs".
  void skip_records_from_between_runs(ThreadBuffer& b) {
    std::uint64_t pos = b.consumed.load(std::memory_order_relaxed);
    const std::uint64_t end = b.published.load(std::memory_order_acquire);
    while (pos < end) {
      const RingRecord r = read_record(b, pos);
      if (r.tag == tag_instant || r.is_extended(ExtendedOp::instant) || r.is_extended(ExtendedOp::log))
        ++between_runs_.dropped_events;
      if (r.tag == tag_counter || r.tag == tag_gauge || r.is_extended(ExtendedOp::metric))
        ++between_runs_.dropped_metrics;
      if (r.is_extended(ExtendedOp::thread_name) && r.ext.attr_count) keep_thread_name(b, r.attrs);
      if (r.begins_span()) {
        ++between_runs_.dropped_spans;
        ++b.drained_span_seq;  // the recording thread counted it: ids stay in step
      }
      if (r.tag == tag_ring_link) ::operator delete(follow_ring_link(b, r), std::align_val_t(cache_line));
      pos += r.size;
    }
    hand_back(b, end);
    take_counter_growth(b, [this](const Site*, std::uint64_t) { ++between_runs_.dropped_metrics; });
  }

  // Once a ring is registered only the flusher writes initial_name: later runs announce the thread by it.
  static void keep_thread_name(ThreadBuffer& b, const std::byte* attrs) {
    AttrSlot slot;
    std::memcpy(&slot, attrs, sizeof slot);
    const std::size_t kept = std::min<std::size_t>(slot.length, sizeof b.initial_name - 1);
    std::memcpy(b.initial_name, attrs + sizeof slot, kept);
    b.initial_name[kept] = 0;
  }

  // Returns whether a ring was adopted.
  bool adopt_new_buffers() {
    ThreadBuffer* b = nullptr;
    bool adopted = false;
    while (queues_.new_buffers->try_dequeue(b)) adopt(b, false), adopted = true;
    return adopted;
  }

  // ---- the main loop ----
  void run() {
    thread_id_.store(static_cast<std::uint64_t>(::syscall(SYS_gettid)), std::memory_order_release);
    SPANLOG_CRASH_POINT("flusher.started");
    if (!begin_work()) park();
    calibration_.measure_initial_rate([this] { park_if_crashing(); });
    publish_clock_rate();
    write_overhead_when_taken();
    write_header();
    for (auto& st : states_) write_thread_record(st, st.buf->initial_name, false);
    if (between_runs_.dropped_spans || between_runs_.dropped_events || between_runs_.dropped_metrics) {
      open_record("{\"event\":\"dropped\",\"tid\":0,\"ts\":");
      w_.i64(calibration_.anchor_ns);
      w_.raw(",\"spans\":");
      w_.u64(between_runs_.dropped_spans);
      w_.raw(",\"events\":");
      w_.u64(between_runs_.dropped_events);
      w_.raw(",\"metrics\":");
      w_.u64(between_runs_.dropped_metrics);
      w_.raw(",\"attrs\":0,\"async_ends\":0,\"reason\":\"between_runs\"");
      end_record();
      totals_.dropped_spans += between_runs_.dropped_spans;
      totals_.dropped_events += between_runs_.dropped_events;
      totals_.dropped_metrics += between_runs_.dropped_metrics;
    }
    // The vitals as the run begins: what a short run's last ones are compared with (memory grew, CPU used).
    if (opts_.vitals) emit_vitals(calibration_.to_ns(ticks()));
    write_out();
    auto last_metrics = std::chrono::steady_clock::now();
    auto last_stats = last_metrics;
    for (;;) {
      bool stopping, flushing;
      std::uint64_t flush_ticket;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        // Everything formatted is written: while the flusher waits, a crash handler may take the rings at
        // once.
        activity_.store(activity_idle, std::memory_order_release);
        cv_.wait_for(lock, opts_.flush_interval,
                     [&] { return stop_requested_ || flush_requested_ > flush_done_ || wake_pending_; });
        wake_pending_ = false;
        stopping = stop_requested_;
        flush_ticket = flush_requested_;
        flushing = flush_ticket > flush_done_;
      }
      if (!begin_work()) park();
      if (calibration_.refine_if_due()) publish_clock_rate();
      drain_all();
      const auto now = std::chrono::steady_clock::now();
      if (stopping || flushing || now - last_metrics >= opts_.flush_interval) {
        stats_due_ = stopping || flushing || now - last_stats >= opts_.stats_interval;
        if (stats_due_) last_stats = now;
        emit_metrics_and_drops();
        stats_due_ = true;  // a retiring thread's histograms are written at once
        last_metrics = now;
      }
      write_out();
      if (flushing) {
        forget_images_up_to(flush_ticket);
        std::lock_guard<std::mutex> lock(mutex_);
        flush_done_ = flush_ticket;
        done_cv_.notify_all();
      }
      if (stopping) break;
    }
    finish();
  }

  // The images whose unload waits for this flush: what they recorded is written, so their names go.
  void forget_images_up_to(std::uint64_t ticket) {
    std::vector<ForgetRequest> due;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (auto it = forget_requests_.begin(); it != forget_requests_.end();) {
        if (it->ticket <= ticket) {
          due.push_back(*it);
          it = forget_requests_.erase(it);
        } else {
          ++it;
        }
      }
    }
    for (const ForgetRequest& r : due) forget_names_in(r.begin, r.end);
  }

  // Cached names move out of the lookup (their text stays where open spans point to it), and metrics keyed by
  // a site of the image go: each was written before.
  void forget_names_in(std::uintptr_t begin, std::uintptr_t end) {
    auto inside = [&](const void* p) {
      const auto at = reinterpret_cast<std::uintptr_t>(p);
      return at >= begin && at < end;
    };
    for (auto it = name_cache_.begin(); it != name_cache_.end();) {
      const auto next = std::next(it);
      if (inside(it->first)) retired_names_.push_back(name_cache_.extract(it));
      it = next;
    }
    for (NameCacheSlot& slot : name_cache_fast_) slot = NameCacheSlot{};
    name_cache_fast_used_ = 0;
    for (auto it = chosen_names_.begin(); it != chosen_names_.end();)
      it = inside(it->first) ? chosen_names_.erase(it) : std::next(it);
    for (BufferState& st : states_) {
      st.metrics.erase(std::remove_if(st.metrics.begin(), st.metrics.end(),
                                      [&](const MetricAcc& m) { return !m.dirty && inside(m.s); }),
                       st.metrics.end());
      for (auto it = st.chosen_stats_by_name.begin(); it != st.chosen_stats_by_name.end();) {
        const StatsCell& cell = it->second->cell;
        const bool written = cell.total_ticks.load(std::memory_order_relaxed) == cell.reported_total_ticks;
        it = written && inside(it->first) ? st.chosen_stats_by_name.erase(it) : std::next(it);
      }
    }
  }

  // Drains every ring in passes of at most drain_batch_bytes each, so the text formatted between two safe
  // points (where the output matches the rings' consumed positions) stays bounded whatever the rings hold.
  void drain_all() {
    for (int pass = 0; pass < drain_passes_per_cycle; ++pass) {
      bool more = false;
      for (std::size_t i = 0; i < states_.size(); ++i) {
        park_if_crashing();
        // Between two batches of a busy ring, the rings of threads that came and went: a new thread may be
        // waiting for one of them.
        retire_exited();
        if (i >= states_.size()) break;
        more = drain(states_[i]) || more;
        if (w_.size() >= write_out_bytes) write_out();
      }
      // A ring adopted at the end of a pass is drained in the next: its thread may have woken the flusher
      // once and be waiting (block policy) for exactly this drain.
      const bool adopted = retire_exited();
      if (!more && !adopted) break;
    }
    settle_spans_in_phases(false);
  }

  // Returns whether a new thread's ring was adopted on the way.
  bool retire_exited() {
    const bool adopted = adopt_new_buffers();
    for (std::size_t i = 0; i < states_.size();) {
      BufferState& st = states_[i];
      if (st.buf->exited.load(std::memory_order_acquire)) {
        while (drain(st)) {
        }
        retire(i);
      } else {
        ++i;
      }
    }
    return adopted;
  }

  // Returns true when the ring holds more than one batch could take.
  bool drain(BufferState& st) {
    ThreadBuffer& b = *st.buf;
    std::uint64_t pos = b.consumed.load(std::memory_order_relaxed);
    const std::uint64_t published = b.published.load(std::memory_order_acquire);
    const std::uint64_t end = published - pos > drain_batch_bytes ? pos + drain_batch_bytes : published;
    const std::size_t unresolved_from = st.depth;
    std::size_t lowest_unresolved = unresolved_from;
    if (published != pos) note_fill_and_lag(st, pos, published);
    draining_ = &st;
    while (pos < end) {
      // For a crash on this thread: the records before pos are formatted, and the stacks are theirs.
      drain_pos_ = pos;
      if (g_crashing.load(std::memory_order_relaxed)) {
        hand_back(b, pos);
        park_if_crashing();
      }
      SPANLOG_CRASH_POINT("flusher.drain");
      // The recording thread wrote these lines on another core: asking for them a few records ahead hides
      // most of the wait for each (the loads of record headers were 40% of the drain).
      __builtin_prefetch(b.read_at(pos + drain_prefetch_bytes));
      const RingRecord r = read_record(b, pos);
      switch (r.tag) {
        case tag_span_begin: {
          // The name first: a name pointer that faults leaves the stack as it was.
          const std::string* name = quoted_name(r.s, r.s->name);
          const bool phase = r.begins_phase();
          OpenSpan& o = phase ? push(st) : push(st, r.s, r.s->name);
          o.start_ticks = r.value;
          o.name = name;
          o.is_phase = phase;
          if (o.is_phase) begin_phase(st, o, r.s->name);
          break;
        }
        case tag_span_end:
          end_span(st, r.value);
          lowest_unresolved = std::min(lowest_unresolved, st.depth);
          break;
        case tag_instant:
          write_instant(st, r.s, r.s->name, r.value, nullptr, 0);
          break;
        case tag_counter:
        case tag_gauge:
          accumulate(st, r.s, r.tag, r.value);
          break;
        case tag_extended:
          handle_extended(st, r);
          lowest_unresolved = std::min(lowest_unresolved, st.depth);
          break;
        case tag_padding:
          break;
        case tag_ring_link:
          st.rings_left.push_back(follow_ring_link(b, r));
          write_ring_grown(st, r.value);
          break;
      }
      pos += r.size;
    }
    drain_pos_ = pos;
    // Spans begun in this batch and still open: show them now, so a live view or a crash report sees them.
    for (std::size_t i = std::min(lowest_unresolved, unresolved_from); i < st.depth; ++i) {
      OpenSpan& o = st.stack[i];
      if (!o.start_written && !o.chosen) write_span_start(st, o);
    }
    hand_back(b, pos);
    draining_ = nullptr;
    for (std::byte* ring : st.rings_left) ::operator delete(ring, std::align_val_t(cache_line));
    st.rings_left.clear();
    return pos < published;
  }

  // A span chosen as statistics takes its id (the recording thread counts ids in step) but is not counted
  // as a written span: its count is its histogram's.
  OpenSpan& push(BufferState& st, const void* name_key = nullptr, const char* name = nullptr) {
    if (st.depth == st.stack.size()) st.stack.emplace_back();
    OpenSpan& o = st.stack[st.depth];
    o.reset();
    o.parent = innermost_written_span(st);
    o.id = st.buf->id_base | ++st.buf->drained_span_seq;
    if (name && !stats_names_.empty() && chosen_as_statistics(name_key, name))
      o.chosen = &chosen_stats_for(st, name_key, name);
    ++st.depth;
    if (!o.chosen) {
      ++totals_.spans;
      ++threads_[st.thread_index].spans;
    }
    return o;
  }

  // The parent the file shows for a span or event begun now: a chosen statistics span is not in the file,
  // so its children are shown in the span it sits in (its own parent, found the same way).
  static std::uint64_t innermost_written_span(const BufferState& st) {
    if (!st.depth) return 0;
    const OpenSpan& top = st.stack[st.depth - 1];
    return top.chosen ? top.parent : top.id;
  }

  bool chosen_as_statistics(const void* name_key, const char* name);
  ChosenStats& chosen_stats_for(BufferState& st, const void* name_key, const char* name);
  void end_chosen_span(BufferState& st, OpenSpan& o, std::uint64_t end_ticks);
  void account_written_span_end(BufferState& st, const OpenSpan& o, std::uint64_t end_ticks);

  void end_span(BufferState& st, std::uint64_t end_ticks) {
    if (st.depth == 0) {
      ++totals_.orphan_ends;
      return;
    }
    // Written before it leaves the stack: a crash while writing finds the span still open.
    OpenSpan& o = st.stack[st.depth - 1];
    if (o.chosen) {
      end_chosen_span(st, o, end_ticks);
      --st.depth;
      return;
    }
    if (!stats_names_.empty()) account_written_span_end(st, o, end_ticks);
    if (!o.is_phase) cycle_starts_.push_back(o.start_ticks);
    const std::uint64_t tid = st.buf->tid;
    if (o.start_written) {
      write_span_end(o, end_ticks, tid, false);
    } else if (fits_a_row(st, o)) {
      write_row(st, o, end_ticks);
    } else {
      write_span(o, end_ticks, tid);
    }
    if (o.is_phase) end_phase(st, o, end_ticks);
    --st.depth;
  }

  void handle_extended(BufferState& st, const RingRecord& r) {
    const ExtendedHeader& x = r.ext;
    const std::byte* attrs = r.attrs;
    const std::uint64_t t = r.value;
    switch (x.op) {
      case ExtendedOp::span_begin: {
        const std::string* name = quoted_name(r.name_key(), r.name());
        const bool phase = r.begins_phase();
        OpenSpan& o = phase ? push(st) : push(st, r.name_key(), r.name());
        o.start_ticks = t;
        o.name = name;
        if (x.arg) o.parent = x.arg;
        o.start_attrs = attrs;
        o.start_attr_count = x.attr_count;
        o.is_phase = phase;
        if (o.is_phase) begin_phase(st, o, r.name());
        break;
      }
      case ExtendedOp::instant:
        write_instant(st, r.name_key(), r.name(), t, attrs, x.attr_count);
        break;
      case ExtendedOp::log:
        write_log(st, *r.s, t, attrs, x.attr_count);
        break;
      case ExtendedOp::metric:
        add_labelled_value(*r.s, x.arg, attrs, x.attr_count);
        break;
      case ExtendedOp::span_attrs:
      case ExtendedOp::span_error: {
        OpenSpan* o = find_open(st, x.arg);
        if (!o) break;
        if (x.op == ExtendedOp::span_error) {
          o->error = true;
          if (x.attr_count) {
            AttrSlot slot;
            std::memcpy(&slot, attrs, sizeof slot);
            if (slot.type == AttrType::string)
              o->message.assign(reinterpret_cast<const char*>(attrs + sizeof slot), slot.length);
          } else if ((x.flags & ext_flag_unwound) && o->message.empty()) {
            // What the program said of the exception (spanlog::record_exception) stays.
            o->message = "exception";
          }
        } else {
          scratch_.clear();
          append_attr_members(scratch_, attrs, x.attr_count, !o->end_attrs.empty());
          o->end_attrs.append(scratch_.data(), scratch_.size());
          if (otlp_.enabled()) OtlpLiveWriter::append_attrs(o->otlp_attrs, attrs, x.attr_count);
        }
        break;
      }
      case ExtendedOp::stats_children:
        if (OpenSpan* o = find_open(st, x.arg)) o->stats_ticks += x.arg2;
        break;
      case ExtendedOp::async_begin:
        begin_async(st, t, x, attrs);
        break;
      case ExtendedOp::async_end:
        end_async(st, t, x, attrs);
        break;
      case ExtendedOp::thread_name: {
        if (!x.attr_count) break;
        AttrSlot slot;
        std::memcpy(&slot, attrs, sizeof slot);
        std::string name(reinterpret_cast<const char*>(attrs + sizeof slot), slot.length);
        keep_thread_name(*st.buf, attrs);
        if (threads_[st.thread_index].name == name) break;  // announced already when the thread was adopted
        threads_[st.thread_index].name = name;
        write_thread_record(st, name.c_str(), false);
        break;
      }
    }
  }

  OpenSpan* find_open(BufferState& st, std::uint64_t id) {
    for (std::size_t i = st.depth; i-- > 0;)
      if (st.stack[i].id == id) return &st.stack[i];
    return nullptr;
  }

  // ---- async spans: begun by an id on one thread, ended by it on any ----
  void begin_async(BufferState& st, std::uint64_t t, const ExtendedHeader& x, const std::byte* attrs) {
    AsyncOpen a;
    a.tid = st.buf->tid;
    a.span.id = st.buf->id_base | ++st.buf->drained_span_seq;
    a.span.parent = innermost_written_span(st);
    a.span.start_ticks = t;
    const char* name = reinterpret_cast<const char*>(x.arg2);
    a.span.name = quoted_name(name, name);
    ++totals_.spans;
    ++threads_[st.thread_index].spans;
    auto pending = async_pending_.find(x.arg);
    if (pending != async_pending_.end()) {
      a.span.start_attrs = attrs;
      a.span.start_attr_count = x.attr_count;
      a.span.end_attrs = std::move(pending->second.attrs);
      write_span(a.span, pending->second.end_ticks, a.tid, true, pending->second.tid);
      async_pending_.erase(pending);
      return;
    }
    a.span.start_attrs = attrs;
    a.span.start_attr_count = x.attr_count;
    write_span_start_common(a.span, a.tid, true);
    if (otlp_.enabled()) OtlpLiveWriter::append_attrs(a.span.otlp_attrs, attrs, x.attr_count);
    a.span.start_attrs = nullptr;
    a.span.start_written = true;
    async_open_[x.arg] = std::move(a);
  }

  void end_async(BufferState& st, std::uint64_t t, const ExtendedHeader& x, const std::byte* attrs) {
    std::string members;
    if (x.attr_count) {
      scratch_.clear();
      append_attr_members(scratch_, attrs, x.attr_count, false);
      members.assign(scratch_.data(), scratch_.size());
    }
    auto it = async_open_.find(x.arg);
    if (it == async_open_.end()) {
      async_pending_[x.arg] = AsyncPendingEnd{t, st.buf->tid, std::move(members)};
      return;
    }
    OpenSpan& o = it->second.span;
    if (!members.empty()) {
      if (!o.end_attrs.empty()) o.end_attrs += ',';
      o.end_attrs += members;
    }
    if (otlp_.enabled()) OtlpLiveWriter::append_attrs(o.otlp_attrs, attrs, x.attr_count);
    write_span_end(o, t, st.buf->tid, true);
    async_open_.erase(it);
  }

  // ---- phases ----
  void begin_phase(BufferState& st, OpenSpan& o, const char* name) {
    ++st.phase_marks_drained;
    phases_.push_back(PhaseInfo{name ? name : "", o.id, o.start_ticks});
  }
  void end_phase(BufferState& st, const OpenSpan& o, std::uint64_t end_ticks) {
    ++st.phase_marks_drained;
    for (auto it = phases_.rbegin(); it != phases_.rend(); ++it) {
      if (it->span_id != o.id) continue;
      it->end_ticks = end_ticks;
      open_record("{\"event\":\"phase\",\"name\":");
      w_.raw(*o.name);
      w_.raw(",\"span_id\":");
      w_.u64(o.id);
      w_.raw(",\"ts\":");
      w_.i64(calibration_.to_ns(o.start_ticks));
      w_.raw(",\"end_ts\":");
      w_.i64(calibration_.to_ns(end_ticks));
      w_.raw(",\"wall_ns\":");
      w_.i64(calibration_.to_ns(end_ticks) - calibration_.to_ns(o.start_ticks));
      end_record();
      return;
    }
  }
  // run_summary.json counts, per phase, the spans of every thread that started inside it. A phase's begin
  // and the spans within it sit in different rings, drained in turn: a worker's span can be drained a cycle
  // before the phase's begin (or a span begun after a phase ended, before its end). So the starts of ended
  // spans are held until no phase mark is in flight: every thread announces a phase's begin and end before
  // reading its timestamp (announce_phase_mark), so once every announced mark has been drained, any mark
  // still to come is later than every start held, and the phases as known are final for them.
  void settle_spans_in_phases(bool stopping) {
    unsettled_starts_.insert(unsettled_starts_.end(), cycle_starts_.begin(), cycle_starts_.end());
    cycle_starts_.clear();
    if (unsettled_starts_.empty() || (!stopping && phase_mark_in_flight())) return;
    count_spans_in_phases(unsettled_starts_);
    unsettled_starts_.clear();
  }

  bool phase_mark_in_flight() const {
    for (const auto& st : states_)
      if (st.buf->phase_marks.load(std::memory_order_acquire) != st.phase_marks_drained) return true;
    return false;
  }

  void count_spans_in_phases(const std::vector<std::uint64_t>& starts) {
    if (phases_.empty()) return;
    const std::uint64_t earliest = *std::min_element(starts.begin(), starts.end());
    for (auto& ph : phases_) {
      if (ph.end_ticks && ph.end_ticks <= earliest) continue;
      for (std::uint64_t s : starts)
        if (s >= ph.begin_ticks && (ph.end_ticks == 0 || s < ph.end_ticks)) ++ph.spans;
    }
  }

  // ---- metrics ----
  void accumulate(BufferState& st, const Site* s, RecordTag tag, std::uint64_t bits) {
    MetricAcc* acc = nullptr;
    for (auto& m : st.metrics)
      if (m.s == s) {
        acc = &m;
        break;
      }
    if (!acc) {
      st.metrics.push_back(MetricAcc{s});
      acc = &st.metrics.back();
      acc->is_float = s->kind == SiteKind::counter_float;
    }
    acc->dirty = true;
    if (tag == tag_counter) {
      if (acc->is_float) {
        double d;
        std::memcpy(&d, &bits, 8);
        acc->float_sum += d;
      } else {
        acc->int_sum += static_cast<std::int64_t>(bits);
      }
    } else {
      double d;
      std::memcpy(&d, &bits, 8);
      if (acc->sets == 0 || d < acc->min) acc->min = d;
      if (acc->sets == 0 || d > acc->max) acc->max = d;
      acc->last = d;
      ++acc->sets;
    }
  }

  void emit_metrics_and_drops() {
    const std::int64_t now = calibration_.to_ns(ticks());
    for (auto& st : states_) emit_metrics_and_drops(st, now);
    emit_metric_infos(now);
    emit_labelled_series(now);
    if (stats_due_ && opts_.vitals) emit_vitals(now);
  }

  // ---- labelled series, metric infos and vitals (metric_lines.hpp) ----
  void add_labelled_value(const Site& s, std::uint64_t bits, const std::byte* labels, std::uint8_t count);
  void emit_labelled_series(std::int64_t now);
  void emit_metric_infos(std::int64_t now);
  void emit_vitals(std::int64_t now);
  void note_fill_and_lag(BufferState& st, std::uint64_t from, std::uint64_t published);
  void write_metric_infos_object(JsonlWriter& w) const;
  void add_counter_total(const char* name, bool is_float, std::int64_t int_sum, double float_sum) {
    CounterTotal& total = counter_totals_[name];
    if (is_float) {
      total.float_sum += float_sum;
      total.is_float = true;
    } else {
      total.int_sum += int_sum;
    }
  }

  // Calls grown(site, delta) for each counter slot of the ring that grew since the flusher last took it,
  // and takes the growth. Allocates nothing: the crash handler uses it too.
  template <class Grown>
  static void take_counter_growth(ThreadBuffer& b, Grown&& grown) {
    const std::uint32_t used = g_counter_sites.in_use();
    for (std::uint32_t i = 1; i < used; ++i) {
      const std::uint64_t sum = b.counter_sum[i].load(std::memory_order_relaxed);
      if (sum == b.counter_reported[i]) continue;
      const Site* s = g_counter_sites.site_of(i);
      if (!s) continue;  // its number is being given this instant: taken next time
      grown(s, sum - b.counter_reported[i]);
      b.counter_reported[i] = sum;
    }
  }

  void emit_metrics_and_drops(BufferState& st, std::int64_t now) {
    if (stats_due_) emit_span_stats(st, now);
    take_counter_growth(*st.buf,
                        [&](const Site* s, std::uint64_t delta) { accumulate(st, s, tag_counter, delta); });
    for (auto& m : st.metrics) {
      if (!m.dirty) continue;
      const std::string* name = quoted_name(m.s, m.s->name);
      if (m.s->kind == SiteKind::gauge) {
        open_record("{\"event\":\"gauge\",\"name\":");
        w_.raw(*name);
        write_tid_ts(st.buf->tid, now);
        w_.raw(",\"value\":");
        w_.f64(m.last);
        w_.raw(",\"min\":");
        w_.f64(m.min);
        w_.raw(",\"max\":");
        w_.f64(m.max);
        w_.raw(",\"count\":");
        w_.u64(m.sets);
        m.sets = 0;
      } else {
        open_record("{\"event\":\"counter\",\"name\":");
        w_.raw(*name);
        write_tid_ts(st.buf->tid, now);
        w_.raw(",\"delta\":");
        if (m.is_float)
          w_.f64(m.float_sum);
        else
          w_.i64(m.int_sum);
        add_counter_total(m.s->name, m.is_float, m.int_sum, m.float_sum);
        m.int_sum = 0;
        m.float_sum = 0;
      }
      m.dirty = false;
      end_record();
    }
    ThreadBuffer& b = *st.buf;
    const std::uint64_t ds = b.dropped_spans.load(std::memory_order_relaxed);
    const std::uint64_t de = b.dropped_events.load(std::memory_order_relaxed);
    const std::uint64_t dm = b.dropped_metrics.load(std::memory_order_relaxed);
    const std::uint64_t da = b.dropped_attrs.load(std::memory_order_relaxed);
    const std::uint64_t dx = b.dropped_async_ends.load(std::memory_order_relaxed);
    const std::uint64_t so = b.sampled_out.load(std::memory_order_relaxed);
    totals_.sampled_out += so - st.reported_sampled;
    st.reported_sampled = so;
    const std::uint64_t cut = b.strings_cut.load(std::memory_order_relaxed);
    totals_.strings_cut += cut - st.reported_cut;
    st.reported_cut = cut;
    if (ds == st.reported_spans && de == st.reported_events && dm == st.reported_metrics &&
        da == st.reported_attrs && dx == st.reported_async_ends)
      return;
    open_record("{\"event\":\"dropped\"");
    w_.raw(",\"tid\":");
    w_.u64(b.tid);
    w_.raw(",\"ts\":");
    w_.i64(now);
    w_.raw(",\"spans\":");
    w_.u64(ds - st.reported_spans);
    w_.raw(",\"events\":");
    w_.u64(de - st.reported_events);
    w_.raw(",\"metrics\":");
    w_.u64(dm - st.reported_metrics);
    w_.raw(",\"attrs\":");
    w_.u64(da - st.reported_attrs);
    w_.raw(",\"async_ends\":");
    w_.u64(dx - st.reported_async_ends);
    w_.raw(",\"reason\":\"ring_full\"");
    write_dropped_names(st, "span_names", &ThreadBuffer::DroppedName::spans, st.reported_name_spans);
    write_dropped_names(st, "event_names", &ThreadBuffer::DroppedName::events, st.reported_name_events);
    end_record();
    totals_.dropped_spans += ds - st.reported_spans;
    totals_.dropped_events += de - st.reported_events;
    totals_.dropped_metrics += dm - st.reported_metrics;
    totals_.dropped_attrs += da - st.reported_attrs;
    totals_.dropped_async_ends += dx - st.reported_async_ends;
    st.reported_spans = ds;
    st.reported_events = de;
    st.reported_metrics = dm;
    st.reported_attrs = da;
    st.reported_async_ends = dx;
  }

  // ,"span_names":{"parse":118}: what each name of the ring's table lost since the last report.
  void write_dropped_names(BufferState& st, const char* key,
                           std::atomic<std::uint64_t> ThreadBuffer::DroppedName::*count,
                           std::uint64_t (&reported)[ThreadBuffer::dropped_names_per_ring]) {
    bool any = false;
    for (std::size_t i = 0; i < ThreadBuffer::dropped_names_per_ring; ++i) {
      auto& entry = st.buf->dropped_names[i];
      const char* name = entry.name.load(std::memory_order_acquire);
      if (!name) break;
      const std::uint64_t now = (entry.*count).load(std::memory_order_relaxed);
      if (now == reported[i]) continue;
      w_.raw(any ? "," : ",\"");
      if (!any) {
        w_.raw(key);
        w_.raw("\":{");
      }
      any = true;
      w_.raw(*quoted_name(name, name));
      w_.raw(':');
      w_.u64(now - reported[i]);
      reported[i] = now;
    }
    if (any) w_.raw('}');
  }

  // A thread has exited and its ring is drained: report it, then hand the ring to the next new thread.
  void retire(std::size_t i) {
    BufferState& st = states_[i];
    emit_metrics_and_drops(st, calibration_.to_ns(ticks()));
    write_thread_record(st, nullptr, true);
    open_at_retire_ += st.depth;
    queues_.free_buffers->enqueue(st.buf);
    queues_.exited_not_retired->fetch_sub(1, std::memory_order_release);
    states_[i] = std::move(states_.back());
    states_.pop_back();
  }

  // ---- record writers ----
  // Every record but a row begins here: an open `spans` record is closed first, so the file keeps each
  // thread's records in the order they were drained.
  void open_record(std::string_view opening) {
    close_rows();
    w_.raw(opening);
  }

  void close_rows() {
    if (!rows_.open()) return;
    rows_.close(w_);
    complete_bytes_ = w_.size();
  }

  // A complete span as a row of the thread's `spans` record.
  void write_row(const BufferState& st, const OpenSpan& o, std::uint64_t end_ticks) {
    const std::uint64_t tid = st.buf->tid;
    if (!rows_.continues(tid)) {
      close_rows();
      // A `spans` line is one record of the file, whatever rows it holds.
      ++totals_.records;
      ++unwritten_in_buffer_;
    }
    const std::int64_t start = calibration_.to_ns(o.start_ticks);
    rows_.begin_row(w_, tid, st.buf->id_base, start, *o.name, o.id, o.parent,
                    calibration_.to_ns(end_ticks) - start);
    if (o.start_attr_count || !o.end_attrs.empty()) {
      w_.raw(",{");
      if (o.start_attr_count) append_attr_members(w_, o.start_attrs, o.start_attr_count, false);
      if (!o.end_attrs.empty()) {
        if (o.start_attr_count) w_.raw(',');
        w_.raw(o.end_attrs);
      }
      w_.raw('}');
    }
    rows_.end_row(w_);
    complete_bytes_ = w_.size();
    if (otlp_.enabled()) {
      std::string attrs;
      OtlpLiveWriter::append_attrs(attrs, o.start_attrs, o.start_attr_count);
      append_otlp_span(o, attrs, end_ticks, tid);
    }
  }

  bool fits_a_row(const BufferState& st, const OpenSpan& o) const {
    return opts_.span_rows && !o.start_written && !o.is_phase && !o.error && !o.stats_ticks &&
           SpanRows::fits(o.parent, st.buf->id_base, ~span_seq_mask);
  }

  void end_record() {
    w_.raw("}\n");
    ++totals_.records;
    ++unwritten_in_buffer_;
    complete_bytes_ = w_.size();
  }

  void write_tid_ts(std::uint64_t tid, std::int64_t ts) {
    w_.raw(",\"tid\":");
    w_.u64(tid);
    w_.raw(",\"ts\":");
    w_.i64(ts);
  }

  void append_attr_members(JsonlWriter& w, const std::byte* p, std::uint8_t count, bool leading_comma) {
    for (std::uint8_t i = 0; i < count; ++i) {
      AttrSlot slot;
      std::memcpy(&slot, p, sizeof slot);
      // One reserve for the comma, the name and, for an integer, its value (the attributes most spans carry).
      const std::string& key = *quoted_name(slot.key, slot.key);
      TextBuffer& out = w.buffer();
      char* const first = out.reserve(key.size() + 2 + 20);
      char* at = first;
      if (i || leading_comma) *at++ = ',';
      copy_bytes(at, key.data(), key.size());
      at += key.size();
      *at++ = ':';
      if (slot.type == AttrType::i64)
        at = write_signed_decimal(at, static_cast<std::int64_t>(slot.bits));
      else if (slot.type == AttrType::u64)
        at = write_decimal(at, slot.bits);
      out.commit(static_cast<std::size_t>(at - first));
      switch (slot.type) {
        case AttrType::i64:
        case AttrType::u64:
          break;
        case AttrType::boolean:
          w.boolean(slot.bits != 0);
          break;
        case AttrType::f64: {
          double d;
          std::memcpy(&d, &slot.bits, 8);
          w.f64(d);
          break;
        }
        case AttrType::string:
          w.string(std::string_view(reinterpret_cast<const char*>(p + sizeof slot), slot.length));
          break;
      }
      p += sizeof slot + (slot.type == AttrType::string ? align_up(slot.length, 8) : 0);
    }
  }

  void write_attrs_object(const OpenSpan& o, bool with_start) {
    const bool has_start = with_start && o.start_attr_count;
    if (!has_start && o.end_attrs.empty()) return;
    w_.raw(",\"attrs\":{");
    if (has_start) append_attr_members(w_, o.start_attrs, o.start_attr_count, false);
    if (!o.end_attrs.empty()) {
      if (has_start) w_.raw(',');
      w_.raw(o.end_attrs);
    }
    w_.raw('}');
  }

  // The time of the span's direct statistics children, which the file does not show: the reader takes it
  // from the span's self time.
  void write_stats_ns(const OpenSpan& o) {
    if (!o.stats_ticks) return;
    w_.raw(",\"stats_ns\":");
    w_.u64(
        static_cast<std::uint64_t>(static_cast<double>(o.stats_ticks) * calibration_.current_ns_per_tick()));
  }

  void write_status(const OpenSpan& o) {
    if (!o.error) return w_.raw(",\"status\":\"ok\"");
    w_.raw(",\"status\":\"error\"");
    if (!o.message.empty()) {
      w_.raw(",\"message\":");
      w_.string(o.message);
    }
  }

  void write_span(const OpenSpan& o, std::uint64_t end_ticks, std::uint64_t tid, bool async = false,
                  std::uint64_t end_tid = 0) {
    const std::int64_t start = calibration_.to_ns(o.start_ticks);
    write_span_identity("{\"event\":\"span\",\"span_id\":", o, tid);
    w_.raw(",\"dur_ns\":");
    w_.i64(calibration_.to_ns(end_ticks) - start);
    write_stats_ns(o);
    write_status(o);
    if (o.is_phase) w_.raw(",\"kind\":\"phase\"");
    if (async) {
      w_.raw(",\"async\":true,\"end_tid\":");
      w_.u64(end_tid);
    }
    write_attrs_object(o, true);
    end_record();
    if (otlp_.enabled()) {
      std::string attrs;
      OtlpLiveWriter::append_attrs(attrs, o.start_attrs, o.start_attr_count);
      append_otlp_span(o, attrs, end_ticks, tid);
    }
  }

  // What a `span` and a `span_start` line begin with: the record kind, id, parent, name, thread and start.
  void write_span_identity(const char* opening, const OpenSpan& o, std::uint64_t tid) {
    open_record(opening);
    w_.u64(o.id);
    if (o.parent) {
      w_.raw(",\"parent\":");
      w_.u64(o.parent);
    }
    w_.raw(",\"name\":");
    w_.raw(*o.name);
    write_tid_ts(tid, calibration_.to_ns(o.start_ticks));
  }

  void write_span_start_common(const OpenSpan& o, std::uint64_t tid, bool async) {
    write_span_identity("{\"event\":\"span_start\",\"span_id\":", o, tid);
    if (o.is_phase) w_.raw(",\"kind\":\"phase\"");
    if (async) w_.raw(",\"async\":true");
    if (o.start_attr_count) {
      w_.raw(",\"attrs\":{");
      append_attr_members(w_, o.start_attrs, o.start_attr_count, false);
      w_.raw('}');
    }
    end_record();
  }

  void write_span_start(BufferState& st, OpenSpan& o) {
    write_span_start_common(o, st.buf->tid, false);
    if (otlp_.enabled()) OtlpLiveWriter::append_attrs(o.otlp_attrs, o.start_attrs, o.start_attr_count);
    o.start_written = true;
    o.start_attrs = nullptr;
    o.start_attr_count = 0;
  }

  void write_span_end(const OpenSpan& o, std::uint64_t end_ticks, std::uint64_t end_tid, bool async) {
    open_record("{\"event\":\"span_end\",\"span_id\":");
    w_.u64(o.id);
    const std::int64_t end = calibration_.to_ns(end_ticks);
    write_tid_ts(end_tid, end);
    w_.raw(",\"dur_ns\":");
    w_.i64(end - calibration_.to_ns(o.start_ticks));
    write_stats_ns(o);
    write_status(o);
    if (async) w_.raw(",\"async\":true");
    write_attrs_object(o, false);
    end_record();
    if (otlp_.enabled()) append_otlp_span(o, std::string(), end_ticks, end_tid);
  }

  void write_instant(BufferState& st, const void* key, const char* name, std::uint64_t t,
                     const std::byte* attrs, std::uint8_t n) {
    ++totals_.events;
    open_record("{\"event\":\"instant\",\"name\":");
    w_.raw(*quoted_name(key, name));
    write_tid_ts(st.buf->tid, calibration_.to_ns(t));
    if (const std::uint64_t parent = innermost_written_span(st)) {
      w_.raw(",\"parent\":");
      w_.u64(parent);
    }
    if (n) {
      w_.raw(",\"attrs\":{");
      append_attr_members(w_, attrs, n, false);
      w_.raw('}');
    }
    end_record();
  }

  // A log line: its message formatted here, its arguments as attributes, and the span it was logged in.
  void write_log(BufferState& st, const Site& s, std::uint64_t t, const std::byte* attrs, std::uint8_t n) {
    ++totals_.logs;
    open_record("{\"event\":\"log\",\"level\":\"");
    w_.raw(std::string_view(log_level_name(s.log_level)));
    w_.raw('"');
    write_tid_ts(st.buf->tid, calibration_.to_ns(t));
    if (const std::uint64_t span = innermost_written_span(st)) {
      w_.raw(",\"span_id\":");
      w_.u64(span);
    }
    w_.raw(",\"msg\":\"");
    append_escaped_log_message(w_.buffer(), message_, s.name, attrs, n);
    w_.raw('"');
    if (n) {
      w_.raw(",\"attrs\":{");
      append_attr_members(w_, attrs, n, false);
      w_.raw('}');
    }
    w_.raw(",\"site\":{\"file\":");
    w_.raw(*quoted_name(s.file, s.file));  // the site's static text: quoted and escaped once
    w_.raw(",\"line\":");
    w_.u64(s.line);
    w_.raw('}');
    end_record();
    if (s.log_level >= static_cast<std::uint8_t>(opts_.log_console))
      print_log(st, s.log_level, t, s, attrs, n);
  }

  // The line for the console, printed with the drain's output (write_out).
  void print_log(const BufferState& st, std::uint8_t level, std::uint64_t t, const Site& s,
                 const std::byte* attrs, std::uint8_t n) {
    message_.clear();
    format_log_message(message_, s.name, attrs, n);
    const std::string& thread_name = threads_[st.thread_index].name;
    const std::string tid = thread_name.empty() ? std::to_string(st.buf->tid) : std::string();
    std::string_view span;
    if (st.depth) {
      const std::string& quoted = *st.stack[st.depth - 1].name;  // the file's spelling: quoted, escaped
      if (quoted.size() >= 2) span = std::string_view(quoted).substr(1, quoted.size() - 2);
    }
    append_console_line(
        console_,
        ConsoleLine{calibration_.to_ns(t), level, thread_name.empty() ? tid : thread_name, span, message_},
        console_colour_);
  }

  // A ring that grew: its new size, on its thread.
  void write_ring_grown(BufferState& st, std::uint64_t bytes) {
    ++totals_.rings_grown;
    totals_.largest_ring = std::max(totals_.largest_ring, bytes);
    open_record("{\"event\":\"ring_grown\",\"tid\":");
    w_.u64(st.buf->tid);
    w_.raw(",\"ts\":");
    w_.i64(calibration_.to_ns(ticks()));
    w_.raw(",\"bytes\":");
    w_.u64(bytes);
    end_record();
  }

  void write_thread_record(BufferState& st, const char* name, bool exited) {
    open_record("{\"event\":\"thread\",\"tid\":");
    w_.u64(st.buf->tid);
    if (name && *name) {
      w_.raw(",\"name\":");
      w_.string(name);
    }
    w_.raw(",\"ts\":");
    w_.i64(calibration_.to_ns(ticks()));
    if (exited) w_.raw(",\"exited\":true");
    end_record();
  }

  // What the rings lost and grew to, as both the footer and run_summary.json give it.
  template <class Writer>
  void write_ring_totals(Writer& w) const {
    w.raw(",\"unwritten_records\":");
    w.u64(totals_.unwritten_records);
    w.raw(",\"rings_grown\":");
    w.u64(totals_.rings_grown);
    w.raw(",\"largest_ring\":");
    w.u64(std::max<std::uint64_t>(totals_.largest_ring, opts_.ring_bytes));
  }

  template <class Writer>
  void write_clock(Writer& w) const {
    w.raw("{\"source\":");
    w.raw(SPANLOG_USE_TSC ? "\"tsc\"" : "\"steady\"");
    if (SPANLOG_USE_TSC) {
      w.raw(",\"tsc_hz\":");
      w.u64(static_cast<std::uint64_t>(calibration_.ticks_per_second()));
      w.raw(",\"invariant\":");
      w.boolean(tsc_is_invariant());
    }
    w.raw('}');
  }

  // The header but its closing brace, through the flusher's writer or the crash handler's: the parts that
  // need formatting (options, attributes) were formatted when the run began.
  template <class Writer>
  void write_header_to(Writer& w, std::string_view run_id) const {
    w.raw("{\"event\":\"header\",\"schema\":1,\"schema_minor\":7,\"version\":\"" SPANLOG_VERSION_STRING "\"");
    w.raw(",\"run_id\":");
    w.string(run_id);
    w.raw(",\"pid\":");
    w.i64(pid_);
    w.raw(",\"process\":");
    w.string(std::string_view(process_name_));
    w.raw(",\"host\":");
    w.string(std::string_view(host_));
    w.raw(",\"start_ts\":");
    w.i64(calibration_.anchor_ns);
    w.raw(",\"clock\":");
    write_clock(w);
    w.raw(std::string_view(overhead_json_, overhead_json_size_.load(std::memory_order_acquire)));
    w.raw(std::string_view(header_tail_));
  }

  std::string formatted_header_tail() const {
    JsonlWriter w;
    w.raw(",\"options\":{\"ring_bytes\":");
    w.u64(opts_.ring_bytes);
    w.raw(",\"ring_max_bytes\":");
    w.u64(opts_.ring_max_bytes);
    w.raw(",\"overflow\":");
    w.raw(opts_.overflow == OverflowPolicy::block ? "\"block\"" : "\"drop\"");
    w.raw(",\"flush_interval_ms\":");
    w.i64(opts_.flush_interval.count());
    w.raw(",\"stats_interval_ms\":");
    w.i64(opts_.stats_interval.count());
    if (!stats_names_.empty()) {
      w.raw(",\"stats_names\":");
      w.string(opts_.stats_names);
    }
    w.raw(",\"log_level\":\"");
    w.raw(std::string_view(log_level_name(static_cast<std::uint8_t>(opts_.log_level))));
    w.raw("\",\"log_console\":\"");
    w.raw(std::string_view(log_level_name(static_cast<std::uint8_t>(opts_.log_console))));
    w.raw('"');
    w.raw(",\"spans\":");
    w.boolean(opts_.spans);
    w.raw(",\"events\":");
    w.boolean(opts_.events);
    w.raw(",\"metrics\":");
    w.boolean(opts_.metrics);
    w.raw(",\"sample\":");
    w.f64(opts_.sample);
    w.raw(",\"span_rows\":");
    w.boolean(opts_.span_rows);
    w.raw(",\"vitals\":");
    w.boolean(opts_.vitals);
    w.raw(",\"metric_series_max\":");
    w.u64(opts_.metric_series_max);
    w.raw("},\"attrs\":{\"service.name\":");
    w.string(service_name());
    for (const auto& kv : opts_.attrs) {
      w.raw(',');
      w.string(kv.first);
      w.raw(':');
      w.string(kv.second);
    }
    w.raw('}');
    write_metric_infos_object(w);
    return std::string(w.data(), w.size());
  }

  // Before the header: the start measures the overhead just after launching this thread.
  void write_overhead_when_taken() {
    const std::int64_t give_up = steady_ns() + overhead_wait_ns;
    while (!overhead_taken_.load(std::memory_order_acquire) && steady_ns() < give_up) {
      park_if_crashing();
      std::this_thread::yield();
    }
    if (!overhead_taken_.load(std::memory_order_acquire) || !overhead_.measured) return;
    const double ns_per_tick = calibration_.current_ns_per_tick();
    auto rounded = [](double v) { return std::round(v * 10) / 10; };
    JsonlWriter w;
    w.raw(",\"overhead\":{\"span_ns\":");
    w.f64(rounded(overhead_.span_ticks * ns_per_tick));
    w.raw(",\"span_ticks\":");
    w.f64(rounded(overhead_.span_ticks));
    w.raw(",\"clock_ns\":");
    w.f64(rounded(overhead_.clock_ticks * ns_per_tick));
    w.raw(",\"clock_ticks\":");
    w.f64(rounded(overhead_.clock_ticks));
    w.raw(",\"in_span_ns\":");
    w.f64(rounded(overhead_.in_span_ticks * ns_per_tick));
    w.raw(",\"in_parent_ns\":");
    w.f64(rounded(std::max(0.0, overhead_.span_ticks - overhead_.in_span_ticks) * ns_per_tick));
    w.raw('}');
    // The crash handler may write the header from this: the size is set once the text is whole.
    const std::size_t size = std::min(w.size(), sizeof overhead_json_);
    std::memcpy(overhead_json_, w.data(), size);
    overhead_json_size_.store(size, std::memory_order_release);
  }

  void write_header() {
    write_header_to(w_, run_id_);
    end_record();
    header_written_ = true;
  }

  const std::string& service_name() const {
    return opts_.service_name.empty() ? process_name_ : opts_.service_name;
  }

  static std::string host_name() {
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    return host;
  }

  static std::string process_name() {
    char buf[64] = {};
    int fd = ::open("/proc/self/comm", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      ssize_t n = ::read(fd, buf, sizeof buf - 1);
      ::close(fd);
      if (n > 0 && buf[n - 1] == '\n') buf[n - 1] = 0;
    }
    return buf[0] ? std::string(buf) : std::string("unknown");
  }

  // ---- statistics spans (span_stats_lines.hpp) ----
  void emit_span_stats(BufferState& st, std::int64_t now);
  void publish_clock_rate();
  void crash_span_stats(BufferState& st, SignalSafeWriter& w);

  // ---- crashes (crash_dump.hpp): only async-signal-safe calls ----
 public:
  // Called by the crash handler on the crashing thread. Takes the rings from the flusher (at once when it
  // waits between drains, or at its next record or safe point), then writes what the rings hold, the spans
  // open, and a crash record giving `reason`, with write(2) alone. Writes nothing once the run has its
  // footer.
  void crash_dump(int sig, const char* reason);

 private:
  // What the flusher is doing, for the crash handler: between drains (idle: everything formatted is
  // written), draining (busy), stopped for the crash handler (taken), or done with the run (finished).
  enum : int { activity_idle, activity_busy, activity_taken, activity_finished };
  // How far the thread that starts the run got with its files.
  enum : int { stage_nothing, stage_directory, stage_file };

  bool begin_work() {
    int expected = activity_idle;
    return activity_.compare_exchange_strong(expected, activity_busy, std::memory_order_acq_rel);
  }
  [[noreturn]] void park();
  void park_if_crashing();
  bool take_rings_for_crash();
  int crash_output(std::string_view& run_id);
  void crash_write_formatted(SignalSafeWriter& w);
  void crash_thread_record(const ThreadBuffer& b, SignalSafeWriter& w);
  void crash_span_start(SignalSafeWriter& w, std::uint64_t tid, std::uint64_t id, std::uint64_t parent,
                        std::string_view name, bool quoted, std::uint64_t t, bool phase);
  void crash_counters(BufferState& st, SignalSafeWriter& w);
  void crash_drain(BufferState& st, std::uint64_t from, SignalSafeWriter& w);

  // ---- the live OTLP/JSON file (otlp_live_writer.hpp) ----
  void append_otlp_span(const OpenSpan& o, const std::string& start_attrs, std::uint64_t end_ticks,
                        std::uint64_t tid) {
    std::string attrs = start_attrs;
    if (!o.otlp_attrs.empty()) {
      if (!attrs.empty()) attrs += ',';
      attrs += o.otlp_attrs;
    }
    otlp_.add_span(OtlpLiveWriter::Span{o.id, o.parent, *o.name, calibration_.to_ns(o.start_ticks),
                                        calibration_.to_ns(end_ticks), tid, o.is_phase, o.error, o.message},
                   std::move(attrs));
  }

  void write_otlp_out() {
    if (const int err = otlp_.write_out()) report_write_error(err);
  }

  // ---- output ----
  void write_out() {
    write_otlp_out();
    if (!console_.empty()) write_console(console_);
    close_rows();
    if (w_.size() == 0) return;
    SPANLOG_CRASH_POINT("flusher.write_out");
    // written_bytes_ tells a crash on this thread where the file stopped.
    written_bytes_ = 0;
    while (written_bytes_ < w_.size() && fd_ >= 0) {
      const ssize_t n = ::write(fd_, w_.data() + written_bytes_, w_.size() - written_bytes_);
      if (n > 0) {
        written_bytes_ += static_cast<std::size_t>(n);
        bytes_written_ += static_cast<std::uint64_t>(n);
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else {
        report_write_error(n < 0 ? errno : ENOSPC);
        break;
      }
    }
    if (written_bytes_ < w_.size()) totals_.unwritten_records += unwritten_in_buffer_;
    unwritten_in_buffer_ = 0;
    w_.clear();
    written_bytes_ = complete_bytes_ = 0;
    release_written_pages();
  }

  // A long run would otherwise fill the page cache with its own file, and fresh page-cache pages are what a
  // sustained write pays for most: each 64 MiB window is sent to the disk once complete, and the window
  // before it, written by then, is dropped from the cache.
  void release_written_pages() {
#if defined(__linux__)
    constexpr std::uint64_t window = page_cache_window_bytes;
    while (fd_ >= 0 && bytes_written_ >= released_up_to_ + 2 * window) {
      const auto previous = static_cast<off_t>(released_up_to_);
      ::sync_file_range(fd_, previous + static_cast<off_t>(window), window, SYNC_FILE_RANGE_WRITE);
      ::sync_file_range(fd_, previous, window,
                        SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
      ::posix_fadvise(fd_, previous, window, POSIX_FADV_DONTNEED);
      released_up_to_ += window;
    }
#endif
  }

  void report_write_error(int err) {
    if (!write_error_reported_)
      std::fprintf(stderr, "spanlog: cannot write %s/telemetry.jsonl: %s; counting what is lost\n",
                   run_dir_.c_str(), std::strerror(err));
    write_error_reported_ = true;
  }

  void finish() {
    // Records published by threads that raced the stop (they passed the on-check just before it), and rings
    // of threads that exited meanwhile.
    drain_all();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    drain_all();
    settle_spans_in_phases(true);  // a mark still in flight now is never drained: it belongs to no run
    emit_metrics_and_drops();
    SPANLOG_CRASH_POINT("stop.finish");
    park_if_crashing();
    std::uint64_t open = open_at_retire_;
    for (auto& st : states_) open += st.depth;
    open += async_open_.size();
    const std::int64_t end_ns = calibration_.to_ns(ticks());
    open_record("{\"event\":\"footer\",\"ts\":");
    w_.i64(end_ns);
    w_.raw(",\"wall_ns\":");
    w_.i64(end_ns - calibration_.anchor_ns);
    w_.raw(",\"records\":");
    w_.u64(totals_.records + 1);
    w_.raw(",\"spans\":");
    w_.u64(totals_.spans);
    w_.raw(",\"events\":");
    w_.u64(totals_.events);
    w_.raw(",\"logs\":");
    w_.u64(totals_.logs);
    if (totals_.stats_spans) {
      w_.raw(",\"stats_spans\":");
      w_.u64(totals_.stats_spans);
    }
    w_.raw(",\"dropped\":{\"spans\":");
    w_.u64(totals_.dropped_spans);
    w_.raw(",\"events\":");
    w_.u64(totals_.dropped_events);
    w_.raw(",\"metrics\":");
    w_.u64(totals_.dropped_metrics);
    w_.raw(",\"attrs\":");
    w_.u64(totals_.dropped_attrs);
    w_.raw(",\"async_ends\":");
    w_.u64(totals_.dropped_async_ends);
    w_.raw("},\"sampled_out\":");
    w_.u64(totals_.sampled_out);
    w_.raw(",\"strings_cut\":");
    w_.u64(totals_.strings_cut);
    w_.raw(",\"metric_overflow\":");
    w_.u64(labelled_.overflowed());
    w_.raw(",\"open_spans\":");
    w_.u64(open);
    write_ring_totals(w_);
    w_.raw(",\"clock\":");
    write_clock(w_);
    if (stopped_by_) {
      w_.raw(",\"stopped_by\":\"");
      w_.raw(stopped_by_);
      w_.raw('"');
    }
    end_record();
    write_out();
    // The run is whole: a crash from here on adds nothing to it.
    activity_.store(activity_finished, std::memory_order_release);
    if (totals_.unwritten_records)
      std::fprintf(stderr, "spanlog: %llu records could not be written to %s/telemetry.jsonl\n",
                   static_cast<unsigned long long>(totals_.unwritten_records), run_dir_.c_str());
    write_run_summary(end_ns, open);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      finished_ = true;
      flush_done_ = flush_requested_;
    }
    done_cv_.notify_all();
  }

  // run_summary.json beside the file (run_summary.hpp).
  void write_run_summary(std::int64_t end_ns, std::uint64_t open);

  Options opts_;
  const std::string base_run_id_;  // as asked for; a crash handler that makes the directory starts from it
  std::string run_dir_;
  std::string run_id_;  // as made (a suffix when the asked-for one was taken)
  int fd_ = -1;
  std::atomic<int> output_stage_{stage_nothing};
  SharedQueues queues_;
  OtlpLiveWriter otlp_;  // traces.otlp.jsonl, when the run writes it
  ClockCalibration calibration_;
  std::thread thread_;

  std::atomic<std::uint64_t> thread_id_{0};
  std::atomic<int> activity_{activity_idle};
  std::atomic<bool> clock_rate_published_{false};  // statistics spans can bucket their durations
  bool stats_due_ = true;  // emit_metrics_and_drops writes span_stats lines (each stats_interval)
  std::atomic<bool> parked_{false};
  std::mutex& mutex_;
  std::condition_variable& cv_;
  bool& wake_pending_;
  std::condition_variable done_cv_;
  bool stop_requested_ = false;
  const char* stopped_by_ = nullptr;
  bool finished_ = false;
  std::uint64_t flush_requested_ = 0;
  std::uint64_t flush_done_ = 0;

  std::vector<BufferState> states_;
  std::vector<ThreadSummary> threads_;
  std::vector<PhaseInfo> phases_;
  std::vector<std::uint64_t> cycle_starts_;      // starts of the spans ended in this drain cycle
  std::vector<std::uint64_t> unsettled_starts_;  // held while a phase mark is in flight
  std::unordered_map<std::uint64_t, AsyncOpen> async_open_;
  std::unordered_map<std::uint64_t, AsyncPendingEnd> async_pending_;
  struct CounterTotal {
    bool is_float = false;
    std::int64_t int_sum = 0;
    double float_sum = 0;
  };
  std::unordered_map<std::string, CounterTotal> counter_totals_;
  std::unordered_map<const void*, std::string> name_cache_;
  std::vector<std::unordered_map<const void*, std::string>::node_type> retired_names_;  // of unloaded images
  struct ForgetRequest {
    std::uintptr_t begin, end;
    std::uint64_t ticket;
  };
  std::vector<ForgetRequest> forget_requests_;  // guarded by mutex_
  NameCacheSlot name_cache_fast_[name_cache_fast_slots];
  std::size_t name_cache_fast_used_ = 0;
  JsonlWriter w_;
  SpanRows rows_;
  JsonlWriter scratch_;  // attributes set while a span is open, before they join it
  std::string message_;  // a log line's message for the console, or a hole's text formatted by fmt
  std::string console_;  // log lines for stderr (Options::log_console), written with each drain's output
  const bool console_colour_ = console_wants_colour();
  RunTotals totals_;
  RunTotals between_runs_;
  LabelledSeries labelled_{opts_.metric_series_max};
  std::string labels_text_;               // a labelled value's labels, keys in order
  std::size_t metric_infos_written_ = 0;  // of g_metric_info's declarations: in the header or in lines
  VitalsState vitals_;
  std::uint64_t unwritten_in_buffer_ = 0;
  std::size_t complete_bytes_ = 0;   // of w_: up to the end of its last whole record
  std::size_t written_bytes_ = 0;    // of w_: already in the file
  BufferState* draining_ = nullptr;  // the ring being drained, and where in it
  std::uint64_t drain_pos_ = 0;
  const int pid_;
  const std::string process_name_;
  const std::string host_;
  const NamePatterns stats_names_;
  std::unordered_map<const void*, bool> chosen_names_;  // each name key's answer to stats_names_
  std::string header_tail_;
  RecorderOverhead overhead_;
  std::atomic<bool> overhead_taken_{false};
  char overhead_json_[256] = {};  // ,"overhead":{...} once measured
  std::atomic<std::size_t> overhead_json_size_{0};
  char crash_run_id_[256] = {};  // the run id a crash handler gave the directory it made
  std::uint64_t bytes_written_ = 0;
  std::uint64_t released_up_to_ = 0;
  std::uint64_t open_at_retire_ = 0;
  bool header_written_ = false;
  bool write_error_reported_ = false;
};

}  // namespace detail
SPANLOG_END_NAMESPACE
