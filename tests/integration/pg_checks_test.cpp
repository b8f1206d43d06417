// The PostgreSQL check modules against a real primary and streaming standby,
// connected as the least-privilege monitoring role (LOGIN + pg_monitor).
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <sstream>

#include "checks/check.h"
#include "checks/cluster_summary.h"
#include "checks/pg_client.h"
#include "tests/fixtures/pg_cluster.h"
#include "tests/fixtures/test_util.h"

namespace pgw {
namespace {

using namespace std::chrono_literals;
using test::PgCluster;
using test::poll_until;

// One monitored node: its config, session and the memory checks keep.
struct Node {
  NodeConfig cfg;
  std::unique_ptr<PgSession> pg;
  std::map<std::string, double> memory;
};

Node make_node(const PgCluster& c, int index, const std::string& name, Role role) {
  Node n;
  n.cfg.name = name;
  n.cfg.role = role;
  n.cfg.conninfo = c.conninfo(index);
  n.pg = std::make_unique<PgSession>(n.cfg.conninfo, c.password());
  return n;
}

// Runs one registered module once on a node, as the scheduler would.
std::vector<Sample> run_check(const std::string& module, Node& node) {
  static const Config config;
  static const ClusterConfig cluster = [] {
    ClusterConfig c;
    c.name = "test";
    return c;
  }();
  for (auto& check : create_checks(config)) {
    if (check->name() != module) continue;
    NodeFacts facts;
    CheckContext ctx;
    ctx.cluster = &cluster;
    ctx.node = &node.cfg;
    ctx.pg = node.pg.get();
    ctx.facts = &facts;
    ctx.memory = &node.memory;
    ctx.deadline = Deadline::in(5s);
    ctx.now = std::chrono::system_clock::now();
    VectorSink sink(Labels{{"cluster", "test"}, {"node", node.cfg.name}});
    check->collect(ctx, sink);
    return sink.samples();
  }
  throw std::runtime_error("no check module named " + module);
}

std::string dump(const std::vector<Sample>& samples) {
  std::ostringstream out;
  for (const auto& s : samples) {
    out << s.name << "{";
    for (const auto& [k, v] : s.labels) out << k << "=\"" << v << "\",";
    out << "} " << s.value << "\n";
  }
  return out.str();
}

// Value of the one sample with this name whose labels include `want`.
std::optional<double> value(const std::vector<Sample>& samples, const std::string& name,
                            const Labels& want = {}) {
  for (const auto& s : samples) {
    if (s.name != name) continue;
    bool ok = true;
    for (const auto& [k, v] : want) ok = ok && label_value(s.labels, k) == v;
    if (ok) return s.value;
  }
  return std::nullopt;
}

// Polls a module until pred(samples) holds; returns the last samples.
bool eventually(const std::string& module, Node& node,
                const std::function<bool(const std::vector<Sample>&)>& pred,
                std::vector<Sample>* last, std::chrono::milliseconds timeout = 30s) {
  return poll_until(
      [&] {
        *last = run_check(module, node);
        return pred(*last);
      },
      timeout, 200ms);
}

class PgChecksTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { cluster_ = new PgCluster(test::PgClusterOptions{.standbys = 1}); }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }
  void SetUp() override {
    primary_ = make_node(*cluster_, PgCluster::kPrimary, "alpha", Role::Primary);
    primary_.cfg.expected_standbys = {"beta", "ghost"};
    primary_.cfg.expected_slots = {"beta_slot", "missing_slot"};
    standby_ = make_node(*cluster_, 1, "beta", Role::Standby);
  }
  // Some WAL on the primary, so positions move.
  static void write_on_primary() {
    cluster_->psql(PgCluster::kPrimary,
                   "CREATE TABLE IF NOT EXISTS pgw_writes(x int); INSERT INTO pgw_writes "
                   "SELECT generate_series(1, 1000)");
  }
  static PgCluster* cluster_;
  Node primary_, standby_;
};
PgCluster* PgChecksTest::cluster_ = nullptr;

