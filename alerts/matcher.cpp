#include "alerts/matcher.h"

#include <re2/re2.h>

namespace pgw {
namespace {

bool name_char(char c, bool first) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (!first && c >= '0' && c <= '9');
}

}  // namespace

bool valid_label_name(const std::string& name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i)
    if (!name_char(name[i], i == 0)) return false;
  return true;
}

std::optional<LabelMatcher> LabelMatcher::make(std::string name, Op op, std::string value,
                                               std::string& error) {
  if (!valid_label_name(name)) {
    error = "\"" + name + "\" is not a valid label name";
    return std::nullopt;
  }
  LabelMatcher m;
  m.name_ = std::move(name);
  m.op_ = op;
  m.value_ = std::move(value);
  if (m.is_regex()) {
    RE2::Options opts;
    opts.set_log_errors(false);
    auto re = std::make_shared<const re2::RE2>("^(?:" + m.value_ + ")$", opts);
    if (!re->ok()) {
      error = "invalid regular expression \"" + m.value_ + "\": " + re->error();
      return std::nullopt;
    }
    m.re_ = std::move(re);
  }
  return m;
}

std::optional<LabelMatcher> LabelMatcher::parse(const std::string& text, std::string& error,
                                                size_t& error_offset) {
  size_t i = 0;
  auto skip_space = [&] {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
  };
  skip_space();
  size_t name_start = i;
  while (i < text.size() && name_char(text[i], i == name_start)) ++i;
  std::string name = text.substr(name_start, i - name_start);
  if (name.empty()) {
    error = "expected a label name";
    error_offset = i;
    return std::nullopt;
  }
  skip_space();
  Op op;
  size_t op_at = i;
  if (text.compare(i, 2, "=~") == 0) op = Op::Regex, i += 2;
  else if (text.compare(i, 2, "!~") == 0) op = Op::NotRegex, i += 2;
  else if (text.compare(i, 2, "!=") == 0) op = Op::NotEqual, i += 2;
  else if (text.compare(i, 1, "=") == 0) op = Op::Equal, i += 1;
  else {
    error = "expected =, !=, =~ or !~ after the label name";
    error_offset = op_at;
    return std::nullopt;
  }
  skip_space();
  std::string value;
  if (i < text.size() && text[i] == '"') {
    size_t open = i++;
    bool closed = false;
    while (i < text.size()) {
      char c = text[i++];
      if (c == '"') { closed = true; break; }
      if (c == '\\' && i < text.size()) {
        char e = text[i++];
        value += e == 'n' ? '\n' : e == 't' ? '\t' : e;
      } else {
        value += c;
      }
    }
    if (!closed) {
      error = "unterminated quoted value";
      error_offset = open;
      return std::nullopt;
    }
    skip_space();
    if (i != text.size()) {
      error = "unexpected text after the quoted value";
      error_offset = i;
      return std::nullopt;
    }
  } else {
    // A bare value, as amtool accepts: the rest, trailing spaces trimmed.
    value = text.substr(i);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
  }
  auto m = make(std::move(name), op, std::move(value), error);
  if (!m) error_offset = m ? 0 : (op == Op::Regex || op == Op::NotRegex ? op_at : name_start);
  return m;
}

bool LabelMatcher::matches_value(const std::string& v) const {
  switch (op_) {
    case Op::Equal: return v == value_;
    case Op::NotEqual: return v != value_;
    case Op::Regex: return RE2::FullMatch(v, *re_);
    case Op::NotRegex: return !RE2::FullMatch(v, *re_);
  }
  return false;
}

std::string LabelMatcher::str() const {
  static const char* const ops[] = {"=", "!=", "=~", "!~"};
  std::string out = name_ + ops[static_cast<int>(op_)] + "\"";
  for (char c : value_) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') { out += "\\n"; continue; }
    out += c;
  }
  return out + "\"";
}

bool all_match(const std::vector<LabelMatcher>& matchers, const Labels& labels) {
  for (const auto& m : matchers)
    if (!m.matches(labels)) return false;
  return true;
}

}  // namespace pgw
