#include "core/utf8.h"

namespace pgw {
namespace {

// Length of the well-formed sequence starting at s[i], or 0 when the bytes
// there are ill-formed; `bad` is then the length of the maximal ill-formed
// subpart to replace by one U+FFFD (Unicode 15, table 3-7).
size_t sequence_length(std::string_view s, size_t i, size_t& bad) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  unsigned char c = b(0);
  bad = 1;
  if (c < 0x80) return 1;
  size_t n;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) n = 2;
  else if (c == 0xE0) { n = 3; lo = 0xA0; }
  else if (c == 0xED) { n = 3; hi = 0x9F; }
  else if (c >= 0xE1 && c <= 0xEF) n = 3;
  else if (c == 0xF0) { n = 4; lo = 0x90; }
  else if (c == 0xF4) { n = 4; hi = 0x8F; }
  else if (c >= 0xF1 && c <= 0xF3) n = 4;
  else return 0;
  for (size_t k = 1; k < n; ++k) {
    if (i + k >= s.size()) return 0;
    unsigned char d = b(k);
    if (k == 1 ? (d < lo || d > hi) : (d < 0x80 || d > 0xBF)) return 0;
    bad = k + 1;
  }
  return n;
}

size_t first_invalid(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    size_t bad;
    size_t n = sequence_length(s, i, bad);
    if (n == 0) return i;
    i += n;
  }
  return std::string_view::npos;
}

}  // namespace

bool is_valid_utf8(std::string_view s) { return first_invalid(s) == std::string_view::npos; }

std::string to_valid_utf8(std::string_view s) {
  size_t i = first_invalid(s);
  if (i == std::string_view::npos) return std::string(s);
  std::string out;
  out.reserve(s.size() + 8);
  out.append(s.substr(0, i));
  while (i < s.size()) {
    size_t bad;
    size_t n = sequence_length(s, i, bad);
    if (n) {
      out.append(s.substr(i, n));
      i += n;
    } else {
      out.append("\xEF\xBF\xBD");
      i += bad;
    }
  }
  return out;
}

void make_valid_utf8(std::string& s) {
  if (first_invalid(s) != std::string_view::npos) s = to_valid_utf8(s);
}

std::string_view utf8_prefix(std::string_view s, size_t max_bytes) {
  if (s.size() <= max_bytes) return s;
  size_t end = max_bytes;
  // Step back over continuation bytes to the start of the cut character.
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  return s.substr(0, end);
}

}  // namespace pgw
