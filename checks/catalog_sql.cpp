#include "checks/catalog_sql.h"

#include "checks/pg_facts.h"

namespace pgw {

std::string slot_state_sql(int v, bool standby) {
  std::string invalidated, reason, inactive_since;
  if (v >= 170000) {
    invalidated = "invalidation_reason IS NOT NULL";
    reason = "COALESCE(invalidation_reason, '')";
    inactive_since = "EXTRACT(EPOCH FROM inactive_since)";
  } else {
    invalidated = v >= 160000 ? "(wal_status = 'lost' OR conflicting IS TRUE)" : "wal_status = 'lost'";
    reason = "'unknown'";
    inactive_since = "NULL::numeric";
  }
  return "SELECT slot_name, slot_type, wal_status, " + invalidated + " AS invalidated, " + reason +
         " AS reason, " + inactive_since +
         " AS inactive_since, age(xmin) AS xmin_age, age(catalog_xmin) AS catalog_xmin_age, "
         "CASE WHEN slot_type = 'logical' AND confirmed_flush_lsn IS NOT NULL THEN "
         "GREATEST(pg_wal_lsn_diff(" + own_lsn_sql(standby) + ", confirmed_flush_lsn), 0) END "
         "AS confirmed_flush_lag "
         "FROM pg_replication_slots ORDER BY slot_name";
}

std::string checkpoints_sql(int v) {
  if (v >= 170000)
    return "SELECT num_timed AS timed, num_requested AS requested FROM pg_stat_checkpointer";
  return "SELECT checkpoints_timed AS timed, checkpoints_req AS requested FROM pg_stat_bgwriter";
}

std::string subscriptions_sql(int v) {
  // pg_stat_subscription: one row per worker, the apply worker's with relid
  // NULL; pid NULL when no worker runs for an enabled subscription.
  std::string errors = v >= 150000
                           ? "e.apply_error_count AS apply_errors, e.sync_error_count AS sync_errors "
                             "FROM w LEFT JOIN pg_stat_subscription_stats e ON e.subid = w.subid"
                           : "NULL::bigint AS apply_errors, NULL::bigint AS sync_errors FROM w";
  return "WITH w AS (SELECT subid, subname, bool_or(pid IS NOT NULL AND relid IS NULL) AS up "
         "FROM pg_stat_subscription GROUP BY subid, subname) "
         "SELECT w.subname, w.up, " + errors + " ORDER BY w.subname";
}

}  // namespace pgw
