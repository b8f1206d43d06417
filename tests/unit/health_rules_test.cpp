// The built-in rules of issue 14 (slot state, vacuum horizon, wraparound,
// archive backlog, subscriptions) on samples: each fires on the fault, not
// on a healthy value, and follows its [alerts] threshold. Wraparound cannot
// be reached on a real server in a test, so this is its only firing test.
#include <set>

#include <gtest/gtest.h>

#include "alerts/builtin_rules.h"
#include "alerts/rule_engine.h"

using namespace pgw;

namespace {

const TimePoint t0 = TimePoint(std::chrono::seconds(1'700'000'000));

Labels node(Labels extra) {
  extra.emplace_back("cluster", "aya");
  extra.emplace_back("node", "alpha");
  return extra;
}

// Firing alerts named `name` after evaluating each round one minute apart.
std::vector<Alert> firing(const Config& c, const std::string& name, const std::vector<std::vector<Sample>>& rounds) {
  RuleEngine e(c);
  for (size_t i = 0; i < rounds.size(); ++i) e.evaluate(rounds[i], t0 + std::chrono::minutes(i));
  std::vector<Alert> out;
  for (auto& a : e.active_alerts())
    if (a.name() == name && a.state == AlertState::Firing) out.push_back(a);
  return out;
}

Config immediate() {
  Config c;
  c.alerts.for_ = Duration(0);
  return c;
}

}  // namespace

TEST(HealthRules, SlotInvalidatedIsCriticalAndCarriesTheReason) {
  Config c;  // default `for`: this rule is immediate anyway
  auto a = firing(c, "PgReplicationSlotInvalidated",
                  {{{"pgwarden_slot_invalidated", node({{"slot", "beta_slot"}, {"slot_type", "physical"}, {"reason", "wal_removed"}}), 1},
                    {"pgwarden_slot_invalidated", node({{"slot", "gamma_slot"}, {"slot_type", "physical"}}), 0}}});
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(label_value(a[0].labels, "severity"), "critical");
  EXPECT_EQ(label_value(a[0].labels, "slot"), "beta_slot");
  EXPECT_NE(a[0].annotations.at("description").find("reason: wal_removed"), std::string::npos);
}

TEST(HealthRules, SlotWalAtRiskOnUnreservedOrLowSafeWalSize) {
  Config c = immediate();
  auto round = std::vector<Sample>{
      {"pgwarden_slot_wal_status", node({{"slot", "a"}, {"slot_type", "physical"}, {"wal_status", "unreserved"}}), 1},
      {"pgwarden_slot_wal_status", node({{"slot", "b"}, {"slot_type", "physical"}, {"wal_status", "reserved"}}), 1},
      {"pgwarden_slot_safe_wal_size_bytes", node({{"slot", "c"}}), 1e6},
      {"pgwarden_slot_safe_wal_size_bytes", node({{"slot", "d"}}), 1e12}};
  auto a = firing(c, "PgReplicationSlotWalAtRisk", {round});
  std::set<std::string> slots;
  for (auto& x : a) slots.insert(label_value(x.labels, "slot"));
  EXPECT_EQ(slots, (std::set<std::string>{"a", "c"}));
  c.alerts.slot_safe_wal_size_min_bytes = 1e5;
  EXPECT_EQ(firing(c, "PgReplicationSlotWalAtRisk", {round}).size(), 1u);
}

TEST(HealthRules, LongTransactionFollowsItsThresholdAndFor) {
  Config c;
  auto rounds = std::vector<std::vector<Sample>>(
      3, {{"pgwarden_pg_oldest_transaction_age_seconds", node({{"state", "idle_in_transaction"}}), 7200},
          {"pgwarden_pg_oldest_transaction_age_seconds", node({{"state", "active"}}), 10}});
  EXPECT_TRUE(firing(c, "PgLongTransaction", {rounds[0]}).empty());  // pending for 1m
  auto a = firing(c, "PgLongTransaction", rounds);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(label_value(a[0].labels, "state"), "idle_in_transaction");
  c.alerts.long_transaction_max_age = Duration(3LL * 3600 * 1000);
  EXPECT_TRUE(firing(c, "PgLongTransaction", rounds).empty());
}

TEST(HealthRules, XminHorizonHeldNamesTheHolder) {
  Config c = immediate();
  c.alerts.xmin_horizon_max_age_xids = 1000;
  auto a = firing(c, "PgXminHorizonHeld",
                  {{{"pgwarden_pg_xmin_horizon_age_xids", node({{"holder", "prepared"}}), 5000},
                    {"pgwarden_pg_xmin_horizon_age_xids", node({{"holder", "backend"}}), 3},
                    {"pgwarden_pg_xmin_horizon_age_xids", node({{"holder", "slot"}}), 0}}});
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(label_value(a[0].labels, "holder"), "prepared");
  EXPECT_EQ(a[0].annotations.at("summary"), "The xmin horizon of alpha (aya) is held back 5000 transactions by a prepared");
  Config defaults = immediate();
  EXPECT_TRUE(firing(defaults, "PgXminHorizonHeld",
                     {{{"pgwarden_pg_xmin_horizon_age_xids", node({{"holder", "prepared"}}), 5000}}})
                  .empty());
}

TEST(HealthRules, WraparoundOnXidOrMultixactAge) {
  Config c = immediate();
  auto a = firing(c, "PgTransactionIdWraparound",
                  {{{"pgwarden_pg_database_xid_age_xids", node({{"datname", "aya_rag"}}), 1.5e9},
                    {"pgwarden_pg_database_xid_age_xids", node({{"datname", "postgres"}}), 2e8},
                    {"pgwarden_pg_database_mxid_age_xids", node({{"datname", "template1"}}), 1.3e9}}});
  std::set<std::string> dbs;
  for (auto& x : a) {
    dbs.insert(label_value(x.labels, "datname"));
    EXPECT_EQ(label_value(x.labels, "severity"), "critical");
  }
  EXPECT_EQ(dbs, (std::set<std::string>{"aya_rag", "template1"}));
  c.alerts.wraparound_age_xids = 1.6e9;
  EXPECT_TRUE(firing(c, "PgTransactionIdWraparound",
                     {{{"pgwarden_pg_database_xid_age_xids", node({{"datname", "aya_rag"}}), 1.5e9}}})
                  .empty());
}

TEST(HealthRules, ArchiveBacklogAboveItsThreshold) {
  Config c = immediate();
  EXPECT_TRUE(firing(c, "PgArchiveBacklog", {{{"pgwarden_archiver_ready_files", node({}), 100}}}).empty());
  EXPECT_EQ(firing(c, "PgArchiveBacklog", {{{"pgwarden_archiver_ready_files", node({}), 101}}}).size(), 1u);
  c.alerts.archive_ready_files_max = 3;
  EXPECT_EQ(firing(c, "PgArchiveBacklog", {{{"pgwarden_archiver_ready_files", node({}), 4}}}).size(), 1u);
}

TEST(HealthRules, SubscriptionErrorsWhileTheCounterIsNonZero) {
  Config c;
  auto errors = [](double n) {
    return std::vector<Sample>{
        {"pgwarden_subscription_errors_total", node({{"subscription", "sub"}, {"kind", "apply"}}), n},
        {"pgwarden_subscription_errors_total", node({{"subscription", "sub"}, {"kind", "sync"}}), 0}};
  };
  EXPECT_TRUE(firing(c, "PgSubscriptionErrors", {errors(0)}).empty());
  auto a = firing(c, "PgSubscriptionErrors", {errors(0), errors(2)});
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(label_value(a[0].labels, "kind"), "apply");
}
