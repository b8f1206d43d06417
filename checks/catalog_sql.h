// SQL whose text depends on the PostgreSQL major version, chosen by
// server_version_num (e.g. 180004). Each function is pure so that every
// variant has a unit test (tests/unit/catalog_sql_test.cpp); the version
// matrix of the integration tests runs them on real servers 14 to 18.
#pragma once

#include <string>

namespace pgw {

// pg_replication_slots: slot_name, slot_type, wal_status, invalidated (bool),
// reason (17+: invalidation_reason; before: "unknown"), inactive_since
// (epoch seconds, 17+; NULL before), xmin_age, catalog_xmin_age,
// confirmed_flush_lag (bytes from the node's own LSN, logical slots).
// Before 17 a slot is invalidated when wal_status is 'lost' (or, on 16, a
// logical slot is 'conflicting').
std::string slot_state_sql(int server_version, bool standby);

// Checkpoints: columns timed and requested. pg_stat_bgwriter up to 16,
// pg_stat_checkpointer from 17.
std::string checkpoints_sql(int server_version);

// Subscriptions: subname, up (an apply worker runs), apply_errors and
// sync_errors (pg_stat_subscription_stats, 15+; NULL before).
std::string subscriptions_sql(int server_version);

}  // namespace pgw
