// The "embedder" check against the real stub process
// (tests/stubs/embedder_stub.py) in each of its misbehaviours: the check
// must export embedder_up / embedder_probe_ok as the service deserves, return
// within its timeout, and not buffer a huge body.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>

#include "checks/check.h"
#include "core/http_client.h"
#include "tests/fixtures/test_util.h"

namespace pgw {
namespace {

using namespace std::chrono_literals;

// The stub as a child process, killed (and reaped) by the destructor.
class EmbedderStub {
 public:
  explicit EmbedderStub(const std::string& mode = "ok", int dimension = 768) {
    int fds[2];
    if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
    std::string script = std::string(PGWARDEN_SOURCE_DIR) + "/tests/stubs/embedder_stub.py";
    std::string dim = std::to_string(dimension);
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      dup2(fds[1], STDOUT_FILENO);
      close(fds[0]);
      close(fds[1]);
      execlp("python3", "python3", script.c_str(), "--port", "0", "--dimension", dim.c_str(), "--mode",
             mode.c_str(), "--slow-seconds", "20", static_cast<char*>(nullptr));
      _exit(127);
    }
    close(fds[1]);
    port_ = read_ready_port(fds[0]);
    close(fds[0]);
    if (port_ <= 0) {
      stop();
      throw std::runtime_error("embedder stub did not print READY");
    }
  }
  ~EmbedderStub() { stop(); }
  EmbedderStub(const EmbedderStub&) = delete;
  EmbedderStub& operator=(const EmbedderStub&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }

  void set_mode(const std::string& mode) {
    HttpRequest r;
    r.method = "POST";
    r.url = url() + "/_control";
    r.body = R"({"mode":")" + mode + R"("})";
    auto resp = http_request(r);
    if (!resp.ok()) throw std::runtime_error("cannot set stub mode " + mode + ": " + resp.error);
  }

  void stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  // Reads "READY <port>\n" from the child's stdout, for at most 15 s.
  static int read_ready_port(int fd) {
    std::string line;
    auto until = std::chrono::steady_clock::now() + 15s;
    while (std::chrono::steady_clock::now() < until) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      char c;
      if (read(fd, &c, 1) != 1) return -1;
      if (c == '\n') break;
      line += c;
    }
    if (line.rfind("READY ", 0) != 0) return -1;
    return std::stoi(line.substr(6));
  }

  pid_t pid_ = -1;
  int port_ = -1;
};

struct RunResult {
  std::map<std::string, double> metrics;  // metric name -> value (no extra labels here)
  std::chrono::milliseconds elapsed{};
  bool threw = false;
};

Config config_for(const std::string& url, int dimension, Duration timeout) {
  Config config;
  ClusterConfig cluster;
  cluster.name = "test";
  NodeConfig node;
  node.name = "alpha";
  EmbedderConfig e;
  e.url = url;
  e.dimension = dimension;
  e.timeout = timeout;
  node.embedder = e;
  cluster.nodes.push_back(node);
  config.clusters.push_back(cluster);
  return config;
}

// Runs the registered "embedder" module once on the config's only node.
RunResult run_embedder_check(const Config& config, std::chrono::milliseconds round_deadline = 10s) {
  auto checks = create_checks(config);
  Check* check = nullptr;
  for (auto& c : checks)
    if (c->name() == "embedder") check = c.get();
  if (!check) throw std::runtime_error("embedder module is not registered");
  const ClusterConfig& cluster = config.clusters.at(0);
  const NodeConfig& node = cluster.nodes.at(0);
  EXPECT_TRUE(check->applies_to(node));
  EXPECT_FALSE(check->uses_postgres());
  EXPECT_EQ(check->scope(), Scope::Node);

  std::map<std::string, double> memory;
  NodeFacts facts;
  CheckContext ctx;
  ctx.cluster = &cluster;
  ctx.node = &node;
  ctx.facts = &facts;
  ctx.memory = &memory;
  ctx.deadline = Deadline::in(round_deadline);
  VectorSink sink;
  RunResult r;
  auto start = std::chrono::steady_clock::now();
  try {
    check->collect(ctx, sink);
  } catch (const std::exception&) {
    r.threw = true;
  }
  r.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  for (const auto& s : sink.samples()) {
    EXPECT_EQ(r.metrics.count(s.name), 0u) << "duplicate " << s.name;
    r.metrics[s.name] = s.value;
  }
  return r;
}

std::optional<double> value(const RunResult& r, const std::string& name) {
  auto it = r.metrics.find("pgwarden_" + name);
  if (it == r.metrics.end()) return std::nullopt;
  return it->second;
}

