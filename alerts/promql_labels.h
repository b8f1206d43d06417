// Label-set helpers shared by the evaluator's parts: the metric name,
// lookups, edits, and the keys that matching and grouping compare.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "alerts/promql_ast.h"
#include "core/sample.h"

namespace pgw::promql {

inline const std::string kName = "__name__";

inline bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// label_value() where the compiler can inline it (signatures look up
// every element's labels).
inline const std::string* find_label(const Labels& l, const std::string& name) {
  for (const auto& p : l)
    if (p.first.size() == name.size() && p.first == name) return &p.second;
  return nullptr;
}

void drop_name(Labels& l);
// Sets, adds (keeping the set sorted) or, for an empty value, removes a label.
void set_label(Labels& l, const std::string& name, const std::string& value);

void append_key(std::string& key, const std::string& name, const std::string& value);
// Matching signature: the values of the on(...) labels, or every label
// except the ignoring(...) ones and the metric name.
void append_signature(std::string& key, const Labels& l, const VectorMatching& m);
void append_full_key(std::string& key, const Labels& l);
std::string full_key(const Labels& l);
// {a="1", b="2"} as Prometheus prints label sets in errors.
std::string labels_str(const Labels& l);

}  // namespace pgw::promql
