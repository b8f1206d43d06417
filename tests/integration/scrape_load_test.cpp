// Scrape-side faults under a running `pgwarden serve` (issue 7, "Fault
// injection"), while it checks a real primary + standby every second:
// 1,000 concurrent /metrics clients for 30 s — every request gets a 200 with
// a complete body, the checks keep running (samples stay fresh), RSS stays
// bounded; latencies are printed for RELIABILITY.md, never asserted — and
// clients that connect but never send a request.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

#include <gtest/gtest.h>

#include "tests/fixtures/exposition.h"
#include "tests/fixtures/fault_test.h"
#include "tests/fixtures/http_load.h"
#include "tests/fixtures/process_rss.h"
#include "tests/fixtures/test_util.h"

namespace pgw::test {
namespace {

using namespace std::chrono_literals;

class ScrapeLoadTest : public FaultTest {};

TEST_F(ScrapeLoadTest, ThousandConcurrentScrapesForThirtySecondsAllSucceedWhileChecksRun) {
  start_watching();
  if (HasFatalFailure()) return;
  const auto rss_before = rss_at_start_;

  // Freshness watcher: how often alpha's newest check success advanced
  // while the load ran (one round a second when checks keep running).
  std::atomic<bool> done{false};
  std::atomic<int> advances{0};
  std::thread watcher([&] {
    double seen = 0;
    while (!done) {
      try {
        double now = newest_success("alpha");
        if (now > seen) {
          if (seen > 0) ++advances;
          seen = now;
        }
      } catch (const std::exception&) {
        // a watcher scrape may time out under load; the next one counts
      }
      std::this_thread::sleep_for(500ms);  // sampling period, not synchronisation
    }
  });

  std::atomic<long> parsed{0};
  long checked = 0;
  HttpLoadOptions o;
  o.port = proc_.port();
  o.connections = 1000;
  o.duration = 30s;
  o.body_ok = [&](const std::string& body) {
    // Cheap completeness checks on every body; a full parse of every 200th.
    if (body.empty() || body.back() != '\n') return false;
    if (body.find("pgwarden_build_info{") == std::string::npos ||
        body.find("pgwarden_node_up{") == std::string::npos)
      return false;
    if (checked++ % 200 == 0) {
      try {
        Exposition m = parse_exposition(body);
        if (!m.find("pgwarden_node_up", {{"node", "alpha"}})) return false;
        ++parsed;
      } catch (const std::exception&) {
        return false;
      }
    }
    return true;
  };
  HttpLoadReport r = run_http_load(o);
  done = true;
  watcher.join();
  const auto rss_after = rss();

  std::cout << "scrape load: " << o.connections << " clients, " << r.summary() << "\n"
            << "scrape load: alpha's checks completed " << advances << " rounds meanwhile; RSS "
            << (rss_before ? *rss_before >> 20 : -1) << " MB -> " << (rss_after ? *rss_after >> 20 : -1)
            << " MB\n";
  EXPECT_EQ(r.failed(), 0) << r.summary() << "\nfirst failure: " << r.first_failure;
  EXPECT_GT(r.ok, o.connections) << "fewer requests than clients: " << r.summary();
  EXPECT_GE(r.peak_in_flight, o.connections);
  EXPECT_GT(parsed, 0);
  // A round a second for 30 s; even a starved scheduler must manage 5.
  EXPECT_GE(advances, 5) << "checks stalled under scrape load";
  EXPECT_TRUE(healthy());
  EXPECT_TRUE(rss_bounded(rss_before, rss_after));
  expect_undisturbed();
}

// Clients that connect and never send a request (a stuck scraper, a port
// scanner) each hold one of the HTTP server's worker threads until its
// request timeout: a few of them must not stall the real scrapes.
TEST_F(ScrapeLoadTest, IdleConnectionsDoNotStallScrapes) {
  start_watching();
  if (HasFatalFailure()) return;
  constexpr int kIdle = 16;  // twice the old worker pool
  std::vector<int> idle;
  for (int i = 0; i < kIdle; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    idle.push_back(fd);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(proc_.port()));
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  }
  struct Close {
    std::vector<int>& fds;
    ~Close() {
      for (int fd : fds) ::close(fd);
    }
  } close_idle{idle};
  // Within the idle clients' hold (the server's 10 s request timeout).
  ScrapeStats st = scrape_for(4s);
  std::cout << "scrapes with " << kIdle << " idle connections open: " << st.total << ", slowest "
            << st.slowest_s * 1000 << " ms\n";
  EXPECT_EQ(st.failed, 0) << st.first_error;
  expect_undisturbed();
}

}  // namespace
}  // namespace pgw::test
