#include "checks/sql_identifier.h"

#include <algorithm>

namespace pgw {
namespace {

bool valid_identifier(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (!letter(s[0])) return false;
  return std::all_of(s.begin(), s.end(),
                     [&](char c) { return letter(c) || (c >= '0' && c <= '9') || c == '$'; });
}

}  // namespace

std::optional<std::string> quote_table_name(std::string_view name) {
  size_t dot = name.find('.');
  bool qualified = dot != std::string_view::npos;
  std::string_view schema = qualified ? name.substr(0, dot) : std::string_view();
  std::string_view table = qualified ? name.substr(dot + 1) : name;
  if (!valid_identifier(table) || (qualified && !valid_identifier(schema))) return std::nullopt;
  std::string out;
  if (qualified) out += "\"" + std::string(schema) + "\".";
  return out + "\"" + std::string(table) + "\"";
}

}  // namespace pgw
