// The "patroni", "patroni_cluster" and "etcd" checks against a real etcd 3.4
// and two real Patroni 3.x nodes (Debian packages patroni, etcd-server) on
// loopback, run as the `postgres` user: roles, leader, and a failover after
// the leader's Patroni gets SIGTERM — with the "recovery" module watching the
// timeline move on the promoted node.
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "checks/check.h"
#include "core/http_client.h"
#include "checks/patroni_response.h"
#include "tests/fixtures/test_util.h"

namespace pgw {
namespace {

using namespace std::chrono_literals;

constexpr const char* kPgBin = "/usr/lib/postgresql/15/bin";

bool have_tools() {
  return access("/usr/bin/patroni", X_OK) == 0 && access("/usr/bin/etcd", X_OK) == 0 &&
         access((std::string(kPgBin) + "/postgres").c_str(), X_OK) == 0 && getpwnam("postgres") != nullptr;
}

// A process run as the postgres user with output to `log`; SIGTERM then
// SIGKILL on stop() / destruction.
class PostgresUserProcess {
 public:
  PostgresUserProcess(std::vector<std::string> argv, const std::string& dir, const std::string& log) {
    const passwd* pw = getpwnam("postgres");
    if (!pw) throw std::runtime_error("no postgres user");
    uid_t uid = pw->pw_uid;
    gid_t gid = pw->pw_gid;
    std::string home = pw->pw_dir;
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        close(fd);
      }
      if (setgroups(0, nullptr) != 0 || setgid(gid) != 0 || setuid(uid) != 0) _exit(126);
      if (chdir(dir.c_str()) != 0) _exit(126);
      setenv("HOME", home.c_str(), 1);
      execvp(args[0], args.data());
      _exit(127);
    }
  }
  ~PostgresUserProcess() { stop(); }
  PostgresUserProcess(const PostgresUserProcess&) = delete;
  PostgresUserProcess& operator=(const PostgresUserProcess&) = delete;

