// A small blocking HTTP client on libcurl for checks (embedder, Patroni,
// etcd) and receivers. Every request is time-bounded and size-capped; TLS is
// verified. Errors never contain the URL (it may hold a token).
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "core/duration.h"

namespace pgw {

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  Duration timeout = Duration(5000);         // whole transfer, connect included
  size_t max_response_bytes = 1 << 20;       // larger bodies fail the request
  std::string ca_file;                       // PEM CAs to verify with instead of the system bundle
};

struct HttpResponse {
  long status = 0;            // 0 when no HTTP response was received
  std::string body;
  std::string error;          // transport error ("timeout", "connection refused", ...)
  double seconds = 0;         // total time
  // Response headers, names lower-cased, values trimmed (e.g. "retry-after").
  std::vector<std::pair<std::string, std::string>> headers;
  bool ok() const { return error.empty() && status >= 200 && status < 300; }
};

HttpResponse http_request(const HttpRequest& request);

// Convenience for GET with a timeout and size cap.
HttpResponse http_get(const std::string& url, Duration timeout, size_t max_bytes = 1 << 20);

}  // namespace pgw
