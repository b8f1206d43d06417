#include "core/sample.h"
#include "core/utf8.h"

#include <algorithm>

namespace pgw {

void normalize(Labels& labels) {
  // The last line of the UTF-8 boundary: every sample's labels pass here.
  for (auto& [k, v] : labels) {
    make_valid_utf8(k);
    make_valid_utf8(v);
  }
  labels.erase(std::remove_if(labels.begin(), labels.end(),
                              [](const auto& l) { return l.second.empty(); }),
               labels.end());
  std::sort(labels.begin(), labels.end());
}

const std::string& label_value(const Labels& labels, const std::string& name) {
  static const std::string empty;
  for (const auto& [k, v] : labels)
    if (k == name) return v;
  return empty;
}

void VectorSink::add(std::string name, Labels labels, double value) {
  labels.insert(labels.end(), base_.begin(), base_.end());
  normalize(labels);
  samples_.push_back(Sample{std::move(name), std::move(labels), value});
}

}  // namespace pgw
