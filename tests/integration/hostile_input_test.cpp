// Hostile bytes through `serve` (issue 13): a custom query that returns
// invalid UTF-8 (a SQL_ASCII database holds any bytes and libpq passes them
// on unconverted) and a rule whose label value is "\xff". Before, the first
// round aborted the process (nlohmann type_error.316). Now: the process
// lives, /metrics and /alerts are valid, and the webhook receives the
// notifications with U+FFFD in place of the bad bytes.
//
// It runs for 15 rounds (1 s interval) after the first notification rather
// than a minute: every round renders the same strings again, and what failed
// did so on the first round; the rest would only add CI time.
#include <gtest/gtest.h>

#include <thread>

#include <nlohmann/json.hpp>

#include "core/utf8.h"
#include "tests/fixtures/pg_cluster.h"
#include "tests/fixtures/pgwarden_process.h"
#include "tests/fixtures/test_util.h"
#include "tests/fixtures/webhook_sink.h"

namespace pgw {
namespace {

using namespace std::chrono_literals;
const std::string kFffd = "\xEF\xBF\xBD";

// Every alert of every webhook body received so far, by alertname.
std::map<std::string, nlohmann::json> received_alerts(const test::WebhookSink& sink) {
  std::map<std::string, nlohmann::json> out;
  for (const auto& r : sink.requests()) {
    EXPECT_TRUE(is_valid_utf8(r.body));
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    if (j.is_discarded()) continue;
    for (const auto& a : j["alerts"]) out[a["labels"].value("alertname", "")] = a;
  }
  return out;
}

TEST(HostileInputTest, InvalidUtf8FromTheDatabaseAndARuleNeitherKillsServeNorReachesItsOutput) {
  test::PgClusterOptions primary_only;
  primary_only.standbys = 0;
  test::PgCluster pg(primary_only);
  pg.psql(0, "CREATE DATABASE asciidb ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0");
  test::WebhookSink sink;
  test::PgwardenProcess proc;
  std::string conninfo = pg.conninfo();
  conninfo.replace(conninfo.find("dbname=postgres"), 15, "dbname=asciidb");
  const std::string config =
      "[exporter]\ninterval = \"1s\"\nstate_dir = \"" + proc.dir() + "/state\"\n"
      "[alerts]\nbuiltin = false\n"
      "[[clusters]]\nname = \"kb\"\n"
      "[[clusters.nodes]]\nname = \"alpha\"\nrole = \"primary\"\n"
      "conninfo = \"" + conninfo + "\"\npassword_file = \"" + pg.password_file() + "\"\n"
      "[[queries]]\nname = \"bad_bytes\"\nroles = [\"primary\"]\n"
      "sql = '''SELECT E'caf\\xe9' AS category, E'\\xff\\xfe' AS \"who\", 1 AS n'''\n"
      "metrics = [{ column = \"n\", name = \"pgwarden_bad_bytes\", type = \"gauge\", labels = [\"category\", \"who\"] }]\n"
      "[[rules]]\nalert = \"NopeWithBadByte\"\nexpr = 'absent(pgwarden_nope{x=\"\\xff\"})'\nseverity = \"warning\"\n"
      "annotations = { summary = \"x is {{ $labels.x }}\" }\n"
      "[[rules]]\nalert = \"BadCategory\"\nexpr = 'pgwarden_bad_bytes > 0'\nseverity = \"warning\"\n"
      "annotations = { summary = \"category {{ $labels.category | printf \\\"%.4s\\\" }}\" }\n"
      "[[receivers]]\nname = \"hook\"\ntype = \"webhook\"\nurl = \"" + sink.url("/hook") + "\"\n"
      "group_wait = \"0s\"\ngroup_interval = \"1s\"\nrepeat_interval = \"1h\"\n";
  proc.start(config);

  // Both notifications arrive, with U+FFFD where the bad bytes were.
  ASSERT_TRUE(test::poll_until([&] {
    auto got = received_alerts(sink);
    return got.count("NopeWithBadByte") && got.count("BadCategory");
  }, 60s, 200ms)) << proc.log_text();
  auto got = received_alerts(sink);
  EXPECT_EQ(got["NopeWithBadByte"]["labels"]["x"], kFffd);
  EXPECT_EQ(got["BadCategory"]["labels"]["category"], "caf" + kFffd);
  EXPECT_EQ(got["BadCategory"]["labels"]["who"], kFffd + kFffd);
  EXPECT_EQ(got["NopeWithBadByte"]["annotations"]["summary"], "x is " + kFffd);
  // printf's "%.4s" cut "caf" + U+FFFD inside the character: repaired.
  EXPECT_EQ(got["BadCategory"]["annotations"]["summary"], "category caf" + kFffd);

  // Keeps going, round after round; every endpoint stays valid.
  for (int i = 0; i < 15; ++i) {
    auto metrics = proc.get("/metrics");
    ASSERT_EQ(metrics.status, 200) << proc.log_text();
    EXPECT_TRUE(is_valid_utf8(metrics.body));
    EXPECT_NE(metrics.body.find("pgwarden_bad_bytes{category=\"caf" + kFffd + "\""), std::string::npos)
        << metrics.body.substr(0, 4000);
    auto alerts = proc.get("/alerts");
    ASSERT_EQ(alerts.status, 200);
    EXPECT_TRUE(is_valid_utf8(alerts.body));
    EXPECT_FALSE(nlohmann::json::parse(alerts.body, nullptr, false).is_discarded()) << alerts.body;
    auto status = proc.get("/");
    EXPECT_EQ(status.status, 200);
    EXPECT_TRUE(is_valid_utf8(status.body));
    EXPECT_EQ(proc.get("/healthz").status, 200);
    std::this_thread::sleep_for(1s);  // a round's pace, not synchronisation: nothing is awaited
  }
  EXPECT_TRUE(proc.running()) << proc.log_text();
  // Nothing went wrong internally either (no exception was caught).
  EXPECT_EQ(proc.scrape().find("pgwarden_internal_errors_total"), std::string::npos);
  EXPECT_EQ(proc.log_text().find("internal error"), std::string::npos) << proc.log_text();
}

}  // namespace
}  // namespace pgw
