#include <cmath>

#include <gtest/gtest.h>

#include "alerts/rule_engine.h"
#include "alerts/rules_export.h"

using namespace pgw;
using namespace std::chrono_literals;

namespace {

Config config_with(std::vector<RuleConfig> rules) {
  Config c;
  c.alerts.builtin = false;
  c.rules = std::move(rules);
  return c;
}

RuleConfig rule(std::string alert, std::string expr, Duration for_ = Duration(0), Duration keep = Duration(0)) {
  RuleConfig r;
  r.alert = std::move(alert);
  r.expr = std::move(expr);
  r.for_ = for_;
  r.keep_firing_for = keep;
  r.annotations["summary"] = "{{ $labels.node }} lag {{ $value | humanize1024 }}B";
  return r;
}

std::vector<Sample> lag(double a, std::optional<double> b = std::nullopt) {
  std::vector<Sample> s = {{"lag", {{"node", "a"}, {"cluster", "c"}}, a}};
  if (b) s.push_back({"lag", {{"node", "b"}, {"cluster", "c"}}, *b});
  return s;
}

const TimePoint t0 = TimePoint(std::chrono::seconds(1'700'000'000));

}  // namespace

TEST(RuleEngine, PendingThenFiringAfterFor) {
  RuleEngine e(config_with({rule("LagHigh", "lag > 100", Duration(60s))}));
  e.evaluate(lag(2048), t0);
  auto a = e.alerts();
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].state, AlertState::Pending);
  EXPECT_EQ(a[0].name(), "LagHigh");
  EXPECT_EQ(a[0].severity(), "warning");
  EXPECT_EQ(label_value(a[0].labels, "node"), "a");
  EXPECT_EQ(label_value(a[0].labels, "__name__"), "");
  EXPECT_EQ(a[0].annotations.at("summary"), "a lag 2kiB");
  EXPECT_EQ(a[0].value, 2048);
  e.evaluate(lag(4096), t0 + 59s);
  EXPECT_EQ(e.alerts()[0].state, AlertState::Pending);
  EXPECT_EQ(e.alerts()[0].annotations.at("summary"), "a lag 4kiB");  // refreshed every round
  e.evaluate(lag(4096), t0 + 60s);
  a = e.alerts();
  EXPECT_EQ(a[0].state, AlertState::Firing);
  EXPECT_EQ(a[0].active_at, t0);
  EXPECT_EQ(a[0].fired_at, t0 + 60s);
}

TEST(RuleEngine, PendingIsDroppedFiringIsResolvedAndKept15Minutes) {
  RuleEngine e(config_with({rule("LagHigh", "lag > 100", Duration(30s))}));
  e.evaluate(lag(200, 300), t0);
  e.evaluate(lag(200, 300), t0 + 30s);
  ASSERT_EQ(e.active_alerts().size(), 2u);
  e.evaluate(lag(200, 5), t0 + 40s);  // b recovers
  auto all = e.alerts();
  ASSERT_EQ(all.size(), 2u);
  ASSERT_EQ(e.active_alerts().size(), 1u);
  for (const auto& a : all)
    if (label_value(a.labels, "node") == "b") {
      EXPECT_EQ(a.state, AlertState::Inactive);
      EXPECT_EQ(a.resolved_at, t0 + 40s);
    }
  e.evaluate(lag(200, 5), t0 + 40s + 15min);
  EXPECT_EQ(e.alerts().size(), 2u);  // still within retention
  e.evaluate(lag(200, 5), t0 + 41s + 15min);
  EXPECT_EQ(e.alerts().size(), 1u);

  RuleEngine p(config_with({rule("LagHigh", "lag > 100", Duration(30s))}));
  p.evaluate(lag(200), t0);
  p.evaluate(lag(5), t0 + 10s);
  EXPECT_TRUE(p.alerts().empty());  // pending never resolves, it vanishes
}

