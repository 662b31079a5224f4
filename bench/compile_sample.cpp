// A typical instrumented file for bench/compile_bench.py: a small order-processing module with about ten
// spans with attributes, counters, gauges, an event and a phase, and a little real code between them.
// Compiled with -DSPANLOG_ENABLED=1 and =0, never run.
#include <spanlog/spanlog.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace orders {

enum class Status { open, paid, shipped, cancelled };

struct Line {
  std::string sku;
  int quantity = 0;
  double unit_price = 0;
};

struct Order {
  std::string id;
  std::string customer;
  std::vector<Line> lines;
  Status state = Status::open;
};

namespace {

std::vector<std::string> split(const std::string& text, char separator) {
  SPANLOG_SPAN("orders.split", "bytes", text.size());
  std::vector<std::string> fields;
  std::string field;
  for (char c : text) {
    if (c == separator) {
      fields.push_back(field);
      field.clear();
    } else {
      field += c;
    }
  }
  fields.push_back(field);
  return fields;
}

int parse_int(const std::string& text, bool& ok) {
  int value = 0;
  ok = !text.empty();
  for (char c : text) {
    if (c < '0' || c > '9') {
      ok = false;
      break;
    }
    value = value * 10 + (c - '0');
  }
  return value;
}

double parse_price(const std::string& text, bool& ok) {
  const auto dot = text.find('.');
  const int units = parse_int(text.substr(0, dot), ok);
  if (!ok || dot == std::string::npos) return units;
  bool cents_ok = false;
  const int cents = parse_int(text.substr(dot + 1), cents_ok);
  ok = cents_ok;
  return units + cents / 100.0;
}

}  // namespace

// "id;customer;sku,quantity,price;sku,quantity,price..."
bool parse(const std::string& text, Order& out) {
  SPANLOG_SPAN("orders.parse", "bytes", text.size());
  const std::vector<std::string> fields = split(text, ';');
  if (fields.size() < 3) {
    SPANLOG_SPAN_ERROR("too few fields");
    SPANLOG_COUNTER_ADD("orders.rejected", 1);
    return false;
  }
  out.id = fields[0];
  out.customer = fields[1];
  for (std::size_t i = 2; i < fields.size(); ++i) {
    const std::vector<std::string> parts = split(fields[i], ',');
    bool quantity_ok = false, price_ok = false;
    if (parts.size() != 3) return false;
    Line l{parts[0], parse_int(parts[1], quantity_ok), parse_price(parts[2], price_ok)};
    if (!quantity_ok || !price_ok) {
      SPANLOG_EVENT("orders.bad_line", "line", static_cast<int>(i), "sku", parts[0]);
      return false;
    }
    out.lines.push_back(l);
  }
  SPANLOG_SPAN_SET("lines", out.lines.size(), "customer", out.customer);
  return true;
}

double total(const Order& o) {
  SPANLOG_SPAN("orders.total", "order", o.id, "lines", o.lines.size());
  double sum = 0;
  for (const Line& l : o.lines) sum += l.quantity * l.unit_price;
  SPANLOG_GAUGE_SET("orders.last_total", sum);
  return sum;
}

bool validate(const Order& o, std::string& reason) {
  SPANLOG_SPAN("orders.validate", "order", o.id, "state", o.state);
  if (o.lines.empty()) {
    reason = "no lines";
    return false;
  }
  for (const Line& l : o.lines) {
    if (l.quantity <= 0 || l.quantity > 1000) {
      reason = "quantity out of range for " + l.sku;
      SPANLOG_SPAN_ERROR(reason);
      return false;
    }
  }
  return true;
}

double discount(const Order& o, double amount) {
  SPANLOG_SPAN("orders.discount", "customer", o.customer, "amount", amount);
  double rate = 0;
  if (amount > 1000) rate = 0.1;
  if (amount > 5000) rate = 0.15;
  if (o.customer.rfind("vip-", 0) == 0) rate += 0.05;
  SPANLOG_SPAN_SET("rate", rate, "vip", rate > 0.15);
  return amount * (1 - rate);
}

void sort_lines(Order& o) {
  SPANLOG_SPAN("orders.sort_lines", "lines", o.lines.size());
  for (std::size_t i = 1; i < o.lines.size(); ++i) {
    for (std::size_t j = i; j > 0 && o.lines[j].sku < o.lines[j - 1].sku; --j) {
      Line t = o.lines[j];
      o.lines[j] = o.lines[j - 1];
      o.lines[j - 1] = t;
    }
  }
}

std::string render(const Order& o, double amount) {
  SPANLOG_SPAN("orders.render", "order", o.id);
  std::string text = "order " + o.id + " for " + o.customer + "\n";
  for (const Line& l : o.lines) text += "  " + l.sku + " x" + std::to_string(l.quantity) + "\n";
  text += "total " + std::to_string(amount) + "\n";
  SPANLOG_COUNTER_ADD("orders.rendered_bytes", text.size());
  return text;
}

bool ship(Order& o, const spanlog::SpanContext parent) {
  SPANLOG_SPAN_CHILD_OF(parent, "orders.ship", "order", o.id, "paid", o.state == Status::paid);
  if (o.state != Status::paid) return false;
  SPANLOG_ASYNC_BEGIN("orders.delivery", static_cast<std::uint64_t>(o.id.size()), "order", o.id);
  o.state = Status::shipped;
  return true;
}

std::vector<std::string> process(const std::vector<std::string>& inputs) {
  SPANLOG_PHASE("orders.process");
  SPANLOG_SPAN("orders.batch", "inputs", inputs.size());
  std::vector<std::string> receipts;
  int rejected = 0;
  for (const std::string& input : inputs) {
    Order o;
    std::string reason;
    if (!parse(input, o) || !validate(o, reason)) {
      ++rejected;
      continue;
    }
    sort_lines(o);
    const double amount = discount(o, total(o));
    o.state = Status::paid;
    ship(o, spanlog::current_span());
    receipts.push_back(render(o, amount));
    SPANLOG_COUNTER_ADD("orders.processed", 1);
    SPANLOG_COUNTER_ADD("orders.revenue", amount);
  }
  SPANLOG_GAUGE_SET("orders.rejected_in_batch", rejected);
  SPANLOG_EVENT("orders.batch_done", "receipts", receipts.size(), "rejected", rejected);
  return receipts;
}

}  // namespace orders
