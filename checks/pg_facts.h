// Per-round facts about a node that several PostgreSQL checks need, queried
// once per round and cached in ctx.facts.
#pragma once

#include <string>

#include "checks/check.h"
#include "checks/expectations.h"

namespace pgw {

// pg_is_in_recovery(), cached in ctx.facts->in_recovery.
bool in_recovery(CheckContext& ctx);

// What this node must see this round (checks/expectations.h), from its
// config, in_recovery(ctx) and ctx.known_primaries.
Expectations round_expectations(CheckContext& ctx);

// server_version_num of the node (e.g. 180004), cached in
// ctx.facts->server_version: what version-dependent SQL is chosen by.
int server_version(CheckContext& ctx);

// SQL for the node's own WAL position: the current LSN on a primary, the
// replay LSN on a standby (where pg_current_wal_lsn() raises an error).
std::string own_lsn_sql(bool standby);

}  // namespace pgw
