#include "exporter/status_page.h"

#include <algorithm>
#include <ostream>

#include "core/duration.h"
#include "core/time_format.h"

#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <tuple>
#include <utility>
#include <sstream>

#include "exporter/alerts_json.h"
#include "exporter/failover_verdict.h"
#include "exporter/human_units.h"
#include "exporter/lag_sparkline.h"

namespace pgw {
namespace {

// The page's text escaping is the graphs' (stricter than HTML needs:
// control characters become U+FFFD as well).
std::string esc(const std::string& s) { return xml_escape(s); }

// The few facts the page shows, gathered in one pass over the store's
// results (no copy of the samples; the page is linear in their number).
// Where several samples give the same fact, the first one in store order
// counts.
struct PageFacts {
  using NodeKey = std::pair<std::string, std::string>;  // cluster, node
  struct Slot {
    std::string node, slot;
    double active = 0;
  };
  std::map<std::string, double> primaries;                  // by cluster
  std::map<NodeKey, double> up, in_recovery, embedder_up;
  std::map<NodeKey, double> lag;                            // cluster, standby
  std::map<std::string, std::vector<Slot>> slots;           // by cluster, in store order
  std::map<std::tuple<std::string, std::string, std::string>, double> retained;  // cluster, node, slot
  std::map<NodeKey, std::string> failing;                   // failing checks, by node

  explicit PageFacts(const std::vector<std::shared_ptr<const CheckResult>>& results) {
    for (const auto& r : results) {
      if (r->self_metrics && !r->success && !r->node.empty()) {
        std::string& f = failing[{r->cluster, r->node}];
        f += (f.empty() ? "" : ", ") + r->check;
      }
      for_each_sample(*r, [&](const Sample& s) { add(s); });
    }
  }

  void add(const Sample& s) {
    if (s.name.compare(0, 9, "pgwarden_") != 0) return;
    const std::string& cluster = label_value(s.labels, "cluster");
    const std::string& node = label_value(s.labels, "node");
    if (s.name == "pgwarden_cluster_primaries") primaries.emplace(cluster, s.value);
    else if (s.name == "pgwarden_node_up") up.emplace(NodeKey{cluster, node}, s.value);
    else if (s.name == "pgwarden_pg_in_recovery") in_recovery.emplace(NodeKey{cluster, node}, s.value);
    else if (s.name == "pgwarden_embedder_up") embedder_up.emplace(NodeKey{cluster, node}, s.value);
    else if (s.name == "pgwarden_cluster_lag_bytes")
      lag.emplace(NodeKey{cluster, label_value(s.labels, "standby")}, s.value);
    else if (s.name == "pgwarden_slot_active")
      slots[cluster].push_back({node, label_value(s.labels, "slot"), s.value});
    else if (s.name == "pgwarden_slot_retained_bytes")
      retained.emplace(std::make_tuple(cluster, node, label_value(s.labels, "slot")), s.value);
  }

