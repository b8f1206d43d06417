// Differential test: the same fixed samples are scraped by a real Prometheus
// (Debian's /usr/bin/prometheus) and fed to pgwarden's evaluator; every
// expression must give the same label sets and values (NaN == NaN), or both
// must fail.
#include <cmath>
#include <cstdio>

#include <CivetServer.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "alerts/promql_eval.h"
#include "alerts/promql_parser.h"
#include "core/http_client.h"
#include "tests/fixtures/promql_outcome.h"
#include "tests/fixtures/test_util.h"

using namespace pgw;
using namespace std::chrono_literals;

namespace {

// Label names "job" and "instance" are avoided: Prometheus' own.
const char* kExposition = R"(t_up{svc="pg",node="a"} 1
t_up{svc="pg",node="b"} 0
t_up{svc="etcd",node="a"} 1
t_lag{node="a",app="x"} 10
t_lag{node="b",app="y"} 30
t_lag{node="c",app="z"} 2.5
t_size{node="a"} 100
t_size{node="b"} 0
t_size{node="c"} 50
t_free{node="a"} 5
t_free{node="b"} 0
t_free{node="c"} -7
t_role{node="a",role="primary"} 1
t_role{node="b",role="client"} 1
t_nan{node="a"} NaN
t_inf{node="a"} +Inf
t_inf{node="b"} -Inf
t_mode{node="a",path="/d"} 448
t_mode{node="b",path="/d"} 511
)";
constexpr int kSeries = 19;

std::vector<Sample> fixture_samples() {
  std::vector<Sample> out;
  std::string text = kExposition;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    std::string line = text.substr(pos, eol - pos);
    pos = eol + 1;
    size_t brace = line.find('{'), close = line.find('}');
    Sample s;
    s.name = line.substr(0, brace);
    std::string labels = line.substr(brace + 1, close - brace - 1);
    size_t p = 0;
    while (p < labels.size()) {
      size_t eq = labels.find('=', p), q2 = labels.find('"', eq + 2);
      s.labels.emplace_back(labels.substr(p, eq - p), labels.substr(eq + 2, q2 - eq - 2));
      p = q2 + 2;
    }
    normalize(s.labels);
    s.value = std::strtod(line.c_str() + close + 2, nullptr);
    out.push_back(s);
  }
  return out;
}

const std::vector<std::string> kExpressions = {
    // selectors
    "t_up", R"(t_up{svc="pg"})", R"(t_up{svc!="pg"})", R"(t_up{svc=~"p.*"})", R"(t_up{svc=~"p"})",
    R"(t_up{svc!~"e.*|x"})", "{__name__=~\"t_(size|free)\"}", R"({__name__=~"t_s.*", node="a"})",
    R"(t_up{missing=""})", R"(t_up{node=~"a|b", svc!="etcd"})",
    // literals and scalar arithmetic
    "1", "-1.5", "10e6", "0x1F", "010", "Inf", "-Inf", "NaN", "1 + 2 * 3", "2 ^ 3 ^ 2", "-2 ^ 2", "(1 + 2) * 3",
    "7 % 3", "-7 % 3", "5.5 % 2", "1 / 0", "-1 / 0", "0 / 0", "2 > bool 1", "2 == bool 2", "NaN == bool NaN",
    "8 / 4 / 2", "2 * 3 + 4 * 5 - 6",
    // vector/scalar
    "t_lag * 2", "t_lag - t_lag", "2 - t_lag", "t_lag / 0", "t_size / t_free", "t_free % 3", "t_lag ^ 2", "-t_lag",
    "+t_lag", "t_lag > 5", "5 < t_lag", "t_lag > bool 5", "20 >= bool t_lag", "t_lag != 10", "t_nan == t_nan",
    "t_nan != 0", "t_nan > bool 0", "t_inf > 0", "t_inf + t_inf", "t_inf * 0",
    // vector/vector matching
    "t_free / t_size", "t_free == t_size", "t_size > bool t_free", "t_lag + on(node) t_size",
    "t_lag + ignoring(app) t_size", "t_size > on(node) t_lag", "t_size == bool on(node) t_free",
    "t_up == on(node) group_left(role) t_role", "t_size + on(node) group_right t_role",
    "t_size + on(node) group_right(role) t_role", "t_up * on(node) group_left t_size",
    // set operators
    "t_up and t_role", R"(t_up and on(node) t_role{role="client"})", R"(t_up unless on(node) t_role{role="client"})",
    "t_size or t_free", "t_size or t_lag", "t_size and t_nothing", "t_size unless t_nothing",
    "t_lag or on(node) t_size", "t_up unless ignoring(svc) t_size", "t_size and t_free > 1 or t_lag",
    // aggregations
    "sum(t_up)", "sum by (svc) (t_up)", "sum(t_up) by (svc)", "count without (node) (t_up)", "max by (node) (t_lag)",
    "min(t_lag)", "avg(t_lag)", "avg(t_size)", "group by (node) (t_up)", "sum(t_nothing)", "max(t_nan or t_size)",
    "min(t_nan or t_size)", "sum(t_inf)", "avg(t_inf)", "count(t_up) by (node)", "sum without () (t_lag)",
    "sum by (node) (t_lag) / on(node) t_size", "SUM(t_lag) BY (node)",
    // functions
    R"(absent(t_nothing{a="b", c=~"d", e="1", e="2"}))", "absent(t_up)", "absent(t_nothing)", "vector(3)",
    "vector(time())", "time()", "scalar(t_size{node=\"a\"})", "scalar(t_size)", "abs(t_free)",
    "clamp_max(t_lag, 20)", "clamp_min(t_lag, 20)", "clamp_min(t_nan, 1)", "clamp(t_lag, 5, 20)",
    "clamp(t_lag, 20, 5)", "ceil(t_lag)", "floor(t_lag)", "sqrt(t_size)", "round(t_lag)", "sgn(t_free)",
    // rule-shaped expressions
    "t_mode != 448 and t_mode != 488", R"(t_up == 0 unless on(node) t_role{role="client"})",
    // errors on both sides
    "t_up + on(node) t_size", "t_size + on(node) t_up", "{__name__=~\"t_(size|free)\"} + 1", "t_lag{",
    "t_size * on(node) group_left t_up", "1 > 2",
};

