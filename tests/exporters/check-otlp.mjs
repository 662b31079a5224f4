// Judges an OTLP/JSON file (one TracesData, MetricsData or LogsData object per line, the Collector file exporter's form)
// against the official protobuf schema, as compiled to JavaScript by the OpenTelemetry JS project
// (@opentelemetry/otlp-transformer ships the generated protobufjs code).
//
// Usage: node check-otlp.mjs traces|metrics|logs FILE
// Prints "ok: ..." and exits 0, or prints one line per problem ("FILE:LINE: ...") and exits 1.
//
// Each line is built into the collector request message with fromObject, encoded to protobuf, decoded and
// turned back into JSON. fromObject ignores keys it does not know, so the original's keys are compared with
// the round trip's, recursively: a key that did not survive is unknown or misnamed, a value that changed had
// the wrong JSON type (a number for a 64-bit integer, a name for an enum). OTLP/JSON writes trace and span ids
// as hex where protobuf's JSON mapping has base64: ids are checked as hex and converted before the round trip.
import fs from 'node:fs';
import {createRequire} from 'node:module';

const require = createRequire(import.meta.url);

const [kind, file] = process.argv.slice(2);
// Per kind: the collector request, the top array, the scope array and what its items are called.
const kinds = {
  traces: {request: 'trace', top: 'resourceSpans', scopes: 'scopeSpans', noun: 'spans'},
  metrics: {request: 'metrics', top: 'resourceMetrics', scopes: 'scopeMetrics', noun: 'metrics'},
  logs: {request: 'logs', top: 'resourceLogs', scopes: 'scopeLogs', noun: 'log records'},
};
if (!(kind in kinds) || !file) {
  console.error('usage: node check-otlp.mjs traces|metrics|logs FILE');
  process.exit(2);
}

let root;
try {
  root = require('@opentelemetry/otlp-transformer/build/src/generated/root.js');
} catch (error) {
  console.error(`check-otlp: cannot load the OTLP schema (${error.message.split('\n')[0]}); ` +
                'run: npm ci --prefix tests/exporters');
  process.exit(2);
}
const shape = kinds[kind];
const services = root.opentelemetry.proto.collector[shape.request].v1;
const Request = {
  traces: services.ExportTraceServiceRequest,
  metrics: services.ExportMetricsServiceRequest,
  logs: services.ExportLogsServiceRequest,
}[kind];
const topKey = shape.top;

// Fields holding ids, with their length in bytes (OTLP/JSON: hex; protobuf JSON: base64).
const idBytes = {traceId: 16, spanId: 8, parentSpanId: 8};

const problems = [];
const problem = (line, text) => {
  if (problems.length < 50) problems.push(`${file}:${line}: ${text}`);
};

// Replaces hex ids by base64 in place, checking their form on the way.
function convertIds(value, path, line) {
  if (Array.isArray(value)) {
    value.forEach((item, i) => convertIds(item, `${path}[${i}]`, line));
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [key, field] of Object.entries(value)) {
    const where = `${path}.${key}`;
    if (key in idBytes && typeof field === 'string') {
      const digits = idBytes[key] * 2;
      if (key === 'parentSpanId' && field === '') continue;  // the JSON form of "no parent"
      if (!new RegExp(`^[0-9a-fA-F]{${digits}}$`).test(field)) {
        problem(line, `${where}: expected ${digits} hex digits, got ${JSON.stringify(field)}`);
      } else if (/^0+$/.test(field)) {
        problem(line, `${where}: an all-zero id is invalid`);
      }
      value[key] = Buffer.from(field, 'hex').toString('base64');
    } else {
      convertIds(field, where, line);
    }
  }
}

// Every key of `original` must exist in `roundTrip` with an equal value.
function compare(original, roundTrip, path, line) {
  if (Array.isArray(original)) {
    if (!Array.isArray(roundTrip) || roundTrip.length !== original.length) {
      problem(line, `${path}: an array of ${original.length} came back as ${JSON.stringify(roundTrip)}`);
      return;
    }
    original.forEach((item, i) => compare(item, roundTrip[i], `${path}[${i}]`, line));
    return;
  }
  if (original !== null && typeof original === 'object') {
    if (roundTrip === null || typeof roundTrip !== 'object' || Array.isArray(roundTrip)) {
      problem(line, `${path}: an object came back as ${JSON.stringify(roundTrip)}`);
      return;
    }
    for (const key of Object.keys(original)) {
      if (!Object.prototype.hasOwnProperty.call(roundTrip, key)) {
        problem(line, `${path}.${key}: unknown or misnamed field`);
      } else {
        compare(original[key], roundTrip[key], `${path}.${key}`, line);
      }
    }
    return;
  }
  if (original !== roundTrip) {
    problem(line, `${path}: ${JSON.stringify(original)} (${typeof original}) came back as ` +
                  `${JSON.stringify(roundTrip)} (${typeof roundTrip}): wrong type or value for this field`);
  }
}

