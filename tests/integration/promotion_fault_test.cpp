// The standby promoted while `pgwarden serve` runs (issue 7, "Fault
// injection"). alerts_e2e_test checks the notifications (PgSplitBrain,
// PgRoleMismatch, PgTimelineChanged at the webhook); this test checks the
// rest: the timeline change is observed in the metrics, both primaries are
// counted, the alerts are active in /alerts, and pgwarden keeps serving
// without a restart, with bounded memory.
#include <gtest/gtest.h>

#include "tests/fixtures/exposition.h"
#include "tests/fixtures/fault_test.h"
#include "tests/fixtures/test_util.h"

namespace pgw::test {
namespace {

using namespace std::chrono_literals;

class PromotionFaultTest : public FaultTest {};

TEST_F(PromotionFaultTest, PromotedStandbyIsObservedAndRaisesAlertsWithoutDisturbingPgwarden) {
  start_watching();
  if (HasFatalFailure()) return;
  ASSERT_TRUE(eventually_metrics(proc_, "beta on timeline 1, no change seen yet", kFaultStartup,
                                 [](const Exposition& m) {
    return m.value("pgwarden_pg_timeline_id", {{"node", "beta"}}) == 1.0 &&
           m.value("pgwarden_pg_timeline_changed_timestamp_seconds", {{"node", "beta"}}) == 0.0;
  }));

  pg_->promote_standby(0);
  EXPECT_TRUE(eventually_metrics(proc_, "beta promoted: timeline 2, change time set, two primaries",
                                 kFaultReact, [](const Exposition& m) {
    return m.value("pgwarden_pg_timeline_id", {{"node", "beta"}}) == 2.0 &&
           m.value("pgwarden_pg_timeline_changed_timestamp_seconds", {{"node", "beta"}}).value_or(0) > 0 &&
           m.value("pgwarden_pg_in_recovery", {{"node", "beta"}}) == 0.0 &&
           m.value("pgwarden_cluster_primaries", {{"cluster", "e2e"}}) == 2.0 &&
           m.value("pgwarden_node_up", {{"node", "alpha"}}) == 1.0;
  }));
  EXPECT_TRUE(poll_until([&] {
    return active_alerts("PgSplitBrain", {{"cluster", "e2e"}}) == 1 &&
           active_alerts("PgRoleMismatch", {{"node", "beta"}}) == 1 &&
           active_alerts("PgTimelineChanged", {{"node", "beta"}}) == 1;
  }, kFaultReact, 200ms)) << proc_.get("/alerts").body;
  EXPECT_EQ(active_alerts("PgRoleMismatch", {{"node", "alpha"}}), 0);

  // The primary's timeline did not change, and checks keep running on both.
  Exposition m = parse_exposition(proc_.scrape());
  EXPECT_EQ(m.value("pgwarden_pg_timeline_id", {{"node", "alpha"}}), 1.0);
  EXPECT_EQ(m.value("pgwarden_pg_timeline_changed_timestamp_seconds", {{"node", "alpha"}}), 0.0);
  EXPECT_TRUE(over_rounds("alpha", 3));
  EXPECT_TRUE(over_rounds("beta", 3));
  expect_undisturbed();
}

}  // namespace
}  // namespace pgw::test
