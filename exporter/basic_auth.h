// HTTP basic auth for `serve`: the "user:password" lines of
// [exporter] basic_auth_file, checked in constant time.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace pgw {

class BasicAuth {
 public:
  // Parses the file's text: one "user:password" per line (the password may
  // contain ':'); blank lines and lines starting with '#' are skipped. On a
  // malformed line returns an error naming its number, never its content.
  static std::optional<std::string> parse(const std::string& text, BasicAuth& out);

  // False when there are no credentials: auth is off.
  bool enabled() const { return !entries_.empty(); }
  // Whether an Authorization header value ("Basic base64(user:password)",
  // or null when absent) matches an entry. The time taken does not depend
  // on which entry matched or where a guess differs.
  bool allows(const char* authorization) const;

 private:
  std::vector<std::string> entries_;  // SHA-256 of each "user:password"
};

}  // namespace pgw
