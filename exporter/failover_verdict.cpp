#include "exporter/failover_verdict.h"
#include "exporter/human_units.h"

#include <cmath>
#include <cstdio>
#include <map>
#include <optional>

namespace pgw {
namespace {

std::optional<double> value(const std::vector<Sample>& samples, const std::string& name,
                            const std::map<std::string, std::string>& want) {
  for (const auto& s : samples) {
    if (s.name != name) continue;
    bool ok = true;
    for (const auto& [k, v] : want) ok = ok && label_value(s.labels, k) == v;
    if (ok) return s.value;
  }
  return std::nullopt;
}

bool cluster_wide(const std::string& reason) {
  return reason == "no_primary" || reason == "multiple_primaries" || reason == "no_standby" ||
         reason == "patroni_paused" || reason == "no_leader" || reason == "etcd_unhealthy";
}

std::string words(const std::string& reason) {
  static const std::map<std::string, std::string> w = {
      {"no_primary", "no primary"},
      {"multiple_primaries", "more than one primary"},
      {"no_standby", "no standby"},
      {"patroni_paused", "Patroni paused"},
      {"no_leader", "no Patroni leader"},
      {"etcd_unhealthy", "etcd unhealthy"},
      {"not_streaming", "not streaming"},
      {"not_replaying", "not replaying"},
      {"replay_paused", "replay paused"},
      {"replay_behind", "replay behind"},
      {"sync_missing", "not synchronous"},
      {"slot_inactive", "slot inactive"},
      {"slot_invalidated", "slot invalidated"},
      {"timeline_mismatch", "on another timeline"},
      {"patroni_not_running", "Patroni member not running"},
      {"nofailover", "tagged nofailover"},
  };
  auto it = w.find(reason);
  return it == w.end() ? reason : it->second;
}

}  // namespace

std::string failover_verdict_line(const std::vector<Sample>& samples, const std::string& cluster) {
  auto ready = value(samples, "pgwarden_cluster_failover_ready", {{"cluster", cluster}});
  if (!ready) return "";
  std::string line;
  if (*ready == 1) {
    // The candidate that would lose the least.
    std::string best;
    std::optional<double> best_bytes;
    for (const auto& s : samples) {
      if (s.name != "pgwarden_cluster_failover_candidate" || s.value != 1 ||
          label_value(s.labels, "cluster") != cluster)
        continue;
      const std::string& name = label_value(s.labels, "standby");
      auto b = value(samples, "pgwarden_cluster_rpo_bytes", {{"cluster", cluster}, {"standby", name}});
      if (best.empty() || (b && (!best_bytes || *b < *best_bytes))) {
        best = name;
        best_bytes = b;
      }
    }
    auto secs = value(samples, "pgwarden_cluster_rpo_seconds", {{"cluster", cluster}, {"standby", best}});
    line = "ready: " + best + " can take over, RPO " + (best_bytes ? bytes_words(*best_bytes) : "unknown") +
           " / " + (secs ? duration_words(*secs) : "unknown");
  } else {
    // Cluster-wide reasons once, then each standby's reasons.
    std::string wide;
    std::map<std::string, std::string> per;  // standby -> its reasons in words
    std::vector<std::string> order;
    for (const auto& s : samples) {
      if (s.name != "pgwarden_cluster_failover_blocker" || label_value(s.labels, "cluster") != cluster) continue;
      const std::string& reason = label_value(s.labels, "reason");
      const std::string& standby = label_value(s.labels, "standby");
      if (cluster_wide(reason)) {
        if (wide.find(words(reason)) == std::string::npos) wide += (wide.empty() ? "" : ", ") + words(reason);
        continue;
      }
      std::string w = words(reason);
      if (reason == "replay_paused") {
        if (auto age = value(samples, "pgwarden_standby_replay_age_seconds", {{"cluster", cluster}, {"node", standby}}))
          w += " " + duration_words(*age);
      } else if (reason == "replay_behind") {
        for (const auto& l : samples)
          if (l.name == "pgwarden_cluster_lag_bytes" && label_value(l.labels, "cluster") == cluster &&
              label_value(l.labels, "standby") == standby)
            w += " " + bytes_words(l.value);
      }
      if (!per.count(standby)) order.push_back(standby);
      std::string& text = per[standby];
      text += (text.empty() ? "" : ", ") + w;
    }
    line = "not ready: " + wide;
    for (const auto& standby : order)
      line += (line.size() > 11 ? "; " : "") + standby + " " + per[standby];
    if (wide.empty() && order.empty()) line += "no standby can take over";
  }
  if (value(samples, "pgwarden_cluster_failover_warning", {{"cluster", cluster}, {"reason", "rewind_impossible"}}))
    line += " (warning: wal_log_hints and data_checksums are off, the old primary cannot be pg_rewind-ed)";
  return line;
}

std::string failover_verdict_line(const std::vector<std::shared_ptr<const CheckResult>>& results,
                                  const std::string& cluster) {
  std::vector<Sample> mine;
  for (const auto& r : results) {
    if (r->cluster != cluster) continue;
    for_each_sample(*r, [&](const Sample& s) {
      if (s.name.rfind("pgwarden_cluster_", 0) == 0 || s.name == "pgwarden_standby_replay_age_seconds")
        mine.push_back(s);
    });
  }
  return failover_verdict_line(mine, cluster);
}

}  // namespace pgw
