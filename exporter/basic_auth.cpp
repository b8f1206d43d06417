#include "exporter/basic_auth.h"

#include <strings.h>

#include <cstring>
#include <sstream>

#include <openssl/crypto.h>
#include <openssl/evp.h>

namespace pgw {
namespace {

// Standard base64 (RFC 4648); "" for anything malformed.
std::string base64_decode(const char* in) {
  static const std::string chars =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  int val = 0, bits = -8;
  for (const char* p = in; *p; ++p) {
    if (*p == '=') break;
    auto pos = chars.find(*p);
    if (pos == std::string::npos) return {};
    val = ((val << 6) + static_cast<int>(pos)) & 0xFFFFFF;
    bits += 6;
    if (bits >= 0) {
      out.push_back(static_cast<char>((val >> bits) & 0xFF));
      bits -= 8;
    }
  }
  return out;
}

// Entries and guesses are compared as SHA-256 digests: fixed length, so
// neither the length nor the content of an entry shows in the timing.
std::string digest(const std::string& s) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(s.data(), s.size(), md, &len, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<const char*>(md), len);
}

}  // namespace

std::optional<std::string> BasicAuth::parse(const std::string& text, BasicAuth& out) {
  out.entries_.clear();
  std::istringstream lines(text);
  int number = 0;
  for (std::string line; std::getline(lines, line);) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    auto colon = line.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == line.size())
      return "line " + std::to_string(number) + " is not \"user:password\"";
    out.entries_.push_back(digest(line));
  }
  if (out.entries_.empty()) return std::string("has no \"user:password\" line");
  return std::nullopt;
}

bool BasicAuth::allows(const char* authorization) const {
  if (entries_.empty()) return true;
  if (!authorization) return false;
  // RFC 7617 / 9110: the scheme name is case-insensitive ("basic", "BASIC"),
  // and one or more spaces separate it from the credentials.
  const char* p = authorization;
  while (*p == ' ') ++p;
  if (strncasecmp(p, "basic", 5) != 0 || p[5] != ' ') return false;
  p += 5;
  while (*p == ' ') ++p;
  std::string given = digest(base64_decode(p));
  bool ok = false;
  // Every entry is compared, so the time does not reveal which one matched.
  for (const auto& e : entries_)
    ok |= CRYPTO_memcmp(given.data(), e.data(), given.size()) == 0;
  return ok;
}

}  // namespace pgw
