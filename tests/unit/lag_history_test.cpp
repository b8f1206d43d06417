// The history behind the status page's lag graphs: display needs keep the
// standby lag series an hour when no rule needs them, under the same bound
// and through the same save/restore; the engine publishes them for the page;
// the page draws one row of two graphs per standby.
#include <string>

#include <gtest/gtest.h>

#include "alerts/promql_parser.h"
#include "alerts/rule_engine.h"
#include "alerts/rule_history.h"
#include "exporter/status_page.h"
#include "tests/fixtures/xml_wellformed.h"

namespace pgw {
namespace {

using promql::SeriesSet;

constexpr std::int64_t kMinute = 60 * 1000;

std::vector<Sample> lag_round(double bytes, double seconds) {
  return {{"pgwarden_cluster_lag_bytes", {{"cluster", "c"}, {"primary", "alpha"}, {"standby", "beta"}}, bytes},
          {"pgwarden_replication_lag_seconds",
           {{"cluster", "c"}, {"node", "alpha"}, {"application_name", "beta"}, {"client_addr", "127.0.0.1"},
            {"stage", "replay"}},
           seconds},
          {"pgwarden_replication_lag_seconds",
           {{"cluster", "c"}, {"node", "alpha"}, {"application_name", "beta"}, {"client_addr", "127.0.0.1"},
            {"stage", "flush"}},
           seconds},
          {"pgwarden_node_up", {{"cluster", "c"}, {"node", "alpha"}}, 1}};
}

struct Needs {
  std::vector<promql::NodePtr> parsed;
  std::vector<const promql::Node*> nodes;
  Needs() {
    for (const auto& s : status_page_history_needs().selectors) {
      parsed.push_back(promql::parse(s));
      nodes.push_back(parsed.back().get());
    }
  }
};

Config two_node_config(const std::string& standby) {
  Config c;
  ClusterConfig cl;
  cl.name = "c";
  NodeConfig a;
  a.name = "alpha";
  a.role = Role::Primary;
  NodeConfig b;
  b.name = standby;
  b.role = Role::Standby;
  cl.nodes = {a, b};
  c.clusters = {cl};
  return c;
}

// The cells of the lag row of `standby`, or "".
std::string lag_row(const std::string& page, const std::string& standby) {
  std::string start = "<tr class=\"lag\" data-standby=\"" + standby + "\">";
  size_t b = page.find(start);
  if (b == std::string::npos) return "";
  b += start.size();
  return page.substr(b, page.find("</tr>", b) - b);
}

std::vector<std::string> svgs(const std::string& page) {
  std::vector<std::string> out;
  for (size_t p = page.find("<svg"); p != std::string::npos; p = page.find("<svg", p + 1)) {
    size_t e = page.find("</svg>", p);
    if (e == std::string::npos) break;
    out.push_back(page.substr(p, e + 6 - p));
  }
  return out;
}

TEST(LagHistory, DisplayNeedsKeepTheLagSeriesAnHourWithoutAnyRule) {
  EXPECT_EQ(status_page_history_needs().selectors,
            (std::vector<std::string>{"pgwarden_cluster_lag_bytes[1h]",
                                      "pgwarden_replication_lag_seconds{stage=\"replay\"}[1h]"}));
  Needs needs;
  RuleHistory rh(100000);
  rh.set_needs({});
  EXPECT_FALSE(rh.needed());
  rh.set_display_needs(needs.nodes);
  EXPECT_TRUE(rh.needed());
  // Two hours at one round every 10 s.
  for (int i = 0; i <= 720; ++i) rh.record(SeriesSet(lag_round(100.0 * i, 0.01 * i)), i * 10000);
  // Bytes and the replay stage's seconds; not the flush stage, not node_up.
  EXPECT_EQ(rh.history().series_count(), 2u);
  EXPECT_EQ(rh.history().sample_count(), 2u * 361);  // an hour at 10 s, both ends inclusive
  HistorySnapshot snap = rh.display_snapshot();
  EXPECT_EQ(snap.at_ms, 7200 * 1000);
  ASSERT_EQ(snap.series.size(), 2u);
  for (const auto& s : snap.series) {
    ASSERT_EQ(s.points.size(), 361u);
    EXPECT_EQ(s.points.front().t, 3600 * 1000);
    EXPECT_EQ(s.points.back().t, 7200 * 1000);
  }
  // Without display needs nothing of it is kept: the built-in rules do not need these series.
  RuleEngine engine(Config{});
  for (int i = 0; i < 5; ++i) engine.evaluate(lag_round(1, 1), TimePoint(std::chrono::seconds(10 * i)));
  EXPECT_TRUE(engine.display_history()->series.empty());
  const nlohmann::json saved = engine.save_history();  // a named copy: the loop must not outlive it
  for (const auto& s : saved["series"]) {
    std::string name = s["labels"]["__name__"];
    EXPECT_NE(name, "pgwarden_cluster_lag_bytes");
    EXPECT_NE(name, "pgwarden_replication_lag_seconds");
  }
}

TEST(LagHistory, DisplayNeedsCountAgainstTheBound) {
  Needs needs;
  RuleHistory rh(100);
  rh.set_display_needs(needs.nodes);
  for (int i = 0; i < 200; ++i) rh.record(SeriesSet(lag_round(i, i)), i * 10000);
  EXPECT_LE(rh.history().sample_count(), 100u);
  EXPECT_EQ(rh.dropped_samples(), 400u - rh.history().sample_count());
  // The newest points stay.
  HistorySnapshot snap = rh.display_snapshot();
  ASSERT_FALSE(snap.series.empty());
  EXPECT_EQ(snap.series[0].points.back().t, 199 * 10000);
}

TEST(LagHistory, DisplayNeedsSurviveSaveAndRestore) {
  Needs needs;
  RuleHistory rh(100000);
  rh.set_display_needs(needs.nodes);
  for (int i = 0; i < 30; ++i) rh.record(SeriesSet(lag_round(i, i)), i * 10000);
  rh.record(SeriesSet(std::vector<Sample>{}), 30 * 10000);  // the standby vanished: stale
  auto saved = rh.save();

  RuleHistory restored(100000);
  restored.set_display_needs(needs.nodes);
  restored.restore(saved);
  HistorySnapshot snap = restored.display_snapshot();
  EXPECT_EQ(snap.at_ms, 30 * 10000);  // the restored history's last round, before any new one
  ASSERT_EQ(snap.series.size(), 2u);
  EXPECT_EQ(snap.series[0].points.size(), 30u);
  EXPECT_EQ(snap.series[0].stale, std::vector<std::int64_t>{30 * 10000});

  // Without the display needs (e.g. `check`) a restore keeps none of it.
  RuleHistory plain(100000);
  plain.restore(saved);
  EXPECT_EQ(plain.history().series_count(), 0u);
}

// Only what no rule needs is thinned: a graph pixel spans more than a round.
TEST(LagHistory, DisplayOnlySeriesAreThinnedToTheResolution) {
  Needs needs;
  auto rule = promql::parse("max_over_time(pgwarden_cluster_lag_bytes[1h]) > 0");
  RuleHistory rh(100000);
  rh.set_needs({rule.get()});
  rh.set_display_needs(needs.nodes, 15000);
  const std::int64_t end = 7200 * 1000;
  for (std::int64_t t = 0; t <= end; t += 2000) rh.record(SeriesSet(lag_round(t, t)), t);
  HistorySnapshot snap = rh.display_snapshot();
  ASSERT_EQ(snap.series.size(), 2u);
  const auto& bytes = snap.series[0];
  const auto& seconds = snap.series[1];
  ASSERT_EQ(label_value(bytes.labels, "__name__"), "pgwarden_cluster_lag_bytes");
  EXPECT_EQ(bytes.points.size(), 1801u);  // a rule needs it: every round of the hour
  ASSERT_GE(seconds.points.size(), 3600u / 17);
  EXPECT_LE(seconds.points.size(), 3600u / 15 + 2);
  EXPECT_EQ(seconds.points.back().t, end);  // the latest is always there
  for (size_t i = 1; i + 1 < seconds.points.size(); ++i) {
    std::int64_t step = seconds.points[i].t - seconds.points[i - 1].t;
    EXPECT_GE(step, 15000);
    EXPECT_LT(step, 15000 + 2000);
  }
  EXPECT_EQ(rh.history().sample_count(), bytes.points.size() + seconds.points.size());

  // On the page that is one unbroken line (the gap allowance covers the resolution).
  RuleEngine engine(Config{});
  const auto& page_needs = status_page_history_needs();
  engine.keep_for_display(page_needs.selectors, page_needs.resolution_ms);
  for (int i = 0; i < 100; ++i)
    engine.evaluate(lag_round(i, i), TimePoint(std::chrono::milliseconds(i * 2000)));
  Config config = two_node_config("beta");
  config.exporter.interval = Duration(2000);
  config.exporter.timeout = Duration(2000);
  std::string page = render_status_page(config, {}, {}, {}, engine.display_history().get());
  auto graphs = svgs(lag_row(page, "beta"));
  ASSERT_EQ(graphs.size(), 2u);
  for (const auto& g : graphs) {
    EXPECT_EQ(g.find("<polyline"), g.rfind("<polyline")) << g;
    EXPECT_NE(g.find("<polyline"), std::string::npos) << g;
    EXPECT_EQ(g.find("data-points=\"100\""), std::string::npos) << "not thinned: " << g;
  }
}

TEST(LagHistory, EnginePublishesTheDisplayHistoryAndRestoresIt) {
  RuleEngine engine(Config{});
  engine.keep_for_display(status_page_history_needs().selectors);
  for (int i = 0; i < 4; ++i) engine.evaluate(lag_round(10.0 * i, 0.5), TimePoint(std::chrono::milliseconds(i * kMinute)));
  auto snap = engine.display_history();
  ASSERT_EQ(snap->series.size(), 2u);
  EXPECT_EQ(snap->series[0].points.size(), 4u);
  EXPECT_EQ(snap->at_ms, 3 * kMinute);
  // Published whole: a later round does not change what a reader holds.
  engine.evaluate(lag_round(99, 0.5), TimePoint(std::chrono::milliseconds(4 * kMinute)));
  EXPECT_EQ(snap->series[0].points.size(), 4u);
  EXPECT_EQ(engine.display_history()->series[0].points.size(), 5u);
  std::vector<Sample> figures;
  engine.append_samples(figures);
  bool counted = false;
  for (const auto& f : figures)
    if (f.name == "pgwarden_rule_history_samples") counted = f.value >= 10;  // the figures are published too
  EXPECT_TRUE(counted);

  RuleEngine restarted(Config{});
  restarted.keep_for_display(status_page_history_needs().selectors);
  restarted.restore_history(engine.save_history());
  EXPECT_EQ(restarted.display_history()->series.size(), 2u);
  EXPECT_EQ(restarted.display_history()->at_ms, 4 * kMinute);

  EXPECT_THROW(engine.keep_for_display({"pgwarden_cluster_lag_bytes["}), std::invalid_argument);
  EXPECT_THROW(engine.keep_for_display({"pgwarden_cluster_lag_bytes"}), std::invalid_argument);  // no range
}

TEST(LagHistory, StatusPageDrawsBytesAndSecondsPerStandby) {
  RuleEngine engine(Config{});
  engine.keep_for_display(status_page_history_needs().selectors);
  for (int i = 0; i < 6; ++i)
    engine.evaluate(lag_round(1048576.0 * i, 0.2 * i), TimePoint(std::chrono::milliseconds(i * 10000)));
  std::string page = render_status_page(two_node_config("beta"), {}, {}, {}, engine.display_history().get());
  EXPECT_NE(page.find("<table class=\"lag\" id=\"lag-c\">"), std::string::npos) << page;
  auto graphs = svgs(lag_row(page, "beta"));
  ASSERT_EQ(graphs.size(), 2u);
  for (const auto& g : graphs) {
    EXPECT_EQ(test::xml_wellformed_error(g), "") << g;
    EXPECT_NE(g.find("data-points=\"6\""), std::string::npos) << g;
  }
  EXPECT_NE(graphs[0].find("data-unit=\"bytes\""), std::string::npos);
  EXPECT_NE(graphs[0].find(">last 5.0 MiB<"), std::string::npos) << graphs[0];
  EXPECT_NE(graphs[1].find("data-unit=\"seconds\""), std::string::npos);
  EXPECT_NE(graphs[1].find(">last 1 s<"), std::string::npos) << graphs[1];

  // A walsender that is no configured node or expected standby (here a
  // logical subscription) gets no row; an expected one does.
  std::vector<Sample> subscriber = lag_round(1, 1);
  for (auto& smp : subscriber)
    for (auto& [k, v] : smp.labels)
      if (k == "application_name") v = "kb_documents";
  subscriber.erase(subscriber.begin());  // no cross-node byte lag for it
  engine.evaluate(subscriber, TimePoint(std::chrono::milliseconds(60000)));
  engine.evaluate(subscriber, TimePoint(std::chrono::milliseconds(70000)));
  Config config = two_node_config("beta");
  EXPECT_EQ(render_status_page(config, {}, {}, {}, engine.display_history().get()).find("kb_documents"),
            std::string::npos);
  config.clusters[0].nodes[0].expected_standbys = {"kb_documents"};
  EXPECT_EQ(svgs(lag_row(render_status_page(config, {}, {}, {}, engine.display_history().get()), "kb_documents")).size(),
            2u);

  // No history: no graphs, the page still renders.
  EXPECT_EQ(render_status_page(two_node_config("beta"), {}, {}, {}, nullptr).find("<svg"), std::string::npos);
}

TEST(LagHistory, HostileStandbyNamesAreEscapedInTheGraphs) {
  const std::string evil = "</title><script>alert(1)</script>\"&'\x01";
  std::vector<Sample> round = {
      {"pgwarden_cluster_lag_bytes", {{"cluster", "c"}, {"primary", evil}, {"standby", evil}}, 1},
      {"pgwarden_replication_lag_seconds",
       {{"cluster", "c"}, {"node", evil}, {"application_name", evil + "2"}, {"stage", "replay"}},
       1}};
  RuleEngine engine(Config{});
  engine.keep_for_display(status_page_history_needs().selectors);
  engine.evaluate(round, TimePoint(std::chrono::seconds(1)));
  engine.evaluate(round, TimePoint(std::chrono::seconds(2)));
  Config config = two_node_config(evil);
  config.clusters[0].expected_standbys = {evil + "2"};
  std::string page = render_status_page(config, {}, {}, {}, engine.display_history().get());
  EXPECT_EQ(page.find("<script"), std::string::npos) << page;
  auto graphs = svgs(page);
  ASSERT_EQ(graphs.size(), 4u);  // two standbys (the names differ), two graphs each
  for (const auto& g : graphs) EXPECT_EQ(test::xml_wellformed_error(g), "") << g;
}

}  // namespace
}  // namespace pgw
