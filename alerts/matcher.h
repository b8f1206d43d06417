// Label matchers as Alertmanager writes them: `name="value"`, `name!="v"`,
// `name=~"re"`, `name!~"re"` (value quoted or bare). Regexes are RE2,
// anchored at both ends, as in Prometheus and Alertmanager.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/sample.h"

namespace re2 { class RE2; }

namespace pgw {

class LabelMatcher {
 public:
  enum class Op { Equal, NotEqual, Regex, NotRegex };

  // Builds a matcher; returns nullopt and sets `error` when the name is not
  // a label name or the regex does not compile.
  static std::optional<LabelMatcher> make(std::string name, Op op, std::string value,
                                          std::string& error);
  // Parses Alertmanager's string form. On failure sets `error` and
  // `error_offset` (byte offset into `text`).
  static std::optional<LabelMatcher> parse(const std::string& text, std::string& error,
                                           size_t& error_offset);

  const std::string& name() const { return name_; }
  const std::string& value() const { return value_; }
  Op op() const { return op_; }
  bool is_regex() const { return op_ == Op::Regex || op_ == Op::NotRegex; }
  bool is_equal() const { return op_ == Op::Equal || op_ == Op::Regex; }

  // Whether `value` (the label's value, "" when absent) satisfies the matcher.
  bool matches_value(const std::string& value) const;
  bool matches(const Labels& labels) const { return matches_value(label_value(labels, name_)); }
  // `name="value"` etc., the form parse() reads.
  std::string str() const;

 private:
  std::string name_;
  Op op_ = Op::Equal;
  std::string value_;
  std::shared_ptr<const re2::RE2> re_;  // for Regex / NotRegex
};

bool all_match(const std::vector<LabelMatcher>& matchers, const Labels& labels);
bool valid_label_name(const std::string& name);

}  // namespace pgw