TEST(RuleEngine, KeepFiringFor) {
  RuleEngine e(config_with({rule("LagHigh", "lag > 100", Duration(0), Duration(60s))}));
  e.evaluate(lag(200), t0);
  EXPECT_EQ(e.alerts()[0].state, AlertState::Firing);  // for 0 fires at once
  e.evaluate(lag(5), t0 + 10s);
  EXPECT_EQ(e.alerts()[0].state, AlertState::Firing);
  e.evaluate(lag(5), t0 + 69s);
  EXPECT_EQ(e.alerts()[0].state, AlertState::Firing);
  e.evaluate(lag(5), t0 + 70s);
  EXPECT_EQ(e.alerts()[0].state, AlertState::Inactive);
  EXPECT_EQ(e.alerts()[0].resolved_at, t0 + 70s);
}

TEST(RuleEngine, RuleLabelsOverrideAndAreTemplated) {
  RuleConfig r = rule("LagHigh", "lag > 100");
  r.labels["node"] = "{{ $labels.node }}-x";
  r.labels["team"] = "db";
  r.severity = "critical";
  RuleEngine e(config_with({r}));
  e.evaluate(lag(200), t0);
  auto a = e.alerts();
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(label_value(a[0].labels, "node"), "a-x");
  EXPECT_EQ(label_value(a[0].labels, "team"), "db");
  EXPECT_EQ(a[0].severity(), "critical");
  EXPECT_EQ(label_value(a[0].labels, "cluster"), "c");
}

TEST(RuleEngine, DuplicateLabelsetAfterRuleLabelsKeepsPreviousState) {
  RuleConfig r = rule("LagHigh", "lag > 100");
  r.labels["node"] = "same";
  RuleEngine e(config_with({r}));
  e.evaluate(lag(200, 300), t0);
  EXPECT_TRUE(e.alerts().empty());
}

TEST(RuleEngine, SaveAndRestoreKeepsTimersAndDoesNotRefire) {
  Config c = config_with({rule("LagHigh", "lag > 100", Duration(60s)), rule("Other", "lag > 1000")});
  RuleEngine e(c);
  e.evaluate(lag(200, 2000), t0);
  nlohmann::json saved = e.save_state();

  RuleEngine r(c);
  r.restore_state(nlohmann::json::parse(saved.dump()));
  auto before = e.alerts(), after = r.alerts();
  ASSERT_EQ(after.size(), before.size());
  r.evaluate(lag(200, 2000), t0 + 60s);
  for (const auto& a : r.alerts()) {
    EXPECT_EQ(a.state, AlertState::Firing);
    if (a.name() == "LagHigh") {
      EXPECT_EQ(a.active_at, t0);  // the `for` timer survived
    }
    if (a.name() == "Other") {
      EXPECT_EQ(a.fired_at, t0);  // not re-fired
    }
  }

  RuleEngine bad(c);
  bad.restore_state(nlohmann::json{{"version", 1}, {"rules", {{{"alert", "LagHigh"}, {"expr", "lag > 100"},
                                                               {"instances", {{{"labels", 3}}}}}}}});
  EXPECT_TRUE(bad.alerts().empty());  // malformed state changes nothing
  bad.restore_state(nlohmann::json("garbage"));
  EXPECT_TRUE(bad.alerts().empty());
}

nlohmann::json reparsed(const nlohmann::json& j) { return nlohmann::json::parse(j.dump()); }