TEST_F(PgChecksTest, RecoveryOnPrimaryAndStandby) {
  auto p = run_check("recovery", primary_);
  EXPECT_EQ(value(p, "pgwarden_pg_in_recovery"), 0.0) << dump(p);
  EXPECT_EQ(value(p, "pgwarden_pg_expected_primary"), 1.0);
  EXPECT_EQ(value(p, "pgwarden_pg_timeline_id"), 1.0);
  EXPECT_EQ(value(p, "pgwarden_pg_timeline_changed_timestamp_seconds"), 0.0);
  EXPECT_GT(value(p, "pgwarden_pg_wal_lsn_bytes").value_or(0), 0.0);
  EXPECT_EQ(label_value(p.at(0).labels, "node"), "alpha");

  auto s = run_check("recovery", standby_);
  EXPECT_EQ(value(s, "pgwarden_pg_in_recovery"), 1.0) << dump(s);
  EXPECT_EQ(value(s, "pgwarden_pg_expected_primary"), 0.0);
  EXPECT_EQ(value(s, "pgwarden_pg_timeline_id"), 1.0);
  EXPECT_GT(value(s, "pgwarden_pg_wal_lsn_bytes").value_or(0), 0.0);

  // Across nodes: one primary, the standby's lag is computed.
  std::vector<Sample> both = p;
  both.insert(both.end(), s.begin(), s.end());
  VectorSink cluster_out(Labels{{"cluster", "test"}});
  summarize_cluster(both, cluster_out);
  EXPECT_EQ(value(cluster_out.samples(), "pgwarden_cluster_primaries"), 1.0);
  EXPECT_TRUE(value(cluster_out.samples(), "pgwarden_cluster_lag_bytes",
                    {{"primary", "alpha"}, {"standby", "beta"}}));
}

TEST_F(PgChecksTest, ReplicationSeriesForStreamingStandby) {
  auto r = run_check("replication", primary_);
  Labels beta{{"application_name", "beta"}, {"client_addr", "127.0.0.1"}};
  for (const char* stage : {"sent", "write", "flush", "replay"}) {
    Labels l = beta;
    l.emplace_back("stage", stage);
    EXPECT_TRUE(value(r, "pgwarden_replication_lag_bytes", l)) << stage << "\n" << dump(r);
    if (std::string(stage) != "sent") {
      EXPECT_TRUE(value(r, "pgwarden_replication_lag_seconds", l)) << stage << "\n" << dump(r);
    }
  }
  EXPECT_FALSE(value(r, "pgwarden_replication_lag_seconds", {{"stage", "sent"}}));
  EXPECT_EQ(value(r, "pgwarden_replication_streaming", beta), 1.0);
  EXPECT_EQ(value(r, "pgwarden_replication_sync", beta), 0.0);  // asynchronous cluster
  EXPECT_GE(value(r, "pgwarden_replication_reply_age_seconds", beta).value_or(-1), 0.0);
  EXPECT_EQ(value(r, "pgwarden_replication_expected_standby_connected", {{"application_name", "beta"}}), 1.0);
  EXPECT_EQ(value(r, "pgwarden_replication_expected_standby_connected", {{"application_name", "ghost"}}), 0.0);

  // A standby with no cascading senders has no per-standby series.
  auto s = run_check("replication", standby_);
  EXPECT_FALSE(value(s, "pgwarden_replication_lag_bytes")) << dump(s);
}

TEST_F(PgChecksTest, StandbyViewAndNothingOnPrimary) {
  EXPECT_TRUE(run_check("standby", primary_).empty());
  std::vector<Sample> s;
  EXPECT_TRUE(eventually(
      "standby", standby_,
      [](const auto& v) { return value(v, "pgwarden_standby_last_msg_age_seconds").has_value(); }, &s))
      << dump(s);
  EXPECT_EQ(value(s, "pgwarden_standby_wal_receiver_streaming"), 1.0) << dump(s);
  EXPECT_EQ(value(s, "pgwarden_standby_replay_paused"), 0.0);
  EXPECT_GE(value(s, "pgwarden_standby_receive_replay_lag_bytes").value_or(-1), 0.0);
  EXPECT_LT(value(s, "pgwarden_standby_last_msg_age_seconds").value_or(1e9), 30.0);
}

