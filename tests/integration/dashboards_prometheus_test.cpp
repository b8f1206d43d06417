// Every panel of the Grafana dashboards, run for real: scripts/demo (the
// whole local deployment) is scraped by Debian's Prometheus, the dashboards'
// template variables are resolved the way Grafana would (label_values
// against that Prometheus, "All" selected, multi-value as a regex), and each
// panel query goes through /api/v1/query: it must parse and return at least
// one series. Also: every pgwarden_* metric a dashboard names is one the
// running pgwarden actually exported.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <curl/curl.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/http_client.h"
#include "tests/fixtures/demo_process.h"
#include "tests/fixtures/test_util.h"

namespace pgw::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

const char* const kPrometheus = "/usr/bin/prometheus";

std::string url_encode(const std::string& s) {
  char* e = curl_easy_escape(nullptr, s.c_str(), static_cast<int>(s.size()));
  if (!e) throw std::runtime_error("curl_easy_escape failed");
  std::string out(e);
  curl_free(e);
  return out;
}

// Debian's Prometheus scraping one target every second, in its own dir.
class Prometheus {
 public:
  explicit Prometheus(int target_port) : dir_(make_temp_dir("pgwarden-dash-prom")), port_(free_port()) {
    write_file(dir_ + "/prometheus.yml",
               "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
               "scrape_configs:\n  - job_name: pgwarden\n"
               "    honor_labels: true  # as etc/prometheus.yml: pgwarden sets cluster and node\n"
               "    static_configs:\n      - targets: ['127.0.0.1:" + std::to_string(target_port) + "']\n");
    process_ = std::make_unique<GroupProcess>(
        std::vector<std::string>{kPrometheus, "--config.file=" + dir_ + "/prometheus.yml",
                                 "--storage.tsdb.path=" + dir_ + "/data",
                                 "--web.listen-address=127.0.0.1:" + std::to_string(port_), "--log.level=warn"},
        std::vector<std::string>{}, dir_ + "/prometheus.log");
  }
  ~Prometheus() {
    process_->stop(10s);
    remove_tree(dir_);
  }

  // GET /api/v1/<path>; the parsed answer, or {"status":"no answer", ...}.
  json api(const std::string& path) const {
    HttpResponse r = http_get("http://127.0.0.1:" + std::to_string(port_) + "/api/v1/" + path, Duration(10000),
                              8 << 20);
    if (r.status == 0) return {{"status", "no answer"}, {"error", r.error}};
    try {
      return json::parse(r.body);
    } catch (const json::exception&) {
      return {{"status", "unparsable"}, {"error", r.body.substr(0, 500)}};
    }
  }
  json query(const std::string& expr) const { return api("query?query=" + url_encode(expr)); }

  std::string log() const {
    try {
      return read_file(dir_ + "/prometheus.log");
    } catch (const std::exception&) {
      return "";
    }
  }

 private:
  std::string dir_;
  int port_;
  std::unique_ptr<GroupProcess> process_;
};

size_t result_count(const json& answer) {
  if (answer.value("status", "") != "success") return 0;
  const json& data = answer["data"];
  if (data.value("resultType", "") == "scalar") return 1;
  return data["result"].size();
}

struct Target {
  std::string dashboard, panel, ref_id, expr;
};

struct Dashboard {
  std::string file;
  json doc;
};

std::vector<Dashboard> load_dashboards() {
  std::vector<Dashboard> out;
  for (const auto& e : fs::directory_iterator(PGWARDEN_SOURCE_DIR "/dashboards/grafana"))
    if (e.path().extension() == ".json") {
      std::ifstream in(e.path());
      out.push_back({e.path().filename().string(), json::parse(in)});
    }
  return out;
}

void collect_targets(const std::string& dashboard, const json& panels, std::vector<Target>& out) {
  for (const auto& p : panels) {
    if (p.contains("targets"))
      for (const auto& t : p["targets"])
        out.push_back({dashboard, p.value("title", "?"), t.value("refId", "?"), t.at("expr").get<std::string>()});
    if (p.contains("panels")) collect_targets(dashboard, p["panels"], out);
  }
}

