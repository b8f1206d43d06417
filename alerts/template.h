// The subset of Go's text/template that Prometheus alert templates use:
// {{ $labels.x }}, {{ $value }}, {{ .Labels.x }}, {{ .Value }}, pipes into
// humanize, humanize1024, humanizeDuration, humanizePercentage,
// humanizeTimestamp, printf, toUpper, toLower, title, index; {{/* comments */}}
// and {{- -}} trimming. No if/range/with.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "alerts/template_error.h"
#include "core/sample.h"

namespace pgw {

struct TemplateData {
  std::map<std::string, std::string> labels;
  double value = 0;
};

class Template {
 public:
  // Throws TemplateError naming the offset and what is wrong.
  static Template parse(std::string_view text);
  // Throws TemplateError (e.g. a non-number given to humanize).
  std::string render(const TemplateData& data) const;
  // The same with the labels as sorted pairs, so a caller holding a series
  // need not build a map (the rule engine expands every alert each round).
  std::string render(const Labels& labels, double value) const;

  struct Part;
 private:
  std::shared_ptr<const std::vector<Part>> parts_;
};

}  // namespace pgw
