#include "alerts/rule_engine.h"
#include "core/json_text.h"

#include <cmath>
#include <map>
#include <stdexcept>
#include <string_view>
#include <unordered_set>

#include <spdlog/spdlog.h>

#include "alerts/builtin_rules.h"
#include "alerts/promql_eval.h"
#include "alerts/promql_parser.h"
#include "alerts/rule_history.h"
#include "alerts/rule_state.h"
#include "alerts/template.h"
#include "core/metric_catalog.h"

namespace pgw {

PGW_DESCRIBE_METRICS({
    {"pgwarden_alerts", MetricType::Gauge,
     "Active alerts by name, severity and state (pending or firing)."},
});
namespace {

struct CompiledRule {
  RuleDefinition def;
  promql::NodePtr expr;
  std::vector<std::pair<std::string, Template>> labels;
  std::vector<std::pair<std::string, Template>> annotations;
  RuleState state;
  std::string last_error;
};

std::string expand(const Template& t, const Labels& labels, double value) {
  try {
    return t.render(labels, value);
  } catch (const TemplateError& e) {
    return std::string("<error expanding template: ") + e.what() + ">";  // as Prometheus reports it
  }
}

double seconds_since_epoch(TimePoint t) {
  return static_cast<double>(std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count()) /
         1000.0;
}

// Sets (or adds) a label; an empty value stays until normalize() drops it.
void put_label(Labels& l, const std::string& name, std::string value) {
  for (auto& [k, v] : l)
    if (k == name) {
      v = std::move(value);
      return;
    }
  l.emplace_back(name, std::move(value));
}

// The alert instance for one result series: its labels without __name__,
// then the rule's labels (templates see the series' labels), then alertname.
Alert instance(const CompiledRule& rule, const Labels& series, double value) {
  Alert a;
  a.labels.reserve(series.size() + rule.labels.size() + 1);
  for (const auto& p : series)
    if (p.first != "__name__") a.labels.push_back(p);
  for (const auto& [k, t] : rule.labels) put_label(a.labels, k, expand(t, series, value));
  put_label(a.labels, "alertname", rule.def.alert);
  normalize(a.labels);
  for (const auto& [k, t] : rule.annotations) a.annotations.emplace_hint(a.annotations.end(), k, expand(t, series, value));
  a.value = value;
  return a;
}

// Instances for one rule's result, or throws when two series end up with
// the same labels after the rule's labels are applied.
std::vector<ReturnedAlert> instances(const CompiledRule& rule, const promql::Value& result) {
  std::vector<ReturnedAlert> out;
  auto add = [&](const Labels& labels, double value) {
    Alert a = instance(rule, labels, value);
    std::string key = label_key(a.labels);
    out.push_back(ReturnedAlert{std::move(key), std::move(a)});
  };
  if (result.type == promql::ValueType::Scalar) {
    add({}, result.scalar);
    return out;
  }
  out.reserve(result.vector.size());  // no reallocation: `seen` views the keys
  std::unordered_set<std::string_view> seen;
  for (const auto& s : result.vector) {
    add(s.labels, s.value);
    if (!seen.insert(out.back().key).second)
      throw promql::EvalError("vector contains metrics with the same labelset after applying alert labels");
  }
  return out;
}

ConfigError rule_error(const RuleDefinition& def, const std::string& what) {
  return ConfigError{def.pos, "rule \"" + def.alert + "\": " + what};
}

}  // namespace

std::vector<RuleDefinition> rule_definitions(const Config& config) {
  std::vector<RuleDefinition> out;
  if (config.alerts.builtin) {
    for (auto& def : builtin_rules(config)) {
      const auto& off = config.alerts.disabled;
      if (std::find(off.begin(), off.end(), def.alert) == off.end()) out.push_back(std::move(def));
    }
  }
  for (const auto& r : config.rules) {
    RuleDefinition def;
    def.alert = r.alert;
    def.expr = r.expr;
    def.for_ = r.for_;
    def.keep_firing_for = r.keep_firing_for;
    def.labels = r.labels;
    def.labels["severity"] = r.severity;  // the severity key wins over labels.severity
    def.annotations = r.annotations;
    // Receivers and the status page show the summary; give one by default.
    if (!def.annotations.count("summary")) def.annotations["summary"] = r.alert + " is active";
    def.pos = r.expr_pos;
    out.push_back(std::move(def));
  }
  return out;
}

std::vector<ConfigError> validate_rules(const Config& config) {
  std::vector<ConfigError> errors;
  for (const auto& def : rule_definitions(config)) {
    try {
      if (promql::parse(def.expr)->type() == promql::ValueType::Matrix)
        errors.push_back(rule_error(def, "expr: invalid expression type \"range vector\" for alerting rule, must be scalar or instant vector"));
    } catch (const promql::ParseError& e) {
      errors.push_back(rule_error(def, std::string("expr: ") + e.what()));
    }
    auto check_templates = [&](const std::map<std::string, std::string>& m, const char* kind) {
      for (const auto& [k, v] : m) {
        try {
          Template::parse(v);
        } catch (const TemplateError& e) {
          errors.push_back(rule_error(def, std::string(kind) + "." + k + ": " + e.what()));
        }
      }
    };
    check_templates(def.labels, "labels");
    check_templates(def.annotations, "annotations");
  }
  return errors;
}

struct RuleEngine::Impl {
  mutable std::mutex mu;  // held for a whole evaluation
  std::vector<CompiledRule> rules;
  // What readers see (/alerts, /metrics, the status page): the alerts as of
  // the last evaluation or restore, published whole, so that a reader never
  // waits for a rule round.
  mutable std::mutex published_mu;
  std::shared_ptr<const std::vector<Alert>> published = std::make_shared<const std::vector<Alert>>();
  // Likewise the history's figures for /metrics and its display series.
  std::shared_ptr<const std::vector<Sample>> published_history_samples = std::make_shared<const std::vector<Sample>>();
  std::shared_ptr<const HistorySnapshot> published_display = std::make_shared<const HistorySnapshot>();
  std::vector<promql::NodePtr> display_selectors;

