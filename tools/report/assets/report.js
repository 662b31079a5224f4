// The page of `spanlog report` and `spanlog serve`: one model built from telemetry.jsonl records (docs/format.md),
// fed either by the data embedded in the file (a report) or by the server's /events stream (live). Everything
// is drawn here, with no library and no network access beyond the server that sent the page.
(function () {
  "use strict";

  const LANE_ROW = 16;        // pixels per nesting level
  const LANE_GAP = 6;
  const LABEL_WIDTH = 130;
  const RECENT_KEPT = 40;     // finished spans listed under "Latest spans" in a live view
  const CHART_BUCKETS = 120;  // points per counter chart
  const ROLLING_BUCKETS = 10; // the rolling rate averages this many buckets
  const LOG_KEPT = 2000;      // log lines listed, the newest; a report is given at most as many (SnapshotLimits)
  const LOG_LEVELS = ["trace", "debug", "info", "warn", "error"];
  const MARK_COLOURS = {warn: "#f59e0b", error: "#b71c1c"};  // the levels marked on the timeline

  // ---------- formatting ----------
  function duration(ns) {
    if (!isFinite(ns)) return "-";
    const units = [[1e9, "s"], [1e6, "ms"], [1e3, "\u00b5s"]];
    for (const [scale, unit] of units) if (Math.abs(ns) >= scale) return (ns / scale).toPrecision(3) + " " + unit;
    return Math.round(ns) + " ns";
  }
  function number(v) {
    if (typeof v !== "number" || !isFinite(v)) return String(v);
    return Math.abs(v) >= 1e6 || Number.isInteger(v) ? v.toLocaleString("en-US") : v.toPrecision(4);
  }
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else e.setAttribute(k, v);
    }
    for (const c of children) e.append(c);
    return e;
  }
  function hashHue(text) {
    let h = 2166136261;
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
    return ((h >>> 0) % 360);
  }
  function colourOf(text) { return "hsl(" + hashHue(text) + ",55%,55%)"; }

  // ---------- the model ----------
  class Model {
    constructor() { this.clear(); }
    clear() {
      this.header = null;
      this.footer = null;
      this.crash = null;
      this.threads = new Map();  // tid -> {tid, name, exited, spans: [], open: Set}
      this.lanes = new Map();    // lane key -> {key, tid, async, spans: [], layoutDirty}
      this.open = new Map();     // span_id -> span
      this.phases = [];
      // Metrics by name, then by series (label text, "" for none): {labels, text, points}. Counters' points are
      // [ts, delta], gauges' [ts, value, max]; a histogram series merges its lines as they come.
      this.counters = new Map();
      this.gauges = new Map();
      this.histograms = new Map();
      this.metricInfo = new Map();  // name -> {unit, description}: the header's `metrics`, metric_info lines
      this.seriesCount = 0;
      this.errors = [];
      this.recent = [];
      this.spansById = new Map(); // span_id -> span: what a log line's span_id names
      this.logs = [];             // in time order once sortLogs() has run: lines arrive a thread at a time
      this.logsSorted = true;
      this.logCounts = Object.fromEntries(LOG_LEVELS.map(level => [level, 0]));  // every line, listed or not
      this.logsLeftOut = 0;
      this.logVersion = (this.logVersion || 0) + 1;  // never repeats: the list is redrawn after a reset
      this.dropped = {spans: 0, events: 0, metrics: 0, attrs: 0, async_ends: 0};
      this.firstTs = Infinity;
      this.lastTs = -Infinity;
      this.spanCount = 0;
      this.version = 0;
    }
    seeTime(ts) {
      if (typeof ts !== "number") return;
      if (ts < this.firstTs) this.firstTs = ts;
      if (ts > this.lastTs) this.lastTs = ts;
    }
    thread(tid) {
      let t = this.threads.get(tid);
      if (!t) {
        // firstTs: its first span's start; firstActive: that or its first log line, whichever is earlier.
        t = {tid, name: String(tid), exited: false, spans: 0, open: new Set(), last: null, firstTs: Infinity,
             firstActive: Infinity};
        this.threads.set(tid, t);
      }
      return t;
    }
    lane(tid, async) {
      const key = async ? tid + ":async" : String(tid);
      let l = this.lanes.get(key);
      if (!l) {
        l = {key, tid, async, spans: [], rows: 1, layoutDirty: true};
        this.lanes.set(key, l);
      }
      return l;
    }
    addSpan(span) {
      this.spanCount++;
      const t = this.thread(span.tid);
      t.spans++;
      if (span.start < t.firstTs) t.firstTs = span.start;
      if (span.start < t.firstActive) t.firstActive = span.start;
      const lane = this.lane(span.tid, span.async);
      lane.spans.push(span);
      this.spansById.set(span.id, span);
      lane.layoutDirty = true;
      this.seeTime(span.start);
      if (span.end !== null) this.finish(span);
      else {
        this.open.set(span.id, span);
        t.open.add(span);
      }
    }
    finish(span) {
      this.seeTime(span.end);
      const t = this.thread(span.endTid !== undefined ? span.endTid : span.tid);
      if (!t.last || span.end >= t.last.end) t.last = span;  // a report's records are not in time order
      if (span.error) this.errors.push(span);
      this.recent.push(span);
      if (this.recent.length > RECENT_KEPT * 2) this.recent.splice(0, this.recent.length - RECENT_KEPT);
    }
    add(r) {
      this.version++;
      switch (r.event) {
        case "header":
          this.header = r;
          this.seeTime(r.start_ts);
          for (const [name, info] of Object.entries(r.metrics || {})) this.metricInfo.set(name, info || {});
          break;
        case "thread": {
          const t = this.thread(r.tid);
          if (r.name) t.name = r.name;
          if (r.exited) t.exited = true;
          break;
        }
        case "span": this.addSpan(spanOf(r, r.ts + r.dur_ns)); break;
        case "spans": for (const line of spanLines(r)) this.add(line); break;
        case "span_start": this.addSpan(spanOf(r, null)); break;
        case "span_end": {
          const s = this.open.get(r.span_id);
          if (!s) break;
          this.open.delete(r.span_id);
          this.thread(s.tid).open.delete(s);
          s.end = s.start + r.dur_ns;
          s.dur = r.dur_ns;
          s.error = r.status === "error";
          s.message = r.message || "";
          if (r.tid !== undefined) s.endTid = r.tid;
          if (r.attrs) Object.assign(s.attrs, r.attrs);
          this.lane(s.tid, s.async).layoutDirty = true;
          this.finish(s);
          break;
        }
        case "counter": this.series(this.counters, r).points.push([r.ts, r.delta]); this.seeTime(r.ts); break;
        case "gauge": this.series(this.gauges, r).points.push([r.ts, r.value, r.max]); this.seeTime(r.ts); break;
        case "histogram": mergeHistogram(this.series(this.histograms, r), r); this.seeTime(r.ts); break;
        case "metric_info": this.metricInfo.set(r.name, {unit: r.unit || "", description: r.description || ""}); break;
        case "phase": this.phases.push({name: r.name, start: r.ts, end: r.end_ts, wall: r.wall_ns}); break;
        case "dropped": for (const k of Object.keys(this.dropped)) this.dropped[k] += r[k] || 0; break;
        case "crash": this.crash = r; this.seeTime(r.ts); break;
        case "footer": this.footer = r; this.seeTime(r.ts); break;
        case "instant": this.seeTime(r.ts); break;
        case "log": this.addLog(logOf(r, r.ts)); break;
        default: break;
      }
    }
    // A metric line's series: one per label set, so that labelled lines are never merged.
    series(metrics, r) {
      let byLabels = metrics.get(r.name);
      if (!byLabels) metrics.set(r.name, byLabels = new Map());
      const labels = r.labels && typeof r.labels === "object" ? r.labels : {};
      const text = labelText(labels);
      let s = byLabels.get(text);
      if (!s) {
        byLabels.set(text, s = {name: r.name, labels, text, points: [], buckets: new Map(), count: 0, sum: 0});
        this.seriesCount++;
      }
      return s;
    }
    addLog(line) {
      if (line.level in this.logCounts) this.logCounts[line.level]++;
      const t = this.thread(line.tid);
      if (line.ts < t.firstActive) t.firstActive = line.ts;
      this.lane(line.tid, false);  // a thread that only logs still has a lane for its marks
      this.seeTime(line.ts);
      if (this.logs.length && line.ts < this.logs[this.logs.length - 1].ts) this.logsSorted = false;
      this.logs.push(line);
      this.logVersion++;
      if (this.logs.length > LOG_KEPT * 2) this.sortLogs();
    }
    // The lines in time order, the newest LOG_KEPT of them; the older ones stay counted.
    sortLogs() {
      if (!this.logsSorted) this.logs.sort((a, b) => a.ts - b.ts);  // stable: a thread's order among equals
      this.logsSorted = true;
      if (this.logs.length > LOG_KEPT) {
        this.logsLeftOut += this.logs.length - LOG_KEPT;
        this.logs.splice(0, this.logs.length - LOG_KEPT);
      }
    }
    // The span a log line was written in, when the page has it.
    spanOfLog(line) { return line.spanId === null ? null : this.spansById.get(line.spanId) || null; }
    // The end of the time axis: the footer, else the newest timestamp (where open spans are drawn up to).
    endTs() { return this.footer ? this.footer.ts : this.lastTs; }
    startTs() { return this.header ? this.header.start_ts : this.firstTs; }
    // Phases known so far, and those still open (a span of kind phase without its end) up to the end.
    allPhases() {
      const list = this.phases.slice();
      for (const s of this.open.values()) if (s.phase) list.push({name: s.name, start: s.start, end: this.endTs(), open: true});
      return list.sort((a, b) => a.start - b.start);
    }
  }
  // `kind="input",model="m-large"`: as the reader writes a label set (keys in order, strings quoted).
  function labelText(labels) {
    return Object.keys(labels).sort().map(k => k + "=" + (typeof labels[k] === "string" ? JSON.stringify(labels[k]) : String(labels[k]))).join(",");
  }
  function seriesName(s) { return s.text ? s.name + "{" + s.text + "}" : s.name; }

  // ---------- histograms: the buckets of tools/reader/histogram.cpp, percentiles as it computes them ----------
  const EXACT_BELOW = 128, SUB_BUCKETS = 64;  // exact below 128, then 64 buckets per power of two
  function bucketOf(value) {
    if (value < EXACT_BELOW) return value;
    const exponent = value.toString(2).length - 1;  // exact for every integer a double holds
    const shift = exponent - 6;
    return EXACT_BELOW + (shift - 1) * SUB_BUCKETS + Math.floor(value / 2 ** shift) - SUB_BUCKETS;
  }
  function bucketLower(bucket) {
    if (bucket < EXACT_BELOW) return bucket;
    const above = bucket - EXACT_BELOW;
    return (SUB_BUCKETS + above % SUB_BUCKETS) * 2 ** (Math.floor(above / SUB_BUCKETS) + 1);
  }
  function bucketUpper(bucket) {
    if (bucket < EXACT_BELOW) return bucket;
    return bucketLower(bucket) + 2 ** (Math.floor((bucket - EXACT_BELOW) / SUB_BUCKETS) + 1) - 1;
  }
  function mergeHistogram(series, r) {
    for (const pair of Array.isArray(r.buckets) ? r.buckets : []) {
      if (!Array.isArray(pair) || typeof pair[0] !== "number" || typeof pair[1] !== "number") continue;
      const b = bucketOf(pair[0]);
      series.buckets.set(b, (series.buckets.get(b) || 0) + pair[1]);
      series.count += pair[1];
    }
    if (typeof r.sum === "number") series.sum += r.sum;
  }
  // Count, min, p50, p90, p99 and max of merged buckets, as Histogram::percentile gives them: the nearest
  // rank's bucket midpoint, kept within the smallest and largest bucket's bounds; min and max exact at the ends.
  function histogramFigures(buckets) {
    const order = Array.from(buckets.keys()).filter(b => buckets.get(b) > 0).sort((a, b) => a - b);
    let count = 0;
    for (const b of order) count += buckets.get(b);
    if (!count) return {count: 0, min: 0, p50: 0, p90: 0, p99: 0, max: 0};
    const min = bucketLower(order[0]), max = bucketUpper(order[order.length - 1]);
    const percentile = q => {
      const rank = Math.max(1, Math.ceil(q * count - 1e-9));
      if (rank >= count) return max;
      if (rank === 1) return min;
      let seen = 0;
      for (const b of order) {
        seen += buckets.get(b);
        if (seen >= rank) {
          const low = bucketLower(b), high = bucketUpper(b);
          return Math.min(max, Math.max(min, low + Math.floor((high - low) / 2)));
        }
      }
      return max;
    };
    return {count, min, p50: percentile(0.5), p90: percentile(0.9), p99: percentile(0.99), max};
  }

  function push(map, key, value) {
    let list = map.get(key);
    if (!list) map.set(key, list = []);
    list.push(value);
  }
  // A `spans` record (schema 1.3): each row as the `span` line it stands for. Columns are found by name;
  // trailing ones may be left out (no parent: a root); ids and start times are relative to the record's.
  function spanLines(r) {
    const at = {};
    (Array.isArray(r.fields) ? r.fields : []).forEach((name, i) => { if (!(name in at)) at[name] = i; });
    const lines = [];
    for (const row of Array.isArray(r.rows) ? r.rows : []) {
      if (!Array.isArray(row)) continue;
      const value = name => at[name] !== undefined && at[name] < row.length ? row[at[name]] : undefined;
      const line = {event: "span", span_id: r.id_base + value("span_id"), name: value("name"), tid: r.tid,
                    ts: r.ts + value("ts"), dur_ns: value("dur_ns"), status: "ok"};
      const parent = value("parent");
      if (parent !== undefined && parent !== null) line.parent = r.id_base + parent;
      const attrs = value("attrs");
      if (attrs && typeof attrs === "object") line.attrs = attrs;
      lines.push(line);
    }
    return lines;
  }

  // A log line, from a `log` record (live; ts absolute) or from a report's list (ts an offset, thread and span
  // named by the reader, since the span may not be among those drawn).
  function logOf(r, ts) {
    return {ts, level: r.level, tid: r.tid, spanId: typeof r.span_id === "number" ? r.span_id : null,
            spanName: r.span || null, threadName: r.thread || null, msg: r.msg || "",
            attrs: r.attrs && typeof r.attrs === "object" ? r.attrs : {}, site: r.site || null};
  }

  function spanOf(r, end) {
    return {id: r.span_id, name: r.name, tid: r.tid, start: r.ts, end,
            error: r.status === "error", message: r.message || "", attrs: Object.assign({}, r.attrs || {}),
            phase: r.kind === "phase", async: !!r.async, endTid: r.end_tid, row: 0,
            dur: end === null ? null : r.dur_ns};  // exact: timestamps as doubles lose nanoseconds
  }

  // Rows within a lane: the first row free at a span's start, so a child sits below its parent.
  function layout(lane, endTs) {
    if (!lane.layoutDirty) return;
    lane.spans.sort((a, b) => a.start - b.start || (b.end === null ? Infinity : b.end) - (a.end === null ? Infinity : a.end));
    const rowEnds = [];
    for (const s of lane.spans) {
      const end = s.end === null ? Infinity : s.end;
      let row = 0;
      while (row < rowEnds.length && rowEnds[row] > s.start) row++;
      rowEnds[row] = end;
      s.row = row;
    }
    lane.rows = Math.max(1, rowEnds.length);
    lane.layoutDirty = false;
    void endTs;
  }

  // ---------- the page ----------
  const model = new Model();
  const page = {
    live: false,
    summary: null,
    activity: null,      // a report's spans begun per thread and time bucket, when not all are drawn
    note: "",
    view: null,          // [start, end] in ns, absolute; null: the whole run
    colourBy: "name",
    sort: {key: null, descending: true},
    dirty: true,
    connected: false,
    hover: null,
    selected: {span: null, log: null},  // what a click on a span, a mark or a log line chose
    seriesLeftOut: {},  // a report's metrics: series left out by name (SnapshotLimits::max_series_per_metric)
    lanesBy: "first",                   // thread lanes and cards by first activity, or by "name"
    run: {name: null, latest: false},   // live: the run the server follows now (null: none yet)
    logLevels: new Set(LOG_LEVELS),     // the levels the log panel lists
  };
  window.spanlog = {model, page};

  const canvas = document.getElementById("timeline");
  const tooltip = document.getElementById("tooltip");

  // Threads in a fixed order, whatever order their records arrive in: by first activity (the earliest span
  // start or log line drawn; threads with neither last), or by name; ties by thread id. A thread's async lane
  // follows its own.
  function compareThreads(ta, tb) {
    if (page.lanesBy === "name") {
      const byName = ta.name < tb.name ? -1 : ta.name > tb.name ? 1 : 0;
      if (byName) return byName;
    } else if (ta.firstActive !== tb.firstActive) {
      return ta.firstActive < tb.firstActive ? -1 : 1;
    }
    return ta.tid - tb.tid;
  }
  function lanesInOrder() {
    return Array.from(model.lanes.values()).sort((a, b) =>
      compareThreads(model.thread(a.tid), model.thread(b.tid)) || (a.async - b.async));
  }
  function laneLabel(lane) {
    const t = model.threads.get(lane.tid);
    return (t ? t.name : String(lane.tid)) + (lane.async ? " (async)" : "");
  }
  function viewRange() {
    const start = model.startTs(), end = Math.max(model.endTs(), start + 1);
    if (!page.view) return [start, end];
    return page.view;
  }
  function phaseAt(ts) {
    for (const p of model.allPhases()) if (ts >= p.start && ts < p.end) return p.name;
    return "";
  }
  function spanColour(s) {
    if (s.error) return "#d32f2f";
    if (page.colourBy === "phase") {
      const p = s.phase ? s.name : phaseAt(s.start);
      return p ? colourOf(p) : "#90a4ae";
    }
    return colourOf(s.name);
  }

  function drawTimeline() {
    const lanes = lanesInOrder();
    const endTs = model.endTs();
    let height = 24;
    const strip = page.activity ? 4 : 0;  // room for the activity strip under each lane
    for (const l of lanes) { layout(l, endTs); height += l.rows * LANE_ROW + strip + LANE_GAP; }
    const width = canvas.clientWidth || 800;
    const ratio = window.devicePixelRatio || 1;
    canvas.style.height = height + "px";
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    const g = canvas.getContext("2d");
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, width, height);
    g.font = "11px system-ui, sans-serif";
    const [v0, v1] = viewRange();
    const plotW = width - LABEL_WIDTH;
    const x = ts => LABEL_WIDTH + (ts - v0) / (v1 - v0) * plotW;
    // Time axis.
    g.fillStyle = "#6b7280";
    g.strokeStyle = "#e5e7eb";
    const origin = model.startTs();
    const step = niceStep((v1 - v0) / 8);
    for (let t = Math.ceil((v0 - origin) / step) * step; origin + t <= v1; t += step) {
      const px = x(origin + t);
      g.beginPath(); g.moveTo(px, 18); g.lineTo(px, height); g.stroke();
      g.fillText(duration(t), px + 2, 12);
    }
    const hitboxes = [], markboxes = [];
    const marks = marksByThread();
    let y = 24;
    const activity = page.activity;
    for (const lane of lanes) {
      g.fillStyle = "#1d2330";
      g.fillText(laneLabel(lane), 4, y + 12, LABEL_WIDTH - 8);
      // Not every span is drawn: a strip at the lane's foot shades where all of them began, counted in buckets.
      const counts = activity && !lane.async ? activity.threads[String(lane.tid)] : null;
      if (counts) {
        const foot = y + lane.rows * LANE_ROW;
        for (let i = 0; i < counts.length; i++) {
          if (!counts[i]) continue;
          const b0 = model.startTs() + i * activity.bucket_ns;
          const px0 = Math.max(LABEL_WIDTH, x(b0)), px1 = Math.min(width, x(b0 + activity.bucket_ns));
          if (px1 < LABEL_WIDTH || px0 > width) continue;
          g.fillStyle = "rgba(29,35,48," + (0.15 + 0.85 * counts[i] / activity.max).toFixed(3) + ")";
          g.fillRect(px0, foot, Math.max(1, px1 - px0), 3);
        }
      }
      // Spans narrower than a pixel are merged per row: the row's last drawn pixel is not drawn again.
      const lastPx = new Array(lane.rows).fill(-Infinity);
      for (const s of lane.spans) {
        const end = s.end === null ? endTs : s.end;
        if (end < v0 || s.start > v1) continue;
        const x0 = Math.max(LABEL_WIDTH, x(s.start)), x1 = Math.min(width, x(end));
        if (x1 <= lastPx[s.row] && x1 - x0 < 1) continue;
        lastPx[s.row] = Math.max(lastPx[s.row], x1);
        const top = y + s.row * LANE_ROW;
        const w = Math.max(s.end === null ? 4 : 1, x1 - x0);  // a span that just began is still seen
        g.fillStyle = spanColour(s);
        g.fillRect(x0, top + 1, w, LANE_ROW - 2);
        if (s.end === null) {  // open-ended: a hatched tail and no right edge
          g.fillStyle = "rgba(255,255,255,.45)";
          for (let hx = x1 - 12; hx < x1; hx += 4) g.fillRect(Math.max(x0, hx), top + 1, 2, LANE_ROW - 2);
        }
        if (w > 30) {
          g.fillStyle = "#fff";
          g.fillText(s.name, x0 + 3, top + 12, w - 6);
        }
        hitboxes.push([x0, top, w, s]);  // a narrow span stands for the others merged into its pixel
      }
      outlineSelected(g, lane, y, x, width, endTs);
      if (!lane.async) drawMarks(g, marks.get(lane.tid) || [], y, x, [v0, v1], width, markboxes);
      y += lane.rows * LANE_ROW + strip;
      g.strokeStyle = "#e5e7eb";
      g.beginPath(); g.moveTo(0, y + LANE_GAP / 2); g.lineTo(width, y + LANE_GAP / 2); g.stroke();
      y += LANE_GAP;
    }
    canvas.hitboxes = hitboxes;
    canvas.markboxes = markboxes;
  }
  // Warn and error lines by thread: a mark each on the thread's lane.
  function marksByThread() {
    const marks = new Map();
    for (const line of model.logs) if (line.level in MARK_COLOURS) push(marks, line.tid, line);
    return marks;
  }
  // A small triangle pointing down at the line's time, at the top of the lane; the selected one larger.
  function drawMarks(g, lines, y, x, [v0, v1], width, markboxes) {
    for (const line of lines) {
      if (line.ts < v0 || line.ts > v1) continue;
      const px = x(line.ts), size = line === page.selected.log ? 7 : 4;
      if (px < LABEL_WIDTH || px > width) continue;
      g.fillStyle = MARK_COLOURS[line.level];
      g.strokeStyle = "#fff";
      g.lineWidth = 1;
      g.beginPath(); g.moveTo(px - size, y); g.lineTo(px + size, y); g.lineTo(px, y + size * 1.6); g.closePath();
      g.fill(); g.stroke();
      markboxes.push([px, y, line]);
    }
  }
  function outlineSelected(g, lane, y, x, width, endTs) {
    const s = page.selected.span;
    if (!s || s.tid !== lane.tid || s.async !== lane.async) return;
    const x0 = Math.max(LABEL_WIDTH, x(s.start)), x1 = Math.min(width, x(s.end === null ? endTs : s.end));
    if (x1 < LABEL_WIDTH || x0 > width) return;
    g.strokeStyle = "#1d2330";
    g.lineWidth = 2;
    g.strokeRect(x0 - 1, y + s.row * LANE_ROW, Math.max(2, x1 - x0) + 2, LANE_ROW);
    g.lineWidth = 1;
  }
  function niceStep(raw) {
    if (!(raw > 0)) return 1;
    const p = Math.pow(10, Math.floor(Math.log10(raw)));
    for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
    return 10 * p;
  }

  function spanAt(px, py) {
    const boxes = canvas.hitboxes || [];
    for (let i = boxes.length - 1; i >= 0; i--) {
      const [x0, top, w, s] = boxes[i];
      if (px >= x0 - 1 && px <= x0 + w + 1 && py >= top && py < top + LANE_ROW) return s;
    }
    return null;
  }
  function markAt(px, py) {
    for (const [mx, top, line] of canvas.markboxes || [])
      if (Math.abs(px - mx) <= 5 && py >= top - 1 && py <= top + 9) return line;
    return null;
  }
  function spanDuration(s) {
    return s.end === null ? "open " + duration(model.endTs() - s.start) + " (never ended)" : duration(s.dur);
  }
  function showTooltip(s, px, py) {
    if (!s) { tooltip.hidden = true; return; }
    tooltip.replaceChildren();
    if (s.msg !== undefined) {  // a log line's mark
      tooltip.append(el("b", {text: s.level + " at +" + duration(s.ts - model.startTs())}), el("div", {text: s.msg}));
      placeTooltip(px, py);
      return;
    }
    tooltip.append(el("b", {text: s.name}), el("div", {text: spanDuration(s) + " at +" + duration(s.start - model.startTs())}));
    if (s.error) tooltip.append(el("div", {class: "err", text: "error" + (s.message ? ": " + s.message : "")}));
    for (const [k, v] of Object.entries(s.attrs)) tooltip.append(el("div", {text: k + " = " + JSON.stringify(v)}));
    placeTooltip(px, py);
  }
  function placeTooltip(px, py) {
    tooltip.hidden = false;
    tooltip.style.left = Math.min(px + 12, canvas.clientWidth - 300) + "px";
    tooltip.style.top = (py + 14) + "px";
  }
  function installTimelineControls() {
    let drag = null;
    canvas.addEventListener("wheel", e => {
      e.preventDefault();
      const [v0, v1] = viewRange();
      const plotW = canvas.clientWidth - LABEL_WIDTH;
      const at = v0 + Math.max(0, e.offsetX - LABEL_WIDTH) / plotW * (v1 - v0);
      const factor = e.deltaY > 0 ? 1.25 : 0.8;
      const span = Math.max(1000, (v1 - v0) * factor);
      const left = (at - v0) / (v1 - v0);
      page.view = [at - left * span, at - left * span + span];
      page.dirty = true;
    }, {passive: false});
    let pressedAt = null;  // a press and release in the same place is a click, not a drag
    canvas.addEventListener("mousedown", e => {
      drag = {x: e.offsetX, view: viewRange()};
      pressedAt = [e.offsetX, e.offsetY];
      canvas.style.cursor = "grabbing";
    });
    canvas.addEventListener("click", e => {
      if (!pressedAt || Math.abs(e.offsetX - pressedAt[0]) > 3 || Math.abs(e.offsetY - pressedAt[1]) > 3) return;
      const line = markAt(e.offsetX, e.offsetY);
      if (line) select(model.spanOfLog(line), line);
      else select(spanAt(e.offsetX, e.offsetY), null);
    });
    window.addEventListener("mouseup", () => { drag = null; canvas.style.cursor = "grab"; });
    canvas.addEventListener("mousemove", e => {
      if (drag) {
        const [v0, v1] = drag.view;
        const shift = (e.offsetX - drag.x) / (canvas.clientWidth - LABEL_WIDTH) * (v1 - v0);
        page.view = [v0 - shift, v1 - shift];
        page.dirty = true;
        return;
      }
      showTooltip(markAt(e.offsetX, e.offsetY) || spanAt(e.offsetX, e.offsetY), e.offsetX, e.offsetY);
    });
    canvas.addEventListener("mouseleave", () => { tooltip.hidden = true; });
    document.getElementById("reset-zoom").addEventListener("click", () => { page.view = null; page.dirty = true; });
    document.getElementById("colour-by").addEventListener("change", e => { page.colourBy = e.target.value; page.dirty = true; });
    document.getElementById("lanes-by").addEventListener("change", e => { page.lanesBy = e.target.value; page.dirty = true; });
  }

  // The run's state as the reader decided it (summary.json: complete, stopped by SIGTERM, crashed (...), died,
  // running), so the page says what every command says. A live page asks again when the records show an end.
  function runState() {
    const run = page.summary && page.summary.runs && page.summary.runs.length ? page.summary.runs[0] : null;
    return run && run.state ? run.state : page.live ? "running" : "";
  }
  function drawPhaseBar() {
    const bar = document.getElementById("phase-bar");
    const start = model.startTs(), end = model.endTs();
    const total = model.footer ? model.footer.wall_ns : end - start;
    const state = runState();
    // "so far" only while the run is being written; any other end is named.
    document.getElementById("phase-total").textContent = isFinite(total) ?
      "Wall time " + duration(total) + (state === "running" ? " so far" : state && state !== "complete" ? ", " + state : "") : "";
    bar.replaceChildren();
    let cursor = start;
    for (const p of model.allPhases()) {
      if (p.start < cursor) continue;  // a phase within another is shown by the timeline only
      if (p.start > cursor) bar.append(el("div", {class: "gap", style: "flex:" + (p.start - cursor)}));
      const share = total > 0 ? (p.end - p.start) / total * 100 : 0;
      bar.append(el("div", {class: "phase", style: "flex:" + (p.end - p.start) + ";background:" + colourOf(p.name),
                            title: p.name + ": " + duration(p.end - p.start) + " (" + share.toFixed(1) + "%)" + (p.open ? ", open" : ""),
                            text: p.name + " " + share.toFixed(0) + "%"}));
      cursor = p.end;
    }
    if (end > cursor && cursor > start) bar.append(el("div", {class: "gap", style: "flex:" + (end - cursor)}));
    if (!bar.children.length) bar.append(el("div", {class: "gap", style: "flex:1", text: "no phases recorded (SPANLOG_PHASE)"}));
  }

  function numericAttrs(span) {
    if (!span) return "";
    return Object.entries(span.attrs).filter(([, v]) => typeof v === "number").map(([k, v]) => k + "=" + number(v)).join(" ");
  }
  function drawWorkers() {
    const box = document.getElementById("workers");
    box.replaceChildren();
    const over = runState() !== "running";
    for (const t of Array.from(model.threads.values()).sort(compareThreads)) {
      if (t.spans === 0) continue;
      const open = Array.from(t.open).sort((a, b) => a.start - b.start);
      const current = open.length ? open[open.length - 1] : null;
      // A span still open when the run is over never ended: the program crashed or was stopped inside it.
      const state = current ? (over ? "error" : "running") : t.last && t.last.error ? "error" : "done";
      const until = current ? model.endTs() : t.last ? t.last.end : t.firstTs;
      const shown = current || t.last;
      box.append(el("div", {class: "card " + state, "data-thread": t.name},
        el("span", {class: "state", text: state}),
        el("div", {class: "name", text: t.name}),
        el("div", {text: (shown ? shown.name : "") + (current ? " \u2026" : "")}),
        el("div", {class: "muted", text: "elapsed " + duration(until - t.firstTs) + ", " + t.spans + " spans"}),
        el("div", {class: "attrs", text: numericAttrs(shown)})));
    }
  }
  function drawErrors() {
    const list = document.getElementById("errors");
    list.replaceChildren();
    document.getElementById("error-count").textContent = model.errors.length ? "(" + model.errors.length + ")" : "";
    const shown = model.errors.slice(-200).reverse();
    for (const s of shown) {
      const t = model.threads.get(s.tid);
      list.append(el("li", {"data-span": s.name},
        el("b", {text: s.name}), " on " + (t ? t.name : s.tid) + " at +" + duration(s.start - model.startTs()) + " ",
        el("span", {class: "msg", text: s.message})));
    }
    if (!model.errors.length) list.append(el("li", {class: "muted", style: "color:inherit;list-style:none", text: "no error spans"}));
  }
  function drawRecent() {
    if (!page.live) return;
    document.getElementById("recent-section").hidden = false;
    const list = document.getElementById("recent");
    list.replaceChildren();
    for (const s of model.recent.slice(-RECENT_KEPT).reverse()) {
      const t = model.threads.get(s.tid);
      list.append(el("li", {"data-span": s.name}, s.name + " ", el("span", {class: "muted", text: duration(s.end - s.start) + " on " + (t ? t.name : s.tid)})));
    }
  }

  // ---------- selection: a span, or a log line and its span ----------
  function select(span, log) {
    page.selected = {span, log};
    // A span out of view is brought into it, at the same zoom.
    if (span && page.view) {
      const [v0, v1] = page.view, end = span.end === null ? model.endTs() : span.end;
      if (end < v0 || span.start > v1) {
        const middle = (span.start + end) / 2, half = (v1 - v0) / 2;
        page.view = [middle - half, middle + half];
      }
    }
    logsShown = null;  // the selected row is marked
    page.dirty = true;
  }
  function threadName(tid, named) {
    const t = model.threads.get(tid);
    return t && t.name !== String(tid) ? t.name : named || String(tid);
  }
  function attrLines(attrs) {
    return Object.entries(attrs).map(([k, v]) => el("div", {class: "attr", text: k + " = " + JSON.stringify(v)}));
  }
  function drawSelection() {
    const box = document.getElementById("selection");
    const {span, log} = page.selected;
    box.hidden = !span && !log;
    box.replaceChildren();
    box.setAttribute("data-span", span ? span.name : "");
    box.setAttribute("data-log", log ? log.msg : "");
    if (log) {
      const site = log.site ? log.site.file + ":" + log.site.line : "";
      box.append(el("div", {class: "log-line"},
        el("span", {class: "level level-" + log.level, text: log.level}),
        " +" + duration(log.ts - model.startTs()) + " on " + threadName(log.tid, log.threadName) + " ",
        el("b", {text: log.msg}), " ", el("span", {class: "muted", text: site})), ...attrLines(log.attrs));
      if (!span)
        box.append(el("div", {class: "muted", text: log.spanId === null ? "written outside every span" :
          "in span " + (log.spanName || log.spanId) + ", which the page does not draw"}));
    }
    if (span) {
      box.append(el("div", {class: "span-line"}, el("b", {text: span.name}),
        " " + spanDuration(span) + " at +" + duration(span.start - model.startTs()) + " on " + threadName(span.tid) +
        (span.error ? ", error" + (span.message ? ": " + span.message : "") : "")), ...attrLines(span.attrs));
    }
  }

  // ---------- the log panel ----------
  let logsShown = null;  // what the list was drawn from: redrawn only when it changes
  function drawLogLevels() {
    const box = document.getElementById("log-levels");
    box.replaceChildren();
    for (const level of LOG_LEVELS) {
      const input = el("input", {type: "checkbox", "data-level": level});
      input.checked = page.logLevels.has(level);
      input.addEventListener("change", () => {
        if (input.checked) page.logLevels.add(level); else page.logLevels.delete(level);
        logsShown = null;
        page.dirty = true;
      });
      box.append(el("label", {class: "level level-" + level}, input, " " + level + " ",
                    el("span", {class: "count", text: model.logCounts[level].toLocaleString("en-US")})));
    }
  }
  // A span that arrives after its lines names them: new spans redraw the list too.
  function logsKey() { return model.logVersion + "/" + model.spanCount + "/" + Array.from(page.logLevels).join(","); }
  function drawLogs() {
    const key = logsKey();
    if (logsShown === key) return;
    logsShown = key;
    model.sortLogs();
    const total = LOG_LEVELS.reduce((n, level) => n + model.logCounts[level], 0);
    document.getElementById("log-count").textContent = total ? "(" + total.toLocaleString("en-US") + ")" : "";
    drawLogLevels();
    const note = document.getElementById("log-note");
    note.hidden = !model.logsLeftOut;
    note.textContent = "The newest " + model.logs.length.toLocaleString("en-US") + " lines are listed; the " +
      model.logsLeftOut.toLocaleString("en-US") + " older ones are counted by level above.";
    const wrap = document.getElementById("log-wrap");
    const atBottom = wrap.scrollTop + wrap.clientHeight >= wrap.scrollHeight - 4;
    const body = el("tbody");
    for (const line of model.logs) {
      if (!page.logLevels.has(line.level)) continue;
      const span = model.spanOfLog(line);
      const spanName = span ? span.name : line.spanName || "";
      const row = el("tr", {class: line === page.selected.log ? "selected" : "", "data-level": line.level, "data-span": spanName},
        el("td", {class: "offset", text: "+" + duration(line.ts - model.startTs())}),
        el("td", {}, el("span", {class: "level level-" + line.level, text: line.level})),
        el("td", {text: threadName(line.tid, line.threadName)}),
        el("td", {class: "span", text: spanName}),
        el("td", {class: "msg", text: line.msg}));
      row.addEventListener("click", () => select(model.spanOfLog(line), line));
      body.append(row);
    }
    if (!body.children.length)
      body.append(el("tr", {class: "muted"}, el("td", {colspan: "5", text: total ? "no lines at the chosen levels" : "no log lines"})));
    document.getElementById("logs").tBodies[0].replaceWith(body);
    if (page.live && atBottom) wrap.scrollTop = wrap.scrollHeight;  // a live list follows its newest line
  }

  const COLUMNS = [["name", "name"], ["count", "count"], ["total_ns", "total"], ["self_ns", "self"], ["parallel_ns", "parallel"], ["mean_ns", "mean"],
                   ["p50_ns", "p50"], ["p90_ns", "p90"], ["p99_ns", "p99"], ["max_ns", "max"], ["errors", "errors"]];
  function drawSummary() {
    const table = document.getElementById("summary");
    const rows = page.summary ? page.summary.spans.slice() : [];
    const {key, descending} = page.sort;
    rows.sort((a, b) => {
      if (key === null) return (b.errors > 0) - (a.errors > 0) || b.total_ns - a.total_ns;  // errors first
      const d = typeof a[key] === "string" ? a[key].localeCompare(b[key]) : a[key] - b[key];
      return descending ? -d : d;
    });
    const head = el("tr");
    for (const [k, title] of COLUMNS) {
      const th = el("th", {"data-key": k, text: title + (key === k ? (descending ? " \u25BC" : " \u25B2") : "")});
      th.addEventListener("click", () => {
        page.sort = {key: k, descending: page.sort.key === k ? !page.sort.descending : k !== "name"};
        drawSummary();
      });
      head.append(th);
    }
    table.tHead.replaceChildren(head);
    const body = el("tbody");
    for (const r of rows) {
      const tr = el("tr", {class: r.errors > 0 ? "has-errors" : ""});
      for (const [k] of COLUMNS) {
        const td = el("td", {text: k === "name" ? r.name : k.endsWith("_ns") ? duration(r[k]) : number(r[k])});
        // Marked "~" (by the style sheet, so the cell's text stays the name): a name whose p50 is below ten
        // times what a span costs to record (summary --json).
        if (k === "name" && r.mostly_instrumentation) {
          td.className = "instrumentation";
          td.title = "mostly instrumentation: its p50 is below 10x what a span costs to record";
        }
        // Statistics-mode spans (span_stats lines) are counted here but have no bars on the timeline.
        if (k === "name" && r.statistics > 0) {
          td.classList.add("statistics");
          td.title = (td.title ? td.title + "; " : "") + r.statistics + " of its spans from statistics mode: not on the timeline";
        }
        tr.append(td);
      }
      body.append(tr);
    }
    table.tBodies[0].replaceWith(body);
  }

  // ---------- metrics ----------
  const MAX_SERIES = 8;  // series drawn per metric, the largest; SnapshotLimits::max_series_per_metric
  const HISTOGRAM_BINS = 30;
  const SERIES_COLOURS = ["#1565c0", "#c62828", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f", "#ad1457", "#5d4037"];
  const TIME_UNITS = {ns: 1, us: 1e3, ms: 1e6, s: 1e9, min: 60e9, h: 3600e9};  // UCUM, in nanoseconds
  const isTimeUnit = unit => Object.prototype.hasOwnProperty.call(TIME_UNITS, unit);
  function unitName(unit) { return (unit || "").replace(/^\{(.*)\}$/, "$1"); }  // {token}: token
  function bytes(v) {
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let i = 0;
    while (Math.abs(v) >= 1024 && i < units.length - 1) { v /= 1024; i++; }
    return (i ? v.toPrecision(3) : String(Math.round(v))) + " " + units[i];
  }
  function formatValue(v, unit) {
    if (typeof v !== "number" || !isFinite(v)) return String(v);
    if (unit === "By") return bytes(v);
    if (isTimeUnit(unit)) return duration(v * TIME_UNITS[unit]);
    const name = unitName(unit);
    return number(v) + (name && name !== "1" ? " " + name : "");
  }
  function formatRate(v, unit) {
    if (unit === "By") return bytes(v) + "/s";
    if (isTimeUnit(unit)) return number(Number((v * TIME_UNITS[unit] / 1e9).toPrecision(3))) + " s/s";
    const name = unitName(unit);
    return number(Number(v.toPrecision(4))) + " " + (name && name !== "1" ? name + "/s" : "per s");
  }
  function infoOf(name) { return model.metricInfo.get(name) || {unit: "", description: ""}; }
  const isVital = name => name.startsWith("spanlog.");

  // The run's time in buckets no narrower than the flush interval: counters arrive once per interval.
  function timeAxis() {
    const start = model.startTs(), end = Math.max(model.endTs(), start + 1);
    const flushNs = ((model.header && model.header.options && model.header.options.flush_interval_ms) || 100) * 1e6;
    const width = Math.max((end - start) / CHART_BUCKETS, flushNs);
    const count = Math.max(1, Math.ceil((end - start) / width));
    return {start, end, width, count,
            bucketOf: ts => Math.min(count - 1, Math.max(0, Math.floor((ts - start) / width))),
            middle: i => start + (i + 0.5) * width};
  }
  // A metric's series to draw: the largest MAX_SERIES, and how many others there are (a report may have left
  // some out already: page.seriesLeftOut).
  function largestSeries(name, byLabels, size) {
    const all = Array.from(byLabels.values()).map(s => ({s, size: Math.abs(size(s))}));
    all.sort((a, b) => b.size - a.size || (a.s.text < b.s.text ? -1 : a.s.text > b.s.text ? 1 : 0));
    const shown = all.slice(0, MAX_SERIES).map(x => x.s);
    return {shown, leftOut: all.length - shown.length + ((page.seriesLeftOut || {})[name] || 0)};
  }
  const counterTotal = s => s.points.reduce((sum, [, d]) => sum + (typeof d === "number" ? d : 0), 0);
  const gaugePeak = s => s.points.reduce((m, [, v, max]) => Math.max(m, typeof max === "number" ? max : -Infinity, typeof v === "number" ? v : -Infinity), -Infinity);
  function gaugeNewest(s) {
    let newest = null, at = -Infinity;
    for (const [ts, v] of s.points) if (typeof v === "number" && ts >= at) { newest = v; at = ts; }
    return newest;
  }
  // A gauge per bucket: its newest value ("last") or the largest the bucket saw ("peak"), from its first value.
  function gaugeLine(s, axis, mode) {
    const slots = new Array(axis.count).fill(null);
    for (const [ts, v, max] of s.points) {
      if (typeof v !== "number") continue;
      const i = axis.bucketOf(ts), value = mode === "peak" ? Math.max(v, typeof max === "number" ? max : v) : v;
      slots[i] = mode === "peak" && slots[i] !== null ? Math.max(slots[i], value) : value;
    }
    const points = [];
    for (let i = 0, held = null; i < slots.length; i++) {
      if (slots[i] !== null) held = slots[i];
      if (held !== null) points.push([axis.middle(i), held]);
    }
    return points;
  }
  // A counter's rate per second per bucket, and the rolling rate over ROLLING_BUCKETS of them.
  function counterRates(s, axis) {
    const sums = new Array(axis.count).fill(0);
    for (const [ts, d] of s.points) if (typeof d === "number") sums[axis.bucketOf(ts)] += d;
    const rate = sums.map(v => v / (axis.width / 1e9));
    const rolling = rate.map((_, i) => { const from = Math.max(0, i - ROLLING_BUCKETS + 1); let sum = 0; for (let j = from; j <= i; j++) sum += rate[j]; return sum / (i - from + 1); });
    return {rate, rolling};
  }
  // A counter written once per sampling interval (the vitals): each line's delta over the time since the
  // previous one, so the rate does not depend on how the time is bucketed.
  function sampleRates(s, start) {
    const points = s.points.filter(([, d]) => typeof d === "number").sort((a, b) => a[0] - b[0]);
    const out = [];
    let previous = start;
    for (const [ts, d] of points) {
      if (ts > previous) out.push([ts, d / ((ts - previous) / 1e9)]);
      previous = ts;
    }
    return out;
  }
  function legendItem(text, colour, attrs) {
    const item = el("span", Object.assign({class: "series"}, attrs), el("i", {style: "background:" + colour}), text);
    return item;
  }
  // A chart over the run's time: bars ([[from, to, value]]) and lines ([{points: [[ts, value]], colour}]).
  function timeChart({title, metric, unit, description, legend, bars, lines, format, axis, leftOut}) {
    const c = el("canvas");
    const head = el("div", {class: "chart-head"}, el("b", {text: title}));
    if (unit && unit !== "1") head.append(el("span", {class: "unit", text: unit}));
    const wrap = el("div", {class: "chart", "data-metric": metric}, head);
    if (description) wrap.title = description;
    wrap.append(el("div", {class: "legend"}, ...legend));
    if (leftOut) wrap.append(el("div", {class: "left-out", text: leftOut + " more series not shown (the largest " + MAX_SERIES + " are)"}));
    wrap.append(c);
    requestAnimationFrame(() => {
      const w = c.clientWidth || 400, h = c.clientHeight || 140, ratio = window.devicePixelRatio || 1;
      c.width = w * ratio; c.height = h * ratio;
      const g = c.getContext("2d");
      g.setTransform(ratio, 0, 0, ratio, 0, 0);
      let top = 0;
      for (const [, , v] of bars || []) top = Math.max(top, v);
      for (const line of lines) for (const [, v] of line.points) top = Math.max(top, v);
      const max = top > 0 ? top : 1;  // all zero: a flat line at the bottom
      const x = ts => 40 + (ts - axis.start) / (axis.end - axis.start) * (w - 40), y = v => h - v / max * (h - 14);
      g.fillStyle = "#6b7280"; g.font = "10px system-ui";
      g.fillText(format(Number(top.toPrecision(3))), 0, 10);
      g.fillStyle = "#90caf9";
      for (const [from, to, v] of bars || []) g.fillRect(x(from), y(v), Math.max(1, x(to) - x(from) - 1), v / max * (h - 14));
      for (const line of lines) {
        g.strokeStyle = line.colour; g.lineWidth = 1.5; g.beginPath();
        line.points.forEach(([ts, v], i) => i ? g.lineTo(x(ts), y(v)) : g.moveTo(x(ts), y(v)));
        if (line.points.length === 1) g.arc(x(line.points[0][0]), y(line.points[0][1]), 1.5, 0, 2 * Math.PI);
        g.stroke();
      }
    });
    return wrap;
  }
  function counterChart(name, byLabels, axis, titleOf) {
    const {unit, description} = infoOf(name);
    const {shown, leftOut} = largestSeries(name, byLabels, counterTotal);
    const lines = [], legend = [];
    let bars = null;
    shown.forEach((s, i) => {
      const {rate, rolling} = counterRates(s, axis), total = counterTotal(s), colour = SERIES_COLOURS[i];
      if (shown.length === 1) bars = rate.map((v, j) => [axis.start + j * axis.width, axis.start + (j + 1) * axis.width, v]);
      lines.push({colour, points: rolling.map((v, j) => [axis.middle(j), v])});
      legend.push(legendItem(seriesName(s) + ": total " + formatValue(total, unit), colour, {"data-series": seriesName(s), "data-total": String(total)}));
    });
    legend.push(el("span", {class: "muted", text: (bars ? "per second: bars; " : "") + "rolling rate over " + duration(axis.width * ROLLING_BUCKETS) + ": line"}));
    return timeChart({title: titleOf ? titleOf(name) : name + " (counter)", metric: name + " (counter)", unit: unit ? "per second, " + unitName(unit) : "per second",
                      description, legend, bars, lines, format: v => formatRate(v, unit), axis, leftOut});
  }
  function gaugeChart(name, byLabels, axis, options) {
    const {unit, description} = infoOf(name);
    const o = options || {};
    const format = o.format || (v => formatValue(v, unit));
    const {shown, leftOut} = largestSeries(name, byLabels, gaugePeak);
    const lines = [], legend = [];
    shown.forEach((s, i) => {
      const colour = SERIES_COLOURS[i], last = gaugeNewest(s), peak = gaugePeak(s);
      lines.push({colour, points: gaugeLine(s, axis, o.mode || "last")});
      const label = o.seriesLabel ? o.seriesLabel(s) : seriesName(s);
      legend.push(legendItem(label + ": " + (o.mode === "peak" ? "peak " + format(peak) : "last " + format(last) + ", peak " + format(peak)), colour,
                             {"data-series": seriesName(s), "data-last": String(last), "data-peak": String(peak)}));
    });
    return timeChart({title: o.title || name + " (gauge)", metric: name + " (gauge)", unit: unitName(unit), description, legend, lines, format, axis, leftOut});
  }
  // A histogram series: its distribution in HISTOGRAM_BINS bins of equal width in log(value), the figures
  // marked where they fall.
  function histogramChart(s, unit, description) {
    const f = histogramFigures(s.buckets);
    const name = seriesName(s);
    const format = v => formatValue(v, unit);
    const marks = [["p50", f.p50], ["p90", f.p90], ["p99", f.p99], ["max", f.max]];
    const wrap = el("div", {class: "chart histogram", "data-metric": name + " (histogram)", "data-series": name,
                            "data-count": String(f.count), "data-p50": String(f.p50), "data-p90": String(f.p90),
                            "data-p99": String(f.p99), "data-max": String(f.max)},
      el("div", {class: "chart-head"}, el("b", {text: name + " (histogram)"}), unit ? el("span", {class: "unit", text: unitName(unit)}) : ""),
      el("div", {class: "legend", text: "count " + number(f.count) + ", mean " + (f.count ? format(Number((s.sum / f.count).toPrecision(4))) : "-") + ", " +
                                          marks.map(([k, v]) => k + " " + format(v)).join(", ")}));
    if (description) wrap.title = description;
    const c = el("canvas");
    wrap.append(c);
    requestAnimationFrame(() => {
      const w = c.clientWidth || 400, h = c.clientHeight || 140, ratio = window.devicePixelRatio || 1;
      c.width = w * ratio; c.height = h * ratio;
      const g = c.getContext("2d");
      g.setTransform(ratio, 0, 0, ratio, 0, 0);
      if (!f.count) return;
      const lo = Math.log2(f.min + 1), hi = Math.max(Math.log2(f.max + 1), lo + 1e-9);
      const first = Math.min(...s.buckets.keys()), last = Math.max(...s.buckets.keys());
      const bins = Math.max(1, Math.min(HISTOGRAM_BINS, last - first + 1));
      const counts = new Array(bins).fill(0);
      for (const [b, n] of s.buckets) {
        const middle = (bucketLower(b) + bucketUpper(b)) / 2;
        counts[Math.min(bins - 1, Math.max(0, Math.floor((Math.log2(middle + 1) - lo) / (hi - lo) * bins)))] += n;
      }
      const top = Math.max(...counts), plotW = w - 20, x = v => 10 + (Math.log2(v + 1) - lo) / (hi - lo) * plotW;
      g.fillStyle = "#90caf9";
      counts.forEach((n, i) => { if (n) g.fillRect(10 + i * plotW / bins, h - 14 - n / top * (h - 30), Math.max(1, plotW / bins - 1), n / top * (h - 30)); });
      g.font = "10px system-ui"; g.fillStyle = "#6b7280";
      g.fillText(format(f.min), 10, h - 2);
      const maxText = format(f.max);
      g.fillText(maxText, w - 10 - g.measureText(maxText).width, h - 2);
      marks.forEach(([k, v], i) => {
        const px = bins === 1 ? 10 + plotW / 2 : x(v);  // one bin: every figure is in it
        g.strokeStyle = SERIES_COLOURS[i]; g.beginPath(); g.moveTo(px, 12); g.lineTo(px, h - 14); g.stroke();
        g.fillStyle = SERIES_COLOURS[i]; g.fillText(k, Math.min(px + 2, w - 22), 10 + i * 10);
      });
    });
    return wrap;
  }
  function histogramCharts(name, byLabels, box) {
    const {unit, description} = infoOf(name);
    const {shown, leftOut} = largestSeries(name, byLabels, s => s.count);
    for (const s of shown) box.append(histogramChart(s, unit, description));
    if (leftOut) box.append(el("p", {class: "muted left-out", "data-metric": name, text: name + ": " + leftOut + " more series not shown (the " + MAX_SERIES + " with the most values are)"}));
  }

  // The program's metrics: counters (rate per bucket, rolling rate), gauges (newest value per bucket) and
  // histograms (distribution), one chart per metric with a line per label set; the vitals apart.
  function drawCharts() {
    const box = document.getElementById("charts");
    box.replaceChildren();
    const axis = timeAxis();
    for (const [name, byLabels] of model.counters) if (!isVital(name)) box.append(counterChart(name, byLabels, axis));
    for (const [name, byLabels] of model.gauges) if (!isVital(name)) box.append(gaugeChart(name, byLabels, axis));
    for (const [name, byLabels] of model.histograms) if (!isVital(name)) histogramCharts(name, byLabels, box);
    if (!box.children.length) box.append(el("p", {class: "muted", text: "no counters, gauges or histograms"}));
    drawVitals(axis);
  }
  // The recorder's view of the process (docs/format.md, "Vitals"): memory, CPU time as a rate, the flusher's
  // lag, the rings' peak fill, threads; then any other `spanlog.*` metric.
  function drawVitals(axis) {
    const box = document.getElementById("vitals");
    box.replaceChildren();
    const drawn = new Set();
    const gauge = (name, options) => {
      const byLabels = model.gauges.get(name);
      if (byLabels) { box.append(gaugeChart(name, byLabels, axis, options)); drawn.add(name); }
    };
    const cpu = (name, title) => {
      const byLabels = model.counters.get(name);
      if (!byLabels) return;
      drawn.add(name);
      const {shown, leftOut} = largestSeries(name, byLabels, counterTotal);
      const lines = [], legend = [];
      shown.forEach((s, i) => {
        const points = sampleRates(s, axis.start), colour = SERIES_COLOURS[i], total = counterTotal(s);
        lines.push({colour, points});
        const mode = s.labels["cpu.mode"];
        legend.push(legendItem((mode !== undefined ? String(mode) : seriesName(s)) + ": " + formatValue(total, "s") + " in all, last " +
                               (points.length ? formatRate(points[points.length - 1][1], "s") : "-"), colour,
                               {"data-series": seriesName(s), "data-total": String(total), "data-last-rate": points.length ? String(points[points.length - 1][1]) : ""}));
      });
      box.append(timeChart({title, metric: name + " (counter)", unit: "CPU seconds per second", description: infoOf(name).description,
                            legend, lines, format: v => formatRate(v, "s"), axis, leftOut}));
    };
    gauge("spanlog.process.memory.rss", {title: "resident memory (spanlog.process.memory.rss)"});
    cpu("spanlog.process.cpu.time", "CPU time (spanlog.process.cpu.time)");
    gauge("spanlog.flusher.lag", {title: "flusher lag, the worst per bucket (spanlog.flusher.lag)", mode: "peak"});
    const threadLabel = s => {
      const tid = s.labels.tid, t = tid !== undefined ? model.threads.get(Number(tid)) : null;
      return t && t.name !== String(tid) ? t.name + " (" + tid + ")" : tid !== undefined ? "thread " + tid : seriesName(s);
    };
    gauge("spanlog.ring.fill", {title: "ring peak fill per thread (spanlog.ring.fill)", mode: "peak",
                                format: v => Number((v * 100).toPrecision(3)) + "%", seriesLabel: threadLabel});
    gauge("spanlog.process.threads", {title: "threads with a ring (spanlog.process.threads)"});
    cpu("spanlog.flusher.cpu.time", "flusher CPU time (spanlog.flusher.cpu.time)");
    for (const [name, byLabels] of model.counters) if (isVital(name) && !drawn.has(name)) box.append(counterChart(name, byLabels, axis));
    for (const [name, byLabels] of model.gauges) if (isVital(name) && !drawn.has(name)) box.append(gaugeChart(name, byLabels, axis));
    for (const [name, byLabels] of model.histograms) if (isVital(name)) histogramCharts(name, byLabels, box);
    document.getElementById("vitals-section").hidden = !box.children.length;
  }

  // Live: which run is shown, and whether the server moves to the next one (a runs directory's newest run).
  function drawRun() {
    const box = document.getElementById("run");
    box.hidden = !page.live;
    if (!page.live) return;
    const name = page.run.name;
    box.textContent = name === null ? "waiting for the first run" :
      "run " + name + (page.run.latest ? " (the newest; a new run replaces it here)" : "");
  }
  function drawStatus() {
    drawRun();
    const status = document.getElementById("status");
    const h = model.header;
    document.getElementById("title").textContent = h ? (h.process || "run") + " \u2014 " + (h.run_id || "") : "spanlog run";
    // A crash names what ended the program (an uncaught exception, or the signal); older files only the signal.
    const crashReason = model.crash ? model.crash.reason || model.crash.name || "signal" : "";
    const stoppedBy = model.footer && model.footer.stopped_by ? model.footer.stopped_by : "";
    const state = runState();
    const text = page.live && !page.connected ? state + " (disconnected)" : state;
    status.className = "status " + (state.startsWith("crashed") || state === "died" ? "crashed" : state === "running" ? "running" : "");
    status.textContent = text;
    status.title = model.crash ? "crashed: " + crashReason + (model.crash.tid ? " (thread " + model.crash.tid + ")" : "") : stoppedBy ? "written when the process was ending by " + stoppedBy : "";
    const d = model.dropped, lost = d.spans + d.events + d.metrics + d.attrs + d.async_ends;
    const notes = [];
    if (page.note) notes.push(page.note);
    if (lost) {
      // As `spanlog summary` says it: the share of what the program made (recorded and dropped together).
      const run = page.summary && page.summary.runs.length ? page.summary.runs[0] : null;
      const share = (n, recorded, what) => {
        const whole = n + recorded, percent = whole ? 100 * n / whole : 100;
        return (percent > 0 && percent < 0.05 ? "<0.1" : percent.toFixed(1)) + "% of " + what + " (" + n.toLocaleString("en-US") + " of " + whole.toLocaleString("en-US") + ")";
      };
      const parts = [];
      if (d.spans) parts.push(run ? share(d.spans, run.spans, "spans") : d.spans + " spans");
      if (d.events) parts.push(run ? share(d.events, run.events, "events") : d.events + " events");
      if (d.metrics) parts.push(d.metrics + " metric updates");
      if (d.attrs) parts.push(d.attrs + " attribute updates");
      if (d.async_ends) parts.push(d.async_ends + " async spans' ends");
      notes.push("The recorder dropped " + parts.join(", ") + ": the figures are of what was recorded.");
    }
    const overhead = page.summary && page.summary.runs.length && page.summary.runs[0].overhead;
    if (overhead)
      notes.push("Each span adds about " + duration(Math.round(overhead.span_ns)) + " of instrumentation (clock read " +
                 duration(Math.round(overhead.clock_ns)) + "); names marked ~ have a p50 below 10x that and are mostly instrumentation. " +
                 (page.summary.raw_self_time ? "Self times keep the instrumentation in (--raw)." :
                  "Self times leave out " + duration(Math.round(overhead.in_parent_ns)) + " per child on the same thread."));
    const notice = document.getElementById("notice");
    notice.hidden = !notes.length;
    notice.textContent = notes.join(" ");
    document.getElementById("foot").textContent = model.spanCount.toLocaleString("en-US") + " spans drawn on " + model.lanes.size + " lanes" + (h ? "; host " + h.host + ", pid " + h.pid + ", spanlog " + h.version : "");
  }

  let lastHeavy = -Infinity, lastMetrics = 0;
  let lastRender = -Infinity, lastLogs = -Infinity;
  function render(now) {
    // Live, records may arrive hundreds per second: ten redraws a second are enough to watch them.
    if (page.dirty && (!page.live || now - lastRender >= 100)) {
      lastRender = now;
      page.dirty = false;
      drawTimeline();
      drawPhaseBar();
      drawWorkers();
      drawErrors();
      drawRecent();
      drawSelection();
      drawStatus();
      // Lines stream in a thread's flush at a time: the list is rebuilt at most twice a second.
      if (!page.live || now - lastLogs >= 500) { lastLogs = now; drawLogs(); } else if (logsShown !== logsKey()) page.dirty = true;
      // The charts and the table are redrawn at most every second while records stream in, and at once when
      // a new counter or gauge appears.
      const metrics = model.seriesCount;
      if (!page.live || now - lastHeavy > 1000 || metrics !== lastMetrics) {
        lastHeavy = now;
        lastMetrics = metrics;
        drawCharts();
        drawSummary();
      }
    }
    requestAnimationFrame(render);
  }

  // ---------- sources ----------
  function startLive() {
    page.live = true;
    // A summary of another run than the one drawn (asked for before the server moved on) is not shown.
    const ofDrawnRun = s => !model.header || !s.runs || !s.runs.length || s.runs[0].run_id === model.header.run_id;
    const fetchSummary = () => fetch("summary.json").then(r => r.ok ? r.json() : null).then(s => { if (s && ofDrawnRun(s)) { page.summary = s; drawSummary(); page.dirty = true; } }).catch(() => {});
    fetchSummary();
    setInterval(fetchSummary, 2000);
    // Open spans grow with the clock between records: the newest time moves with the wall clock.
    let lastWall = null;
    const source = new EventSource("events");
    source.addEventListener("open", () => { page.connected = true; page.dirty = true; });
    source.addEventListener("error", () => { page.connected = false; page.dirty = true; });
    // The stream starts, and starts again for each new run, with the run it follows: {"run", "latest"}.
    source.addEventListener("reset", e => {
      let run = {};
      try { run = JSON.parse(e.data) || {}; } catch (err) { run = {}; }
      const another = run.run !== page.run.name;
      page.run = {name: run.run === undefined ? null : run.run, latest: !!run.latest};
      model.clear();
      page.view = null;
      page.selected = {span: null, log: null};
      if (another) { page.summary = null; drawSummary(); }
      fetchSummary();
      page.dirty = true;
    });
    source.addEventListener("message", e => {
      let record;
      try { record = JSON.parse(e.data); } catch (err) { return; }
      model.add(record);
      if (record.event === "footer" || record.event === "crash") fetchSummary();  // the state has changed
      lastWall = performance.now();
      page.dirty = true;
    });
    setInterval(() => {
      if (model.open.size && !model.footer && !model.crash && lastWall !== null && page.connected) {
        const since = (performance.now() - lastWall) * 1e6;
        if (since > 0) { model.lastTs += since; lastWall = performance.now(); page.dirty = true; }
      }
    }, 250);
  }

  installTimelineControls();
  window.addEventListener("resize", () => { page.dirty = true; });
  const embedded = document.getElementById("spanlog-data").textContent.trim();
  const data = embedded && embedded[0] === "{" ? JSON.parse(embedded) : null;
  if (data) {
    page.summary = data.summary;
    page.note = data.note || "";
    page.seriesLeftOut = data.series_left_out || {};
    for (const r of data.records) model.add(r);
    // Log lines come as the reader listed them: times as offsets from the run's start, as the records' are.
    if (data.logs) {
      for (const line of data.logs.lines) model.addLog(logOf(line, line.offset_ns));
      Object.assign(model.logCounts, data.logs.counts);
      model.logsLeftOut += data.logs.left_out;  // beside any the page's own bound left out
    }
    model.seeTime(data.end_ts);
    if (data.activity) {
      page.activity = data.activity;
      page.activity.max = Math.max(1, ...Object.values(data.activity.threads).map(c => Math.max(...c)));
    }
  } else {
    startLive();
  }
  // For scripts and tests: the lanes' labels top to bottom, as drawn.
  window.spanlog.laneOrder = () => lanesInOrder().map(laneLabel);
  // For scripts and tests: a series' name as the charts write it, `name{k="v"}`.
  window.spanlog.seriesName = (name, labels) => seriesName({name, text: labelText(labels || {})});
  // For scripts and tests: a histogram's figures from [[lower, count], ...] buckets, as the charts compute them.
  window.spanlog.histogramFigures = pairs => { const s = {buckets: new Map(), count: 0, sum: 0}; mergeHistogram(s, {buckets: pairs}); return histogramFigures(s.buckets); };
  // For scripts and tests: how long one full redraw of the timeline takes, in milliseconds.
  window.spanlog.timeRedraw = () => {
    const started = performance.now();
    for (const lane of model.lanes.values()) lane.layoutDirty = true;
    drawTimeline();
    return performance.now() - started;
  };
  window.spanlog.ready = true;
  requestAnimationFrame(render);
})();
