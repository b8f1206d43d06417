#include "checks/pg_facts.h"

#include <stdexcept>

namespace pgw {

bool in_recovery(CheckContext& ctx) {
  if (ctx.facts && ctx.facts->in_recovery) return *ctx.facts->in_recovery;
  PgResult r = ctx.query("SELECT pg_is_in_recovery() AS in_recovery");
  auto v = r.empty() ? std::nullopt : r.number(0, "in_recovery");
  if (!v) throw std::runtime_error("pg_is_in_recovery() returned no value");
  bool standby = *v != 0;
  if (ctx.facts) ctx.facts->in_recovery = standby;
  return standby;
}

Expectations round_expectations(CheckContext& ctx) {
  if (!ctx.node || !ctx.cluster) return {};
  static const std::set<std::string> none;
  return expectations_for(*ctx.cluster, *ctx.node, in_recovery(ctx),
                          ctx.known_primaries ? *ctx.known_primaries : none);
}

int server_version(CheckContext& ctx) {
  if (ctx.facts && ctx.facts->server_version > 0) return ctx.facts->server_version;
  int v = ctx.pg ? ctx.pg->server_version() : 0;
  if (v <= 0) throw std::runtime_error("server version unknown (not connected)");
  if (ctx.facts) ctx.facts->server_version = v;
  return v;
}

std::string own_lsn_sql(bool standby) {
  return standby ? "pg_last_wal_replay_lsn()" : "pg_current_wal_lsn()";
}

}  // namespace pgw
