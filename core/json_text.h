// JSON serialisation that cannot throw on text: the second line of defence
// behind core/utf8.h. Any byte that is not UTF-8 and slipped past the
// boundary becomes U+FFFD instead of an exception that would lose an HTTP
// reply, a notification or the process.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace pgw {

inline std::string json_text(const nlohmann::json& j, int indent = -1) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace pgw
