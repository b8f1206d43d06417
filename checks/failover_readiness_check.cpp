// "failover_readiness" module (cluster scope): could a standby take over
// now, what blocks each one, and what a failover now would lose.
//
// A thin adapter: it reads the round's node samples (and the other cluster
// checks' latest results: etcd health, Patroni's leader) into
// FailoverFacts, lets decide_failover() (checks/failover_readiness.h) judge,
// and computes the recovery point of each standby.
//
// Matching a standby to what the primary reports: the standby's own
// application_name and slot (pgwarden_standby_upstream_info, module
// failover_facts), else its node name; for the slot, what it last reported,
// else a primary slot named <node>, <node>_slot, <application_name> or
// <application_name>_slot (a stopped standby reports nothing).
//
// RPO in bytes: the primary's current LSN minus the standby's flushed
// position, from the primary's pg_stat_replication flush lag when it has a
// row (one consistent snapshot), else from the standby's received LSN, else
// (standby down) from the slot's restart_lsn (slot_retained_bytes). In
// seconds: the primary's newest commit time minus the standby's last
// replayed commit time when track_commit_timestamp is on (0 on an idle
// primary: both are the same commit). Without it: when the standby holds
// received WAL it has not replayed, now minus its last replayed commit
// (an upper bound); when it has everything (rpo_bytes 0), 0; else the
// primary's flush lag in seconds; else nothing (unknown is not 0).
#include <algorithm>
#include <map>
#include <mutex>
#include <set>

#include "checks/check.h"
#include "checks/failover_readiness.h"
#include "core/metric_catalog.h"

namespace pgw {
namespace {

PGW_DESCRIBE_METRICS({
    {"pgwarden_cluster_failover_ready", MetricType::Gauge,
     "1 when at least one standby could be promoted now without a blocker."},
    {"pgwarden_cluster_failover_blocker", MetricType::Gauge,
     "1 per reason that blocks promoting that standby now (README: failover readiness)."},
    {"pgwarden_cluster_failover_candidate", MetricType::Gauge, "1 when the standby could be promoted now."},
    {"pgwarden_cluster_failover_warning", MetricType::Gauge,
     "1 per non-blocking failover warning, e.g. rewind_impossible."},
    {"pgwarden_cluster_rpo_bytes", MetricType::Gauge,
     "WAL a failover to this standby would lose now: primary's LSN minus its flushed position."},
    {"pgwarden_cluster_rpo_seconds", MetricType::Gauge,
     "Commit time a failover to this standby would lose now: primary's newest commit minus its last replayed one."},
});

// A standby whose replay position stands still this long while it holds
// unreplayed WAL (and is not paused) is not replaying (e.g. a recovery
// conflict with max_standby_streaming_delay = -1).
constexpr double kReplayStallSeconds = 60;

struct Index {
  // name -> samples
  std::map<std::string, std::vector<const Sample*>> by_name;
  explicit Index(const std::vector<Sample>& samples) {
    for (const auto& s : samples) by_name[s.name].push_back(&s);
  }
  const std::vector<const Sample*>& all(const std::string& name) const {
    static const std::vector<const Sample*> none;
    auto it = by_name.find(name);
    return it == by_name.end() ? none : it->second;
  }
  // Value of `name` on `node` whose labels include `want`.
  std::optional<double> get(const std::string& name, const std::string& node,
                            const std::map<std::string, std::string>& want = {}) const {
    for (const Sample* s : all(name)) {
      if (label_value(s->labels, "node") != node) continue;
      bool ok = true;
      for (const auto& [k, v] : want) ok = ok && label_value(s->labels, k) == v;
      if (ok) return s->value;
    }
    return std::nullopt;
  }
};

bool running_state(const std::string& state) {
  // Patroni 3 says "running" for any healthy member; 4.x says "streaming"
  // for a streaming replica and "in archive recovery" for one that restores.
  return state == "running" || state == "streaming" || state == "in archive recovery";
}

class FailoverReadinessCheck : public Check {
 public:
  explicit FailoverReadinessCheck(double replay_behind_bytes) : replay_behind_bytes_(replay_behind_bytes) {}
  Scope scope() const override { return Scope::Cluster; }
  bool uses_postgres() const override { return false; }
  bool reads_cluster_results() const override { return true; }

