// The "host" check against a real sshd on a loopback port with generated
// keys: metrics with a verified host key, and no command at all with an
// unknown or changed key.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/time.h>

#include <chrono>
#include <ctime>
#include <map>
#include <optional>

#include "checks/check.h"
#include "checks/ssh_client.h"
#include "tests/fixtures/pg_cluster.h"
#include "tests/fixtures/sshd.h"
#include "tests/fixtures/test_util.h"

namespace pgw {
namespace {

using namespace std::chrono_literals;
using test::SshServer;

bool exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

void set_mtime(const std::string& path, time_t t) {
  timeval tv[2] = {{t, 0}, {t, 0}};
  ASSERT_EQ(::utimes(path.c_str(), tv), 0) << path;
}

class HostCheckTest : public ::testing::Test {
 protected:
  void SetUp() override { work_ = test::make_temp_dir("pgw-hostcheck"); }
  void TearDown() override { test::remove_tree(work_); }

  SshConfig ssh_config(const std::string& known_hosts, const std::string& key = "") const {
    SshConfig c;
    c.host = server_.host();
    c.port = server_.port();
    c.user = server_.user();
    c.key_file = key.empty() ? server_.client_key() : key;
    c.known_hosts = known_hosts;
    c.timeout = 10s;
    return c;
  }

  Config config(const SshConfig& ssh) const {
    Config cfg;
    ClusterConfig cluster;
    cluster.name = "test";
    NodeConfig node;
    node.name = "alpha";
    node.role = Role::Primary;
    node.ssh = ssh;
    cluster.nodes.push_back(node);
    cfg.clusters.push_back(cluster);
    return cfg;
  }

  // Runs the registered "host" check once on the config's only node.
  std::vector<Sample> collect(Config& cfg) {
    std::unique_ptr<Check> host;
    for (auto& c : create_checks(cfg))
      if (c->name() == "host") host = std::move(c);
    if (!host) ADD_FAILURE() << "no check named host is registered";
    if (!host) return {};
    NodeConfig& node = cfg.clusters[0].nodes[0];
    EXPECT_TRUE(host->applies_to(node));
    EXPECT_FALSE(host->uses_postgres());
    CheckContext ctx;
    ctx.cluster = &cfg.clusters[0];
    ctx.node = &node;
    ctx.memory = &memory_;
    ctx.deadline = Deadline::in(20s);
    VectorSink sink;
    host->collect(ctx, sink);
    return sink.samples();
  }

  static std::optional<double> value(const std::vector<Sample>& samples, const std::string& name,
                                     const std::string& label = "", const std::string& label_value = "") {
    for (const auto& s : samples)
      if (s.name == name && (label.empty() || pgw::label_value(s.labels, label) == label_value))
        return s.value;
    return std::nullopt;
  }

  static int count_prefix(const std::vector<Sample>& samples, const std::string& prefix) {
    int n = 0;
    for (const auto& s : samples) n += s.name.rfind(prefix, 0) == 0;
    return n;
  }

  // A rejected host key must stop the session before authentication: no
  // command runs and sshd never logs an accepted login.
  void expect_no_command_runs(const SshConfig& ssh, const std::string& expected_reason) {
    const std::string marker = work_ + "/marker";
    SshSession session(ssh);
    try {
      session.open(Deadline::in(10s));
      ADD_FAILURE() << "open() accepted a host key it must reject";
    } catch (const SshError& e) {
      EXPECT_NE(std::string(e.what()).find(expected_reason), std::string::npos) << e.what();
    }
    EXPECT_THROW(session.run("touch " + marker, Deadline::in(5s)), SshError);
    EXPECT_FALSE(exists(marker));
    EXPECT_EQ(server_.log().find("Accepted publickey"), std::string::npos) << server_.log();
  }

  // The host check with this known_hosts: session down, key unverified, no
  // host probe results at all.
  void expect_check_reports_unverified(const std::string& known_hosts) {
    Config cfg = config(ssh_config(known_hosts));
    cfg.clusters[0].nodes[0].disk_paths = {work_};
    auto s = collect(cfg);
    EXPECT_EQ(value(s, "pgwarden_ssh_up"), 0);
    EXPECT_EQ(value(s, "pgwarden_ssh_host_key_verified"), 0);
    EXPECT_EQ(count_prefix(s, "pgwarden_host_"), 0);
  }

