#include "exporter/http_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <shared_mutex>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "core/internal_errors.h"

namespace pgw {
namespace {

// libmicrohttpd before 0.9.71 returned int from callbacks.
#if MHD_VERSION >= 0x00097002
using MhdResult = enum MHD_Result;
#else
using MhdResult = int;
#endif

// Threads of the event loop. Handlers render from memory in milliseconds;
// several threads keep one slow render (a large status page) from delaying
// a scrape that arrives meanwhile.
constexpr unsigned kThreads = 4;
// Seconds a connection may stay silent (idle keep-alive, or a client that
// never finishes its request) before it is closed.
constexpr unsigned kIdleTimeoutSeconds = 30;

// Raises the soft limit on open descriptors to the hard one (capped): each
// connection costs one, and the default soft limit is often 1024.
size_t raise_descriptor_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 1024;
  rlim_t want = rl.rlim_max == RLIM_INFINITY ? 65536 : std::min<rlim_t>(rl.rlim_max, 65536);
  if (rl.rlim_cur < want) {
    rl.rlim_cur = want;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) getrlimit(RLIMIT_NOFILE, &rl);
  }
  return rl.rlim_cur == RLIM_INFINITY ? 65536 : static_cast<size_t>(rl.rlim_cur);
}

void mhd_log(void*, const char* fmt, va_list ap) {
  char buf[512];
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  std::string text = buf;
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  spdlog::debug("http: {}", text);
}

bool is_loopback(const sockaddr* sa) {
  if (!sa) return false;
  if (sa->sa_family == AF_INET)
    return (ntohl(reinterpret_cast<const sockaddr_in*>(sa)->sin_addr.s_addr) >> 24) == 127;
  if (sa->sa_family == AF_INET6) {
    const auto* a6 = &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr;
    if (IN6_IS_ADDR_LOOPBACK(a6)) return true;
    return IN6_IS_ADDR_V4MAPPED(a6) && a6->s6_addr[12] == 127;
  }
  return false;
}

// Per-request state across libmicrohttpd's calls (headers, body chunks, end).
struct Pending {
  std::string body;
  bool too_large = false;
};

MhdResult collect_pair(void* cls, enum MHD_ValueKind, const char* key, const char* value) {
  auto* out = static_cast<std::vector<std::pair<std::string, std::string>>*>(cls);
  out->emplace_back(key ? key : "", value ? value : "");
  return MHD_YES;
}

}  // namespace

std::string HttpRequestInfo::arg(const std::string& name) const {
  for (const auto& [k, v] : args)
    if (k == name) return v;
  return "";
}

std::string HttpRequestInfo::header(const std::string& name) const {
  for (const auto& [k, v] : headers)
    if (strcasecmp(k.c_str(), name.c_str()) == 0) return v;
  return "";
}

HttpReply HttpBackend::handle(const HttpRequestInfo&) {
  return {404, "text/plain; charset=utf-8", "not found\n", {}};
}

struct HttpServer::Impl {
  HttpBackend& backend;
  std::shared_mutex auth_mu;  // guards auth (replaced on reload)
  BasicAuth auth;
  MHD_Daemon* daemon = nullptr;

  explicit Impl(HttpBackend& b) : backend(b) {}

