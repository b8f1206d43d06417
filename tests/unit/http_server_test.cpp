// The HTTP server of `serve` (issue 13, "HTTP manners"): HEAD where GET
// works, a case-insensitive basic-auth scheme, other paths and methods to
// the backend's handle(), and an exception in a handler answered with a 500
// (counted) instead of ending the process.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <stdexcept>
#include <string>

#include "core/internal_errors.h"
#include "exporter/http_server.h"

namespace pgw {
namespace {

class Backend : public HttpBackend {
 public:
  HttpReply metrics() override { return {200, "text/plain; version=0.0.4; charset=utf-8", "up 1\n", {}}; }
  HttpReply healthz() override { return {200, "text/plain; charset=utf-8", "ok\n", {}}; }
  HttpReply alerts() override { throw std::runtime_error("boom in /alerts"); }
  HttpReply status() override { return {200, "text/html; charset=utf-8", "<html></html>", {}}; }
  HttpReply handle(const HttpRequestInfo& r) override {
    if (r.path == "/api/v2/silences" && r.method == "POST")
      return {200, "application/json", "{\"got\":\"" + r.body + "\",\"f\":\"" + r.arg("filter") + "\"}", {}};
    if (r.path == "/stream") {
      HttpReply reply{200, "text/plain; charset=utf-8", "first\n"};
      auto parts = std::make_shared<std::vector<std::string>>(
          std::vector<std::string>{"last\n", "", std::string(300000, 'x') + "\n"});
      reply.stream = [parts](std::string& out) {
        if (parts->empty()) return false;
        out += parts->back();
        parts->pop_back();
        return true;
      };
      return reply;
    }
    if (r.path == "/stream-throws") {
      HttpReply reply{200, "text/plain; charset=utf-8", "first\n"};
      reply.stream = [](std::string&) -> bool { throw std::runtime_error("boom while streaming"); };
      return reply;
    }
    return HttpBackend::handle(r);
  }
};

// One raw HTTP/1.1 exchange on a fresh connection; returns the whole reply.
std::string exchange(int port, const std::string& request) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return "";
  }
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  (void)!write(fd, request.data(), request.size());
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  close(fd);
  return out;
}

std::string req(const std::string& method, const std::string& path, const std::string& extra = "") {
  return method + " " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + extra + "\r\n";
}

TEST(HttpServer, HeadAnswersLikeGetWithoutABody) {
  Backend b;
  HttpServer s("127.0.0.1:0", b);
  std::string get = exchange(s.port(), req("GET", "/metrics"));
  std::string head = exchange(s.port(), req("HEAD", "/metrics"));
  EXPECT_EQ(get.rfind("HTTP/1.1 200", 0), 0u) << get;
  EXPECT_NE(get.find("\r\n\r\nup 1\n"), std::string::npos) << get;
  EXPECT_EQ(head.rfind("HTTP/1.1 200", 0), 0u) << head;
  EXPECT_EQ(head.find("up 1"), std::string::npos) << head;
  for (const char* path : {"/healthz", "/"})
    EXPECT_EQ(exchange(s.port(), req("HEAD", path)).rfind("HTTP/1.1 200", 0), 0u) << path;
}

TEST(HttpServer, BasicAuthSchemeIsCaseInsensitiveAndRequiredEverywhere) {
  Backend b;
  BasicAuth auth;
  ASSERT_FALSE(BasicAuth::parse("prom:secret", auth));
  HttpServer s("127.0.0.1:0", b, auth);
  std::string none = exchange(s.port(), req("GET", "/metrics"));
  EXPECT_EQ(none.rfind("HTTP/1.1 401", 0), 0u) << none;
  EXPECT_NE(none.find("WWW-Authenticate: Basic"), std::string::npos) << none;
  EXPECT_EQ(exchange(s.port(), req("GET", "/metrics", "Authorization: basic cHJvbTpzZWNyZXQ=\r\n")).rfind("HTTP/1.1 200", 0), 0u);
  EXPECT_EQ(exchange(s.port(), req("GET", "/metrics", "Authorization: BASIC cHJvbTpzZWNyZXQ=\r\n")).rfind("HTTP/1.1 200", 0), 0u);
  EXPECT_EQ(exchange(s.port(), req("POST", "/api/v2/silences", "Content-Length: 0\r\n")).rfind("HTTP/1.1 401", 0), 0u);
}

