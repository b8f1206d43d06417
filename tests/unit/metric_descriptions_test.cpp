// Metric descriptions live beside the code that emits them
// (PGW_DESCRIBE_METRICS); these tests hold the catalog they add up to:
// nothing described twice differently, counters exactly the _total metrics,
// and every selector of the built-in rules names a described metric (a typo
// in a rule, or a metric whose description was forgotten, fails here).
// tests/integration/metric_descriptions_test.cpp checks what checks emit on
// a real cluster.
#include <functional>
#include <set>

#include <gtest/gtest.h>

#include "alerts/builtin_rules.h"
#include "alerts/promql_parser.h"
#include "core/config.h"
#include "core/metric_catalog.h"

namespace pgw {
namespace {

TEST(MetricDescriptions, NoMetricIsDescribedTwiceDifferently) {
  auto conflicts = metric_description_conflicts();
  EXPECT_TRUE(conflicts.empty()) << "described twice, differently: " << conflicts.front();
}

TEST(MetricDescriptions, CountersAreExactlyTheTotalMetricsAndEveryOneHasHelp) {
  auto all = all_metrics();
  ASSERT_GE(all.size(), 50u);
  for (const auto& m : all) {
    EXPECT_EQ(m.name.rfind("pgwarden_", 0), 0u) << m.name;
    EXPECT_FALSE(m.help.empty()) << m.name;
    bool total = m.name.size() > 6 && m.name.ends_with("_total");
    EXPECT_EQ(m.type == MetricType::Counter, total) << m.name << " is described as a "
                                                    << (m.type == MetricType::Counter ? "counter" : "gauge");
  }
}

void selectors(const promql::Node& n, std::set<std::string>& out) {
  if (n.kind == promql::Node::Kind::Selector) out.insert(n.metric);
  for (const auto& a : n.args)
    if (a) selectors(*a, out);
}

TEST(MetricDescriptions, EveryBuiltinRuleSelectorNamesADescribedMetric) {
  Config config;
  auto rules = builtin_rules(config);
  ASSERT_GE(rules.size(), 20u);
  size_t seen = 0;
  for (const auto& r : rules) {
    std::set<std::string> names;
    selectors(*promql::parse(r.expr), names);
    for (const auto& name : names) {
      ++seen;
      EXPECT_FALSE(name.empty()) << r.alert << ": a selector without a metric name";
      EXPECT_TRUE(find_metric(name).has_value()) << r.alert << ": " << name << " is not described";
    }
  }
  EXPECT_GE(seen, rules.size() - 1);  // Watchdog has no selector
}

// The check catches what it should: an undescribed name is not found.
TEST(MetricDescriptions, UndescribedNamesAreNotFound) {
  EXPECT_FALSE(find_metric("pgwarden_no_such_metric").has_value());
  EXPECT_TRUE(find_metric("pgwarden_node_up").has_value());
  EXPECT_EQ(find_metric("pgwarden_archiver_failed_total")->type, MetricType::Counter);
}

}  // namespace
}  // namespace pgw
