// HMAC-SHA256 for signing receiver bodies (header X-Pgwarden-Signature).
#pragma once

#include <string>
#include <string_view>

namespace pgw {

// Lower-case hex HMAC-SHA256 of `data` keyed with `key`.
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

// The header value receivers see: "sha256=<hex>" over the exact body bytes.
std::string signature_header_value(std::string_view secret, std::string_view body);

}  // namespace pgw
