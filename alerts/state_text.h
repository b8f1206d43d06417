// The alert state serialised straight to JSON text, without building a
// document first (at 1,000 nodes, thousands of pending instances made a
// 13 MB document and two 8 MB strings every round), together with a digest
// of its significant part: everything except what changes every round
// (each instance's lastEval and value), so that the state file is rewritten
// at once only when something that matters changed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace pgw {

struct StateText {
  std::string text;
  std::uint64_t significant_digest = 14695981039346656037ull;  // FNV-1a offset basis

  // Appends to the text and folds into the digest.
  void significant(std::string_view s) {
    text += s;
    for (unsigned char c : s) significant_digest = (significant_digest ^ c) * 1099511628211ull;
  }
  // Appends to the text only.
  void volatile_part(std::string_view s) { text += s; }
};

// FNV-1a of a whole text (the file's digest, to skip rewriting it unchanged).
inline std::uint64_t text_digest(std::string_view s) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

}  // namespace pgw
