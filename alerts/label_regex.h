// Regular expressions over label values (=~, !~ and everything else that
// matches label values): RE2, fully anchored as in Prometheus, which uses the
// same syntax (Go's regexp). Linear time in the value's length, no recursion:
// a hostile value or pattern cannot overflow the stack or backtrack for ever.
// Patterns beyond a size limit are refused with a clear error, so a hostile
// config is rejected at load or SIGHUP instead of hurting the process.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace re2 {
class RE2;
}

namespace pgw {

class LabelRegex {
 public:
  // Limits on what a pattern may compile to.
  static constexpr size_t kMaxPatternBytes = 16 * 1024;
  static constexpr int kMaxProgramSize = 50000;  // RE2 instructions
  static constexpr int kMaxNesting = 100;        // groups inside groups

  // Compiles `pattern` anchored at both ends ("^(?:pattern)$"). Returns null
  // and sets `error` (which quotes no more than the pattern's start) when it
  // is invalid or too large.
  static std::shared_ptr<const LabelRegex> compile(const std::string& pattern, std::string& error);

  ~LabelRegex();
  const std::string& pattern() const { return pattern_; }

  // True when the whole of `value` matches.
  bool matches(std::string_view value) const;
  // Like matches(); on a match fills `groups` with the whole match and every
  // capturing group ("" for a group that did not participate).
  bool match_groups(std::string_view value, std::vector<std::string>& groups) const;
  // Prometheus' label_replace expansion of `replacement` ($1, ${1}, $name,
  // ${name}, $$) with the groups of a successful match_groups().
  std::string expand(std::string_view replacement, const std::vector<std::string>& groups) const;

 private:
  LabelRegex() = default;
  std::string pattern_;
  std::unique_ptr<re2::RE2> re_;
};

}  // namespace pgw
