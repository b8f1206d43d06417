// Validators for single config values (internal to the config loader). Each
// returns an error message without the key path, or nullopt when valid.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/config.h"

namespace pgw::config_detail {

// HOST:PORT, [IPV6]:PORT or :PORT, port 1..65535.
std::optional<std::string> check_listen_address(std::string_view value);
// An http:// or https:// URL with a host. The message shows at most the
// scheme and host, never a path, query or credentials.
std::optional<std::string> check_http_url(std::string_view value);
// "scheme://host[:port]" of a URL, or "" when it has no recognisable scheme.
std::string redact_url(std::string_view url);
// Prometheus metric name that also starts with pgwarden_.
std::optional<std::string> check_metric_name(std::string_view value);
// Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with __).
std::optional<std::string> check_label_name(std::string_view value);
// Alert name (same syntax as a label name).
std::optional<std::string> check_alert_name(std::string_view value);
// A table name, optionally schema-qualified: it is interpolated into SQL.
std::optional<std::string> check_table_name(std::string_view value);
// A replication slot name as PostgreSQL accepts it.
std::optional<std::string> check_slot_name(std::string_view value);
std::optional<Role> parse_role(std::string_view value);

}  // namespace pgw::config_detail
