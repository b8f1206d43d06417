// A strict validator of the Prometheus text exposition format 0.0.4, for the
// fuzz targets (promtool cannot run inside a fuzzer; a test feeds samples of
// the same output to `promtool check metrics` as well). Returns "" when
// `text` is valid, else what is wrong and on which line.
#pragma once

#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "core/utf8.h"

namespace pgw::fuzz {

inline bool expo_name_char(char c, bool first, bool colon) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':') ||
         (!first && c >= '0' && c <= '9');
}

// Reads a name at `i`; "" when there is none.
inline std::string expo_name(std::string_view l, size_t& i, bool colon) {
  size_t start = i;
  while (i < l.size() && expo_name_char(l[i], i == start, colon)) ++i;
  return std::string(l.substr(start, i - start));
}

inline bool expo_value(std::string_view v) {
  if (v == "NaN" || v == "+Inf" || v == "-Inf") return true;
  if (v.empty()) return false;
  std::string s(v);
  char* end = nullptr;
  std::strtod(s.c_str(), &end);
  return end && *end == '\0';
}

inline std::string validate_exposition(std::string_view text) {
  if (!is_valid_utf8(text)) return "not valid UTF-8";
  if (!text.empty() && text.back() != '\n') return "does not end in a newline";
  std::set<std::string> families_done;
  std::string family;  // current
  size_t line_no = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view l = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    auto fail = [&](const std::string& why) { return "line " + std::to_string(line_no) + ": " + why; };
    if (l.empty()) return fail("empty line");
    if (l[0] == '#') {
      bool help = l.substr(0, 7) == "# HELP ", type = l.substr(0, 7) == "# TYPE ";
      if (!help && !type) continue;  // a comment
      size_t i = 7;
      std::string name = expo_name(l, i, true);
      if (name.empty()) return fail("HELP/TYPE without a metric name");
      if (i < l.size() && l[i] != ' ') return fail("bad metric name in HELP/TYPE");
      if (name != family) {
        if (families_done.count(name)) return fail("metric family " + name + " appears twice");
        if (!family.empty()) families_done.insert(family);
        family = name;
      }
      if (type) {
        std::string_view t = i < l.size() ? l.substr(i + 1) : std::string_view();
        if (t != "counter" && t != "gauge" && t != "untyped" && t != "summary" && t != "histogram")
          return fail("bad TYPE");
      } else {
        std::string_view h = i < l.size() ? l.substr(i + 1) : std::string_view();
        for (size_t k = 0; k < h.size(); ++k)
          if (h[k] == '\\' && (k + 1 >= h.size() || (h[k + 1] != '\\' && h[k + 1] != 'n')))
            return fail("bad escape in HELP");
          else if (h[k] == '\\')
            ++k;
      }
      continue;
    }
    size_t i = 0;
    std::string name = expo_name(l, i, true);
    if (name.empty()) return fail("sample without a metric name");
    if (name != family) {
      if (families_done.count(name)) return fail("metric family " + name + " appears twice");
      if (!family.empty()) families_done.insert(family);
      family = name;
    }
    if (i < l.size() && l[i] == '{') {
      ++i;
      std::set<std::string> seen;
      while (i < l.size() && l[i] != '}') {
        std::string label = expo_name(l, i, false);
        if (label.empty()) return fail("bad label name");
        if (!seen.insert(label).second) return fail("label " + label + " twice");
        if (l.substr(i, 2) != "=\"") return fail("expected =\" after a label name");
        i += 2;
        bool closed = false;
        while (i < l.size()) {
          char c = l[i];
          if (c == '"') {
            closed = true;
            ++i;
            break;
          }
          if (c == '\\') {
            if (i + 1 >= l.size() || (l[i + 1] != '\\' && l[i + 1] != 'n' && l[i + 1] != '"'))
              return fail("bad escape in a label value");
            i += 2;
            continue;
          }
          ++i;
        }
        if (!closed) return fail("unterminated label value");
        if (i < l.size() && l[i] == ',') ++i;
      }
      if (i >= l.size()) return fail("unterminated label set");
      ++i;
    }
    if (i >= l.size() || l[i] != ' ') return fail("expected a space before the value");
    std::string_view rest = l.substr(i + 1);
    size_t sp = rest.find(' ');
    if (!expo_value(rest.substr(0, sp))) return fail("bad value");
    if (sp != std::string_view::npos) {
      std::string_view ts = rest.substr(sp + 1);
      if (ts.empty() || ts.find_first_not_of("-0123456789") != std::string_view::npos) return fail("bad timestamp");
    }
  }
  return "";
}

}  // namespace pgw::fuzz
