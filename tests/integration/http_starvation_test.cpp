// Clients cannot starve scrapes (issue 13): while 500 idle keep-alive
// connections sit open and 50 clients read /metrics one byte a second, a
// scraper asks for /metrics every second for 60 s; every scrape must be
// answered within 2 s. Only that is asserted; the latencies are printed for
// bench/RESULTS.md. (civetweb held a thread per connection: 32 threads, and
// scrapes waited behind the idle ones.)
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "tests/fixtures/pgwarden_process.h"
#include "tests/fixtures/test_util.h"

namespace pgw {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

int connect_to(int port, int rcvbuf = 0) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  // A tiny receive buffer makes a slow reader slow for the server too
  // (otherwise the kernel would take the whole body at once).
  if (rcvbuf) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

bool send_all(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = write(fd, s.data() + off, s.size() - off);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

// Reads one complete response (headers + Content-Length body) or fails by
// `deadline`.
bool read_response(int fd, Clock::time_point deadline, std::string& out) {
  out.clear();
  char buf[16384];
  for (;;) {
    auto head_end = out.find("\r\n\r\n");
    if (head_end != std::string::npos) {
      auto cl = out.find("Content-Length: ");
      if (cl == std::string::npos) cl = out.find("content-length: ");
      if (cl != std::string::npos && cl < head_end) {
        size_t len = std::strtoul(out.c_str() + cl + 16, nullptr, 10);
        if (out.size() >= head_end + 4 + len) return true;
      }
    }
    int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
    if (left <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, left) <= 0) return false;
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) return false;
    out.append(buf, static_cast<size_t>(n));
  }
}

TEST(HttpStarvationTest, IdleAndSlowClientsDoNotDelayScrapes) {
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < 2048) {
    rl.rlim_cur = std::min<rlim_t>(rl.rlim_max, 4096);
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  test::PgwardenProcess proc;
  // Nothing to reach: the node is down, which is all /metrics needs here.
  proc.start("[exporter]\ninterval = \"1s\"\nstate_dir = \"" + proc.dir() + "/state\"\n"
             "[[clusters]]\nname = \"c\"\n[[clusters.nodes]]\nname = \"n\"\nrole = \"primary\"\n"
             "conninfo = \"host=127.0.0.1 port=1 dbname=x user=x connect_timeout=1\"\n");
  const int port = proc.port();

  // 500 idle keep-alive connections: one request each, then silence.
  std::vector<int> idle;
  for (int i = 0; i < 500; ++i) {
    int fd = connect_to(port);
    ASSERT_GE(fd, 0) << "connection " << i;
    ASSERT_TRUE(send_all(fd, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
    idle.push_back(fd);
  }
  // 50 slow readers of /metrics.
  std::vector<int> slow;
  for (int i = 0; i < 50; ++i) {
    int fd = connect_to(port, 1024);
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(send_all(fd, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"));
    fcntl(fd, F_SETFL, O_NONBLOCK);
    slow.push_back(fd);
  }
  std::atomic<bool> done{false};
  std::thread reader([&] {
    while (!done) {
      for (int fd : slow) {
        char c;
        (void)!read(fd, &c, 1);
      }
      std::this_thread::sleep_for(1s);  // the pace of a slow reader, not synchronisation
    }
  });

  // One scrape a second for 60 s, a fresh connection each, 2 s to answer.
  std::vector<double> ms;
  int late = 0;
  auto end = Clock::now() + 60s;
  while (Clock::now() < end) {
    auto start = Clock::now();
    int fd = connect_to(port);
    std::string resp;
    bool ok = fd >= 0 && send_all(fd, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n") &&
              read_response(fd, start + 2s, resp) && resp.rfind("HTTP/1.1 200", 0) == 0;
    if (fd >= 0) close(fd);
    double took = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    if (!ok) ++late;
    else ms.push_back(took);
    std::this_thread::sleep_until(start + 1s);  // Prometheus' pace
  }
  done = true;
  reader.join();
  EXPECT_TRUE(proc.running()) << proc.log_text();
  for (int fd : idle) close(fd);
  for (int fd : slow) close(fd);

  EXPECT_EQ(late, 0) << "scrapes not answered within 2 s";
  ASSERT_GE(ms.size(), 55u);
  std::sort(ms.begin(), ms.end());
  auto pct = [&](double p) { return ms[std::min(ms.size() - 1, static_cast<size_t>(p * ms.size()))]; };
  std::printf("http starvation: %zu scrapes under 500 idle + 50 slow clients: p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
              ms.size(), pct(0.5), pct(0.99), ms.back());
}

}  // namespace
}  // namespace pgw