  void collect(CheckContext& ctx, SampleSink& out) override {
    if (!ctx.cluster || !ctx.cluster_samples) return;
    const ClusterConfig& cluster = *ctx.cluster;
    Index ix(*ctx.cluster_samples);
    const double now = ctx.now_seconds();

    FailoverFacts f;
    f.replay_behind_bytes = replay_behind_bytes_;

    // Node-level sync_standbys (fixed topologies) and the cluster-level ones,
    // which hold on whichever node is primary (checks/expectations.h).
    std::set<std::string> sync_expected(cluster.sync_standbys.begin(), cluster.sync_standbys.end());
    std::vector<const NodeConfig*> members;
    std::string primary;
    for (const auto& n : cluster.nodes) {
      if (n.role == Role::Client) continue;
      sync_expected.insert(n.sync_standbys.begin(), n.sync_standbys.end());
      if (ix.get("pgwarden_pg_in_recovery", n.name) == 0.0) {
        ++f.primaries;
        primary = n.name;
      } else {
        members.push_back(&n);
      }
    }
    if (f.primaries != 1) primary.clear();
    if (!sync_expected.empty()) f.sync_configured = true;

    std::optional<double> primary_lsn, primary_commit;
    if (!primary.empty()) {
      if (auto t = ix.get("pgwarden_pg_timeline_id", primary)) f.primary_timeline = static_cast<int64_t>(*t);
      primary_lsn = ix.get("pgwarden_pg_wal_lsn_bytes", primary);
      primary_commit = ix.get("pgwarden_pg_last_commit_timestamp_seconds", primary);
      if (auto v = ix.get("pgwarden_pg_wal_log_hints", primary)) f.wal_log_hints = *v != 0;
      if (auto v = ix.get("pgwarden_pg_data_checksums", primary)) f.data_checksums = *v != 0;
      if (ix.get("pgwarden_pg_synchronous_standby_names_configured", primary) == 1.0) f.sync_configured = true;
    }

    // Patroni and etcd, for the whole cluster.
    bool patroni = false, leader_seen = false, patroni_answered = false;
    for (const auto& n : cluster.nodes) {
      if (!n.patroni) continue;
      patroni = true;
      if (ix.get("pgwarden_patroni_paused", n.name) == 1.0) f.patroni_paused = true;
      if (ix.get("pgwarden_patroni_up", n.name) != 1.0) continue;
      patroni_answered = true;
      for (const char* role : {"master", "primary", "leader", "standby_leader"})
        if (ix.get("pgwarden_patroni_role", n.name, {{"role", role}}) &&
            !ix.get("pgwarden_patroni_state", n.name, {{"state", "stopped"}}))
          leader_seen = true;
    }
    if (!ix.all("pgwarden_cluster_has_leader").empty())
      f.has_leader = ix.all("pgwarden_cluster_has_leader").front()->value == 1;
    else if (patroni && patroni_answered)
      f.has_leader = leader_seen;
    int etcd_total = 0, etcd_ok = 0;
    for (const Sample* s : ix.all("pgwarden_etcd_healthy")) {
      ++etcd_total;
      if (s->value == 1) ++etcd_ok;
    }
    f.etcd_unhealthy = etcd_total > 0 && etcd_ok * 2 <= etcd_total;

    struct Rpo {
      std::optional<double> bytes, seconds;
    };
    std::vector<Rpo> rpo;
    std::lock_guard lock(mu_);
    for (const NodeConfig* n : members) {
      FailoverStandbyFacts s;
      s.node = n->name;
      s.reachable = ix.get("pgwarden_pg_in_recovery", n->name) == 1.0;
      s.receiver_streaming = ix.get("pgwarden_standby_wal_receiver_streaming", n->name) == 1.0;
      auto lsn = ix.get("pgwarden_pg_wal_lsn_bytes", n->name);
      s.has_replay_lsn = lsn.has_value();
      s.replay_paused = ix.get("pgwarden_standby_replay_paused", n->name) == 1.0;
      if (auto t = ix.get("pgwarden_pg_timeline_id", n->name); t && s.reachable)
        s.timeline = static_cast<int64_t>(*t);
      if (primary_lsn && lsn && s.reachable) s.replay_lag_bytes = std::max(0.0, *primary_lsn - *lsn);

      Memory& mem = memory_[cluster.name + "/" + n->name];
      std::string app = n->name;
      for (const Sample* u : ix.all("pgwarden_standby_upstream_info"))
        if (label_value(u->labels, "node") == n->name) {
          app = label_value(u->labels, "application_name");
          mem.slot = label_value(u->labels, "slot");
          mem.app = app;
        }
      if (!s.reachable && !mem.app.empty()) app = mem.app;

      auto pending = ix.get("pgwarden_standby_receive_replay_lag_bytes", n->name);
      if (s.reachable && lsn) {
        if (!mem.replay_lsn || *mem.replay_lsn != *lsn || !pending || *pending <= 0) {
          mem.replay_lsn = *lsn;
          mem.moved_at = now;
        }
        s.replay_stalled = now - mem.moved_at >= kReplayStallSeconds;
      }

      Rpo r;
      if (!primary.empty()) {
        // Its row on the primary: by application_name, else by node name.
        std::string row_app;
        for (const std::string& cand : {app, n->name})
          if (row_app.empty() && ix.get("pgwarden_replication_streaming", primary, {{"application_name", cand}}))
            row_app = cand;
        if (!row_app.empty()) {
          std::map<std::string, std::string> id{{"application_name", row_app}};
          s.primary_row_streaming = ix.get("pgwarden_replication_streaming", primary, id) == 1.0;
          s.sync = ix.get("pgwarden_replication_sync", primary, id) == 1.0;
          auto flush = id;
          flush["stage"] = "flush";
          r.bytes = ix.get("pgwarden_replication_lag_bytes", primary, flush);
          if (auto sec = ix.get("pgwarden_replication_lag_seconds", primary, flush)) r.seconds = *sec;
        }
        std::string slot;
        std::vector<std::string> names;
        if (!mem.slot.empty()) names.push_back(mem.slot);
        for (const std::string& base : {n->name, app}) {
          names.push_back(base);
          names.push_back(base + "_slot");
        }
        for (const auto& cand : names)
          if (slot.empty() && ix.get("pgwarden_slot_active", primary, {{"slot", cand}})) slot = cand;
        if (!slot.empty()) {
          s.slot_active = ix.get("pgwarden_slot_active", primary, {{"slot", slot}}) == 1.0;
          if (ix.get("pgwarden_slot_invalidated", primary, {{"slot", slot}}) == 1.0) s.slot_invalidated = true;
          if (ix.get("pgwarden_slot_wal_status", primary, {{"slot", slot}, {"wal_status", "lost"}}) == 1.0)
            s.slot_invalidated = true;
          if (!r.bytes && !s.reachable) r.bytes = ix.get("pgwarden_slot_retained_bytes", primary, {{"slot", slot}});
        }
        if (!r.bytes && s.reachable && primary_lsn)
          if (auto recv = ix.get("pgwarden_standby_received_lsn_bytes", n->name))
            r.bytes = std::max(0.0, *primary_lsn - *recv);
      }
      s.expected_sync = sync_expected.count(app) || sync_expected.count(n->name);
      if (n->patroni) {
        s.patroni = true;
        bool running = false;
        for (const Sample* st : ix.all("pgwarden_patroni_state"))
          if (label_value(st->labels, "node") == n->name && running_state(label_value(st->labels, "state")))
            running = true;
        s.patroni_running = ix.get("pgwarden_patroni_up", n->name) == 1.0 && running;
        s.nofailover = ix.get("pgwarden_patroni_nofailover", n->name) == 1.0;
      }

      // Seconds (see the file comment).
      auto replayed = ix.get("pgwarden_standby_last_replay_timestamp_seconds", n->name);
      std::optional<double> seconds;
      if (primary_commit && replayed && s.reachable) {
        seconds = std::max(0.0, *primary_commit - *replayed);
      } else if (s.reachable && pending && *pending > 0) {
        seconds = ix.get("pgwarden_standby_replay_age_seconds", n->name);
      } else if (r.bytes && *r.bytes == 0) {
        seconds = 0;
      } else {
        seconds = r.seconds;
      }
      r.seconds = seconds;
      if (primary.empty()) r = {};
      rpo.push_back(r);
      f.standbys.push_back(std::move(s));
    }

    FailoverVerdict v = decide_failover(f);
    out.add("pgwarden_cluster_failover_ready", {}, v.ready ? 1 : 0);
    for (const auto& b : v.blockers)
      out.add("pgwarden_cluster_failover_blocker", {{"standby", b.standby}, {"reason", b.reason}}, 1);
    for (const auto& w : v.warnings) out.add("pgwarden_cluster_failover_warning", {{"reason", w}}, 1);
    for (size_t i = 0; i < f.standbys.size(); ++i) {
      const std::string& node = f.standbys[i].node;
      bool candidate = std::find(v.candidates.begin(), v.candidates.end(), node) != v.candidates.end();
      out.add("pgwarden_cluster_failover_candidate", {{"standby", node}}, candidate ? 1 : 0);
      if (rpo[i].bytes) out.add("pgwarden_cluster_rpo_bytes", {{"standby", node}}, std::max(0.0, *rpo[i].bytes));
      if (rpo[i].seconds)
        out.add("pgwarden_cluster_rpo_seconds", {{"standby", node}}, std::max(0.0, *rpo[i].seconds));
    }
  }

 private:
  // What a standby last told about itself, kept across rounds (a stopped
  // standby reports nothing) and its replay progress.
  struct Memory {
    std::string app, slot;
    std::optional<double> replay_lsn;
    double moved_at = 0;
  };
  const double replay_behind_bytes_;  // [alerts] failover_replay_behind_bytes
  std::mutex mu_;
  std::map<std::string, Memory> memory_;  // "cluster/node"
};

std::vector<std::unique_ptr<Check>> make_failover_readiness(const Config& config) {
  std::vector<std::unique_ptr<Check>> v;
  v.push_back(std::make_unique<FailoverReadinessCheck>(config.alerts.failover_replay_behind_bytes));
  return v;
}

PGW_REGISTER_CHECK_FACTORY("failover_readiness", failover_readiness, make_failover_readiness);

}  // namespace
}  // namespace pgw