TEST_F(PgChecksTest, SlotsActualAndExpected) {
  auto r = run_check("slots", primary_);
  EXPECT_EQ(value(r, "pgwarden_slot_active", {{"slot", "beta_slot"}, {"slot_type", "physical"}}), 1.0) << dump(r);
  EXPECT_GE(value(r, "pgwarden_slot_retained_bytes", {{"slot", "beta_slot"}}).value_or(-1), 0.0);
  EXPECT_EQ(value(r, "pgwarden_slot_present", {{"slot", "beta_slot"}, {"slot_type", "physical"}}), 1.0);
  EXPECT_EQ(value(r, "pgwarden_slot_present", {{"slot", "missing_slot"}, {"slot_type", "physical"}}), 0.0);
  // max_slot_wal_keep_size is -1 (unlimited) here, so safe_wal_size is NULL.
  EXPECT_FALSE(value(r, "pgwarden_slot_safe_wal_size_bytes"));
}

TEST_F(PgChecksTest, ConnectionsAndExtensions) {
  auto c = run_check("connections", primary_);
  EXPECT_GE(value(c, "pgwarden_pg_connections", {{"state", "active"}}).value_or(0), 1.0) << dump(c);
  EXPECT_TRUE(value(c, "pgwarden_pg_connections", {{"state", "idle"}}));
  EXPECT_TRUE(value(c, "pgwarden_pg_connections", {{"state", "idle in transaction"}}));
  EXPECT_EQ(value(c, "pgwarden_pg_max_connections"), 40.0);  // set by scripts/pgcluster

  auto e = run_check("extensions", primary_);
  EXPECT_EQ(value(e, "pgwarden_pg_extension_installed", {{"extension", "plpgsql"}}), 1.0) << dump(e);
  EXPECT_NE(label_value(e.at(0).labels, "version"), "");
}

TEST_F(PgChecksTest, ArchiverFailingAndRecovering) {
  auto archive = [] {
    write_on_primary();
    cluster_->psql(PgCluster::kPrimary, "SELECT pg_switch_wal()");
  };
  archive();
  std::vector<Sample> a;
  EXPECT_TRUE(eventually("archiver", primary_,
                         [](const auto& v) { return value(v, "pgwarden_archiver_archived_total").value_or(0) > 0; },
                         &a))
      << dump(a);
  EXPECT_EQ(value(a, "pgwarden_archiver_failing"), 0.0);
  EXPECT_TRUE(value(a, "pgwarden_archiver_last_archived_age_seconds"));

  struct Restore {
    ~Restore() { cluster_->make_archive_fail(false); }
  } restore;
  cluster_->make_archive_fail(true);
  archive();
  EXPECT_TRUE(eventually("archiver", primary_,
                         [](const auto& v) { return value(v, "pgwarden_archiver_failing") == 1.0; }, &a))
      << dump(a);
  EXPECT_GT(value(a, "pgwarden_archiver_failed_total").value_or(0), 0.0);

  cluster_->make_archive_fail(false);
  archive();  // a new segment wakes the archiver, which retries the old one
  EXPECT_TRUE(eventually("archiver", primary_,
                         [](const auto& v) { return value(v, "pgwarden_archiver_failing") == 0.0; }, &a, 90s))
      << dump(a);
}

