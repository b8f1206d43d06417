// Each version-dependent SQL variant (checks/catalog_sql.h) per PostgreSQL
// major; the integration matrix (ctest *.pg14 ... *.pg18) runs them for real.
#include <gtest/gtest.h>

#include "checks/catalog_sql.h"

using namespace pgw;

namespace {
bool has(const std::string& sql, const std::string& part) { return sql.find(part) != std::string::npos; }
}  // namespace

TEST(CatalogSql, SlotStateBefore16UsesWalStatusLostAndUnknownReason) {
  for (int v : {140000, 150004}) {
    std::string sql = slot_state_sql(v, false);
    EXPECT_TRUE(has(sql, "wal_status = 'lost' AS invalidated")) << sql;
    EXPECT_TRUE(has(sql, "'unknown' AS reason")) << sql;
    EXPECT_TRUE(has(sql, "NULL::numeric AS inactive_since")) << sql;
    EXPECT_FALSE(has(sql, "conflicting")) << sql;
    EXPECT_FALSE(has(sql, "invalidation_reason")) << sql;
  }
}

TEST(CatalogSql, SlotState16AlsoCountsConflictingLogicalSlots) {
  std::string sql = slot_state_sql(160014, false);
  EXPECT_TRUE(has(sql, "(wal_status = 'lost' OR conflicting IS TRUE) AS invalidated")) << sql;
  EXPECT_TRUE(has(sql, "'unknown' AS reason")) << sql;
  EXPECT_FALSE(has(sql, "inactive_since)")) << sql;
}

TEST(CatalogSql, SlotStateFrom17ReadsInvalidationReasonAndInactiveSince) {
  for (int v : {170000, 180004}) {
    std::string sql = slot_state_sql(v, false);
    EXPECT_TRUE(has(sql, "invalidation_reason IS NOT NULL AS invalidated")) << sql;
    EXPECT_TRUE(has(sql, "COALESCE(invalidation_reason, '') AS reason")) << sql;
    EXPECT_TRUE(has(sql, "EXTRACT(EPOCH FROM inactive_since) AS inactive_since")) << sql;
  }
}

TEST(CatalogSql, SlotStateMeasuresFromTheNodesOwnLsn) {
  EXPECT_TRUE(has(slot_state_sql(180004, false), "pg_current_wal_lsn()"));
  EXPECT_TRUE(has(slot_state_sql(180004, true), "pg_last_wal_replay_lsn()"));
  EXPECT_FALSE(has(slot_state_sql(180004, true), "pg_current_wal_lsn()"));
}

TEST(CatalogSql, CheckpointsFromBgwriterUpTo16AndCheckpointerFrom17) {
  for (int v : {140000, 150004, 160014}) {
    std::string sql = checkpoints_sql(v);
    EXPECT_TRUE(has(sql, "FROM pg_stat_bgwriter")) << sql;
    EXPECT_TRUE(has(sql, "checkpoints_timed AS timed")) << sql;
    EXPECT_TRUE(has(sql, "checkpoints_req AS requested")) << sql;
  }
  for (int v : {170000, 180004}) {
    std::string sql = checkpoints_sql(v);
    EXPECT_TRUE(has(sql, "FROM pg_stat_checkpointer")) << sql;
    EXPECT_TRUE(has(sql, "num_timed AS timed")) << sql;
    EXPECT_TRUE(has(sql, "num_requested AS requested")) << sql;
  }
}

TEST(CatalogSql, SubscriptionErrorCountersFrom15Only) {
  std::string v14 = subscriptions_sql(140023);
  EXPECT_FALSE(has(v14, "pg_stat_subscription_stats")) << v14;
  EXPECT_TRUE(has(v14, "NULL::bigint AS apply_errors")) << v14;
  for (int v : {150004, 160014, 170010, 180004}) {
    std::string sql = subscriptions_sql(v);
    EXPECT_TRUE(has(sql, "LEFT JOIN pg_stat_subscription_stats")) << sql;
    EXPECT_TRUE(has(sql, "e.apply_error_count AS apply_errors")) << sql;
    EXPECT_TRUE(has(sql, "e.sync_error_count AS sync_errors")) << sql;
  }
}
