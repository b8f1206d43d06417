#include "exporter/http_server.h"

#include <CivetServer.h>

#include <mutex>
#include <shared_mutex>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace pgw {
namespace {

void send(mg_connection* conn, const HttpReply& r, bool head = false) {
  const char* reason = r.status == 200 ? "OK" : r.status == 400 ? "Bad Request"
                     : r.status == 401 ? "Unauthorized" : r.status == 403 ? "Forbidden"
                     : r.status == 404 ? "Not Found" : r.status == 405 ? "Method Not Allowed"
                     : r.status == 413 ? "Payload Too Large"
                     : r.status == 503 ? "Service Unavailable" : "Error";
  std::ostringstream h;
  h << "HTTP/1.1 " << r.status << ' ' << reason << "\r\n"
    << "Content-Type: " << r.content_type << "\r\n"
    << "Content-Length: " << r.body.size() << "\r\n"
    << "Cache-Control: no-store\r\n"
    << "X-Content-Type-Options: nosniff\r\n";
  if (r.status == 401) h << "WWW-Authenticate: Basic realm=\"pgwarden\"\r\n";
  h << "\r\n";
  std::string head_text = h.str();
  mg_write(conn, head_text.data(), head_text.size());
  if (!head && !r.body.empty()) mg_write(conn, r.body.data(), r.body.size());
}

// Silences are small; anything bigger is not one.
constexpr size_t kMaxBody = 256 * 1024;

bool read_body(mg_connection* conn, std::string& body) {
  char buf[8192];
  for (;;) {
    int n = mg_read(conn, buf, sizeof buf);
    if (n <= 0) return true;
    body.append(buf, static_cast<size_t>(n));
    if (body.size() > kMaxBody) return false;
  }
}

}  // namespace

bool is_loopback_listen(const std::string& listen) {
  std::string host = listen;
  if (!host.empty() && host[0] == '[') {
    host = host.substr(1, host.find(']') - 1);
  } else if (auto colon = host.rfind(':'); colon != std::string::npos) {
    host = host.substr(0, colon);
  }
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

struct HttpServer::Impl : public CivetHandler {
  HttpBackend& backend;
  std::shared_mutex auth_mu;  // guards auth (replaced on reload)
  BasicAuth auth;
  std::unique_ptr<CivetServer> server;

  bool loopback = false;

  explicit Impl(HttpBackend& b) : backend(b) {}

  bool auth_enabled() {
    std::shared_lock lock(auth_mu);
    return auth.enabled();
  }

  // /api/..., any method: the Alertmanager API v2 subset.
  bool handle_api(mg_connection* conn, const char* method) {
    const mg_request_info* info = mg_get_request_info(conn);
    if (!authorized(conn)) {
      send(conn, {401, "text/plain; charset=utf-8", "unauthorized\n"});
      return true;
    }
    HttpRequestData req;
    req.method = method;
    req.path = info->local_uri ? info->local_uri : "/";
    req.query = info->query_string ? info->query_string : "";
    bool write = req.method != "GET" && req.method != "HEAD";
    if (write && !loopback && !auth_enabled()) {
      send(conn, {403, "application/json",
                  "\"writes need basic auth (basic_auth_file) when serve listens beyond loopback\"\n"});
      return true;
    }
    if (write && !read_body(conn, req.body)) {
      send(conn, {413, "application/json", "\"request body too large\"\n"});
      return true;
    }
    send(conn, backend.api(req));
    return true;
  }

  bool handlePost(CivetServer*, mg_connection* conn) override { return handle_api(conn, "POST"); }
  bool handleDelete(CivetServer*, mg_connection* conn) override { return handle_api(conn, "DELETE"); }

  bool authorized(mg_connection* conn) {
    std::shared_lock lock(auth_mu);
    return auth.allows(mg_get_header(conn, "Authorization"));
  }

  bool handleGet(CivetServer*, mg_connection* conn) override {
    const mg_request_info* info = mg_get_request_info(conn);
    std::string uri = info->local_uri ? info->local_uri : "/";
    if (uri.rfind("/api/", 0) == 0) return handle_api(conn, "GET");
    if (!authorized(conn)) {
      send(conn, {401, "text/plain; charset=utf-8", "unauthorized\n"});
      return true;
    }
    HttpReply reply;
    if (uri == "/metrics") reply = backend.metrics();
    else if (uri == "/healthz") reply = backend.healthz();
    else if (uri == "/alerts") reply = backend.alerts();
    else if (uri == "/") reply = backend.status();
    else reply = {404, "text/plain; charset=utf-8", "not found\n"};
    send(conn, reply);
    return true;
  }
};

HttpServer::HttpServer(const std::string& listen, HttpBackend& backend, BasicAuth auth)
    : impl_(std::make_unique<Impl>(backend)) {
  impl_->auth = std::move(auth);
  impl_->loopback = is_loopback_listen(listen);
  std::string port = listen;
  if (!port.empty() && port[0] == ':') port = "0.0.0.0" + port;
  // A burst of scrapers (1,000 concurrent connections in the load test) must
  // wait in the kernel's accept queue, not have their SYNs dropped and
  // retried seconds later: civetweb's defaults (backlog 200, queue 20) are
  // raised; the kernel caps the backlog at net.core.somaxconn.
  // Each worker thread is held by one connection until its request arrives
  // or request_timeout_ms passes: 32 of them keep a handful of idle or slow
  // clients from stalling every scrape (with 8, 16 idle connections did).
  std::vector<std::string> options = {"listening_ports", port,          "num_threads", "32",
                                      "request_timeout_ms", "10000",  "enable_keep_alive", "yes",
                                      "listen_backlog", "1024",       "connection_queue", "256"};
  try {
    impl_->server = std::make_unique<CivetServer>(options);
  } catch (const CivetException& e) {
    throw std::runtime_error("cannot listen on " + listen + ": " + e.what());
  }
  impl_->server->addHandler("/", impl_.get());
}

HttpServer::~HttpServer() {
  if (impl_->server) impl_->server->close();
}

void HttpServer::set_auth(BasicAuth auth) {
  std::unique_lock lock(impl_->auth_mu);
  impl_->auth = std::move(auth);
}

int HttpServer::port() const {
  auto ports = impl_->server->getListeningPorts();
  return ports.empty() ? 0 : ports[0];
}

}  // namespace pgw
