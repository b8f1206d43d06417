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
  const char* reason = r.status == 200 ? "OK" : r.status == 401 ? "Unauthorized"
                     : r.status == 404 ? "Not Found" : r.status == 503 ? "Service Unavailable"
                                                                    : "Error";
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

}  // namespace

struct HttpServer::Impl : public CivetHandler {
  HttpBackend& backend;
  std::shared_mutex auth_mu;  // guards auth (replaced on reload)
  BasicAuth auth;
  std::unique_ptr<CivetServer> server;

  explicit Impl(HttpBackend& b) : backend(b) {}

  bool authorized(mg_connection* conn) {
    std::shared_lock lock(auth_mu);
    return auth.allows(mg_get_header(conn, "Authorization"));
  }

  bool handleGet(CivetServer*, mg_connection* conn) override {
    const mg_request_info* info = mg_get_request_info(conn);
    std::string uri = info->local_uri ? info->local_uri : "/";
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
