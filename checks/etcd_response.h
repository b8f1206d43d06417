// Pure parser of etcd's GET /health body and the endpoint label of an etcd
// URL. 3.4 answers {"health":"true"}; 3.5+ adds "reason". Never throws.
#pragma once

#include <string>
#include <string_view>

namespace pgw {

struct EtcdHealth {
  bool healthy = false;
  std::string reason;                 // 3.5+: why not healthy (may be empty)
  std::string error;                  // empty when the body parsed
};

EtcdHealth parse_etcd_health(std::string_view body);

// "scheme://host[:port]" of a URL: no credentials, path, query or fragment,
// so the label is stable and never leaks a secret.
std::string endpoint_label(std::string_view url);

}  // namespace pgw
