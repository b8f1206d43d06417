// The alerting step serve and check share (exporter/alert_round.h): one
// state file format, which still reads what `check --state-file` wrote
// before; and the same rule inputs in both commands.
#include <chrono>
#include <filesystem>
#include <fstream>

#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "alerts/rule_engine.h"
#include "exporter/alert_round.h"
#include "exporter/config_loader.h"

namespace pgw {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

Config rules_config() {
  auto r = load_config_string(R"(
[alerts]
builtin = false

[[rules]]
alert = "NodeUp"
expr = 'pgwarden_node_up == 1'
for = "1h"
severity = "warning"
)", "test.toml");
  EXPECT_TRUE(r.config.has_value());
  return r.config.value_or(Config{});
}

class VectorSource : public SampleSource {
 public:
  explicit VectorSource(std::vector<Sample> s) : samples_(std::move(s)) {}
  void append_samples(std::vector<Sample>& out) const override {
    out.insert(out.end(), samples_.begin(), samples_.end());
  }

 private:
  std::vector<Sample> samples_;
};

class AlertRoundTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("pgwarden_alert_round_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

const TimePoint t0 = TimePoint(std::chrono::seconds(1'700'000'000));
const VectorSource up({{"pgwarden_node_up", {{"cluster", "c"}, {"node", "a"}}, 1}});

TEST_F(AlertRoundTest, StateWrittenByOneEngineRestoresTheTimerInAnother) {
  Config config = rules_config();
  RuleEngine first(config);
  run_alert_round({&up}, first, nullptr, t0);
  ASSERT_EQ(first.active_alerts().size(), 1u);
  EXPECT_EQ(first.active_alerts()[0].state, AlertState::Pending);

  AlertStateFile file((dir_ / "alerts.json").string());
  EXPECT_EQ(file.save(first, /*force=*/true), "");
  nlohmann::json saved = nlohmann::json::parse(std::ifstream(file.path()));
  EXPECT_EQ(saved.value("version", 0), 1);
  EXPECT_TRUE(saved["rules"].is_array());

  RuleEngine second(config);
  restore_alert_state(second, file.load());
  run_alert_round({&up}, second, nullptr, t0 + 30min);
  ASSERT_EQ(second.active_alerts().size(), 1u);
  EXPECT_EQ(second.active_alerts()[0].active_at, first.active_alerts()[0].active_at);
  run_alert_round({&up}, second, nullptr, t0 + 61min);
  EXPECT_EQ(second.active_alerts()[0].state, AlertState::Firing);
}

// `check --state-file` used to write {"rules": <the engine's document>}.
TEST_F(AlertRoundTest, LoadsTheFormatCheckWroteBefore) {
  Config config = rules_config();
  const std::string path = (dir_ / "check-state.json").string();
  std::ofstream(path) << R"({"rules": {"version": 1, "rules": [{"alert": "NodeUp",
      "expr": "pgwarden_node_up == 1", "instances": [{
        "labels": {"alertname": "NodeUp", "cluster": "c", "node": "a", "severity": "warning"},
        "annotations": {"summary": "NodeUp is active"}, "state": "pending",
        "activeAt": 1699999000000, "firedAt": 0, "resolvedAt": 0, "keepFiringSince": 0,
        "lastEval": 1699999900000, "value": 1}]}]}})";
  AlertStateFile file(path);
  nlohmann::json state = file.load();
  ASSERT_TRUE(state.is_object());
  RuleEngine engine(config);
  restore_alert_state(engine, state);
  auto active = engine.active_alerts();
  ASSERT_EQ(active.size(), 1u);
  EXPECT_EQ(active[0].active_at, TimePoint(std::chrono::milliseconds(1699999000000)));
  // The restored timer keeps running: an hour after activeAt it fires.
  run_alert_round({&up}, engine, nullptr, TimePoint(std::chrono::milliseconds(1699999000000)) + 61min);
  EXPECT_EQ(engine.active_alerts()[0].state, AlertState::Firing);

  // Saving writes the one format.
  EXPECT_EQ(file.save(engine, /*force=*/true), "");
  nlohmann::json now = nlohmann::json::parse(std::ifstream(path));
  EXPECT_TRUE(now["rules"].is_array());
}

TEST_F(AlertRoundTest, MissingOrUnreadableStateRestoresNothing) {
  AlertStateFile missing((dir_ / "none.json").string());
  EXPECT_TRUE(missing.load().is_null());
  const std::string path = (dir_ / "bad.json").string();
  std::ofstream(path) << "{not json";
  EXPECT_TRUE(AlertStateFile(path).load().is_null());
  RuleEngine engine(rules_config());
  restore_alert_state(engine, nullptr);
  EXPECT_TRUE(engine.active_alerts().empty());
}

TEST_F(AlertRoundTest, OnlyLastEvalChangesAreThrottledOtherChangesWrittenAtOnce) {
  Config config = rules_config();
  RuleEngine engine(config);
  AlertStateFile file((dir_ / "alerts.json").string());
  run_alert_round({&up}, engine, nullptr, t0);
  ASSERT_EQ(file.save(engine, false), "");
  const std::string first = std::string(std::istreambuf_iterator<char>(std::ifstream(file.path()).rdbuf()), {});
  run_alert_round({&up}, engine, nullptr, t0 + 5s);  // only lastEval moves
  ASSERT_EQ(file.save(engine, false), "");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(std::ifstream(file.path()).rdbuf()), {}), first);
  run_alert_round({}, engine, nullptr, t0 + 10s);  // the alert goes away
  ASSERT_EQ(file.save(engine, false), "");
  EXPECT_NE(std::string(std::istreambuf_iterator<char>(std::ifstream(file.path()).rdbuf()), {}), first);
}

}  // namespace
}  // namespace pgw
