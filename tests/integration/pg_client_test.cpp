// PgSession against a real PostgreSQL: results, SQL errors, client-side
// deadlines with server-side cancellation, a frozen (SIGSTOPped) server and
// authentication failures.
#include "checks/pg_client.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <memory>

#include "tests/fixtures/pg_cluster.h"
#include "tests/fixtures/test_util.h"

namespace pgw {
namespace {

using namespace std::chrono_literals;
using test::PgCluster;
using test::poll_until;

class PgClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { cluster_ = new PgCluster(test::PgClusterOptions{.standbys = 0}); }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }
  static PgCluster* cluster_;
};
PgCluster* PgClientTest::cluster_ = nullptr;

// Milliseconds taken by fn().
template <class F>
long long elapsed_ms(F&& fn) {
  auto t0 = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
}

TEST_F(PgClientTest, QueryReturnsTextValuesAndNulls) {
  PgSession s(cluster_->conninfo(), cluster_->password());
  EXPECT_FALSE(s.connected());
  PgResult r = s.query("SELECT 42 AS answer, NULL::text AS nothing, true AS yes, 'x' AS word "
                       "UNION ALL SELECT 7, 'y', false, 'z'",
                       Deadline::in(5s));
  EXPECT_TRUE(s.connected());
  EXPECT_GE(s.server_version(), 130000);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r.columns, (std::vector<std::string>{"answer", "nothing", "yes", "word"}));
  EXPECT_EQ(r.number(0, "answer"), 42.0);
  EXPECT_TRUE(r.is_null(0, "nothing"));
  EXPECT_EQ(r.text(0, "nothing"), "");
  EXPECT_EQ(r.number(0, "yes"), 1.0);
  EXPECT_EQ(r.number(1, "yes"), 0.0);
  EXPECT_EQ(r.text(1, "nothing"), "y");
  EXPECT_EQ(r.number(0, "word"), std::nullopt);
  EXPECT_THROW(r.column("missing"), PgError);
}

TEST_F(PgClientTest, ConnectsAsMonitoringRoleWithApplicationName) {
  PgSession s(cluster_->conninfo(), cluster_->password());
  PgResult r = s.query("SELECT current_user AS u, current_setting('application_name') AS app, "
                       "pg_has_role('pg_monitor', 'member') AS monitor",
                       Deadline::in(5s));
  EXPECT_EQ(r.text(0, "u"), "pgwarden");
  EXPECT_EQ(r.text(0, "app"), "pgwarden");
  EXPECT_EQ(r.number(0, "monitor"), 1.0);

  PgSession custom(cluster_->conninfo() + " application_name=mine", cluster_->password());
  EXPECT_EQ(custom.query("SHOW application_name", Deadline::in(5s)).rows.at(0).at(0), "mine");
}

TEST_F(PgClientTest, SqlErrorKeepsSessionUsable) {
  PgSession s(cluster_->conninfo(), cluster_->password());
  s.query("SELECT 1", Deadline::in(5s));
  try {
    s.query("SELECT 1/0", Deadline::in(5s));
    FAIL() << "expected a PgError";
  } catch (const PgError& e) {
    EXPECT_STREQ(e.what(), "division by zero");
  }
  EXPECT_TRUE(s.connected());
  EXPECT_THROW(s.query("SELECT * FROM no_such_table", Deadline::in(5s)), PgError);
  EXPECT_EQ(s.query("SELECT 2 AS two", Deadline::in(5s)).number(0, "two"), 2.0);
}

// Repeated monitoring queries run as statements prepared once per
// connection (the server skips parse and plan on every later round).
TEST_F(PgClientTest, RepeatedQueryIsPreparedOnce) {
  PgSession s(cluster_->conninfo(), cluster_->password());
  const std::string sql = "SELECT count(*) AS n FROM pg_stat_activity WHERE pid > 0";
  for (int i = 0; i < 3; ++i) EXPECT_GE(s.query(sql, Deadline::in(5s)).number(0, "n"), 1.0);
  PgResult p = s.query("SELECT statement FROM pg_prepared_statements ORDER BY name", Deadline::in(5s));
  int same = 0;
  for (size_t i = 0; i < p.size(); ++i) same += p.text(i, "statement") == sql;
  EXPECT_EQ(same, 1) << "the query should be prepared exactly once on this connection";
}

// SQL the extended protocol refuses (several statements) still runs, as a
// simple query returning the last result, every time.
TEST_F(PgClientTest, MultiStatementSqlRunsUnprepared) {
  PgSession s(cluster_->conninfo(), cluster_->password());
  for (int i = 0; i < 2; ++i) {
    PgResult r = s.query("SELECT 1 AS one; SELECT 2 AS two", Deadline::in(5s));
    ASSERT_EQ(r.columns, std::vector<std::string>{"two"});
    EXPECT_EQ(r.number(0, "two"), 2.0);
  }
}

