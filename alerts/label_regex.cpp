#include "alerts/label_regex.h"

#include <re2/re2.h>

#include <algorithm>
#include <cctype>

#include "core/utf8.h"

namespace pgw {
namespace {

std::string quoted_start(const std::string& pattern) {
  std::string shown(utf8_prefix(pattern, 80));
  if (shown.size() < pattern.size()) shown += "...";
  return "\"" + to_valid_utf8(shown) + "\"";
}

// Deepest nesting of groups, skipping escapes and character classes.
int nesting(const std::string& p) {
  int depth = 0, deepest = 0;
  bool in_class = false;
  for (size_t i = 0; i < p.size(); ++i) {
    char c = p[i];
    if (c == '\\') {
      ++i;
    } else if (in_class) {
      if (c == ']') in_class = false;
    } else if (c == '[') {
      in_class = true;
      if (i + 1 < p.size() && p[i + 1] == '^') ++i;
      if (i + 1 < p.size() && p[i + 1] == ']') ++i;  // a leading ']' is literal
    } else if (c == '(') {
      deepest = std::max(deepest, ++depth);
    } else if (c == ')') {
      depth = std::max(depth - 1, 0);
    }
  }
  return deepest;
}

}  // namespace

LabelRegex::~LabelRegex() = default;

std::shared_ptr<const LabelRegex> LabelRegex::compile(const std::string& pattern, std::string& error) {
  if (pattern.size() > kMaxPatternBytes) {
    error = "regular expression " + quoted_start(pattern) + " is longer than " +
            std::to_string(kMaxPatternBytes) + " bytes";
    return nullptr;
  }
  if (nesting(pattern) > kMaxNesting) {
    error = "regular expression " + quoted_start(pattern) + " nests groups deeper than " +
            std::to_string(kMaxNesting) + " levels";
    return nullptr;
  }
  RE2::Options opt;
  opt.set_log_errors(false);
  opt.set_encoding(RE2::Options::EncodingUTF8);
  // Prometheus 2.x: "^(?:" + v + ")$" with Go's defaults (. does not match \n).
  opt.set_dot_nl(false);
  opt.set_max_mem(8 << 20);  // RE2's default budget, stated: beyond it compiling fails
  std::shared_ptr<LabelRegex> r(new LabelRegex);
  r->pattern_ = pattern;
  r->re_ = std::make_unique<re2::RE2>("^(?:" + pattern + ")$", opt);
  if (!r->re_->ok()) {
    error = "invalid regular expression " + quoted_start(pattern) + ": " + r->re_->error();
    return nullptr;
  }
  if (r->re_->ProgramSize() > kMaxProgramSize) {
    error = "regular expression " + quoted_start(pattern) + " is too complex (" +
            std::to_string(r->re_->ProgramSize()) + " instructions, at most " +
            std::to_string(kMaxProgramSize) + ")";
    return nullptr;
  }
  return r;
}

bool LabelRegex::matches(std::string_view value) const {
  return RE2::FullMatch(re2::StringPiece(value.data(), value.size()), *re_);
}

bool LabelRegex::match_groups(std::string_view value, std::vector<std::string>& groups) const {
  const int n = re_->NumberOfCapturingGroups() + 1;
  std::vector<re2::StringPiece> sub(static_cast<size_t>(n));
  re2::StringPiece text(value.data(), value.size());
  if (!re_->Match(text, 0, text.size(), RE2::ANCHOR_BOTH, sub.data(), n)) return false;
  groups.assign(static_cast<size_t>(n), std::string());
  for (int i = 0; i < n; ++i)
    if (sub[i].data()) groups[i].assign(sub[i].data(), sub[i].size());
  return true;
}

// Go's regexp.Expand: "$name" takes the longest run of letters, digits and
// '_'; a name that is neither a group number nor a group name expands to "".
std::string LabelRegex::expand(std::string_view repl, const std::vector<std::string>& groups) const {
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  auto group = [&](std::string_view name) -> std::string {
    if (name.empty()) return {};
    bool digits = true;
    for (char c : name) digits &= std::isdigit(static_cast<unsigned char>(c)) != 0;
    if (digits) {
      if (name.size() > 9) return {};
      size_t i = std::stoul(std::string(name));
      return i < groups.size() ? groups[i] : std::string();
    }
    const auto& named = re_->NamedCapturingGroups();
    auto it = named.find(std::string(name));
    return it != named.end() && static_cast<size_t>(it->second) < groups.size() ? groups[it->second]
                                                                               : std::string();
  };
  std::string out;
  for (size_t i = 0; i < repl.size();) {
    char c = repl[i];
    if (c != '$' || i + 1 >= repl.size()) {
      out += c;
      ++i;
      continue;
    }
    if (repl[i + 1] == '$') {
      out += '$';
      i += 2;
      continue;
    }
    if (repl[i + 1] == '{') {
      size_t close = repl.find('}', i + 2);
      std::string_view name = close == std::string_view::npos ? std::string_view() : repl.substr(i + 2, close - i - 2);
      bool ok = close != std::string_view::npos && !name.empty();
      for (char d : name) ok &= word(d);
      if (!ok) {  // not a reference: kept literally, as Go does
        out += c;
        ++i;
        continue;
      }
      out += group(name);
      i = close + 1;
      continue;
    }
    size_t j = i + 1;
    while (j < repl.size() && word(repl[j])) ++j;
    if (j == i + 1) {
      out += c;
      ++i;
      continue;
    }
    out += group(repl.substr(i + 1, j - i - 1));
    i = j;
  }
  return out;
}

}  // namespace pgw