long peak_rss_bytes() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
#ifdef __APPLE__
  return u.ru_maxrss;  // bytes on macOS
#else
  return u.ru_maxrss * 1024L;  // kilobytes on Linux
#endif
}

constexpr Duration kTimeout(1500);

TEST(EmbedderCheck, HealthyServicePassesEverything) {
  EmbedderStub stub;
  auto r = run_embedder_check(config_for(stub.url(), 768, kTimeout));
  ASSERT_FALSE(r.threw);
  EXPECT_EQ(value(r, "embedder_up"), 1);
  EXPECT_EQ(value(r, "embedder_probe_ok"), 1);
  EXPECT_EQ(value(r, "embedder_probe_dimension"), 768);
  EXPECT_EQ(value(r, "embedder_cache_entries"), 1);  // the probe text, cached once
  ASSERT_TRUE(value(r, "embedder_health_duration_seconds"));
  EXPECT_GT(*value(r, "embedder_health_duration_seconds"), 0);
  EXPECT_LT(*value(r, "embedder_health_duration_seconds"), 1.5);
  ASSERT_TRUE(value(r, "embedder_probe_duration_seconds"));
  EXPECT_GT(*value(r, "embedder_probe_duration_seconds"), 0);
  // The same probe text again is a cache hit: the cache does not grow.
  auto again = run_embedder_check(config_for(stub.url(), 768, kTimeout));
  EXPECT_EQ(value(again, "embedder_cache_entries"), 1);
}

TEST(EmbedderCheck, DimensionZeroMeansAnyNonEmptyVector) {
  EmbedderStub stub("ok", 384);
  auto r = run_embedder_check(config_for(stub.url(), 0, kTimeout));
  EXPECT_EQ(value(r, "embedder_probe_ok"), 1);
  EXPECT_EQ(value(r, "embedder_probe_dimension"), 384);
}

TEST(EmbedderCheck, ConnectionRefusedIsDownNotACheckFailure) {
  std::string url;
  {
    EmbedderStub stub;
    url = stub.url();
  }  // killed: nothing listens on the port any more
  auto r = run_embedder_check(config_for(url, 768, kTimeout));
  EXPECT_FALSE(r.threw);
  EXPECT_EQ(value(r, "embedder_up"), 0);
  EXPECT_EQ(value(r, "embedder_probe_ok"), 0);
  EXPECT_FALSE(value(r, "embedder_probe_dimension"));
  EXPECT_FALSE(value(r, "embedder_cache_entries"));
  EXPECT_LT(r.elapsed, kTimeout);
}

TEST(EmbedderCheck, DownModeClosesTheListener) {
  EmbedderStub stub;
  ASSERT_EQ(value(run_embedder_check(config_for(stub.url(), 768, kTimeout)), "embedder_up"), 1);
  stub.set_mode("down");
  RunResult r;
  ASSERT_TRUE(test::poll_until(
      [&] {
        r = run_embedder_check(config_for(stub.url(), 768, kTimeout));
        return value(r, "embedder_up") == 0.0;
      },
      10s));
  EXPECT_FALSE(r.threw);
  EXPECT_EQ(value(r, "embedder_probe_ok"), 0);
}

TEST(EmbedderCheck, Http503IsDown) {
  EmbedderStub stub("http503");
  auto r = run_embedder_check(config_for(stub.url(), 768, kTimeout));
  EXPECT_FALSE(r.threw);
  EXPECT_EQ(value(r, "embedder_up"), 0);
  EXPECT_EQ(value(r, "embedder_probe_ok"), 0);
  EXPECT_FALSE(value(r, "embedder_cache_entries"));
}

TEST(EmbedderCheck, SlowServiceTimesOutWithinTheConfiguredTimeout) {
  EmbedderStub stub("slow");
  auto r = run_embedder_check(config_for(stub.url(), 768, kTimeout));
  EXPECT_FALSE(r.threw);
  EXPECT_EQ(value(r, "embedder_up"), 0);
  EXPECT_EQ(value(r, "embedder_probe_ok"), 0);
  // The timeout bounds the whole check (all requests), with a little slack.
  EXPECT_GE(r.elapsed, kTimeout - 100ms);
  EXPECT_LT(r.elapsed, kTimeout + 500ms);
}

TEST(EmbedderCheck, SlowServiceIsBoundedByTheRoundDeadlineToo) {
  EmbedderStub stub("slow");
  auto r = run_embedder_check(config_for(stub.url(), 768, Duration(10000)), 700ms);
  EXPECT_EQ(value(r, "embedder_up"), 0);
  EXPECT_LT(r.elapsed, 1200ms);
}