// A prepared query whose table changes shape: at most one round reports the
// server's error, then the statement is prepared afresh and sees the new
// column; the session stays connected throughout.
TEST_F(PgClientTest, PreparedQuerySurvivesTableChange) {
  cluster_->psql(0, "DROP TABLE IF EXISTS shape; CREATE TABLE shape (a int); INSERT INTO shape VALUES (1); "
                    "GRANT SELECT ON shape TO pgwarden");
  PgSession s(cluster_->conninfo(), cluster_->password());
  EXPECT_EQ(s.query("SELECT * FROM shape", Deadline::in(5s)).columns, std::vector<std::string>{"a"});
  cluster_->psql(0, "ALTER TABLE shape ADD COLUMN b int");
  std::vector<std::string> columns;
  for (int i = 0; i < 2 && columns.size() != 2; ++i) {
    try {
      columns = s.query("SELECT * FROM shape", Deadline::in(5s)).columns;
    } catch (const PgError&) {
      EXPECT_TRUE(s.connected());
    }
  }
  EXPECT_EQ(columns, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(s.connected());
}

TEST_F(PgClientTest, DeadlineCancelsServerSideQuery) {
  PgSession s(cluster_->conninfo(), cluster_->password());
  s.query("SELECT 1", Deadline::in(5s));
  std::string error;
  long long ms = elapsed_ms([&] {
    try {
      s.query("SELECT pg_sleep(10) /* pgw-cancel-probe */", Deadline::in(500ms));
    } catch (const PgError& e) {
      error = e.what();
    }
  });
  EXPECT_NE(error.find("timed out"), std::string::npos) << error;
  EXPECT_GE(ms, 450);
  EXPECT_LT(ms, 1200);
  EXPECT_FALSE(s.connected());

  // The backend must not keep sleeping: the background cancel stops it.
  const std::string probe =
      "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
      "AND query LIKE '%pgw-cancel-probe%' AND state = 'active'";
  EXPECT_TRUE(poll_until([&] { return cluster_->psql(PgCluster::kPrimary, probe) == "0"; }, 3s))
      << "pg_sleep still running on the server";

  // The next call reconnects.
  EXPECT_EQ(s.query("SELECT 3 AS three", Deadline::in(5s)).number(0, "three"), 3.0);
}

TEST_F(PgClientTest, FrozenServerCannotHangTheCaller) {
  PgSession s(cluster_->conninfo(), cluster_->password());
  s.query("SELECT 1", Deadline::in(5s));

  // Resume the server whatever happens below.
  struct Resume {
    PgCluster* c;
    ~Resume() {
      try {
        c->kill_primary(SIGCONT);
      } catch (...) {
      }
    }
  } resume{cluster_};
  cluster_->kill_primary(SIGSTOP);

  std::string error;
  long long ms = elapsed_ms([&] {
    try {
      s.query("SELECT 1", Deadline::in(1s));
    } catch (const PgError& e) {
      error = e.what();
    }
  });
  EXPECT_NE(error.find("timed out"), std::string::npos) << error;
  EXPECT_LT(ms, 2000);

  // A fresh connection attempt is bounded too.
  PgSession fresh(cluster_->conninfo(), cluster_->password());
  error.clear();
  ms = elapsed_ms([&] {
    try {
      fresh.ensure_connected(Deadline::in(1s));
    } catch (const PgError& e) {
      error = e.what();
    }
  });
  EXPECT_NE(error.find("timed out"), std::string::npos) << error;
  EXPECT_LT(ms, 2000);

  cluster_->kill_primary(SIGCONT);
  EXPECT_TRUE(poll_until([&] { return s.query("SELECT 1 AS one", Deadline::in(1s)).number(0, "one") == 1.0; },
                         15s));
  EXPECT_TRUE(s.connected());
}

TEST_F(PgClientTest, WrongPasswordGivesClearErrorWithoutTheSecret) {
  const std::string secret = "Wr0ng-S3cret-Value";
  PgSession s(cluster_->conninfo(), secret);
  try {
    s.query("SELECT 1", Deadline::in(5s));
    FAIL() << "expected authentication to fail";
  } catch (const PgError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("password authentication failed"), std::string::npos) << msg;
    EXPECT_EQ(msg.find(secret), std::string::npos) << msg;
  }
  EXPECT_FALSE(s.connected());
}

TEST_F(PgClientTest, UnreachablePortFailsFast) {
  PgSession s("host=127.0.0.1 port=" + std::to_string(test::free_port()) + " dbname=postgres user=pgwarden",
              "");
  long long ms = elapsed_ms([&] { EXPECT_THROW(s.ensure_connected(Deadline::in(5s)), PgError); });
  EXPECT_LT(ms, 2000);
}

}  // namespace
}  // namespace pgw