TEST(HttpServer, OtherPathsAndMethodsGoToTheBackend) {
  Backend b;
  HttpServer s("127.0.0.1:0", b);
  std::string post = exchange(s.port(), req("POST", "/api/v2/silences?filter=a", "Content-Length: 5\r\n") + "hello");
  EXPECT_EQ(post.rfind("HTTP/1.1 200", 0), 0u) << post;
  EXPECT_NE(post.find("{\"got\":\"hello\",\"f\":\"a\"}"), std::string::npos) << post;
  EXPECT_EQ(exchange(s.port(), req("GET", "/nope")).rfind("HTTP/1.1 404", 0), 0u);
  EXPECT_EQ(exchange(s.port(), req("DELETE", "/metrics")).rfind("HTTP/1.1 405", 0), 0u);
}

// The body of an HTTP/1.1 chunked reply (everything after the headers).
std::string dechunked(const std::string& raw) {
  std::string out;
  size_t at = raw.find("\r\n\r\n");
  if (at == std::string::npos) return "<no headers>";
  at += 4;
  for (;;) {
    size_t eol = raw.find("\r\n", at);
    if (eol == std::string::npos) return out + "<truncated>";
    size_t n = std::stoul(raw.substr(at, eol - at), nullptr, 16);
    if (n == 0) return out;
    out += raw.substr(eol + 2, n);
    at = eol + 2 + n + 2;
  }
}

// /metrics at hundreds of nodes is sent while it is written: chunked to an
// HTTP/1.1 client, until the connection closes to an HTTP/1.0 one.
TEST(HttpServer, AStreamedBodyArrivesWhole) {
  Backend b;
  HttpServer s("127.0.0.1:0", b);
  const std::string body = "first\n" + std::string(300000, 'x') + "\nlast\n";
  std::string get = exchange(s.port(), req("GET", "/stream"));
  ASSERT_EQ(get.rfind("HTTP/1.1 200", 0), 0u) << get.substr(0, 200);
  EXPECT_NE(get.find("Transfer-Encoding: chunked"), std::string::npos) << get.substr(0, 300);
  EXPECT_EQ(dechunked(get), body);
  std::string old = exchange(s.port(), "GET /stream HTTP/1.0\r\n\r\n");
  ASSERT_EQ(old.rfind("HTTP/1.0 200", 0) == 0 || old.rfind("HTTP/1.1 200", 0) == 0, true) << old.substr(0, 200);
  EXPECT_EQ(old.substr(old.find("\r\n\r\n") + 4), body);
  std::string head = exchange(s.port(), req("HEAD", "/stream"));
  EXPECT_EQ(head.rfind("HTTP/1.1 200", 0), 0u);
  EXPECT_EQ(head.find("first"), std::string::npos);
}

// A writer that throws ends the reply early (the client sees no final
// chunk) and is counted; the server goes on.
TEST(HttpServer, AStreamThatThrowsIsCutShortAndCounted) {
  Backend b;
  HttpServer s("127.0.0.1:0", b);
  double before = internal_error_count("http");
  std::string r = exchange(s.port(), req("GET", "/stream-throws"));
  EXPECT_EQ(r.find("\r\n0\r\n\r\n"), std::string::npos) << r;
  EXPECT_EQ(internal_error_count("http"), before + 1);
  EXPECT_EQ(exchange(s.port(), req("GET", "/metrics")).rfind("HTTP/1.1 200", 0), 0u);
}

TEST(HttpServer, AnExceptionInAHandlerIsA500AndCounted) {
  Backend b;
  HttpServer s("127.0.0.1:0", b);
  double before = internal_error_count("http");
  std::string r = exchange(s.port(), req("GET", "/alerts"));
  EXPECT_EQ(r.rfind("HTTP/1.1 500", 0), 0u) << r;
  EXPECT_EQ(internal_error_count("http"), before + 1);
  // And the server goes on.
  EXPECT_EQ(exchange(s.port(), req("GET", "/metrics")).rfind("HTTP/1.1 200", 0), 0u);
}

TEST(HttpServer, RefusesAnAddressItCannotBind) {
  Backend b;
  EXPECT_THROW(HttpServer("192.0.2.1:0", b), std::runtime_error);  // not an address of this host
  EXPECT_THROW(HttpServer("nonsense", b), std::runtime_error);
}

}  // namespace
}  // namespace pgw