  bool authorized(MHD_Connection* conn) {
    std::shared_lock lock(auth_mu);
    return auth.allows(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION));
  }

  static void free_body(void* body) { delete static_cast<std::string*>(body); }

  // A streamed reply: what is written and not yet sent, and the writer.
  struct Stream {
    std::string buf;
    size_t sent = 0;
    std::function<bool(std::string&)> next;
    bool done = false;
  };
  static constexpr size_t kStreamBlock = 256 * 1024;

  // Fills libmicrohttpd's block whole (a short block would go out as a
  // small packet of its own), writing the next part whenever the last one
  // is sent.
  static ssize_t read_stream(void* cls, uint64_t, char* out, size_t max) {
    auto* st = static_cast<Stream*>(cls);
    size_t n = 0;
    // Nothing may escape into libmicrohttpd's thread; the client gets a
    // truncated body.
    try {
      while (n < max) {
        if (st->sent == st->buf.size()) {
          st->buf.clear();  // keeps its capacity for the next part
          st->sent = 0;
          if (st->done || !st->next(st->buf)) {
            st->done = true;
            break;
          }
          continue;
        }
        size_t k = std::min(max - n, st->buf.size() - st->sent);
        std::memcpy(out + n, st->buf.data() + st->sent, k);
        st->sent += k;
        n += k;
      }
    } catch (const std::exception& e) {
      report_internal_error("http", e.what());
      return MHD_CONTENT_READER_END_WITH_ERROR;
    } catch (...) {
      report_internal_error("http", "unknown exception");
      return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    return n ? static_cast<ssize_t>(n) : MHD_CONTENT_READER_END_OF_STREAM;
  }
  static void free_stream(void* cls) { delete static_cast<Stream*>(cls); }

  // The response takes the body over instead of copying it: at 1,000 nodes
  // a copy of /metrics doubled each scrape's memory.
  static MHD_Response* response_for(HttpReply& r) {
    if (r.stream) {
      auto* st = new Stream{std::move(r.body), 0, std::move(r.stream), false};
      MHD_Response* resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, kStreamBlock, &read_stream, st,
                                                             &free_stream);
      if (!resp) delete st;
      return resp;
    }
    auto* body = new std::string(std::move(r.body));
    MHD_Response* resp =
        MHD_create_response_from_buffer_with_free_callback_cls(body->size(), body->data(), &free_body, body);
    if (!resp) delete body;
    return resp;
  }

  static MhdResult queue(MHD_Connection* conn, HttpReply r) {
    MHD_Response* resp = response_for(r);
    if (!resp) return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r.content_type.c_str());
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    if (r.status == 401) MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Basic realm=\"pgwarden\"");
    for (const auto& [k, v] : r.headers) MHD_add_response_header(resp, k.c_str(), v.c_str());
    MhdResult ok = MHD_queue_response(conn, static_cast<unsigned>(r.status), resp);
    MHD_destroy_response(resp);
    return ok;
  }

  HttpReply route(MHD_Connection* conn, const std::string& method, const std::string& url, Pending& p) {
    if (!authorized(conn)) return {401, "text/plain; charset=utf-8", "unauthorized\n", {}};
    if (p.too_large) return {413, "text/plain; charset=utf-8", "request body too large\n", {}};
    // HEAD is answered as GET; libmicrohttpd sends the headers only.
    bool get = method == "GET" || method == "HEAD";
    if (get && url == "/metrics") return backend.metrics();
    if (get && url == "/healthz") return backend.healthz();
    if (get && url == "/alerts") return backend.alerts();
    if (get && url == "/") return backend.status();
    HttpRequestInfo req;
    req.method = method == "HEAD" ? "GET" : method;
    req.path = url;
    req.body = std::move(p.body);
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_pair, &req.args);
    MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_pair, &req.headers);
    const MHD_ConnectionInfo* ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    req.loopback = ci && is_loopback(ci->client_addr);
    HttpReply r = backend.handle(req);
    if (r.status == 404 && !get && (url == "/metrics" || url == "/healthz" || url == "/alerts" || url == "/"))
      return {405, "text/plain; charset=utf-8", "method not allowed\n", {{"Allow", "GET, HEAD"}}};
    return r;
  }

  static MhdResult on_request(void* cls, MHD_Connection* conn, const char* url, const char* method,
                              const char*, const char* upload_data, size_t* upload_size, void** state) {
    auto* self = static_cast<Impl*>(cls);
    auto* p = static_cast<Pending*>(*state);
    if (!p) {  // headers only so far
      *state = new Pending;
      return MHD_YES;
    }
    if (*upload_size) {  // a chunk of the body
      if (p->body.size() + *upload_size > kMaxBodyBytes) p->too_large = true;
      else p->body.append(upload_data, *upload_size);
      *upload_size = 0;
      return MHD_YES;
    }
    // Nothing may escape into libmicrohttpd's thread: an unexpected error is
    // reported, counted and answered with a 500.
    HttpReply reply;
    try {
      reply = self->route(conn, method ? method : "", url ? url : "/", *p);
    } catch (const std::exception& e) {
      report_internal_error("http", e.what());
      reply = {500, "text/plain; charset=utf-8", "internal error\n", {}};
    } catch (...) {
      report_internal_error("http", "unknown exception");
      reply = {500, "text/plain; charset=utf-8", "internal error\n", {}};
    }
    return queue(conn, std::move(reply));
  }

  static void on_completed(void*, MHD_Connection*, void** state, enum MHD_RequestTerminationCode) {
    delete static_cast<Pending*>(*state);
    *state = nullptr;
  }
};