  SshServer server_;
  std::string work_;
  std::map<std::string, double> memory_;
};

TEST_F(HostCheckTest, VerifiedKeyGivesDiskModeAndBackupAge) {
  const std::string data = work_ + "/data";
  ASSERT_EQ(::mkdir(data.c_str(), 0700), 0);
  ASSERT_EQ(::chmod(data.c_str(), 0700), 0);  // umask-proof
  time_t now = std::time(nullptr);
  test::write_file(work_ + "/aya_rag_1.sql", "old");
  test::write_file(work_ + "/aya_rag_2.sql.gz", "newer");
  test::write_file(work_ + "/unrelated.txt", "newest but not a backup");
  set_mtime(work_ + "/aya_rag_1.sql", now - 7200);
  set_mtime(work_ + "/aya_rag_2.sql.gz", now - 3600);

  Config cfg = config(ssh_config(server_.known_hosts()));
  NodeConfig& node = cfg.clusters[0].nodes[0];
  node.disk_paths = {work_};
  node.backup_glob = work_ + "/aya_rag_*.sql*";
  node.data_dir = data;

  auto s = collect(cfg);
  EXPECT_EQ(value(s, "pgwarden_ssh_up"), 1);
  EXPECT_EQ(value(s, "pgwarden_ssh_host_key_verified"), 1);
  auto size = value(s, "pgwarden_host_filesystem_size_bytes", "path", work_);
  auto free = value(s, "pgwarden_host_filesystem_free_bytes", "path", work_);
  ASSERT_TRUE(size && free);
  EXPECT_GT(*size, 0);
  EXPECT_GT(*free, 0);
  EXPECT_LE(*free, *size);
  EXPECT_EQ(value(s, "pgwarden_host_path_mode", "path", data), 0700);
  auto age = value(s, "pgwarden_host_newest_file_age_seconds", "glob", node.backup_glob);
  ASSERT_TRUE(age);
  EXPECT_GE(*age, 3600);
  EXPECT_LT(*age, 3600 + 60);

  ASSERT_EQ(::chmod(data.c_str(), 0755), 0);
  EXPECT_EQ(value(collect(cfg), "pgwarden_host_path_mode", "path", data), 0755);
  EXPECT_NE(server_.log().find("Accepted publickey"), std::string::npos);
}

TEST_F(HostCheckTest, ProblemsOfOneProbeOmitOnlyItsMetric) {
  const std::string marker = work_ + "/injected";
  Config cfg = config(ssh_config(server_.known_hosts()));
  NodeConfig& node = cfg.clusters[0].nodes[0];
  node.disk_paths = {work_ + "/does-not-exist", work_};
  node.backup_glob = work_ + "/*; touch " + marker;  // shell syntax: rejected, never sent
  node.data_dir = work_ + "/missing-data-dir";

  auto s = collect(cfg);
  EXPECT_EQ(value(s, "pgwarden_ssh_up"), 1);
  EXPECT_FALSE(value(s, "pgwarden_host_filesystem_size_bytes", "path", work_ + "/does-not-exist"));
  EXPECT_TRUE(value(s, "pgwarden_host_filesystem_size_bytes", "path", work_));
  EXPECT_FALSE(value(s, "pgwarden_host_newest_file_age_seconds"));
  EXPECT_FALSE(value(s, "pgwarden_host_path_mode"));
  EXPECT_FALSE(exists(marker));

  node.backup_glob = work_ + "/nothing_*.sql";  // valid, matches nothing
  EXPECT_FALSE(value(collect(cfg), "pgwarden_host_newest_file_age_seconds"));
}

TEST_F(HostCheckTest, UnknownHostKeyRunsNoCommand) {
  // known_hosts knows another port only, so [127.0.0.1]:port is unknown.
  const std::string kh = work_ + "/known_hosts_other";
  test::write_file(kh, "[127.0.0.1]:1 " + server_.host_public_key() + "\n");
  expect_no_command_runs(ssh_config(kh), "unknown");

  expect_check_reports_unverified(kh);
  EXPECT_EQ(test::read_file(kh), "[127.0.0.1]:1 " + server_.host_public_key() + "\n")
      << "known_hosts must never be written";
}

TEST_F(HostCheckTest, MissingKnownHostsFileIsUnverified) {
  const std::string kh = work_ + "/no_such_known_hosts";
  expect_no_command_runs(ssh_config(kh), "unknown");
  Config cfg = config(ssh_config(kh));
  auto s = collect(cfg);
  EXPECT_EQ(value(s, "pgwarden_ssh_up"), 0);
  EXPECT_EQ(value(s, "pgwarden_ssh_host_key_verified"), 0);
  EXPECT_FALSE(exists(kh)) << "known_hosts must never be created";
}

TEST_F(HostCheckTest, ChangedHostKeyRunsNoCommand) {
  std::string other = server_.make_key("impostor_host_key");
  std::string pub = test::read_file(other + ".pub");
  pub = pub.substr(0, pub.find(' ', pub.find(' ') + 1));
  ASSERT_NE(pub, server_.host_public_key());
  const std::string kh = server_.write_known_hosts("known_hosts_changed", pub);
  expect_no_command_runs(ssh_config(kh), "CHANGED");

  expect_check_reports_unverified(kh);
}

TEST_F(HostCheckTest, WrongUserKeyFailsAuthenticationClearly) {
  std::string wrong = server_.make_key("unauthorized_key");
  SshSession session(ssh_config(server_.known_hosts(), wrong));
  std::string message;
  try {
    session.open(Deadline::in(10s));
  } catch (const SshError& e) {
    message = e.what();
  }
  EXPECT_NE(message.find("authentication"), std::string::npos) << message;
  EXPECT_EQ(session.host_key_status(), HostKeyStatus::Verified);
  // The message names the key file, never its content.
  std::string secret = test::read_file(wrong);
  std::string body = secret.substr(secret.find('\n') + 1, 40);
  EXPECT_EQ(message.find(body), std::string::npos);

  Config cfg = config(ssh_config(server_.known_hosts(), wrong));
  auto s = collect(cfg);
  EXPECT_EQ(value(s, "pgwarden_ssh_up"), 0);
  EXPECT_EQ(value(s, "pgwarden_ssh_host_key_verified"), 1);
}

TEST_F(HostCheckTest, NoServerMeansDownWithoutKeyVerdict) {
  SshConfig ssh = ssh_config(server_.known_hosts());
  ssh.port = test::free_port();  // nothing listens there
  Config cfg = config(ssh);
  auto s = collect(cfg);
  EXPECT_EQ(value(s, "pgwarden_ssh_up"), 0);
  EXPECT_FALSE(value(s, "pgwarden_ssh_host_key_verified"));
}

TEST_F(HostCheckTest, CommandStopsAtItsDeadline) {
  SshSession session(ssh_config(server_.known_hosts()));
  session.open(Deadline::in(10s));
  auto ok = session.run("echo hello", Deadline::in(10s));
  EXPECT_EQ(ok.out, "hello\n");
  EXPECT_EQ(ok.exit_status, 0);
  auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(session.run("sleep 4", Deadline::in(1s)), SshError);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_THROW(session.run("head -c 200000 /dev/zero", Deadline::in(10s), 1000), SshError);
}

TEST_F(HostCheckTest, DataDirDefaultsToShowDataDirectory) {
  test::PgClusterOptions primary_only;
  primary_only.standbys = 0;
  test::PgCluster pg(primary_only);
  const std::string data_dir = pg.psql(0, "SHOW data_directory");
  ASSERT_FALSE(data_dir.empty());

  Config cfg = config(ssh_config(server_.known_hosts()));
  NodeConfig& node = cfg.clusters[0].nodes[0];
  node.conninfo = pg.conninfo();
  node.password = pg.password();
  EXPECT_EQ(value(collect(cfg), "pgwarden_host_path_mode", "path", data_dir), 0700);

  // PostgreSQL unreachable and never seen: the mode probe is skipped, the
  // SSH facts are still reported.
  Config down = config(ssh_config(server_.known_hosts()));
  down.clusters[0].nodes[0].conninfo =
      "host=127.0.0.1 port=" + std::to_string(test::free_port()) + " dbname=postgres user=pgwarden";
  auto s = collect(down);
  EXPECT_EQ(value(s, "pgwarden_ssh_up"), 1);
  EXPECT_FALSE(value(s, "pgwarden_host_path_mode"));
}

}  // namespace
}  // namespace pgw
