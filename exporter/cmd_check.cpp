#include "exporter/cmd_check.h"
#include "core/json_text.h"
#include "core/utf8.h"

#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "alerts/notifier.h"
#include "alerts/rule_engine.h"
#include "alerts/rule_history_file.h"
#include "alerts/suppression.h"
#include "core/durable_file.h"
#include "exporter/alert_round.h"
#include "exporter/alerts_json.h"
#include "exporter/build_info.h"
#include "exporter/config_loader.h"
#include "exporter/failover_verdict.h"
#include "exporter/metrics_render.h"
#include "exporter/scheduler.h"
#include "exporter/pushgateway.h"

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

// Whether the round measured anything: a check succeeded or a node's
// connection was at least attempted.
bool anything_ran(const std::vector<std::shared_ptr<const CheckResult>>& results) {
  for (const auto& r : results)
    if ((r->self_metrics && r->success) || !r->self_metrics) return true;
  return false;
}

// What the output formats report on.
struct Outcome {
  const Config& config;
  const std::vector<std::shared_ptr<const CheckResult>>& results;
  const std::vector<Sample>& samples;  // the round's samples and build_info
  const RuleEngine& rules;
  std::vector<Alert> active;           // active alerts, inhibition and silences applied
  std::vector<Alert> firing;           // firing, severity other than none
  int code = kOk;
};

// The firing alerts and the exit code they make.
void judge(Outcome& o) {
  for (const auto& a : o.active) {
    // Watchdog (severity none) always fires: it is a heartbeat, not a problem.
    // Inhibited and silenced alerts are shown, not counted.
    if (a.state != AlertState::Firing || a.severity() == "none" || a.suppressed()) continue;
    o.firing.push_back(a);
    o.code = std::max(o.code, severity_code(a.severity()));
  }
}

std::string render_json(const Outcome& o) {
  nlohmann::json nodes = nlohmann::json::array();
  for (const auto& c : o.config.clusters)
    for (const auto& n : c.nodes) {
      nlohmann::json checks = nlohmann::json::object();
      for (const auto& r : o.results)
        if (r->cluster == c.name && r->node == n.name && r->self_metrics)
          checks[r->check] = {{"success", r->success}, {"error", r->error},
                              {"duration_seconds", r->duration_seconds}};
      nodes.push_back({{"cluster", c.name}, {"node", n.name}, {"role", role_name(n.role)}, {"checks", checks}});
    }
  nlohmann::json jsamples = nlohmann::json::array();
  for (const auto& s : o.samples) {
    nlohmann::json labels = nlohmann::json::object();
    for (const auto& [k, v] : s.labels) labels[k] = v;
    jsamples.push_back({{"name", s.name}, {"labels", labels},
                        {"value", std::isfinite(s.value) ? nlohmann::json(s.value) : nlohmann::json(num(s.value))}});
  }
  nlohmann::json j = {{"status", code_name(o.code)}, {"exit_code", o.code}, {"nodes", nodes},
                      {"alerts", alerts_to_json(o.active)}, {"samples", jsamples}};
  return json_text(j, 2) + "\n";
}

std::string render_prometheus(const Outcome& o) {
  std::vector<Sample> all = o.samples;
  o.rules.append_samples(all);
  return render_text(all);
}

std::string render_text_report(const Outcome& o) {
  std::ostringstream out;
  out << "pgwarden check: " << code_name(o.code) << "\n";
  for (const auto& c : o.config.clusters)
    if (auto verdict = failover_verdict_line(o.samples, c.name); !verdict.empty())
      out << "  " << c.name << " failover: " << verdict << "\n";
  for (const auto& c : o.config.clusters)
    for (const auto& n : c.nodes) {
      out << "  " << c.name << "/" << n.name << " (" << role_name(n.role) << ")\n";
      for (const auto& r : o.results)
        if (r->cluster == c.name && r->node == n.name && r->self_metrics)
          out << "    " << (r->success ? "ok    " : "FAILED") << " " << r->check
              << (r->success ? "" : ": " + r->error) << "\n";
    }
  out << (o.firing.empty() ? "  no alerts firing\n" : "  firing:\n");
  for (const auto& a : o.firing) {
    auto it = a.annotations.find("summary");
    out << "    [" << a.severity() << "] " << alert_brief(a) << (it != a.annotations.end() ? ": " + it->second : "") << "\n";
  }
  return out.str();
}

