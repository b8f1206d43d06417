#include "alerts/promql_labels.h"

#include <algorithm>

namespace pgw::promql {

void drop_name(Labels& l) {
  l.erase(std::remove_if(l.begin(), l.end(), [](const auto& p) { return p.first == kName; }), l.end());
}

void set_label(Labels& l, const std::string& name, const std::string& value) {
  auto it = std::find_if(l.begin(), l.end(), [&](const auto& p) { return p.first == name; });
  if (value.empty()) {
    if (it != l.end()) l.erase(it);
    return;
  }
  if (it != l.end()) {
    it->second = value;
  } else {
    l.emplace_back(name, value);
    std::sort(l.begin(), l.end());
  }
}

void append_key(std::string& key, const std::string& name, const std::string& value) {
  key += name;
  key += '\xff';
  key += value;
  key += '\xff';
}

// Both sides use the same on(...) list, so its names would add nothing.
void append_signature(std::string& key, const Labels& l, const VectorMatching& m) {
  if (m.on) {
    for (const auto& n : m.labels) {
      if (const std::string* v = find_label(l, n)) key += *v;
      key += '\xff';
    }
  } else {
    for (const auto& [n, v] : l)
      if (n != kName && !contains(m.labels, n)) append_key(key, n, v);
  }
}

void append_full_key(std::string& key, const Labels& l) {
  for (const auto& [n, v] : l) append_key(key, n, v);
}

std::string full_key(const Labels& l) {
  std::string key;
  append_full_key(key, l);
  return key;
}

std::string labels_str(const Labels& l) {
  std::string s = "{";
  for (size_t i = 0; i < l.size(); ++i) s += (i ? ", " : "") + l[i].first + "=\"" + l[i].second + "\"";
  return s + "}";
}


}  // namespace pgw::promql