  bool running() const { return pid_ > 0; }
  // SIGTERM, wait up to `grace`, then SIGKILL.
  void stop(std::chrono::milliseconds grace = 30s) {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    bool exited = test::poll_until([&] { return waitpid(pid_, nullptr, WNOHANG) == pid_; }, grace);
    if (!exited) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
};

// One etcd and two Patroni nodes in a fresh temp dir; everything is stopped
// and removed by the destructor, also when an assertion fails.
class PatroniLab {
 public:
  PatroniLab() {
    dir_ = test::make_temp_dir("pgwarden-patroni");
    const passwd* pw = getpwnam("postgres");
    if (chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) throw std::runtime_error("chown failed");
    etcd_client_ = test::free_port();
    int etcd_peer = test::free_port();
    std::string client = "http://127.0.0.1:" + std::to_string(etcd_client_);
    std::string peer = "http://127.0.0.1:" + std::to_string(etcd_peer);
    etcd_ = std::make_unique<PostgresUserProcess>(
        std::vector<std::string>{"etcd", "--name", "e1", "--data-dir", dir_ + "/etcd",
                                 "--listen-client-urls", client, "--advertise-client-urls", client,
                                 "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                                 "--initial-cluster", "e1=" + peer},
        dir_, dir_ + "/etcd.log");
    if (!test::poll_until([&] { return http_get(client + "/health", 1000ms).ok(); }, 30s))
      throw std::runtime_error("etcd did not become healthy; see " + dir_ + "/etcd.log");
    for (int i = 0; i < 2; ++i) {
      rest_port_[i] = test::free_port();
      pg_port_[i] = test::free_port();
      write_patroni_config(i);
    }
  }
  ~PatroniLab() {
    for (auto& p : patroni_) p.reset();  // SIGTERM: Patroni stops its PostgreSQL
    for (int i = 0; i < 2; ++i) {        // in case a Patroni had to be killed
      std::string data = dir_ + "/pg" + std::to_string(i);
      if (access((data + "/postmaster.pid").c_str(), F_OK) == 0)
        test::run_command("runuser -u postgres -- " + std::string(kPgBin) + "/pg_ctl -D " +
                              test::shell_quote(data) + " stop -m immediate >/dev/null 2>&1");
    }
    etcd_.reset();
    test::remove_tree(dir_);
  }

  void start_patroni(int i) {
    patroni_[i] = std::make_unique<PostgresUserProcess>(
        std::vector<std::string>{"patroni", config_path(i)}, dir_, dir_ + "/patroni" + std::to_string(i) + ".log");
  }
  void stop_patroni(int i) { patroni_[i].reset(); }
  void stop_etcd() { etcd_.reset(); }

  std::string rest_url(int i) const { return "http://127.0.0.1:" + std::to_string(rest_port_[i]); }
  std::string etcd_url() const { return "http://127.0.0.1:" + std::to_string(etcd_client_); }
  int pg_port(int i) const { return pg_port_[i]; }
  const std::string& dir() const { return dir_; }

  // The node's /patroni as Patroni reports it right now (for waiting only;
  // assertions go through the checks).
  PatroniStatus status(int i) const {
    auto r = http_get(rest_url(i) + "/patroni", 1000ms);
    if (r.status == 0) {
      PatroniStatus none;
      none.error = r.error;
      return none;
    }
    return parse_patroni_status(r.body);
  }

 private:
  std::string config_path(int i) const { return dir_ + "/patroni" + std::to_string(i) + ".yml"; }

  void write_patroni_config(int i) {
    std::string n = std::to_string(i);
    std::string rest = "127.0.0.1:" + std::to_string(rest_port_[i]);
    std::string pg = "127.0.0.1:" + std::to_string(pg_port_[i]);
    std::string yml =
        "scope: pgwarden-test\n"
        "name: n" + n + "\n"
        "restapi:\n  listen: " + rest + "\n  connect_address: " + rest + "\n"
        "etcd3:\n  hosts: 127.0.0.1:" + std::to_string(etcd_client_) + "\n"
        "bootstrap:\n"
        "  dcs:\n    ttl: 20\n    loop_wait: 1\n    retry_timeout: 5\n"
        "  initdb: [{encoding: UTF8}]\n"
        "  pg_hba:\n"
        "    - local all all trust\n"
        "    - host all all 127.0.0.1/32 trust\n"
        "    - host replication all 127.0.0.1/32 trust\n"
        "postgresql:\n"
        "  listen: " + pg + "\n  connect_address: " + pg + "\n"
        "  data_dir: " + dir_ + "/pg" + n + "\n"
        "  bin_dir: " + kPgBin + "\n"
        "  pgpass: " + dir_ + "/pgpass" + n + "\n"
        "  authentication:\n"
        "    superuser: {username: postgres}\n"
        "    replication: {username: postgres}\n"
        "  parameters:\n    unix_socket_directories: '" + dir_ + "'\n";
    test::write_file(config_path(i), yml);
    const passwd* pw = getpwnam("postgres");
    if (chown(config_path(i).c_str(), pw->pw_uid, pw->pw_gid) != 0) throw std::runtime_error("chown failed");
  }

  std::string dir_;
  int etcd_client_ = 0;
  int rest_port_[2] = {0, 0};
  int pg_port_[2] = {0, 0};
  std::unique_ptr<PostgresUserProcess> etcd_;
  std::unique_ptr<PostgresUserProcess> patroni_[2];
};

Config lab_config(const PatroniLab& lab) {
  Config config;
  ClusterConfig cluster;
  cluster.name = "hc";
  for (int i = 0; i < 2; ++i) {
    NodeConfig node;
    node.name = "n" + std::to_string(i);
    node.role = i == 0 ? Role::Primary : Role::Standby;
    node.conninfo = "host=127.0.0.1 port=" + std::to_string(lab.pg_port(i)) + " dbname=postgres user=postgres";
    node.patroni = PatroniConfig{lab.rest_url(i), Duration(2000)};
    cluster.nodes.push_back(node);
  }
  cluster.etcd.push_back(EtcdConfig{lab.etcd_url(), Duration(2000), {}});
  config.clusters.push_back(cluster);
  return config;
}

// Runs the registered checks of `module` on one node (node >= 0) or on the
// cluster (node < 0) and returns their samples; `threw` tells a check failure.
struct ModuleRun {
  std::vector<Sample> samples;
  bool threw = false;
  std::string error;
  std::optional<double> get(const std::string& name, const Labels& labels = {}) const {
    for (const auto& s : samples) {
      if (s.name != "pgwarden_" + name) continue;
      bool match = true;
      for (const auto& [k, v] : labels) match = match && label_value(s.labels, k) == v;
      if (match) return s.value;
    }
    return std::nullopt;
  }
};

ModuleRun run_module(const Config& config, const std::string& module, int node,
               std::map<std::string, double>* memory = nullptr, PgSession* pg = nullptr) {
  ModuleRun run;
  const ClusterConfig& cluster = config.clusters.at(0);
  bool found = false;
  for (auto& check : create_checks(config)) {
    if (check->name() != module) continue;
    found = true;
    NodeFacts facts;
    CheckContext ctx;
    ctx.cluster = &cluster;
    ctx.facts = &facts;
    ctx.memory = memory;
    ctx.pg = pg;
    ctx.deadline = Deadline::in(5s);
    if (node >= 0) {
      ctx.node = &cluster.nodes.at(node);
      EXPECT_EQ(check->scope(), Scope::Node) << module;
      if (!check->applies_to(*ctx.node)) continue;
    } else {
      EXPECT_EQ(check->scope(), Scope::Cluster) << module;
    }
    VectorSink sink;
    try {
      check->collect(ctx, sink);
    } catch (const std::exception& e) {
      run.threw = true;
      run.error = e.what();
    }
    for (auto& s : sink.samples()) run.samples.push_back(s);
  }
  if (!found) ADD_FAILURE() << "module " << module << " is not registered";
  return run;
}

TEST(PatroniChecks, RolesLeaderAndFailoverWithTimelineChange) {
  if (!have_tools()) GTEST_SKIP() << "needs Debian packages patroni, etcd-server and postgresql-15";
  PatroniLab lab;
  lab.start_patroni(0);
  ASSERT_TRUE(test::poll_until(
      [&] {
        auto s = lab.status(0);
        return s.state == "running" && is_leader_role(s.role);
      },
      90s))
      << "n0 did not become leader; see " << lab.dir() << "/patroni0.log";
  lab.start_patroni(1);
  ASSERT_TRUE(test::poll_until(
      [&] {
        auto s = lab.status(1);
        return s.state == "running" && s.role == "replica";
      },
      90s))
      << "n1 did not become a running replica";
  Config config = lab_config(lab);

  // Roles as Patroni 3.x reports them: the leader is "master".
  ModuleRun n0 = run_module(config, "patroni", 0);
  ASSERT_FALSE(n0.threw) << n0.error;
  EXPECT_EQ(n0.get("patroni_up"), 1);
  EXPECT_EQ(n0.get("patroni_role", {{"role", "master"}}), 1);
  EXPECT_EQ(n0.get("patroni_timeline"), 1);
  EXPECT_EQ(n0.get("patroni_pending_restart"), 0);
  ASSERT_TRUE(n0.get("patroni_dcs_last_seen_age_seconds"));
  EXPECT_GE(*n0.get("patroni_dcs_last_seen_age_seconds"), 0);
  EXPECT_LT(*n0.get("patroni_dcs_last_seen_age_seconds"), 30);
  ModuleRun n1 = run_module(config, "patroni", 1);
  EXPECT_EQ(n1.get("patroni_up"), 1);
  EXPECT_EQ(n1.get("patroni_role", {{"role", "replica"}}), 1);
  EXPECT_FALSE(n1.get("patroni_role", {{"role", "master"}}));
  EXPECT_EQ(n1.get("patroni_timeline"), 1);

  ModuleRun leader = run_module(config, "patroni_cluster", -1);
  ASSERT_FALSE(leader.threw) << leader.error;
  EXPECT_EQ(leader.get("cluster_has_leader"), 1);
  ModuleRun etcd = run_module(config, "etcd", -1);
  ASSERT_FALSE(etcd.threw) << etcd.error;
  EXPECT_EQ(etcd.get("etcd_healthy", {{"endpoint", lab.etcd_url()}}), 1);

  // The recovery module watches n1's timeline across the failover.
  PgSession pg1(config.clusters[0].nodes[1].conninfo, "");
  std::map<std::string, double> memory1;
  ModuleRun before = run_module(config, "recovery", 1, &memory1, &pg1);
  ASSERT_FALSE(before.threw) << before.error;
  EXPECT_EQ(before.get("pg_in_recovery"), 1);
  EXPECT_EQ(before.get("pg_timeline_id"), 1);
  EXPECT_EQ(before.get("pg_timeline_changed_timestamp_seconds"), 0);

  // Failover: SIGTERM to the leader's Patroni releases the leader lock.
  lab.stop_patroni(0);
  ModuleRun promoted;
  ASSERT_TRUE(test::poll_until(
      [&] {
        promoted = run_module(config, "patroni", 1);
        return promoted.get("patroni_role", {{"role", "master"}}) == 1.0 &&
               promoted.get("patroni_timeline") == 2.0;
      },
      60s))
      << "n1 was not promoted to timeline 2; see " << lab.dir() << "/patroni1.log";
  EXPECT_EQ(promoted.get("patroni_up"), 1);
  EXPECT_EQ(run_module(config, "patroni", 0).get("patroni_up"), 0);  // its API is gone
  ModuleRun still_leader = run_module(config, "patroni_cluster", -1);       // n0 refused, n1 answers
  ASSERT_FALSE(still_leader.threw) << still_leader.error;
  EXPECT_EQ(still_leader.get("cluster_has_leader"), 1);

  ModuleRun after;
  ASSERT_TRUE(test::poll_until(
      [&] {
        after = run_module(config, "recovery", 1, &memory1, &pg1);
        return after.get("pg_in_recovery") == 0.0 && after.get("pg_timeline_id") == 2.0;
      },
      30s))
      << "recovery never saw n1 as a primary on timeline 2: " << after.error;
  ASSERT_TRUE(after.get("pg_timeline_changed_timestamp_seconds"));
  double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_GT(*after.get("pg_timeline_changed_timestamp_seconds"), now - 120);
  EXPECT_LE(*after.get("pg_timeline_changed_timestamp_seconds"), now + 1);

  // No Patroni answers: the leader is unknown, so the cluster check fails
  // rather than claim "no leader"; node checks say patroni_up 0.
  lab.stop_patroni(1);
  ModuleRun none = run_module(config, "patroni_cluster", -1);
  EXPECT_TRUE(none.threw);
  EXPECT_FALSE(none.get("cluster_has_leader"));
  ModuleRun n1_down = run_module(config, "patroni", 1);
  EXPECT_FALSE(n1_down.threw);
  EXPECT_EQ(n1_down.get("patroni_up"), 0);

  // etcd stopped: unhealthy is a measurement, not a check failure.
  lab.stop_etcd();
  ModuleRun etcd_down = run_module(config, "etcd", -1);
  EXPECT_FALSE(etcd_down.threw) << etcd_down.error;
  EXPECT_EQ(etcd_down.get("etcd_healthy", {{"endpoint", lab.etcd_url()}}), 0);
}

TEST(PatroniChecks, NotAppliedWithoutPatroniAndSilentWithoutEtcd) {
  Config config;
  ClusterConfig cluster;
  cluster.name = "plain";
  NodeConfig node;
  node.name = "a";
  cluster.nodes.push_back(node);
  config.clusters.push_back(cluster);
  for (auto& c : create_checks(config)) {
    if (c->name() == "patroni") {
      EXPECT_FALSE(c->applies_to(config.clusters[0].nodes[0]));
    }
  }
  ModuleRun leader = run_module(config, "patroni_cluster", -1);
  EXPECT_FALSE(leader.threw);
  EXPECT_TRUE(leader.samples.empty());
  ModuleRun etcd = run_module(config, "etcd", -1);
  EXPECT_FALSE(etcd.threw);
  EXPECT_TRUE(etcd.samples.empty());
}

TEST(PatroniChecks, EndpointLabelHidesCredentials) {
  Config config;
  ClusterConfig cluster;
  cluster.name = "c";
  int port = test::free_port();  // nothing listens: unhealthy
  cluster.etcd.push_back(
      EtcdConfig{"http://root:s3cret@127.0.0.1:" + std::to_string(port) + "/", Duration(1000), {}});
  config.clusters.push_back(cluster);
  ModuleRun etcd = run_module(config, "etcd", -1);
  EXPECT_FALSE(etcd.threw);
  ASSERT_EQ(etcd.samples.size(), 1u);
  EXPECT_EQ(label_value(etcd.samples[0].labels, "endpoint"), "http://127.0.0.1:" + std::to_string(port));
  EXPECT_EQ(etcd.samples[0].value, 0);
}

}  // namespace
}  // namespace pgw
