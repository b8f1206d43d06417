// The HTTP endpoints of `serve` on civetweb: /metrics, /healthz, /alerts, /.
// Handlers only read what the backend already holds; none waits on a check.
#pragma once

#include <memory>
#include <string>

#include "exporter/basic_auth.h"

namespace pgw {

struct HttpReply {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

// A request for handlers that need more than the path (the API v2 subset).
struct HttpRequestData {
  std::string method;  // "GET", "POST", "DELETE", ...
  std::string path;    // decoded path, without the query
  std::string query;   // raw query string, without '?'
  std::string body;
};

class HttpBackend {
 public:
  virtual ~HttpBackend() = default;
  virtual HttpReply metrics() = 0;   // Prometheus text format
  virtual HttpReply healthz() = 0;
  virtual HttpReply alerts() = 0;    // JSON
  virtual HttpReply status() = 0;    // HTML
  // Everything under /api/ (any method). Writes (not GET/HEAD) reach it only
  // when auth is on and passed, or the server listens on loopback.
  virtual HttpReply api(const HttpRequestData&) { return {404, "text/plain; charset=utf-8", "not found\n"}; }
};

// Whether a listen address only accepts connections from this host.
bool is_loopback_listen(const std::string& listen);

class HttpServer {
 public:
  // Listens on `listen` ("127.0.0.1:9847", "[::1]:9847", ":9847").
  // Every endpoint requires `auth` when it is enabled (401 with a
  // WWW-Authenticate challenge otherwise). Without auth, write requests
  // (POST, DELETE: silences) are refused with 403 unless `listen` is a
  // loopback address (127.0.0.0/8, ::1, localhost), where only local users
  // can reach them.
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
