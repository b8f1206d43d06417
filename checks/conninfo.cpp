// check_conninfo: validates a conninfo string with libpq's own parser.
#include <libpq-fe.h>

#include <set>
#include <string>

#include "checks/conninfo.h"

namespace pgw {
namespace {

const char* const kInlinePassword =
    "inline passwords are not allowed; use password_file or a libpq passfile (PGPASSFILE)";

// libpq quotes parts of the input in its messages ("missing \"=\" after
// \"...\""). Those parts may be secrets (a URI's user:password, a stray
// token), so every quoted part that is not a libpq keyword is blanked out.
std::string redact_quoted(const std::string& msg) {
  static const std::set<std::string> keywords = [] {
    std::set<std::string> k;
    if (PQconninfoOption* opts = PQconndefaults()) {
      for (PQconninfoOption* o = opts; o->keyword; ++o) k.insert(o->keyword);
      PQconninfoFree(opts);
    }
    k.insert("=");
    return k;
  }();
  std::string out;
  size_t i = 0;
  while (i < msg.size()) {
    size_t open = msg.find('"', i);
    if (open == std::string::npos) break;
    size_t close = msg.find('"', open + 1);
    if (close == std::string::npos) break;
    std::string inner = msg.substr(open + 1, close - open - 1);
    out += msg.substr(i, open - i);
    out += keywords.count(inner) ? '"' + inner + '"' : std::string("\"...\"");
    i = close + 1;
  }
  out += msg.substr(i);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r' || out.back() == ' '))
    out.pop_back();
  return out;
}

}  // namespace

std::optional<std::string> check_conninfo(const std::string& conninfo) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(conninfo.c_str(), &err);
  if (!opts) {
    std::string msg = err ? redact_quoted(err) : std::string("out of memory");
    if (err) PQfreemem(err);
    return "not a valid libpq conninfo: " + msg;
  }
  bool has_password = false;
  for (PQconninfoOption* o = opts; o->keyword; ++o)
    if (std::string(o->keyword) == "password" && o->val) has_password = true;
  PQconninfoFree(opts);
  if (has_password) return std::string(kInlinePassword);
  return std::nullopt;
}

}  // namespace pgw
