#include "exporter/cmd_check.h"

#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "alerts/notifier.h"
#include "alerts/rule_engine.h"
#include "alerts/suppression.h"
#include "exporter/alerts_json.h"
#include "core/durable_file.h"
#include "exporter/build_info.h"
#include "exporter/config_loader.h"
#include "exporter/metrics_render.h"
#include "exporter/scheduler.h"

namespace pgw {
namespace {

int severity_code(const std::string& s) {
  if (s == "critical") return kCritical;
  if (s == "warning") return kWarning;
  return kOk;  // info, none (Watchdog) never change the exit code
}

const char* code_name(int c) {
  switch (c) {
    case kOk: return "OK";
    case kWarning: return "WARNING";
    case kCritical: return "CRITICAL";
    default: return "UNKNOWN";
  }
}

// Nagios perfdata label: quoted, with ' and = removed.
std::string perf_label(std::string s) {
  std::string o;
  for (char c : s)
    if (c != '\'' && c != '=') o += c;
  return "'" + o + "'";
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

// Perfdata numbers: the plugin guidelines allow only [-0-9.], so no
// exponent (%g would print 10e6 as "1e+07").
std::string perf_num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6f", v);
  std::string s = buf;
  s.erase(s.find_last_not_of('0') + 1);
  if (s.back() == '.') s.pop_back();
  return s == "-0" ? "0" : s;
}

std::string node_of(const Sample& s) {
  return label_value(s.labels, "cluster") + "/" + label_value(s.labels, "node");
}

// Perfdata for lags, slots, archiver and embedder: 'label'=value[uom];warn;crit;min;max
std::string perfdata(const std::vector<Sample>& samples, const AlertsConfig& a) {
  std::vector<std::string> out;
  for (const auto& s : samples) {
    if (!std::isfinite(s.value)) continue;
    if (s.name == "pgwarden_replication_lag_bytes" && label_value(s.labels, "stage") == "replay")
      out.push_back(perf_label(node_of(s) + " " + label_value(s.labels, "application_name") + " replay lag") + "=" +
                    perf_num(s.value) + "B;" + perf_num(a.lag_warning_bytes) + ";" + perf_num(a.lag_critical_bytes) + ";0;");
    else if (s.name == "pgwarden_replication_lag_seconds" && label_value(s.labels, "stage") == "replay")
      out.push_back(perf_label(node_of(s) + " " + label_value(s.labels, "application_name") + " replay lag time") + "=" +
                    perf_num(s.value) + "s;" + perf_num(a.lag_warning_seconds) + ";" + perf_num(a.lag_critical_seconds) + ";0;");
    else if (s.name == "pgwarden_cluster_lag_bytes")
      out.push_back(perf_label(label_value(s.labels, "cluster") + " " + label_value(s.labels, "primary") + "->" +
                               label_value(s.labels, "standby") + " lag") + "=" + perf_num(s.value) + "B;" +
                    perf_num(a.lag_warning_bytes) + ";" + perf_num(a.lag_critical_bytes) + ";0;");
    else if (s.name == "pgwarden_slot_retained_bytes")
      out.push_back(perf_label(node_of(s) + " slot " + label_value(s.labels, "slot") + " retained") + "=" +
                    perf_num(s.value) + "B;" + perf_num(a.slot_retained_warning_bytes) + ";;0;");
    else if (s.name == "pgwarden_archiver_failed_total")
      out.push_back(perf_label(node_of(s) + " archive failures") + "=" + perf_num(s.value) + "c;;;0;");
    else if (s.name == "pgwarden_embedder_probe_duration_seconds")
      out.push_back(perf_label(node_of(s) + " embed probe") + "=" + perf_num(s.value) + "s;;;0;");
  }
  std::string joined;
  for (const auto& p : out) joined += (joined.empty() ? "" : " ") + p;
  return joined;
}

std::string alert_brief(const Alert& a) {
  std::string node = label_value(a.labels, "node");
  return a.name() + (node.empty() ? "" : "(" + node + ")");
}

}  // namespace

int run_check(const CheckOptions& opt) {
  auto loaded = load_config(opt.config_path);
  if (!loaded.config) {
    for (const auto& e : loaded.errors) std::cerr << e.str() << "\n";
    std::cout << "PGWARDEN UNKNOWN - configuration cannot be loaded\n";
    return kUnknown;
  }
  Config config = std::move(*loaded.config);
  // Without a state file every run is a fresh look: a `for` could never be
  // satisfied, so it is ignored. With one, timers persist across runs.
  if (opt.state_file.empty()) {
    config.alerts.for_ = Duration(0);
    for (auto& r : config.rules) r.for_ = Duration(0);
  }

  SnapshotStore store;
  {
    Scheduler scheduler(config, store);
    scheduler.run_once();
  }
  auto results = store.results();
  bool any_ran = false;
  for (const auto& r : results)
    if (r->self_metrics && r->success) any_ran = true;
  bool any_node_answered = false;
  for (const auto& r : results)
    if (!r->self_metrics) any_node_answered = true;  // a connection attempt was made
  if (!any_ran && !any_node_answered) {
    std::cout << "PGWARDEN UNKNOWN - no check could run\n";
    return kUnknown;
  }

  RuleEngine rules(config);
  nlohmann::json state;
  if (!opt.state_file.empty()) {
    std::string text;
    if (read_file(opt.state_file, text)) {
      try {
        state = nlohmann::json::parse(text);
        if (state.contains("rules")) rules.restore_state(state["rules"]);
      } catch (const std::exception&) {
        spdlog::warn("ignoring unreadable state file {}", opt.state_file);
      }
    }
  }
  std::vector<Sample> samples;
  store.append_samples(samples);
  BuildInfoSource().append_samples(samples);
  auto now = std::chrono::system_clock::now();
  rules.evaluate(samples, now);
  // Inhibited and silenced alerts are shown but neither notified nor
  // counted in the exit code. Silences come from `pgwarden silence`.
  SilenceStore silences(silences_path(config));
  Suppressor suppressor(config, &silences);
  const auto active = suppressor.apply(rules.active_alerts(), now);

  if (opt.notify) {
    Notifier notifier(config, opt.state_file.empty() ? config.exporter.state_dir
                                                     : opt.state_file + ".d");
    notifier.update(suppressor.apply(rules.alerts(), now), now);
    notifier.deliver(Deadline::in(std::chrono::seconds(10)));
  }
  if (!opt.state_file.empty()) {
    nlohmann::json out = {{"rules", rules.save_state()}};
    std::string err = write_file_atomically(opt.state_file, out.dump(), 0600);
    if (!err.empty()) spdlog::error("{}", err);
  }

  std::vector<Alert> firing;
  int code = kOk;
  for (const auto& a : active) {
    // Watchdog (severity none) always fires: it is a heartbeat, not a problem.
    if (a.state != AlertState::Firing || a.severity() == "none" || a.suppressed()) continue;
    firing.push_back(a);
    code = std::max(code, severity_code(a.severity()));
  }

  std::ostringstream out;
  if (opt.format == "json") {
    nlohmann::json nodes = nlohmann::json::array();
    for (const auto& c : config.clusters)
      for (const auto& n : c.nodes) {
        nlohmann::json checks = nlohmann::json::object();
        for (const auto& r : results)
          if (r->cluster == c.name && r->node == n.name && r->self_metrics)
            checks[r->check] = {{"success", r->success}, {"error", r->error},
                                {"duration_seconds", r->duration_seconds}};
        nodes.push_back({{"cluster", c.name}, {"node", n.name}, {"role", role_name(n.role)}, {"checks", checks}});
      }
    nlohmann::json jsamples = nlohmann::json::array();
    for (const auto& s : samples) {
      nlohmann::json labels = nlohmann::json::object();
      for (const auto& [k, v] : s.labels) labels[k] = v;
      jsamples.push_back({{"name", s.name}, {"labels", labels},
                          {"value", std::isfinite(s.value) ? nlohmann::json(s.value) : nlohmann::json(num(s.value))}});
    }
    nlohmann::json j = {{"status", code_name(code)}, {"exit_code", code}, {"nodes", nodes},
                        {"alerts", alerts_to_json(active)}, {"samples", jsamples}};
    out << j.dump(2) << "\n";
  } else if (opt.format == "prometheus") {
    std::vector<Sample> all = samples;
    rules.append_samples(all);
    out << render_text(all);
  } else if (opt.format == "text") {
    out << "pgwarden check: " << code_name(code) << "\n";
    for (const auto& c : config.clusters)
      for (const auto& n : c.nodes) {
        out << "  " << c.name << "/" << n.name << " (" << role_name(n.role) << ")\n";
        for (const auto& r : results)
          if (r->cluster == c.name && r->node == n.name && r->self_metrics)
            out << "    " << (r->success ? "ok    " : "FAILED") << " " << r->check
                << (r->success ? "" : ": " + r->error) << "\n";
      }
    out << (firing.empty() ? "  no alerts firing\n" : "  firing:\n");
    for (const auto& a : firing) {
      auto it = a.annotations.find("summary");
      out << "    [" << a.severity() << "] " << alert_brief(a) << (it != a.annotations.end() ? ": " + it->second : "") << "\n";
    }
  } else {
    int crit = 0, warn = 0;
    std::string list;
    for (const auto& a : firing) {
      if (severity_code(a.severity()) == kCritical) ++crit;
      else if (severity_code(a.severity()) == kWarning) ++warn;
      else continue;
      list += (list.empty() ? "" : ", ") + alert_brief(a);
    }
    out << "PGWARDEN " << code_name(code) << " - ";
    if (code == kOk) out << "no alerts firing";
    else out << crit << " critical, " << warn << " warning: " << list;
    std::string perf = perfdata(samples, config.alerts);
    if (!perf.empty()) out << " | " << perf;
    out << "\n";
  }

  if (opt.output.empty()) {
    std::cout << out.str();
  } else {
    std::string err = write_file_atomically(opt.output, out.str(), 0644);
    if (!err.empty()) {
      std::cerr << err << "\n";
      return kUnknown;
    }
  }
  return code;
}

}  // namespace pgw
