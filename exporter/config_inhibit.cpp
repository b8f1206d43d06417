// [[inhibit_rules]]: Alertmanager's source_matchers, target_matchers and
// equal. Each matcher string is parsed here so that a typo is reported with
// its file:line:col instead of silently matching nothing.
#include "alerts/matcher.h"
#include "exporter/config_sections.h"
#include "exporter/config_values.h"

namespace pgw::config_detail {
namespace {

void read_matchers(TableReader& r, std::string_view key, ErrorSink& sink,
                   std::vector<std::string>& out) {
  if (!r.strings(key, out)) return;
  const auto* arr = r.table().get(key)->as_array();
  for (size_t i = 0; i < out.size(); ++i) {
    std::string error;
    size_t offset = 0;
    if (!LabelMatcher::parse(out[i], error, offset))
      sink.add(*arr->get(i), r.key_path(key) + "[" + std::to_string(i) + "]",
               show(out[i]) + ": " + error + " (at character " + std::to_string(offset + 1) +
                   "; expected e.g. 'alertname=\"PgNodeDown\"' or 'severity=~\"warning|info\"')");
  }
}

void read_inhibit_rule(const toml::table& t, const std::string& path, ErrorSink& sink,
                       InhibitRuleConfig& rule) {
  TableReader r(t, path, sink);
  rule.pos = sink.pos(t);
  read_matchers(r, "source_matchers", sink, rule.source_matchers);
  read_matchers(r, "target_matchers", sink, rule.target_matchers);
  if (r.strings("equal", rule.equal)) {
    const auto* arr = t.get("equal")->as_array();
    for (size_t i = 0; i < rule.equal.size(); ++i)
      if (auto err = check_label_name(rule.equal[i]))
        sink.add(*arr->get(i), r.key_path("equal") + "[" + std::to_string(i) + "]", *err);
  }
  // Alertmanager accepts empty matcher lists (they match every alert); an
  // empty source here would inhibit everything by anything, which is never
  // what a user meant.
  if (rule.source_matchers.empty())
    sink.add(rule.pos, path + ".source_matchers: missing or empty (name the alerts that inhibit, "
                              "e.g. ['alertname=\"PgNodeDown\"'])");
  if (rule.target_matchers.empty())
    sink.add(rule.pos, path + ".target_matchers: missing or empty (name the alerts to inhibit, "
                              "e.g. ['severity=~\"warning|info\"'])");
  r.finish();
}

}  // namespace

void read_inhibit_rules(TableReader& root, LoadState& st, std::vector<InhibitRuleConfig>& out) {
  auto tables = root.tables("inhibit_rules");
  for (size_t i = 0; i < tables.size(); ++i) {
    InhibitRuleConfig rule;
    read_inhibit_rule(*tables[i], "inhibit_rules[" + std::to_string(i) + "]", st.sink, rule);
    out.push_back(std::move(rule));
  }
}

}  // namespace pgw::config_detail
