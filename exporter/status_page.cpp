#include "exporter/status_page.h"

#include <algorithm>
#include <ostream>

#include "core/time_format.h"

#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "exporter/alerts_json.h"

namespace pgw {
namespace {

std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '&': o += "&amp;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&#39;"; break;
      default: o += c;
    }
  }
  return o;
}

std::string bytes(double v) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (std::fabs(v) >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u ? "%.1f %s" : "%.0f %s", v, units[u]);
  return buf;
}

// Value of the first sample matching name and labels, if any.
const Sample* find(const std::vector<Sample>& samples, const std::string& name,
                   const std::map<std::string, std::string>& want) {
  for (const auto& s : samples) {
    if (s.name != name) continue;
    bool ok = true;
    for (const auto& [k, v] : want)
      if (label_value(s.labels, k) != v) ok = false;
    if (ok) return &s;
  }
  return nullptr;
}

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

}  // namespace

std::string render_status_page(const Config& config, const std::vector<Sample>& samples,
                               const std::vector<std::shared_ptr<const CheckResult>>& results,
                               const std::vector<Alert>& alerts,
                               const std::vector<Silence>& silences) {
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
    const Sample* prim = find(samples, "pgwarden_cluster_primaries", {{"cluster", cluster.name}});
    if (prim) h << "<p>Primaries: " << badge(prim->value == 1, std::to_string(static_cast<int>(prim->value))) << "</p>";
    h << "<table id=\"nodes-" << esc(cluster.name) << "\"><tr><th>node</th><th>expected role</th>"
         "<th>actual role</th><th>PostgreSQL</th><th>replay lag</th><th>embedder</th><th>failing checks</th></tr>";
    for (const auto& node : cluster.nodes) {
      std::map<std::string, std::string> key{{"cluster", cluster.name}, {"node", node.name}};
      const Sample* up = find(samples, "pgwarden_node_up", key);
      const Sample* rec = find(samples, "pgwarden_pg_in_recovery", key);
      const Sample* emb = find(samples, "pgwarden_embedder_up", key);
      const Sample* lag = find(samples, "pgwarden_cluster_lag_bytes", {{"cluster", cluster.name}, {"standby", node.name}});
      std::string failing;
      for (const auto& r : results)
        if (r->cluster == cluster.name && r->node == node.name && r->self_metrics && !r->success)
          failing += (failing.empty() ? "" : ", ") + r->check;
      std::string actual = rec ? (rec->value == 1 ? "standby" : "primary") : "unknown";
      h << "<tr class=\"node\" data-node=\"" << esc(node.name) << "\"><td>" << esc(node.name) << "</td><td>"
        << role_name(node.role) << "</td><td class=\"role\">" << actual << "</td><td>"
        << (up ? badge(up->value == 1, up->value == 1 ? "up" : "down") : "&ndash;") << "</td><td>"
        << (lag ? bytes(lag->value) : "&ndash;") << "</td><td>"
        << (emb ? badge(emb->value == 1, emb->value == 1 ? "up" : "down") : "&ndash;") << "</td><td>"
        << (failing.empty() ? "none" : esc(failing)) << "</td></tr>";
    }
    h << "</table>";
    bool slots = false;
    for (const auto& s : samples) {
      if (s.name != "pgwarden_slot_active" || label_value(s.labels, "cluster") != cluster.name) continue;
      if (!slots) h << "<table><tr><th>node</th><th>slot</th><th>active</th><th>retained WAL</th></tr>";
      slots = true;
      const Sample* ret = find(samples, "pgwarden_slot_retained_bytes",
                               {{"cluster", cluster.name}, {"node", label_value(s.labels, "node")},
                                {"slot", label_value(s.labels, "slot")}});
      h << "<tr><td>" << esc(label_value(s.labels, "node")) << "</td><td>" << esc(label_value(s.labels, "slot"))
        << "</td><td>" << badge(s.value == 1, s.value == 1 ? "active" : "inactive") << "</td><td>"
        << (ret ? bytes(ret->value) : "&ndash;") << "</td></tr>";
    }
    if (slots) h << "</table>";
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