TEST_F(PgChecksTest, ReplayPauseShowsOnBothSides) {
  struct Resume {
    ~Resume() {
      try {
        cluster_->resume_replay(0);
      } catch (...) {
      }
    }
  } resume;
  cluster_->pause_replay(0);
  std::vector<Sample> s;
  EXPECT_TRUE(eventually("standby", standby_,
                         [](const auto& v) { return value(v, "pgwarden_standby_replay_paused") == 1.0; }, &s))
      << dump(s);

  Labels replay{{"application_name", "beta"}, {"stage", "replay"}};
  write_on_primary();
  std::vector<Sample> r;
  EXPECT_TRUE(eventually("replication", primary_,
                         [&](const auto& v) { return value(v, "pgwarden_replication_lag_bytes", replay).value_or(0) > 0; },
                         &r))
      << dump(r);
  // Received but not replayed, seen from the standby.
  EXPECT_TRUE(eventually(
      "standby", standby_,
      [](const auto& v) { return value(v, "pgwarden_standby_receive_replay_lag_bytes").value_or(0) > 0; }, &s))
      << dump(s);

  cluster_->resume_replay(0);
  EXPECT_TRUE(eventually("replication", primary_,
                         [&](const auto& v) { return value(v, "pgwarden_replication_lag_bytes", replay) == 0.0; },
                         &r))
      << dump(r);
  EXPECT_TRUE(eventually("standby", standby_,
                         [](const auto& v) { return value(v, "pgwarden_standby_replay_paused") == 0.0; }, &s));
}

TEST_F(PgChecksTest, StoppedStandbyIsReportedDisconnected) {
  struct Restart {
    ~Restart() {
      try {
        cluster_->start_standby(0);
        cluster_->wait_streaming(0);
      } catch (...) {
      }
    }
  } restart;
  cluster_->stop_standby(0);
  std::vector<Sample> r;
  EXPECT_TRUE(eventually(
      "replication", primary_,
      [](const auto& v) {
        return value(v, "pgwarden_replication_expected_standby_connected", {{"application_name", "beta"}}) == 0.0;
      },
      &r))
      << dump(r);
  EXPECT_FALSE(value(r, "pgwarden_replication_streaming", {{"application_name", "beta"}}));
  std::vector<Sample> slots;
  EXPECT_TRUE(eventually(
      "slots", primary_,
      [](const auto& v) { return value(v, "pgwarden_slot_active", {{"slot", "beta_slot"}}) == 0.0; }, &slots))
      << dump(slots);
  EXPECT_EQ(value(slots, "pgwarden_slot_present", {{"slot", "beta_slot"}}), 1.0);
}

// Promotion changes the cluster for good, so it gets its own.
TEST(PgChecksPromotion, TimelineChangeIsNoticed) {
  PgCluster cluster(test::PgClusterOptions{.standbys = 1});
  Node standby = make_node(cluster, 1, "beta", Role::Standby);

  auto before = run_check("recovery", standby);
  EXPECT_EQ(value(before, "pgwarden_pg_timeline_id"), 1.0) << dump(before);
  EXPECT_EQ(value(before, "pgwarden_pg_timeline_changed_timestamp_seconds"), 0.0);

  auto promoted_at = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  cluster.promote_standby(0);
  std::vector<Sample> after;
  EXPECT_TRUE(eventually("recovery", standby,
                         [](const auto& v) { return value(v, "pgwarden_pg_in_recovery") == 0.0; }, &after))
      << dump(after);
  // Immediately after promotion, before any checkpoint.
  EXPECT_EQ(value(after, "pgwarden_pg_timeline_id"), 2.0) << dump(after);
  double changed = value(after, "pgwarden_pg_timeline_changed_timestamp_seconds").value_or(0);
  EXPECT_GE(changed, promoted_at - 1);
  EXPECT_EQ(value(after, "pgwarden_pg_expected_primary"), 0.0);  // config still says standby

  // Seen once: later rounds keep the same change time.
  auto again = run_check("recovery", standby);
  EXPECT_EQ(value(again, "pgwarden_pg_timeline_changed_timestamp_seconds"), changed);
  // The standby check emits nothing on what is now a primary.
  EXPECT_TRUE(run_check("standby", standby).empty());
}

}  // namespace
}  // namespace pgw