// Runs a program, output to a log file; killed (and reaped) on destruction.
class ExpositionHandler : public CivetHandler {
 public:
  bool handleGet(CivetServer*, struct mg_connection* conn) override {
    std::string body = kExposition;
    mg_printf(conn, "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: %zu\r\n\r\n",
              body.size());
    mg_write(conn, body.data(), body.size());
    return true;
  }
};

using test::PromOutcome;
using test::describe;

PromOutcome pgwarden_eval(const std::string& expr, const promql::SeriesSet& in, double t) {
  PromOutcome o;
  try {
    promql::Value v = promql::evaluate(*promql::parse(expr), in, t);
    o.scalar = v.type == promql::ValueType::Scalar;
    if (o.scalar) o.rows.emplace_back("", v.scalar);
    for (const auto& s : v.vector) o.rows.emplace_back(test::render_labels(s.labels), s.value);
  } catch (const std::exception& e) {
    o.error = true;
    o.message = e.what();
  }
  test::sort_rows(o);
  return o;
}

}  // namespace

TEST(PromqlDifferential, SameResultsAsPrometheus) {
  ASSERT_GE(kExpressions.size(), 60u);
  std::string dir = test::make_temp_dir("pgwarden-promql-diff");
  struct Cleanup {
    std::string d;
    ~Cleanup() { test::remove_tree(d); }
  } cleanup{dir};

  std::unique_ptr<CivetServer> server;
  ExpositionHandler handler;
  int target_port = 0;
  for (int attempt = 0; attempt < 5 && !server; ++attempt) {
    target_port = test::free_port();
    try {
      server = std::make_unique<CivetServer>(std::vector<std::string>{
          "listening_ports", "127.0.0.1:" + std::to_string(target_port), "num_threads", "2"});
    } catch (const CivetException&) {
    }
  }
  ASSERT_TRUE(server) << "could not start the exposition server";
  server->addHandler("/metrics", handler);

  int prom_port = test::free_port();
  test::write_file(dir + "/prometheus.yml",
                   "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                   "scrape_configs:\n  - job_name: fixed\n    honor_labels: true\n"
                   "    static_configs:\n      - targets: ['127.0.0.1:" + std::to_string(target_port) + "']\n"
                   "    metric_relabel_configs:\n      - action: labeldrop\n        regex: 'instance|job'\n");
  test::ScopedChild prom({"/usr/bin/prometheus", "--config.file=" + dir + "/prometheus.yml",
                "--storage.tsdb.path=" + dir + "/data", "--web.listen-address=127.0.0.1:" + std::to_string(prom_port),
                "--log.level=warn"},
               dir + "/prometheus.log");
  ASSERT_TRUE(prom.started());
  bool ready = test::poll_until(
      [&] {
        auto n = test::prometheus_instant_query(prom_port, "count({__name__=~\"t_.+\"})", "");
        return n.rows.size() == 1 && n.rows[0].second == kSeries;
      },
      60s, 200ms);
  ASSERT_TRUE(ready) << "Prometheus did not ingest the samples; log:\n" << test::read_file(dir + "/prometheus.log");

  // Evaluate at the timestamp of the latest scrape, so both see the same samples.
  auto ts = test::prometheus_instant_query(prom_port, "timestamp(t_size{node=\"a\"})", "");
  ASSERT_EQ(ts.rows.size(), 1u) << describe(ts);
  std::string time = test::prometheus_time(std::llround(ts.rows[0].second * 1000));
  double t = std::strtod(time.c_str(), nullptr);

  promql::SeriesSet input(fixture_samples());
  int compared = 0, with_rows = 0, errors = 0;
  for (const auto& expr : kExpressions) {
    PromOutcome ours = pgwarden_eval(expr, input, t);
    PromOutcome theirs = test::prometheus_instant_query(prom_port, expr, time);
    EXPECT_TRUE(test::same_outcome(ours, theirs)) << "expr: " << expr << "\n  pgwarden:   " << describe(ours)
                                    << "\n  prometheus: " << describe(theirs);
    ++compared;
    with_rows += !theirs.rows.empty();
    errors += theirs.error;
  }
  EXPECT_EQ(compared, static_cast<int>(kExpressions.size()));
  // Guards against a vacuous pass (e.g. Prometheus answering nothing).
  EXPECT_GE(with_rows, 90);
  EXPECT_EQ(errors, 6);

  // Regex matchers (issue 13): RE2 syntax as Prometheus (Go's regexp) reads
  // it, which pgwarden's std::regex (ECMAScript) used to reject or read
  // differently: (?i), POSIX and Unicode classes, \x escapes, \Q..\E,
  // empty alternatives and empty matches; and what both refuse.
  const std::vector<std::string> regex_cases = {
      R"(t_up{svc=~"(?i)PG"})", R"(t_up{svc=~"(?i:E)TCD"})", R"(t_up{svc=~"[[:alpha:]]+"})",
      R"(t_role{role=~"[[:lower:]]{6,7}"})", R"(t_mode{path=~"/\w"})", R"(t_up{svc=~"\pL+", node="a"})",
      R"(t_up{svc=~"\x70g"})", R"(t_up{svc=~"\Qpg\E"})", R"(t_up{svc=~"pg|"})", R"(t_up{svc!~""})",
      R"(t_up{svc=~"p{1,2}g?"})", R"(t_up{node=~"[^b]"})", R"(t_lag{app=~"[x-y]"})", R"(t_up{svc=~"^pg$"})",
      R"(t_up{svc=~"(?s).*", node="a"})", R"(t_up{svc=~"(?U)p.*"})", R"(t_up{missing=~"", svc="pg"})",
      R"(t_up{missing!~".+", svc="pg"})", R"(t_lag{app=~"(x|y)|z"})",
      // refused by both
      R"(t_up{svc=~"a++"})", R"(t_up{svc=~"(?=p)g"})", R"(t_up{svc=~"(p)\1"})", R"(t_up{svc=~".*"})",
  };
  int regex_rows = 0, regex_errors = 0;
  for (const auto& expr : regex_cases) {
    PromOutcome ours = pgwarden_eval(expr, input, t);
    PromOutcome theirs = test::prometheus_instant_query(prom_port, expr, time);
    EXPECT_TRUE(test::same_outcome(ours, theirs)) << "expr: " << expr << "\n  pgwarden:   " << describe(ours)
                                    << "\n  prometheus: " << describe(theirs);
    regex_rows += !theirs.rows.empty();
    regex_errors += theirs.error;
  }
  EXPECT_GE(regex_rows, 15);
  EXPECT_EQ(regex_errors, 6);  // the four marked, and two more Prometheus 2.42 refuses (pgwarden agrees on each)
}