  // Under `mu`.
  void publish() {
    auto all = std::make_shared<std::vector<Alert>>();
    for (const auto& rule : rules)
      for (auto& a : rule.state.alerts()) all->push_back(std::move(a));
    std::lock_guard lock(published_mu);
    published = std::move(all);
  }
  // Under `mu`.
  void publish_history() {
    auto figures = std::make_shared<std::vector<Sample>>();
    history.append_samples(*figures);
    auto display = display_selectors.empty() ? std::make_shared<HistorySnapshot>()
                                             : std::make_shared<HistorySnapshot>(history.display_snapshot());
    std::lock_guard lock(published_mu);
    published_history_samples = std::move(figures);
    published_display = std::move(display);
  }
  std::shared_ptr<const std::vector<Alert>> current() const {
    std::lock_guard lock(published_mu);
    return published;
  }
  // The last round's series, kept to be refreshed when the next round has
  // the same ones (sorting and indexing them is a good part of a round).
  std::unique_ptr<promql::SeriesSet> input;
  RuleHistory history;
};

RuleEngine::RuleEngine(const Config& config) : impl_(std::make_unique<Impl>()) {
  for (auto& def : rule_definitions(config)) {
    CompiledRule r;
    try {
      r.expr = promql::parse(def.expr);
      for (const auto& [k, v] : def.labels) r.labels.emplace_back(k, Template::parse(v));
      for (const auto& [k, v] : def.annotations) r.annotations.emplace_back(k, Template::parse(v));
    } catch (const std::exception& e) {
      throw std::invalid_argument("rule \"" + def.alert + "\" did not pass validate_rules(): " + e.what());
    }
    r.def = std::move(def);
    impl_->rules.push_back(std::move(r));
  }
  impl_->history = RuleHistory(static_cast<size_t>(config.alerts.history_max_samples));
  std::vector<const promql::Node*> exprs;
  for (const auto& r : impl_->rules) exprs.push_back(r.expr.get());
  impl_->history.set_needs(exprs);
  impl_->publish_history();
}

RuleEngine::~RuleEngine() = default;

void RuleEngine::evaluate(const SampleSequence& samples, TimePoint now) {
  double t = seconds_since_epoch(now);
  std::lock_guard lock(impl_->mu);
  if (!impl_->input || !impl_->input->refresh(samples)) {
    // The old index goes first: at 1,000 nodes each is tens of MB, and
    // holding both while the new one is built set the process's peak.
    promql::SeriesSet::Capacity expected = impl_->input ? impl_->input->capacity_used() : promql::SeriesSet::Capacity{};
    impl_->input.reset();
    impl_->input = std::make_unique<promql::SeriesSet>(samples, expected);
  }
  const promql::SeriesSet& input = *impl_->input;
  impl_->history.record(input, std::llround(t * 1000));
  promql::EvalOptions options;
  options.history = &impl_->history.history();
  for (auto& rule : impl_->rules) {
    std::vector<ReturnedAlert> found;
    try {
      found = instances(rule, promql::evaluate(*rule.expr, input, options, t));
    } catch (const promql::EvalError& e) {
      // Like Prometheus, a failed evaluation leaves the rule's alerts as they were.
      if (rule.last_error != e.what())
        spdlog::warn("rule {}: evaluation failed: {}", rule.def.alert, e.what());
      rule.last_error = e.what();
      continue;
    }
    rule.last_error.clear();
    rule.state.advance(std::move(found), now, rule.def.for_, rule.def.keep_firing_for);
  }
  impl_->publish();
  impl_->publish_history();
}

void RuleEngine::keep_for_display(const std::vector<std::string>& selectors, std::int64_t resolution_ms) {
  std::vector<promql::NodePtr> parsed;
  for (const auto& s : selectors) {
    try {
      parsed.push_back(promql::parse(s));
    } catch (const promql::ParseError& e) {
      throw std::invalid_argument("display selector \"" + s + "\": " + e.what());
    }
    if (parsed.back()->kind != promql::Node::Kind::Selector || !parsed.back()->range_selector)
      throw std::invalid_argument("display selector \"" + s + "\": not a range selector");
  }
  std::lock_guard lock(impl_->mu);
  impl_->display_selectors = std::move(parsed);
  std::vector<const promql::Node*> nodes;
  for (const auto& n : impl_->display_selectors) nodes.push_back(n.get());
  impl_->history.set_display_needs(nodes, resolution_ms);
  impl_->publish_history();
}

std::shared_ptr<const HistorySnapshot> RuleEngine::display_history() const {
  std::lock_guard lock(impl_->published_mu);
  return impl_->published_display;
}

std::vector<Alert> RuleEngine::alerts() const { return *impl_->current(); }

std::vector<Alert> RuleEngine::active_alerts() const {
  const auto all = impl_->current();
  std::vector<Alert> out;
  for (const auto& a : *all)
    if (a.state != AlertState::Inactive) out.push_back(a);
  return out;
}

nlohmann::json RuleEngine::save_state() const {
  std::lock_guard lock(impl_->mu);
  nlohmann::json rules = nlohmann::json::array();
  for (const auto& rule : impl_->rules) {
    nlohmann::json inst = rule.state.save();
    if (inst.empty()) continue;
    rules.push_back({{"alert", rule.def.alert}, {"expr", rule.def.expr}, {"instances", std::move(inst)}});
  }
  return {{"version", 1}, {"rules", std::move(rules)}};
}

StateText RuleEngine::save_state_text() const {
  std::lock_guard lock(impl_->mu);
  StateText out;
  out.significant("{\"rules\":[");
  bool first = true;
  for (const auto& rule : impl_->rules) {
    if (rule.state.empty()) continue;
    out.significant(first ? "{" : ",{");
    first = false;
    out.significant("\"alert\":" + json_text(nlohmann::json(rule.def.alert)) +
                    ",\"expr\":" + json_text(nlohmann::json(rule.def.expr)) + ",\"instances\":");
    rule.state.write(out);
    out.significant("}");
  }
  out.significant("],\"version\":1}");
  return out;
}

void RuleEngine::restore_state(const nlohmann::json& state) {
  std::lock_guard lock(impl_->mu);
  // Validate everything into copies first, so bad input changes nothing.
  std::vector<RuleState> restored(impl_->rules.size());
  std::vector<bool> touched(impl_->rules.size(), false);
  try {
    if (!state.is_object() || state.value("version", 0) != 1 || !state.contains("rules") || !state["rules"].is_array())
      throw std::invalid_argument("expected {\"version\": 1, \"rules\": [...]}");
    for (const auto& entry : state["rules"]) {
      std::string alert = entry.at("alert").get<std::string>();
      std::string expr = entry.at("expr").get<std::string>();
      // State belongs to the rule with the same name and expression; rules
      // changed since it was saved start afresh.
      for (size_t i = 0; i < impl_->rules.size(); ++i) {
        if (touched[i] || impl_->rules[i].def.alert != alert || impl_->rules[i].def.expr != expr) continue;
        restored[i].restore(entry.at("instances"));
        touched[i] = true;
        break;
      }
    }
  } catch (const std::exception& e) {
    spdlog::warn("ignoring saved alert state: {}", e.what());
    return;
  }
  for (size_t i = 0; i < impl_->rules.size(); ++i)
    if (touched[i]) impl_->rules[i].state = std::move(restored[i]);
  impl_->publish();
}

nlohmann::json RuleEngine::save_history() const {
  std::lock_guard lock(impl_->mu);
  return impl_->history.save();
}

void RuleEngine::restore_history(const nlohmann::json& saved) {
  std::lock_guard lock(impl_->mu);
  try {
    impl_->history.restore(saved);
  } catch (const std::exception& e) {
    spdlog::warn("ignoring saved rule history: {}", e.what());
  }
  impl_->publish_history();
}

void RuleEngine::append_samples(std::vector<Sample>& out) const {
  {
    // The published figures: a scrape never waits for a rule round.
    std::lock_guard lock(impl_->published_mu);
    out.insert(out.end(), impl_->published_history_samples->begin(), impl_->published_history_samples->end());
  }
  // One sample per (alertname, severity, state) whose value is the number of
  // instances in that state: several instances of one rule (one per node)
  // would otherwise produce duplicate series.
  std::map<std::tuple<std::string, std::string, std::string>, double> counts;
  const auto all = impl_->current();
  for (const auto& a : *all)
    if (a.state != AlertState::Inactive) counts[{a.name(), a.severity(), alert_state_name(a.state)}] += 1;
  for (const auto& [key, n] : counts) {
    Labels l = {{"alertname", std::get<0>(key)}, {"severity", std::get<1>(key)}, {"state", std::get<2>(key)}};
    normalize(l);
    out.push_back(Sample{"pgwarden_alerts", std::move(l), n});
  }
}

}  // namespace pgw
