// A metric's series (schema 1.7): its name and its label set. The canonical text of a label set identifies
// the series everywhere (the summary's maps, the tables' rows, the history's rows), so it must never depend
// on the order the recorder wrote the labels in. No I/O here.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "reader/owned_attrs.hpp"
#include "reader/records.hpp"

namespace spanlog::reader {

// A metric's unit (UCUM: `By`, `ms`, `{token}`) and description, from the header's `metrics` or a
// `metric_info` line; the last declaration of a name wins.
struct MetricInfo {
  std::string unit, description;
};

// One label set's figures; `labels` sorted by key.
template <class Stats>
struct LabelledSeries {
  OwnedAttrs labels;
  Stats stats;
};
// A metric's series by the canonical text of their label sets (label_text), so they list in that order; the
// series without labels, where a map holds it, has the empty text and comes first.
template <class Stats>
using SeriesByLabels = std::map<std::string, LabelledSeries<Stats>, std::less<>>;

// `kind="input",model="m-large"`: keys in order, string values quoted with `"` and `\` escaped, numbers as
// JSON writes them, booleans, null. Empty for no labels.
std::string label_text(Labels labels);
std::string label_text(const OwnedAttrs& labels);
// `llm.tokens{kind="input",model="m-large"}`, or the bare name for the series without labels.
std::string series_name(std::string_view name, std::string_view label_text);
// A label's value as a group's name: a string as it is, anything else as label_text writes it.
std::string label_value_text(const OwnedAttr& label);

OwnedAttrs owned_labels(Labels labels);
const OwnedAttr* find_label(const OwnedAttrs& labels, std::string_view key);

// The recorder's own metrics, the vitals (docs/format.md, "Vitals"): every one named under `spanlog.`.
bool is_vital(std::string_view metric_name);

}  // namespace spanlog::reader