HttpServer::HttpServer(const std::string& listen, HttpBackend& backend, BasicAuth auth)
    : impl_(std::make_unique<Impl>(backend)) {
  impl_->auth = std::move(auth);
  // "host:port", "[v6]:port" or ":port" (every IPv4 address).
  std::string host, port;
  if (!listen.empty() && listen[0] == '[') {
    auto close = listen.find(']');
    if (close == std::string::npos || listen.size() < close + 2 || listen[close + 1] != ':')
      throw std::runtime_error("cannot listen on " + listen + ": expected [address]:port");
    host = listen.substr(1, close - 1);
    port = listen.substr(close + 2);
  } else {
    auto colon = listen.rfind(':');
    if (colon == std::string::npos) throw std::runtime_error("cannot listen on " + listen + ": expected host:port");
    host = listen.substr(0, colon);
    port = listen.substr(colon + 1);
  }
  addrinfo hints{};
  hints.ai_family = host.empty() ? AF_INET : AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &found);
  if (rc != 0 || !found) throw std::runtime_error("cannot listen on " + listen + ": " + gai_strerror(rc));
  sockaddr_storage addr{};
  std::memcpy(&addr, found->ai_addr, std::min<size_t>(found->ai_addrlen, sizeof addr));
  bool v6 = found->ai_family == AF_INET6;
  freeaddrinfo(found);

  size_t fds = raise_descriptor_limit();
  unsigned limit = static_cast<unsigned>(fds > 256 ? std::min<size_t>(fds - 128, 60000) : fds / 2);
  unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
  if (v6) flags |= MHD_USE_IPv6;
  impl_->daemon = MHD_start_daemon(
      flags, 0, nullptr, nullptr, &Impl::on_request, impl_.get(),
      MHD_OPTION_SOCK_ADDR, reinterpret_cast<sockaddr*>(&addr),
      MHD_OPTION_THREAD_POOL_SIZE, kThreads,
      MHD_OPTION_CONNECTION_LIMIT, limit,
      MHD_OPTION_CONNECTION_TIMEOUT, kIdleTimeoutSeconds,
      MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
      MHD_OPTION_NOTIFY_COMPLETED, &Impl::on_completed, nullptr,
      MHD_OPTION_EXTERNAL_LOGGER, &mhd_log, nullptr,
      MHD_OPTION_END);
  if (!impl_->daemon)
    throw std::runtime_error("cannot listen on " + listen + ": " + std::strerror(errno ? errno : EADDRINUSE));
}

HttpServer::~HttpServer() {
  if (impl_->daemon) MHD_stop_daemon(impl_->daemon);
}

void HttpServer::set_auth(BasicAuth auth) {
  std::unique_lock lock(impl_->auth_mu);
  impl_->auth = std::move(auth);
}

int HttpServer::port() const {
  const MHD_DaemonInfo* info = MHD_get_daemon_info(impl_->daemon, MHD_DAEMON_INFO_BIND_PORT);
  return info ? info->port : 0;
}

}  // namespace pgw