const isDecimal = (value) => typeof value === 'string' && /^[0-9]+$/.test(value);

// A log record: times as decimal strings, a severity number in the data model's range (1-24) with its text,
// a body, and a span id only beside a trace id.
function checkLogRecord(record, where, line) {
  for (const key of ['timeUnixNano', 'observedTimeUnixNano']) {
    if (!isDecimal(record[key])) problem(line, `${where}: ${key} must be a decimal string`);
  }
  if (!Number.isInteger(record.severityNumber) || record.severityNumber < 1 || record.severityNumber > 24) {
    problem(line, `${where}: severityNumber must be an integer from 1 to 24, got ${JSON.stringify(record.severityNumber)}`);
  }
  if (!record.severityText) problem(line, `${where}: no severityText`);
  if (record.body === undefined) problem(line, `${where}: no body`);
  if (record.spanId && !record.traceId) problem(line, `${where}: a spanId without a traceId`);
}

// What the schema cannot say: ids present, times as decimal strings in order, one data kind per metric, a log
// record's severity and body.
function checkMeaning(message, line, counts) {
  for (const [r, resource] of (message[topKey] ?? []).entries()) {
    const scopes = resource[shape.scopes];
    if (!scopes?.length) problem(line, `${topKey}[${r}]: no ${shape.scopes}`);
    for (const scope of scopes ?? []) {
      if (kind === 'logs') {
        for (const [l, record] of (scope.logRecords ?? []).entries()) {
          checkLogRecord(record, `log record ${l}`, line);
          counts.items += 1;
        }
      } else if (kind === 'traces') {
        for (const [s, span] of (scope.spans ?? []).entries()) {
          const where = `span ${s} (${span.name})`;
          if (!span.traceId || !span.spanId) problem(line, `${where}: traceId and spanId are required`);
          if (!span.name) problem(line, `${where}: no name`);
          for (const key of ['startTimeUnixNano', 'endTimeUnixNano']) {
            if (typeof span[key] !== 'string' || !/^[0-9]+$/.test(span[key])) {
              problem(line, `${where}: ${key} must be a decimal string`);
            }
          }
          if (/^[0-9]+$/.test(span.startTimeUnixNano) && /^[0-9]+$/.test(span.endTimeUnixNano) &&
              BigInt(span.endTimeUnixNano) < BigInt(span.startTimeUnixNano)) {
            problem(line, `${where}: ends before it starts`);
          }
          counts.items += 1;
        }
      } else {
        for (const metric of scope.metrics ?? []) {
          const data = ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'].filter((k) => k in metric);
          if (data.length !== 1) problem(line, `metric ${metric.name}: expected one kind of data, got ${data}`);
          counts.items += 1;
        }
      }
    }
  }
}

let text;
try {
  text = fs.readFileSync(file, 'utf8');
} catch (error) {
  console.error(`check-otlp: ${error.message}`);
  process.exit(1);
}
const lines = text.split('\n');
if (lines.at(-1) === '') lines.pop();
const counts = {lines: 0, items: 0};
if (lines.length === 0) problem(1, 'the file is empty');
lines.forEach((lineText, index) => {
  const line = index + 1;
  let json;
  try {
    json = JSON.parse(lineText);
  } catch (error) {
    problem(line, `not JSON: ${error.message}`);
    return;
  }
  if (json === null || typeof json !== 'object' || !Array.isArray(json[topKey])) {
    problem(line, `expected an object with a "${topKey}" array`);
    return;
  }
  checkMeaning(json, line, counts);
  convertIds(json, '$', line);
  let message;
  try {
    message = Request.fromObject(json);
  } catch (error) {
    problem(line, `the schema refuses it: ${error.message}`);
    return;
  }
  const invalid = Request.verify(message);
  if (invalid) problem(line, `the schema refuses it: ${invalid}`);
  const decoded = Request.decode(Request.encode(message).finish());
  const roundTrip = Request.toObject(decoded, {longs: String, enums: Number, bytes: String, defaults: true});
  compare(json, roundTrip, '$', line);
  counts.lines += 1;
});

if (problems.length > 0) {
  for (const p of problems) console.log(p);
  process.exit(1);
}
console.log(`ok: ${counts.lines} lines, ${counts.items} ${shape.noun}`);
