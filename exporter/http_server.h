// The HTTP endpoints of `serve`: /metrics, /healthz, /alerts, / and whatever
// a backend adds through handle(). Handlers only read what the backend
// already holds; none waits on a check.
//
// Served by libmicrohttpd with its own event loop (epoll on Linux, poll
// elsewhere) on a small pool of threads: an idle keep-alive connection or a
// client that reads one byte a second costs a descriptor and a buffer, never
// a thread, so no number of them can make a scrape wait (civetweb, before,
// held one of its 32 threads per connection for the connection's life).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "exporter/basic_auth.h"

namespace pgw {

struct HttpReply {
  using Headers = std::vector<std::pair<std::string, std::string>>;
  HttpReply(int status_ = 200, std::string content_type_ = "text/plain; charset=utf-8", std::string body_ = {},
            Headers headers_ = {})
      : status(status_),
        content_type(std::move(content_type_)),
        body(std::move(body_)),
        headers(std::move(headers_)) {}
  int status;
  std::string content_type;
  std::string body;
  Headers headers;  // extra response headers
  // The rest of a large body, written while it is sent (/metrics at
  // hundreds of nodes): each call appends the next part to its argument and
  // returns false once there is none. `body` goes first. Without a length,
  // the reply is chunked (HTTP/1.1) or ends with the connection (HTTP/1.0),
  // as Go's net/http does with a handler that writes more than it buffers.
  std::function<bool(std::string&)> stream;
};

// One request, as a backend's handle() sees it (already authorised).
struct HttpRequestInfo {
  std::string method;  // "GET" (also for HEAD: the server drops the body), "POST", "DELETE", ...
  std::string path;    // percent-decoded, without the query string
  std::vector<std::pair<std::string, std::string>> args;     // query arguments, repeats kept
  std::vector<std::pair<std::string, std::string>> headers;  // as received
  std::string body;    // at most HttpServer::kMaxBodyBytes
  bool loopback = false;  // the client connected over the loopback interface
  // First query argument / header (case-insensitive) named `name`, or "".
  std::string arg(const std::string& name) const;
  std::string header(const std::string& name) const;
};

class HttpBackend {
 public:
  virtual ~HttpBackend() = default;
  virtual HttpReply metrics() = 0;   // Prometheus text format
  virtual HttpReply healthz() = 0;
  virtual HttpReply alerts() = 0;    // JSON
  virtual HttpReply status() = 0;    // HTML
  // Every other path or method (e.g. the Alertmanager API). Default: 404.
  virtual HttpReply handle(const HttpRequestInfo& request);
};

class HttpServer {
 public:
  static constexpr size_t kMaxBodyBytes = 1 << 20;  // larger request bodies get a 413

  // Listens on `listen` ("127.0.0.1:9847", "[::1]:9847", ":9847").
  // Every endpoint requires `auth` when it is enabled (401 with a
  // WWW-Authenticate challenge otherwise).
  // Throws std::runtime_error when the address cannot be bound.
  HttpServer(const std::string& listen, HttpBackend& backend, BasicAuth auth = {});
  ~HttpServer();
  // Replaces the credentials (config reload); requests in flight finish
  // with the old ones.
  void set_auth(BasicAuth auth);
  // The port actually bound (useful with port 0).
  int port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pgw
