// render_text() and render_metrics(): the /metrics body written straight
// from samples and from the snapshot store.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "exporter/metrics_render.h"

namespace pgw {
namespace {

TEST(MetricsRender, GroupsSortsAndWritesHelpAndTypeOncePerFamily) {
  std::vector<Sample> in = {
      {"pgwarden_node_up", {{"cluster", "aya"}, {"node", "beta"}}, 0},
      {"pgwarden_archiver_failed_total", {{"cluster", "aya"}, {"node", "alpha"}}, 3},
      {"pgwarden_node_up", {{"cluster", "aya"}, {"node", "alpha"}}, 1},
  };
  EXPECT_EQ(render_text(in),
            "# HELP pgwarden_archiver_failed_total Failed attempts to archive WAL files.\n"
            "# TYPE pgwarden_archiver_failed_total counter\n"
            "pgwarden_archiver_failed_total{cluster=\"aya\",node=\"alpha\"} 3\n"
            "# HELP pgwarden_node_up 1 when PostgreSQL on the node was reachable this round.\n"
            "# TYPE pgwarden_node_up gauge\n"
            "pgwarden_node_up{cluster=\"aya\",node=\"alpha\"} 1\n"
            "pgwarden_node_up{cluster=\"aya\",node=\"beta\"} 0\n");
}

TEST(MetricsRender, NormalizesLabelsKeepsTheLastDuplicateAndEscapes) {
  std::vector<Sample> in = {
      {"custom_metric", {{"node", "a"}, {"cluster", "c"}, {"empty", ""}}, 1},
      {"custom_metric", {{"cluster", "c"}, {"node", "a"}}, 2},
      {"custom_metric", {{"cluster", "c"}, {"node", "x\\\"y\"\nz"}}, 0.1},
      {"bare", {}, 7},
  };
  EXPECT_EQ(render_text(in),
            "# HELP bare pgwarden metric bare\n# TYPE bare gauge\nbare 7\n"
            "# HELP custom_metric pgwarden metric custom_metric\n# TYPE custom_metric gauge\n"
            "custom_metric{cluster=\"c\",node=\"a\"} 2\n"
            "custom_metric{cluster=\"c\",node=\"x\\\\\\\"y\\\"\\nz\"} 0.1\n");
}

TEST(MetricsRender, ValuesReadBackExactly) {
  const double values[] = {0.1, 1.0 / 3, 123456789012345678.0, -1.5e-300, 5e-324, 0,
                           std::numeric_limits<double>::max()};
  for (double v : values) {
    std::string text = render_text({{"m", {}, v}});
    std::string number = text.substr(text.rfind(' ') + 1);
    EXPECT_EQ(std::strtod(number.c_str(), nullptr), v) << number;
  }
  EXPECT_NE(render_text({{"m", {}, std::nan("")}}).find("m NaN\n"), std::string::npos);
  EXPECT_NE(render_text({{"m", {}, -std::numeric_limits<double>::infinity()}}).find("m -Inf\n"),
            std::string::npos);
  EXPECT_NE(render_text({{"m", {}, std::numeric_limits<double>::infinity()}}).find("m +Inf\n"),
            std::string::npos);
}

class FixedSource : public SampleSource {
 public:
  explicit FixedSource(std::vector<Sample> s) : samples_(std::move(s)) {}
  void append_samples(std::vector<Sample>& out) const override { out.insert(out.end(), samples_.begin(), samples_.end()); }