// Replaces $name and ${name} with vars[name]; unknown names are an error.
std::string substitute(const std::string& text, const std::map<std::string, std::string>& vars) {
  static const std::regex var(R"(\$\{(\w+)\}|\$(\w+))");
  std::string out;
  auto last = text.cbegin();
  for (std::sregex_iterator it(text.begin(), text.end(), var), end; it != end; ++it) {
    const std::smatch& m = *it;
    std::string name = m[1].matched ? m[1].str() : m[2].str();
    auto found = vars.find(name);
    if (found == vars.end()) throw std::runtime_error("unknown dashboard variable $" + name + " in: " + text);
    out.append(last, m[0].first);
    out += found->second;
    last = m[0].second;
  }
  out.append(last, text.cend());
  return out;
}

std::string regex_escape(const std::string& s) {
  static const std::string special = R"(\^$.|?*+()[]{})";
  std::string out;
  for (char c : s) {
    if (special.find(c) != std::string::npos) out += '\\';
    out += c;
  }
  return out;
}

// Grafana's "All" of a multi-value variable in a Prometheus query:
// (a|b|c), values regex-escaped.
std::string all_values_regex(const std::vector<std::string>& values) {
  std::string out = "(";
  for (size_t i = 0; i < values.size(); ++i) out += (i ? "|" : "") + regex_escape(values[i]);
  return out + ")";
}

// One demo and one Prometheus for the whole suite (the demo takes ~30 s to
// come up).
class DashboardsPrometheusTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (::access(kPrometheus, X_OK) != 0) return;
    try {
      demo_ = std::make_unique<DemoProcess>();
      if (!demo_->wait_ready(240s)) {
        setup_error_ = "scripts/demo exited or was not ready within 240 s:\n" + demo_->log();
        return;
      }
      prometheus_ = std::make_unique<Prometheus>(demo_->port());
    } catch (const std::exception& e) {
      setup_error_ = e.what();
      return;
    }
    bool scraped = poll_until([] { return result_count(prometheus_->query("pgwarden_node_up")) > 0; }, 60s, 500ms);
    if (!scraped) setup_error_ = "Prometheus has no pgwarden series after 60 s; its log:\n" + prometheus_->log();
  }
  static void TearDownTestSuite() {
    prometheus_.reset();
    demo_.reset();
  }
  void SetUp() override {
    if (::access(kPrometheus, X_OK) != 0) GTEST_SKIP() << kPrometheus << " is not installed (Debian package prometheus)";
    ASSERT_TRUE(setup_error_.empty()) << setup_error_;
  }
  void TearDown() override {
    if (HasFailure() && demo_) std::cerr << "---- demo log ----\n" << demo_->log() << "----\n";
  }

  // The values of `label_values(SELECTOR, LABEL)` from Prometheus, as
  // Grafana's variable query would list them.
  static std::vector<std::string> label_values(const std::string& definition) {
    static const std::regex form(R"(^\s*label_values\((.*),\s*(\w+)\s*\)\s*$)");
    std::smatch m;
    if (!std::regex_match(definition, m, form)) throw std::runtime_error("not a label_values query: " + definition);
    json answer = prometheus_->api("label/" + m[2].str() + "/values?match[]=" + url_encode(m[1].str()));
    std::vector<std::string> values;
    if (answer.value("status", "") == "success")
      for (const auto& v : answer["data"]) values.push_back(v.get<std::string>());
    return values;
  }

  static inline std::unique_ptr<DemoProcess> demo_;
  static inline std::unique_ptr<Prometheus> prometheus_;
  static inline std::string setup_error_;
};

