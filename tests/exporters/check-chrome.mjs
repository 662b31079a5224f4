// Judges a Chrome Trace Event file with the trace engine of Chrome DevTools' Performance panel
// (@paulirish/trace_engine): it must parse the file and find the expected threads and slices.
//
// Usage: node check-chrome.mjs FILE [--threads NAME,NAME...] [--slices N]
//   --threads: thread names the engine must find; --slices: the number of slices on threads it must find.
// Whatever is expected, the engine must find every X and B event of every thread (counted here from the
// file), and each thread's slices must nest. Prints "ok: ..." and exits 0, or one line per problem and exits 1.
import fs from 'node:fs';

const args = process.argv.slice(2);
const file = args.shift();
const expected = {threads: null, slices: null};
while (args.length > 0) {
  const option = args.shift();
  const value = args.shift();
  if (option === '--threads' && value !== undefined) {
    expected.threads = value.split(',').filter((name) => name !== '');
  } else if (option === '--slices' && /^[0-9]+$/.test(value ?? '')) {
    expected.slices = Number(value);
  } else {
    console.error('usage: node check-chrome.mjs FILE [--threads NAME,NAME...] [--slices N]');
    process.exit(2);
  }
}
if (!file) {
  console.error('usage: node check-chrome.mjs FILE [--threads NAME,NAME...] [--slices N]');
  process.exit(2);
}

let Trace, polyfillDOMRect;
try {
  Trace = await import('@paulirish/trace_engine');
  ({polyfillDOMRect} = await import('@paulirish/trace_engine/analyze-trace.mjs'));
} catch (error) {
  console.error(`check-chrome: cannot load the trace engine (${error.message.split('\n')[0]}); ` +
                'run: npm ci --prefix tests/exporters');
  process.exit(2);
}
polyfillDOMRect();  // the engine expects a browser's DOMRect

const problems = [];
const problem = (text) => {
  if (problems.length < 50) problems.push(`${file}: ${text}`);
};
const finish = () => {
  for (const p of problems) console.log(p);
  process.exit(problems.length > 0 ? 1 : 0);
};

let trace;
try {
  trace = JSON.parse(fs.readFileSync(file, 'utf8'));
} catch (error) {
  problem(`not a JSON file: ${error.message}`);
  finish();
}
const events = Array.isArray(trace) ? trace : trace?.traceEvents;
if (!Array.isArray(events)) {
  problem('no "traceEvents" array');
  finish();
}

// What the file holds, per thread, counted here without the engine.
const threadKey = (pid, tid) => `${pid}/${tid}`;
const fileThreads = new Map();  // key -> {name, slices: [[startNs, endNs]...]}
const thread = (pid, tid) => {
  const key = threadKey(pid, tid);
  if (!fileThreads.has(key)) fileThreads.set(key, {name: undefined, slices: []});
  return fileThreads.get(key);
};
const nanoseconds = (microseconds) => Math.round(microseconds * 1000);
for (const event of events) {
  if (event.ph === 'M' && event.name === 'thread_name') thread(event.pid, event.tid).name = event.args?.name;
  if (event.ph === 'X') {
    const start = nanoseconds(event.ts);
    thread(event.pid, event.tid).slices.push([start, start + nanoseconds(event.dur ?? 0)]);
  }
  if (event.ph === 'B') thread(event.pid, event.tid).slices.push([nanoseconds(event.ts), Infinity]);
}

// Each thread's slices, in start order with the longer first, must nest like a call stack.
for (const [key, {name, slices}] of fileThreads) {
  slices.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  const open = [];
  for (const [start, end] of slices) {
    while (open.length > 0 && open.at(-1) <= start) open.pop();
    if (open.length > 0 && end > open.at(-1)) {
      problem(`thread ${name ?? key}: a slice [${start}, ${end}] ns overlaps the end of the slice around it`);
    }
    open.push(end);
  }
}

// The engine's view.
let data;
try {
  const model = Trace.TraceModel.Model.createWithAllHandlers();
  await model.parse(events);
  data = model.parsedTrace()?.data;
} catch (error) {
  problem(`the trace engine failed to parse it: ${error.message}`);
  finish();
}
if (!data?.Renderer?.processes) {
  problem('the trace engine found no processes');
  finish();
}
const engineThreads = new Map();
for (const [pid, process] of data.Renderer.processes) {
  for (const [tid, engineThread] of process.threads) {
    engineThreads.set(threadKey(pid, tid), {name: engineThread.name, slices: engineThread.entries.length});
  }
}

let engineSlices = 0;
for (const {slices} of engineThreads.values()) engineSlices += slices;
for (const [key, {name, slices}] of fileThreads) {
  if (slices.length === 0) continue;
  const seen = engineThreads.get(key);
  if (!seen) {
    problem(`the engine did not find thread ${name ?? key} (${slices.length} slices)`);
  } else if (seen.slices !== slices.length) {
    problem(`thread ${name ?? key}: the engine found ${seen.slices} slices, the file has ${slices.length}`);
  }
}
const engineNames = [...engineThreads.values()].map((t) => t.name).filter((n) => n !== undefined);
for (const name of expected.threads ?? []) {
  if (!engineNames.includes(name)) {
    problem(`the engine did not find a thread named ${JSON.stringify(name)} (found: ${engineNames.join(', ')})`);
  }
}
if (expected.slices !== null && engineSlices !== expected.slices) {
  problem(`the engine found ${engineSlices} slices on threads, expected ${expected.slices}`);
}
if (problems.length === 0) {
  console.log(`ok: ${engineThreads.size} threads (${engineNames.join(', ')}), ${engineSlices} slices`);
}
finish();
