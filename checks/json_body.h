// Shared first step of the HTTP body parsers (embedder, Patroni, etcd):
// parse a body that must be a JSON object, without exceptions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace pgw {

// The parsed object, or nullopt with `error` set. Error texts describe the
// body's shape only: bodies are never echoed (they may be huge or sensitive).
std::optional<nlohmann::json> parse_json_object(std::string_view body, std::string& error);

}  // namespace pgw