// The state file is written as text without a document; it must be the
// same document, and its significant digest must ignore lastEval and value
// (which change every round) but nothing else.
TEST(RuleEngine, StateTextIsTheSavedDocumentWithADigestOfWhatMatters) {
  RuleConfig r = rule("LagHigh", "lag > 100", Duration(60s));
  // Annotations are significant: these do not follow the value.
  r.annotations["summary"] = "lag \"high\" on {{ $labels.node }}\n\u00e9";
  RuleConfig other = rule("Other", "lag > 1000");
  other.annotations["summary"] = "{{ $labels.node }}";
  Config c = config_with({r, other});
  RuleEngine e(c);
  StateText empty = e.save_state_text();
  EXPECT_EQ(nlohmann::json::parse(empty.text), reparsed(e.save_state()));

  e.evaluate(lag(200, 2000), t0);
  StateText first = e.save_state_text();
  EXPECT_EQ(nlohmann::json::parse(first.text), reparsed(e.save_state())) << first.text;
  EXPECT_NE(first.significant_digest, empty.significant_digest);

  // Next round, the same alerts with other values: only lastEval and value moved.
  e.evaluate(lag(300, 2500), t0 + 15s);
  StateText second = e.save_state_text();
  EXPECT_EQ(nlohmann::json::parse(second.text), reparsed(e.save_state()));
  EXPECT_NE(second.text, first.text);
  EXPECT_EQ(second.significant_digest, first.significant_digest);

  // LagHigh turns firing: significant.
  e.evaluate(lag(300, 2500), t0 + 60s);
  EXPECT_NE(e.save_state_text().significant_digest, second.significant_digest);

  // NaN has no JSON form: null, as the document writes it.
  e.evaluate({Sample{"lag", {{"cluster", "c"}, {"node", "a"}}, std::nan("")}}, t0 + 75s);
  EXPECT_EQ(nlohmann::json::parse(e.save_state_text().text), reparsed(e.save_state()));
}

TEST(RuleEngine, AppendSamplesCountsInstancesPerNameSeverityState) {
  RuleEngine e(config_with({rule("LagHigh", "lag > 100", Duration(60s))}));
  e.evaluate(lag(200, 300), t0);
  std::vector<Sample> all, out;
  e.append_samples(all);
  for (auto& s : all)  // the rest are pgwarden_rule_history_*
    if (s.name == "pgwarden_alerts") out.push_back(s);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].value, 2);
  EXPECT_EQ(out[0].labels, (Labels{{"alertname", "LagHigh"}, {"severity", "warning"}, {"state", "pending"}}));
}

TEST(RuleEngine, ValidateRulesReportsPositionAndColumn) {
  RuleConfig r = rule("Bad", "lag{node=\"a\", =}");
  r.expr_pos = SourcePos{"x.toml", 7, 8};
  RuleConfig t = rule("BadTemplate", "lag > 1");
  t.annotations["summary"] = "{{ $labels.node ";
  auto errors = validate_rules(config_with({r, t}));
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].pos.line, 7);
  EXPECT_NE(errors[0].message.find("unexpected \"=\" at column 15, expected label name"), std::string::npos);
  EXPECT_NE(errors[1].message.find("annotations.summary"), std::string::npos);
  Config ok;
  EXPECT_TRUE(validate_rules(ok).empty()) << validate_rules(ok)[0].message;
}

TEST(RuleEngine, ExportYamlQuotesEverything) {
  RuleConfig r = rule("Custom", "lag{node=\"a: b\"} > 1 # x", Duration(90s), Duration(5min));
  r.annotations["summary"] = "it's \"quoted\": {{ $value }}\nnext";
  std::string y = export_rules_yaml(config_with({r}));
  EXPECT_NE(y.find("      - alert: \"Custom\"\n        expr: \"lag{node=\\\"a: b\\\"} > 1 # x\"\n"
                   "        for: \"1m30s\"\n        keep_firing_for: \"5m\"\n"),
            std::string::npos) << y;
  EXPECT_NE(y.find("\"summary\": \"it's \\\"quoted\\\": {{ $value }}\\nnext\""), std::string::npos) << y;
}

TEST(Alert, FingerprintIsFnv1aOfSortedLabelsAndStateNames) {
  Alert empty;
  EXPECT_EQ(empty.fingerprint(), "cbf29ce484222325");  // FNV-1a 64 offset basis, as Prometheus
  Alert a, b;
  a.labels = {{"alertname", "X"}, {"node", "a"}};
  b.labels = {{"node", "a"}, {"alertname", "X"}};
  EXPECT_EQ(a.fingerprint(), b.fingerprint());
  EXPECT_EQ(a.fingerprint().size(), 16u);
  b.labels = {{"node", "b"}, {"alertname", "X"}};
  EXPECT_NE(a.fingerprint(), b.fingerprint());
  EXPECT_STREQ(alert_state_name(AlertState::Inactive), "inactive");
  EXPECT_STREQ(alert_state_name(AlertState::Pending), "pending");
  EXPECT_STREQ(alert_state_name(AlertState::Firing), "firing");
}
