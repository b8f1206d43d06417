#include "exporter/config_values.h"

#include <cctype>

#include "exporter/config_reader.h"

namespace pgw::config_detail {
namespace {

bool is_alpha_(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool is_alnum_(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

bool is_identifier(std::string_view s) {
  if (s.empty() || !is_alpha_(s[0])) return false;
  for (char c : s)
    if (!is_alnum_(c)) return false;
  return true;
}

bool valid_port(std::string_view s) {
  if (s.empty() || s.size() > 5) return false;
  int port = 0;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    port = port * 10 + (c - '0');
  }
  return port >= 1 && port <= 65535;
}

bool valid_hostname(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '_')
      return false;
  return true;
}

bool valid_ipv6(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.') return false;
  return s.find(':') != std::string_view::npos;
}

}  // namespace

std::optional<std::string> check_listen_address(std::string_view value) {
  std::string_view host, port;
  bool ok = false;
  if (!value.empty() && value[0] == '[') {
    size_t close = value.find(']');
    if (close != std::string_view::npos && close + 1 < value.size() && value[close + 1] == ':') {
      host = value.substr(1, close - 1);
      port = value.substr(close + 2);
      ok = valid_ipv6(host) && valid_port(port);
    }
  } else {
    size_t colon = value.rfind(':');
    if (colon != std::string_view::npos) {
      host = value.substr(0, colon);
      port = value.substr(colon + 1);
      ok = (host.empty() || valid_hostname(host)) && valid_port(port);
    }
  }
  if (ok) return std::nullopt;
  return show(value) + " is not a listen address (expected HOST:PORT, e.g. 127.0.0.1:9847)";
}

std::string redact_url(std::string_view url) {
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos || scheme_end == 0) return "";
  std::string_view rest = url.substr(scheme_end + 3);
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  // Drop user:password@ if present.
  size_t at = authority.rfind('@');
  if (at != std::string_view::npos) authority = authority.substr(at + 1);
  return std::string(url.substr(0, scheme_end)) + "://" + std::string(authority);
}

std::optional<std::string> check_http_url(std::string_view value) {
  std::string shown = redact_url(value);
  bool http = value.rfind("http://", 0) == 0 || value.rfind("https://", 0) == 0;
  std::string_view host;
  if (http) {
    host = std::string_view(shown).substr(shown.find("://") + 3);
  }
  if (http && !host.empty()) return std::nullopt;
  if (shown.empty() || !http)
    return std::string("expected an http:// or https:// URL");
  return "URL " + show(shown) + " has no host (expected e.g. http://127.0.0.1:8765)";
}

std::optional<std::string> check_metric_name(std::string_view value) {
  bool syntax = !value.empty() && (is_alpha_(value[0]) || value[0] == ':');
  for (char c : value)
    if (!is_alnum_(c) && c != ':') syntax = false;
  if (!syntax)
    return show(value) + " is not a valid metric name (expected [a-zA-Z_:][a-zA-Z0-9_:]*)";
  if (value.rfind("pgwarden_", 0) != 0)
    return show(value) + " must start with pgwarden_";
  return std::nullopt;
}

std::optional<std::string> check_label_name(std::string_view value) {
  if (!is_identifier(value))
    return show(value) + " is not a valid label name (expected [a-zA-Z_][a-zA-Z0-9_]*)";
  if (value.rfind("__", 0) == 0)
    return show(value) + " is not a valid label name (names starting with __ are reserved)";
  return std::nullopt;
}

std::optional<std::string> check_alert_name(std::string_view value) {
  if (!is_identifier(value))
    return show(value) + " is not a valid alert name (expected [a-zA-Z_][a-zA-Z0-9_]*)";
  return std::nullopt;
}

std::optional<std::string> check_table_name(std::string_view value) {
  size_t dot = value.find('.');
  bool ok = dot == std::string_view::npos
                ? is_identifier(value)
                : is_identifier(value.substr(0, dot)) && is_identifier(value.substr(dot + 1));
  if (ok) return std::nullopt;
  return show(value) + " is not a table name (expected e.g. write_queue or sync.write_queue)";
}

std::optional<std::string> check_slot_name(std::string_view value) {
  bool ok = !value.empty() && value.size() <= 63;
  for (char c : value)
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) ||
          c == '_'))
      ok = false;
  if (ok) return std::nullopt;
  return show(value) + " is not a replication slot name (expected lower-case letters, digits, _)";
}

std::optional<Role> parse_role(std::string_view value) {
  if (value == "primary") return Role::Primary;
  if (value == "standby") return Role::Standby;
  if (value == "client") return Role::Client;
  if (value == "auto") return Role::Auto;
  return std::nullopt;
}

}  // namespace pgw::config_detail