// One Nagios status line with perfdata.
std::string render_nagios(const Outcome& o) {
  int crit = 0, warn = 0;
  std::string list;
  for (const auto& a : o.firing) {
    if (severity_code(a.severity()) == kCritical) ++crit;
    else if (severity_code(a.severity()) == kWarning) ++warn;
    else continue;
    list += (list.empty() ? "" : ", ") + alert_brief(a);
  }
  std::ostringstream out;
  out << "PGWARDEN " << code_name(o.code) << " - ";
  if (o.code == kOk) out << "no alerts firing";
  else out << crit << " critical, " << warn << " warning: " << list;
  std::string perf = perfdata(o.samples, o.config.alerts);
  if (!perf.empty()) out << " | " << perf;
  out << "\n";
  return out.str();
}

std::string render(const std::string& format, const Outcome& o) {
  if (format == "json") return render_json(o);
  if (format == "prometheus") return render_prometheus(o);
  if (format == "text") return render_text_report(o);
  return render_nagios(o);
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
  if (!anything_ran(results)) {
    std::cout << "PGWARDEN UNKNOWN - no check could run\n";
    return kUnknown;
  }

  // The same alerting step as serve's round (exporter/alert_round.h).
  RuleEngine rules(config);
  std::optional<AlertStateFile> state_file;
  std::optional<RuleHistoryFile> history_file;  // range selectors' samples, next to the state file
  if (!opt.state_file.empty()) {
    state_file.emplace(opt.state_file);
    restore_alert_state(rules, state_file->load());
    history_file.emplace(opt.state_file + ".history");
    history_file->load_into(rules);
  }
  std::unique_ptr<Notifier> notifier;
  if (opt.notify)
    notifier = std::make_unique<Notifier>(config, opt.state_file.empty() ? config.exporter.state_dir
                                                                         : opt.state_file + ".d");
  BuildInfoSource build_info;
  // Silences come from `pgwarden silence` (state_dir/silences.json).
  SilenceStore silences(silences_path(config));
  Suppressor suppressor(config, &silences);
  auto now = std::chrono::system_clock::now();
  run_alert_round({&store, &build_info}, rules, notifier.get(), now, &suppressor);
  if (notifier) notifier->deliver(Deadline::in(std::chrono::seconds(10)));
  if (state_file) state_file->save(rules, /*force=*/true);
  if (history_file) history_file->save_from(rules, /*force=*/true);

  std::vector<Sample> samples;
  store.append_samples(samples);
  build_info.append_samples(samples);
  if (!opt.push_url.empty()) {  // a side channel: its failure never changes the exit code
    std::vector<Sample> pushed = samples;
    rules.append_samples(pushed);
    for (const auto& e : push_to_gateway(opt.push_url, pushed, Duration(10000))) std::cerr << e << "\n";
  }
  Outcome outcome{config, results, samples, rules, suppressor.apply(rules.active_alerts(), now), {}, kOk};
  judge(outcome);
  // Error texts and labels are valid UTF-8 where they entered; this keeps the
  // nagios and text forms so even if one slipped through.
  const std::string text = to_valid_utf8(render(opt.format, outcome));
  if (opt.output.empty()) {
    std::cout << text;
  } else {
    std::string err = write_file_atomically(opt.output, text, 0644);
    if (!err.empty()) {
      std::cerr << err << "\n";
      return kUnknown;
    }
  }
  return outcome.code;
}

}  // namespace pgw