TEST(EmbedderCheck, MalformedJsonIsDown) {
  EmbedderStub stub("malformed");
  auto r = run_embedder_check(config_for(stub.url(), 768, kTimeout));
  EXPECT_FALSE(r.threw);
  EXPECT_EQ(value(r, "embedder_up"), 0);
  EXPECT_EQ(value(r, "embedder_probe_ok"), 0);
  EXPECT_FALSE(value(r, "embedder_probe_dimension"));
}

TEST(EmbedderCheck, WrongDimensionFailsTheProbeButNotHealth) {
  EmbedderStub stub("wrong_dimension");
  auto r = run_embedder_check(config_for(stub.url(), 768, kTimeout));
  EXPECT_FALSE(r.threw);
  EXPECT_EQ(value(r, "embedder_up"), 1);
  EXPECT_EQ(value(r, "embedder_probe_ok"), 0);
  EXPECT_EQ(value(r, "embedder_probe_dimension"), 769);
}

TEST(EmbedderCheck, NanInTheVectorFailsTheProbe) {
  EmbedderStub stub("nan");
  auto r = run_embedder_check(config_for(stub.url(), 768, kTimeout));
  EXPECT_FALSE(r.threw);
  EXPECT_EQ(value(r, "embedder_up"), 1);
  EXPECT_EQ(value(r, "embedder_probe_ok"), 0);
}

TEST(EmbedderCheck, UnhealthyStatusIsDownButTheProbeStillRuns) {
  EmbedderStub stub("unhealthy");
  auto r = run_embedder_check(config_for(stub.url(), 768, kTimeout));
  EXPECT_FALSE(r.threw);
  EXPECT_EQ(value(r, "embedder_up"), 0);
  EXPECT_EQ(value(r, "embedder_probe_ok"), 1);
  EXPECT_EQ(value(r, "embedder_cache_entries"), 1);
}

TEST(EmbedderCheck, HugeBodyIsCappedWithoutBlowingMemory) {
  EmbedderStub stub("huge");
  long before = peak_rss_bytes();
  auto r = run_embedder_check(config_for(stub.url(), 768, Duration(5000)));
  long grown = peak_rss_bytes() - before;
  EXPECT_FALSE(r.threw);
  EXPECT_EQ(value(r, "embedder_up"), 0);
  EXPECT_EQ(value(r, "embedder_probe_ok"), 0);
  EXPECT_FALSE(value(r, "embedder_probe_dimension"));
  EXPECT_LT(grown, 20L * 1024 * 1024) << "peak RSS grew by " << grown << " bytes";
  EXPECT_LT(r.elapsed, 5000ms);
}

TEST(EmbedderCheck, ModesSwitchAtRuntimeAndRecover) {
  EmbedderStub stub;
  Config config = config_for(stub.url(), 768, kTimeout);
  stub.set_mode("http503");
  EXPECT_EQ(value(run_embedder_check(config), "embedder_up"), 0);
  stub.set_mode("ok");
  auto r = run_embedder_check(config);
  EXPECT_EQ(value(r, "embedder_up"), 1);
  EXPECT_EQ(value(r, "embedder_probe_ok"), 1);
}

TEST(EmbedderCheck, NotAppliedToNodesWithoutAnEmbedder) {
  Config config = config_for("http://127.0.0.1:1", 768, kTimeout);
  config.clusters[0].nodes[0].embedder.reset();
  for (auto& c : create_checks(config)) {
    if (c->name() == "embedder") {
      EXPECT_FALSE(c->applies_to(config.clusters[0].nodes[0]));
    }
  }
}

TEST(EmbedderCheck, ErrorsNeverContainTheUrl) {
  // A URL with a token in it: a check failure message must not leak it.
  Config config = config_for("http://user:tok3n@127.0.0.1:1", 768, kTimeout);
  auto checks = create_checks(config);
  for (auto& c : checks) {
    if (c->name() != "embedder") continue;
    CheckContext ctx;
    ctx.cluster = &config.clusters[0];
    ctx.node = &config.clusters[0].nodes[0];
    ctx.deadline = Deadline::in(0ms);  // already expired: the check fails
    VectorSink sink;
    try {
      c->collect(ctx, sink);
      ADD_FAILURE() << "expected a failure with an expired deadline";
    } catch (const std::exception& e) {
      EXPECT_EQ(std::string(e.what()).find("tok3n"), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace pgw