  template <class M, class K>
  static const typename M::mapped_type* get(const M& m, const K& k) {
    auto it = m.find(k);
    return it == m.end() ? nullptr : &it->second;
  }
};

std::string badge(bool good, const std::string& text) {
  return std::string("<span class=\"b ") + (good ? "ok" : "bad") + "\">" + esc(text) + "</span>";
}

// " (inhibited by PgNodeDown alpha)" / " (silenced)" after an alert's state.
std::string suppression_note(const Alert& a, const std::vector<Alert>& all) {
  std::string note;
  for (const auto& fp : a.inhibited_by) {
    auto it = std::find_if(all.begin(), all.end(), [&](const Alert& o) { return o.fingerprint() == fp; });
    std::string by = it == all.end() ? fp : it->name() + (label_value(it->labels, "node").empty()
                                                            ? "" : " " + label_value(it->labels, "node"));
    note += (note.empty() ? "" : ", ") + by;
  }
  if (!note.empty()) note = " <span class=\"inhibited\">(inhibited by " + esc(note) + ")</span>";
  if (!a.silenced_by.empty()) note += " <span class=\"silenced\">(silenced)</span>";
  return note;
}

void render_silences(std::ostream& h, const std::vector<Silence>& silences) {
  auto now = std::chrono::system_clock::now();
  std::vector<const Silence*> shown;
  for (const auto& s : silences)
    if (std::string(s.state(now)) != "expired") shown.push_back(&s);
  h << "<h2>Silences</h2>";
  if (shown.empty()) {
    h << "<p id=\"no-silences\">No active or pending silences.</p>";
    return;
  }
  h << "<table id=\"silences\"><tr><th>id</th><th>state</th><th>matchers</th><th>until</th><th>by</th>"
       "<th>comment</th></tr>";
  for (const auto* s : shown) {
    std::string ms;
    for (const auto& m : s->matchers) ms += (ms.empty() ? "" : ", ") + m.str();
    h << "<tr><td>" << esc(s->id) << "</td><td>" << s->state(now) << "</td><td>" << esc(ms) << "</td><td>"
      << rfc3339_ms(s->ends_at) << "</td><td>" << esc(s->created_by) << "</td><td>" << esc(s->comment)
      << "</td></tr>";
  }
  h << "</table>";
}

// The lag graphs' window (the selectors below keep this much) and
// resolution: one point a minute, 60 over a plot 198 px wide, is enough to
// see whether lag grows, and keeps the history at 1,000 nodes (750
// standbys, two series each) to 90,000 points instead of 360,000.
constexpr std::int64_t kLagWindowMs = 3600 * 1000;
constexpr std::int64_t kLagResolutionMs = 60 * 1000;
const char* const kLagBytes = "pgwarden_cluster_lag_bytes";
const char* const kLagSeconds = "pgwarden_replication_lag_seconds";

// One standby's two series. Several of one kind (two primaries, or the
// series of a primary before a switchover): the one heard from last.
struct LagRow {
  const HistorySnapshot::Series* bytes = nullptr;
  const HistorySnapshot::Series* seconds = nullptr;
};

std::int64_t last_seen(const HistorySnapshot::Series& s) { return s.points.empty() ? 0 : s.points.back().t; }

void keep_newest(const HistorySnapshot::Series*& slot, const HistorySnapshot::Series& s) {
  if (!slot || last_seen(s) > last_seen(*slot)) slot = &s;
}

// A gap longer than three rounds or kept points (pgwarden was down) breaks
// the line, as /healthz counts three rounds of the longest period.
std::int64_t max_gap_ms(const Config& config) {
  Duration longest = std::max(config.exporter.interval, config.exporter.timeout);
  for (const auto& [name, c] : config.checks)
    if (c.timeout) longest = std::max(longest, *c.timeout);
  return 3 * std::max<std::int64_t>(longest.count(), kLagResolutionMs);
}

std::string sparkline(const HistorySnapshot::Series* s, SparkUnit unit, std::string title, std::int64_t now,
                      std::int64_t max_gap) {
  Sparkline g;
  g.from_ms = now - kLagWindowMs;
  g.to_ms = now;
  g.unit = unit;
  g.max_gap_ms = max_gap;
  g.title = std::move(title);
  if (s) {
    g.points.reserve(s->points.size());
    for (const auto& p : s->points) g.points.push_back({p.t, p.v});
    g.breaks = s->stale;
  }
  return render_sparkline(g);
}

void render_lag_graphs(std::ostream& h, const Config& config, const ClusterConfig& cluster,
                       const HistorySnapshot& history) {
  std::map<std::string, LagRow> rows;  // by standby
  for (const auto& s : history.series) {
    if (label_value(s.labels, "cluster") != cluster.name) continue;
    const std::string& name = label_value(s.labels, "__name__");
    if (name == kLagBytes) keep_newest(rows[label_value(s.labels, "standby")].bytes, s);
    else if (name == kLagSeconds) keep_newest(rows[label_value(s.labels, "application_name")].seconds, s);
  }
  rows.erase("");
  // A walsender whose application_name is no configured node or expected
  // standby (a logical subscription, a backup) is not a standby to draw.
  std::set<std::string> known;
  auto know = [&](const std::vector<std::string>& names) { known.insert(names.begin(), names.end()); };
  know(cluster.expected_standbys);
  know(cluster.sync_standbys);
  for (const auto& node : cluster.nodes) {
    known.insert(node.name);
    know(node.expected_standbys);
    know(node.sync_standbys);
  }
  std::erase_if(rows, [&](const auto& r) { return !r.second.bytes && !known.count(r.first); });
  if (rows.empty()) return;
  // The configured nodes in their order, then standbys known only by their application_name.
  std::vector<std::string> order;
  for (const auto& node : cluster.nodes)
    if (rows.count(node.name)) order.push_back(node.name);
  for (const auto& [name, row] : rows)
    if (std::find(order.begin(), order.end(), name) == order.end()) order.push_back(name);

  const std::int64_t gap = max_gap_ms(config);
  h << "<h3>Replication lag, last hour</h3><table class=\"lag\" id=\"lag-" << esc(cluster.name)
    << "\"><tr><th>standby</th><th>bytes behind the primary</th><th>replay lag (seconds)</th></tr>";
  for (const auto& standby : order) {
    const LagRow& row = rows[standby];
    std::string bytes_title = standby + ": bytes behind " +
                              (row.bytes ? "primary " + label_value(row.bytes->labels, "primary") : "the primary") +
                              ", last hour";
    std::string seconds_title = standby + ": replay lag" +
                                (row.seconds ? " seen by " + label_value(row.seconds->labels, "node") : "") +
                                ", last hour";
    h << "<tr class=\"lag\" data-standby=\"" << esc(standby) << "\"><td>" << esc(standby) << "</td><td>"
      << sparkline(row.bytes, SparkUnit::Bytes, bytes_title, history.at_ms, gap) << "</td><td>"
      << sparkline(row.seconds, SparkUnit::Seconds, seconds_title, history.at_ms, gap) << "</td></tr>";
  }
  h << "</table>";
}

}  // namespace

const StatusPageHistoryNeeds& status_page_history_needs() {
  static const StatusPageHistoryNeeds needs = {
      {std::string(kLagBytes) + "[" + format_duration(Duration(kLagWindowMs)) + "]",
       std::string(kLagSeconds) + "{stage=\"replay\"}[" + format_duration(Duration(kLagWindowMs)) + "]"},
      kLagResolutionMs,
  };
  return needs;
}

std::string render_status_page(const Config& config,
                               const std::vector<std::shared_ptr<const CheckResult>>& results,
                               const std::vector<Alert>& alerts,
                               const std::vector<Silence>& silences,
                               const HistorySnapshot* lag_history) {
  const PageFacts facts(results);
  std::ostringstream h;
  h << "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
       "<meta http-equiv=\"refresh\" content=\"10\"><title>pgwarden</title><style>"
       "body{font-family:system-ui,sans-serif;margin:2em;color:#222}"
       "table{border-collapse:collapse;margin-bottom:2em}td,th{padding:.3em .8em;border-bottom:1px solid #ddd;text-align:left}"
       ".b{padding:.1em .5em;border-radius:.3em;color:#fff}.ok{background:#2a7}.bad{background:#c33}"
       ".warning{background:#e90}.critical{background:#c33}.none,.info{background:#888}"
       "</style></head><body><h1>pgwarden</h1>";
  for (const auto& cluster : config.clusters) {
    h << "<h2>Cluster " << esc(cluster.name) << "</h2>";
    if (auto verdict = failover_verdict_line(results, cluster.name); !verdict.empty())
      h << "<p class=\"failover\" id=\"failover-" << esc(cluster.name) << "\">Failover: " << esc(verdict) << "</p>";
    if (const double* prim = PageFacts::get(facts.primaries, cluster.name))
      h << "<p>Primaries: " << badge(*prim == 1, std::to_string(static_cast<int>(*prim))) << "</p>";
    h << "<table id=\"nodes-" << esc(cluster.name) << "\"><tr><th>node</th><th>expected role</th>"
         "<th>actual role</th><th>PostgreSQL</th><th>replay lag</th><th>embedder</th><th>failing checks</th></tr>";
    for (const auto& node : cluster.nodes) {
      const PageFacts::NodeKey key{cluster.name, node.name};
      const double* up = PageFacts::get(facts.up, key);
      const double* rec = PageFacts::get(facts.in_recovery, key);
      const double* emb = PageFacts::get(facts.embedder_up, key);
      const double* lag = PageFacts::get(facts.lag, key);
      const std::string* failing_p = PageFacts::get(facts.failing, key);
      const std::string failing = failing_p ? *failing_p : "";
      std::string actual = rec ? (*rec == 1 ? "standby" : "primary") : "unknown";
      h << "<tr class=\"node\" data-node=\"" << esc(node.name) << "\"><td>" << esc(node.name) << "</td><td>"
        << role_name(node.role) << "</td><td class=\"role\">" << actual << "</td><td>"
        << (up ? badge(*up == 1, *up == 1 ? "up" : "down") : "&ndash;") << "</td><td>"
        << (lag ? bytes_words(*lag) : "&ndash;") << "</td><td>"
        << (emb ? badge(*emb == 1, *emb == 1 ? "up" : "down") : "&ndash;") << "</td><td>"
        << (failing.empty() ? "none" : esc(failing)) << "</td></tr>";
    }
    h << "</table>";
    if (const auto* slots = PageFacts::get(facts.slots, cluster.name)) {
      h << "<table><tr><th>node</th><th>slot</th><th>active</th><th>retained WAL</th></tr>";
      for (const auto& s : *slots) {
        const double* ret = PageFacts::get(facts.retained, std::make_tuple(cluster.name, s.node, s.slot));
        h << "<tr><td>" << esc(s.node) << "</td><td>" << esc(s.slot) << "</td><td>"
          << badge(s.active == 1, s.active == 1 ? "active" : "inactive") << "</td><td>"
          << (ret ? bytes_words(*ret) : "&ndash;") << "</td></tr>";
      }
      h << "</table>";
    }
    if (lag_history) render_lag_graphs(h, config, cluster, *lag_history);
  }
  h << "<h2>Alerts</h2>";
  if (alerts.empty()) h << "<p id=\"no-alerts\">No active alerts.</p>";
  else {
    h << "<table id=\"alerts\"><tr><th>alert</th><th>severity</th><th>state</th><th>node</th><th>summary</th><th>since</th></tr>";
    for (const auto& a : alerts) {
      auto summary = a.annotations.count("summary") ? a.annotations.at("summary") : "";
      h << "<tr><td>" << esc(a.name()) << "</td><td><span class=\"b " << esc(a.severity()) << "\">"
        << esc(a.severity()) << "</span></td><td>" << alert_state_name(a.state) << suppression_note(a, alerts)
        << "</td><td>"
        << esc(label_value(a.labels, "node")) << "</td><td>" << esc(summary) << "</td><td>"
        << rfc3339_ms(a.active_at) << "</td></tr>";
    }
    h << "</table>";
  }
  render_silences(h, silences);
  h << "<p><a href=\"/metrics\">metrics</a> &middot; <a href=\"/alerts\">alerts (JSON)</a></p></body></html>";
  return h.str();
}

}  // namespace pgw