TEST_F(DashboardsPrometheusTest, EveryPanelQueryParsesAndReturnsSeries) {
  std::vector<Dashboard> dashboards = load_dashboards();
  ASSERT_GE(dashboards.size(), 2u);

  // Grafana's built-in interval variables: fixed values of the size Grafana
  // picks for the dashboards' 6 h default range (each window holds >= 2
  // samples at the 1 s scrape interval).
  const std::map<std::string, std::string> builtin = {
      {"__rate_interval", "1m"}, {"__interval", "15s"}, {"__range", "6h"}, {"__range_s", "21600"},
      {"__interval_ms", "15000"}, {"datasource", "prometheus"}};

  std::vector<Target> targets;
  std::map<std::string, std::map<std::string, std::string>> vars_of;  // per dashboard
  std::vector<std::string> failures;
  for (const auto& d : dashboards) {
    std::map<std::string, std::string> vars = builtin;
    // In order: later variables refer to earlier ones ($cluster in node's).
    for (const auto& v : d.doc.at("templating").at("list")) {
      if (v.value("type", "") != "query") continue;
      std::string name = v.at("name").get<std::string>();
      std::string definition = substitute(v.at("definition").get<std::string>(), vars);
      std::vector<std::string> values;
      poll_until([&] { return !(values = label_values(definition)).empty(); }, 60s, 500ms);
      if (values.empty()) {
        failures.push_back(d.file + ": variable $" + name + " (" + definition + ") lists no values");
        continue;
      }
      vars[name] = all_values_regex(values);
    }
    vars_of[d.file] = vars;
    collect_targets(d.file, d.doc.at("panels"), targets);
  }
  ASSERT_TRUE(failures.empty()) << failures.front();
  ASSERT_GE(targets.size(), 40u) << "suspiciously few panel queries";

  // Some series appear only after a few rounds (host probes, counters
  // needing two samples for increase()): poll each query, all of them
  // against one deadline, and fail with what Prometheus answered last.
  const auto deadline = Clock::now() + 120s;
  int with_data = 0;
  for (const auto& t : targets) {
    std::string expr = substitute(t.expr, vars_of[t.dashboard]);
    json answer;
    bool parse_error = false;
    auto ok = [&] {
      answer = prometheus_->query(expr);
      parse_error = answer.value("errorType", "") == "bad_data";
      return parse_error || result_count(answer) > 0;
    };
    while (!ok() && Clock::now() < deadline) std::this_thread::sleep_for(500ms);
    if (!parse_error && result_count(answer) > 0) {
      ++with_data;
      continue;
    }
    failures.push_back(t.dashboard + " / panel \"" + t.panel + "\" (refId " + t.ref_id + ")\n    query:  " + expr +
                       "\n    answer: " + answer.dump().substr(0, 600));
  }
  std::string all;
  for (const auto& f : failures) all += f + "\n";
  EXPECT_TRUE(failures.empty()) << failures.size() << " of " << targets.size()
                                << " panel queries failed or returned nothing:\n" << all;
  std::cerr << "panel queries checked: " << targets.size() << ", with data: " << with_data << "\n";
}

TEST_F(DashboardsPrometheusTest, DashboardsNameOnlyMetricsTheDemoExports) {
  std::set<std::string> exported;
  json answer = prometheus_->query(R"(group by (__name__) ({__name__=~"pgwarden_.+"}))");
  ASSERT_EQ(answer.value("status", ""), "success") << answer.dump();
  for (const auto& s : answer["data"]["result"]) exported.insert(s["metric"]["__name__"].get<std::string>());
  ASSERT_GE(exported.size(), 40u) << answer.dump();

  std::regex metric(R"(pgwarden_[a-zA-Z0-9_]+)");
  int named = 0;
  for (const auto& d : load_dashboards()) {
    std::vector<Target> targets;
    collect_targets(d.file, d.doc.at("panels"), targets);
    for (const auto& v : d.doc.at("templating").at("list"))
      if (v.contains("definition")) targets.push_back({d.file, "variable " + v.value("name", "?"), "-", v["definition"]});
    for (const auto& t : targets)
      for (std::sregex_iterator it(t.expr.begin(), t.expr.end(), metric), end; it != end; ++it, ++named)
        EXPECT_TRUE(exported.count(it->str())) << t.dashboard << " / " << t.panel << " names " << it->str()
                                               << ", which the running demo does not export";
  }
  EXPECT_GE(named, 40);
}

}  // namespace
}  // namespace pgw::test