 private:
  std::vector<Sample> samples_;
};

void add_results(SnapshotStore& store) {
  auto put = [&](std::string cluster, std::string node, std::string check, bool ok, double last_ok) {
    CheckResult r;
    r.cluster = cluster;
    r.node = node;
    r.check = check;
    r.success = ok;
    r.duration_seconds = 0.25;
    r.last_success_timestamp = last_ok;
    if (ok) r.samples.push_back({"pgwarden_node_up", {{"cluster", cluster}, {"node", node}}, 1});
    store.put(std::move(r));
  };
  put("b", "n1", "recovery", true, 1700000000);
  put("a", "n2", "slots", false, 0);  // never succeeded: no last-success series
  put("a", "", "cluster", true, 1700000001);
  put("a", "n1", "recovery", true, 1700000002);
  CheckResult round;  // not a check: no self metrics
  round.check = "round";
  round.success = true;
  round.self_metrics = false;
  round.samples.push_back({"pgwarden_round_duration_seconds", {}, 1.5});
  store.put(std::move(round));
}

// /metrics writes the self metrics as whole families instead of samples:
// the body must be what rendering every sample would give.
TEST(MetricsRender, StoreBodyIsTheRenderOfAllItsSamples) {
  SnapshotStore store;
  add_results(store);
  FixedSource others({{"pgwarden_build_info", {{"version", "1"}}, 1}, {"zzz_last", {}, 2}});
  std::vector<Sample> all;
  store.append_samples(all);
  others.append_samples(all);
  std::string body = render_metrics(store, {&others});
  EXPECT_EQ(body, render_text(all));
  EXPECT_NE(body.find("pgwarden_check_success{check=\"cluster\",cluster=\"a\"} 1\n"), std::string::npos);
  EXPECT_EQ(body.find("pgwarden_check_last_success_timestamp_seconds{check=\"slots\""), std::string::npos);

  // Another source with a self metric's name: still one family, sorted.
  FixedSource clash({{"pgwarden_check_success", {{"check", "x"}, {"cluster", "a"}}, 0}});
  all.clear();
  store.append_samples(all);
  clash.append_samples(all);
  EXPECT_EQ(render_metrics(store, {&clash}), render_text(all));
}

// The scheduler's entries keep the cluster and node labels once
// (CheckResult::base), not in every sample: /metrics, the rule round's
// sequence and the copies must all see whole label sets, sorted as if the
// pairs had been in each sample, own labels sorting before, between and
// after them.
TEST(MetricsRender, EntriesKeepingTheirNodeLabelsApartRenderAsWholeLabelSets) {
  SnapshotStore store;
  auto put = [&](const std::string& node, std::vector<Sample> samples) {
    CheckResult r;
    r.cluster = "c";
    r.node = node;
    r.check = "replication";
    r.success = true;
    r.base = std::make_shared<const Labels>(Labels{{"cluster", "c"}, {"node", node}});
    r.samples = std::move(samples);
    store.put(std::move(r));
  };
  put("beta", {{"pgwarden_replication_lag_bytes", {{"application_name", "z"}, {"slot", "s1"}}, 1},
               {"pgwarden_replication_lag_bytes", {{"application_name", "a"}}, 2},
               {"pgwarden_node_up", {}, 1},
               {"pgwarden_x", {{"bad-name", "v"}, {"mid", "m"}}, 3}});  // repaired, still with its node
  put("alpha", {{"pgwarden_replication_lag_bytes", {{"application_name", "z"}}, 4},
                {"pgwarden_node_up", {}, 0}});
  CheckResult plain;  // samples holding every label themselves
  plain.cluster = "c";
  plain.node = "gamma";
  plain.check = "recovery";
  plain.success = true;
  plain.samples = {{"pgwarden_node_up", {{"cluster", "c"}, {"node", "gamma"}}, 1}};
  store.put(std::move(plain));

  std::vector<Sample> all;
  store.append_samples(all);
  const Sample* lag = nullptr;
  for (const auto& s : all)
    if (s.name == "pgwarden_replication_lag_bytes" && s.value == 1) lag = &s;
  ASSERT_NE(lag, nullptr);
  EXPECT_EQ(lag->labels, (Labels{{"application_name", "z"}, {"cluster", "c"}, {"node", "beta"}, {"slot", "s1"}}));

  std::string body = render_metrics(store, {});
  EXPECT_EQ(body, render_text(all));
  EXPECT_NE(body.find("pgwarden_node_up{cluster=\"c\",node=\"alpha\"} 0\n"
                      "pgwarden_node_up{cluster=\"c\",node=\"beta\"} 1\n"
                      "pgwarden_node_up{cluster=\"c\",node=\"gamma\"} 1\n"),
            std::string::npos)
      << body;
  EXPECT_NE(body.find("pgwarden_replication_lag_bytes{application_name=\"a\",cluster=\"c\",node=\"beta\"} 2\n"
                      "pgwarden_replication_lag_bytes{application_name=\"z\",cluster=\"c\",node=\"alpha\"} 4\n"
                      "pgwarden_replication_lag_bytes{application_name=\"z\",cluster=\"c\",node=\"beta\",slot=\"s1\"} 1\n"),
            std::string::npos)
      << body;
  EXPECT_NE(body.find("pgwarden_x{bad_name=\"v\",cluster=\"c\",mid=\"m\",node=\"beta\"} 3\n"), std::string::npos)
      << body;

  std::vector<Sample> visited;
  store.sequence()->for_each([&](const Sample& s) { visited.push_back(s); });
  ASSERT_EQ(visited.size(), all.size());
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(visited[i].labels, all[i].labels) << all[i].name;
}

// A large body is written a part at a time, each of whole lines and about
// the size asked for, that together are the one-string render.
TEST(MetricsRender, ALargeBodyIsWrittenInPartsOfWholeLines) {
  SnapshotStore store;
  for (int node = 0; node < 40; ++node) {
    CheckResult r;
    r.cluster = "c";
    r.node = "node-" + std::to_string(node);
    r.check = "replication";
    r.success = true;
    r.base = std::make_shared<const Labels>(Labels{{"cluster", "c"}, {"node", r.node}});
    for (int i = 0; i < 200; ++i)
      r.samples.push_back({"pgwarden_replication_lag_bytes", {{"application_name", "standby-" + std::to_string(i)}},
                           static_cast<double>(i)});
    store.put(std::move(r));
  }
  auto e = expose_metrics(store, {});
  std::string whole;
  std::vector<size_t> sizes;
  for (std::string part; e->write(part, 64 * 1024); part.clear()) {
    sizes.push_back(part.size());
    ASSERT_EQ(part.back(), '\n');
    whole += part;
  }
  EXPECT_FALSE(e->write(whole, 1)) << "nothing after the end";
  ASSERT_GE(sizes.size(), 8u);
  for (size_t i = 0; i + 1 < sizes.size(); ++i) {  // the last may be short
    EXPECT_GE(sizes[i], 64u * 1024);
    EXPECT_LT(sizes[i], 64u * 1024 + 200) << "a part is at most one line longer than asked";
  }
  std::vector<Sample> all;
  store.append_samples(all);
  EXPECT_EQ(whole, render_text(all));
}

TEST(MetricsRender, StoreSequenceVisitsWhatAppendSamplesCopies) {
  SnapshotStore store;
  add_results(store);
  std::vector<Sample> copied, visited;
  store.append_samples(copied);
  store.sequence()->for_each([&](const Sample& s) { visited.push_back(s); });
  ASSERT_EQ(visited.size(), copied.size());
  for (size_t i = 0; i < copied.size(); ++i) {
    EXPECT_EQ(visited[i].name, copied[i].name);
    EXPECT_EQ(visited[i].labels, copied[i].labels);
    EXPECT_EQ(visited[i].value, copied[i].value);
  }
}

}  // namespace
}  // namespace pgw
