// [[queries]] checks and the sync-queue check against a real PostgreSQL
// holding a small knowledge-base schema. pgvector is not packaged for
// PostgreSQL 15 on Debian: when the extension is missing, chunks.embedding is
// a real[] instead of a vector, which the queries treat the same (NULL or not).
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>

#include "checks/check.h"
#include "core/metric_catalog.h"
#include "tests/fixtures/pg_cluster.h"
#include "tests/fixtures/test_util.h"

namespace pgw {
namespace {

using namespace std::chrono_literals;
using test::PgCluster;

class QueryCheckTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    test::PgClusterOptions primary_only;
    primary_only.standbys = 0;
    cluster_ = new PgCluster(primary_only);
    bool vector = cluster_->psql(0, "SELECT count(*) FROM pg_available_extensions WHERE name = 'vector'") == "1";
    if (vector) cluster_->psql(0, "CREATE EXTENSION vector");
    const std::string embedding = vector ? "vector(3)" : "real[]";
    const std::string e = vector ? "'[1,2,3]'" : "'{1,2,3}'";
    cluster_->psql(0,
        "CREATE TABLE documents (id int PRIMARY KEY, category text NOT NULL, title text);"
        "CREATE TABLE chunks (id serial PRIMARY KEY, document_id int NOT NULL REFERENCES documents(id),"
        "  content text, embedding " + embedding + ");"
        "INSERT INTO documents VALUES (1, 'manual', 'a'), (2, 'manual', 'b'), (3, 'faq', 'c'), (4, 'notes', 'd');"
        "INSERT INTO chunks (document_id, content, embedding) VALUES"
        "  (1, 'x', NULL), (1, 'x', NULL), (2, 'x', NULL), (2, 'x', " + e + "),"
        "  (3, 'x', NULL), (4, 'x', " + e + "), (4, 'x', " + e + ");"
        "GRANT SELECT ON documents, chunks TO pgwarden;");
  }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }

  void SetUp() override {
    cfg_.clusters.emplace_back();
    cfg_.clusters[0].name = "kb";
    NodeConfig node;
    node.name = "alpha";
    node.role = Role::Primary;
    node.conninfo = cluster_->conninfo();
    cfg_.clusters[0].nodes.push_back(node);
  }

  static QueryMetricConfig metric(std::string column, std::string name, std::string type = "gauge",
                                  std::vector<std::string> labels = {}, std::string help = "") {
    QueryMetricConfig m;
    m.column = std::move(column);
    m.name = std::move(name);
    m.type = std::move(type);
    m.labels = std::move(labels);
    m.help = std::move(help);
    return m;
  }

  static QueryConfig query(std::string name, std::string sql, std::vector<QueryMetricConfig> metrics) {
    QueryConfig q;
    q.name = std::move(name);
    q.sql = std::move(sql);
    q.metrics = std::move(metrics);
    return q;
  }

  std::unique_ptr<Check> check_named(const std::string& name) {
    for (auto& c : create_checks(cfg_))
      if (c->name() == name) return std::move(c);
    ADD_FAILURE() << "no check named " << name;
    return nullptr;
  }

  // Runs a check on node `node` over `pg` with the check's own timeout.
  std::vector<Sample> collect(Check& check, PgSession& pg, size_t node = 0) {
    CheckContext ctx;
    ctx.cluster = &cfg_.clusters[0];
    ctx.node = &cfg_.clusters[0].nodes.at(node);
    ctx.pg = &pg;
    ctx.memory = &memory_;
    ctx.deadline = Deadline::in(check.timeout().value_or(10s));
    VectorSink sink;
    check.collect(ctx, sink);
    return sink.samples();
  }

  PgSession session() { return PgSession(cluster_->conninfo(), cluster_->password()); }

  static std::optional<double> value(const std::vector<Sample>& s, const std::string& name,
                                     const Labels& labels = {}) {
    for (const auto& x : s) {
      if (x.name != name) continue;
      bool match = true;
      for (const auto& [k, v] : labels) match = match && label_value(x.labels, k) == v;
      if (match) return x.value;
    }
    return std::nullopt;
  }

  static PgCluster* cluster_;
  Config cfg_;
  std::map<std::string, double> memory_;
};

PgCluster* QueryCheckTest::cluster_ = nullptr;

TEST_F(QueryCheckTest, RowsBecomeLabelledMetrics) {
  cfg_.queries.push_back(query(
      "chunks_without_embedding",
      "SELECT category, count(*) AS n FROM chunks c JOIN documents d ON d.id = c.document_id "
      "WHERE c.embedding IS NULL GROUP BY category",
      {metric("n", "pgwarden_chunks_without_embedding", "gauge", {"category"})}));
  cfg_.queries.push_back(query(
      "backlog",
      "SELECT d.category, count(c.id) AS chunks, sum(length(c.content)) AS chars, NULL::int AS unknown "
      "FROM documents d LEFT JOIN chunks c ON c.document_id = d.id GROUP BY d.category",
      {metric("chunks", "pgwarden_kb_chunks", "gauge", {"category"}),
       metric("chars", "pgwarden_kb_chars_total", "counter", {"category"}, "Characters stored."),
       metric("unknown", "pgwarden_kb_unknown", "gauge", {"category"})}));
  auto missing = check_named("query_chunks_without_embedding");
  auto backlog = check_named("query_backlog");
  ASSERT_TRUE(missing && backlog);
  EXPECT_TRUE(missing->uses_postgres());

  PgSession pg = session();
  auto s = collect(*missing, pg);
  EXPECT_EQ(s.size(), 2u);
  EXPECT_EQ(value(s, "pgwarden_chunks_without_embedding", {{"category", "manual"}}), 3);
  EXPECT_EQ(value(s, "pgwarden_chunks_without_embedding", {{"category", "faq"}}), 1);
  EXPECT_FALSE(value(s, "pgwarden_chunks_without_embedding", {{"category", "notes"}}));
  for (const auto& x : s) EXPECT_EQ(x.labels.size(), 1u) << "only the category label";

  auto b = collect(*backlog, pg);
  EXPECT_EQ(value(b, "pgwarden_kb_chunks", {{"category", "manual"}}), 4);
  EXPECT_EQ(value(b, "pgwarden_kb_chunks", {{"category", "notes"}}), 2);
  EXPECT_EQ(value(b, "pgwarden_kb_chars_total", {{"category", "faq"}}), 1);
  EXPECT_FALSE(value(b, "pgwarden_kb_unknown")) << "NULL values are skipped";

  auto counter = find_metric("pgwarden_kb_chars_total");
  ASSERT_TRUE(counter);
  EXPECT_EQ(counter->type, MetricType::Counter);
  EXPECT_EQ(counter->help, "Characters stored.");
  auto gauge = find_metric("pgwarden_chunks_without_embedding");
  ASSERT_TRUE(gauge);
  EXPECT_EQ(gauge->type, MetricType::Gauge);
  EXPECT_FALSE(gauge->help.empty());
}

TEST_F(QueryCheckTest, AppliesByRoleAndNodeList) {
  QueryConfig q = query("q", "SELECT 1 AS n", {metric("n", "pgwarden_q")});
  q.roles = {Role::Primary, Role::Client};
  q.nodes = {"alpha", "air"};
  cfg_.queries.push_back(q);
  auto check = check_named("query_q");
  ASSERT_TRUE(check);
  NodeConfig n;
  n.name = "alpha";
  n.role = Role::Primary;
  EXPECT_TRUE(check->applies_to(n));
  n.role = Role::Standby;
  EXPECT_FALSE(check->applies_to(n));
  n.name = "air";
  n.role = Role::Client;
  EXPECT_TRUE(check->applies_to(n));
  n.name = "beta";
  EXPECT_FALSE(check->applies_to(n));
}

TEST_F(QueryCheckTest, BadSqlFailsOnlyItsOwnCheck) {
  cfg_.queries.push_back(query("broken", "SELECT n FROM no_such_table", {metric("n", "pgwarden_broken")}));
  cfg_.queries.push_back(query("fine", "SELECT 42 AS n", {metric("n", "pgwarden_fine")}));
  auto broken = check_named("query_broken");
  auto fine = check_named("query_fine");
  ASSERT_TRUE(broken && fine);
  PgSession pg = session();
  EXPECT_THROW(collect(*broken, pg), std::exception);
  EXPECT_EQ(value(collect(*fine, pg), "pgwarden_fine"), 42);
}

TEST_F(QueryCheckTest, NonNumericValueIsAClearError) {
  cfg_.queries.push_back(query("words", "SELECT 'many' AS n", {metric("n", "pgwarden_words")}));
  cfg_.queries.push_back(query("nocol", "SELECT 1 AS m", {metric("n", "pgwarden_nocol")}));
  cfg_.queries.push_back(query("dups", "SELECT 'a' AS k, 1 AS n UNION ALL SELECT 'a', 2",
                               {metric("n", "pgwarden_dups", "gauge", {"k"})}));
  PgSession pg = session();
  auto expect_error = [&](const std::string& check, const std::string& text) {
    auto c = check_named(check);
    ASSERT_TRUE(c);
    try {
      collect(*c, pg);
      ADD_FAILURE() << check << " did not fail";
    } catch (const std::exception& e) {
      std::string msg = e.what();
      EXPECT_NE(msg.find(text), std::string::npos) << msg;
      EXPECT_NE(msg.find("query " + check.substr(6)), std::string::npos) << msg;
    }
  };
  expect_error("query_words", "not a number");
  expect_error("query_nocol", "no column 'n'");
  expect_error("query_dups", "same labels");
}

TEST_F(QueryCheckTest, SlowQueryFailsAtItsOwnTimeout) {
  QueryConfig q = query("slow", "SELECT 1 AS n FROM pg_sleep(10)", {metric("n", "pgwarden_slow")});
  q.timeout = 700ms;
  cfg_.queries.push_back(q);
  auto slow = check_named("query_slow");
  ASSERT_TRUE(slow);
  EXPECT_EQ(slow->timeout(), Duration(700));
  PgSession pg = session();
  pg.ensure_connected(Deadline::in(10s));
  auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(collect(*slow, pg), std::exception);
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, 600ms);
  EXPECT_LT(took, 3s);
}

class SyncQueueTest : public QueryCheckTest {
 protected:
  void SetUp() override {
    QueryCheckTest::SetUp();
    NodeConfig air;
    air.name = "air";
    air.role = Role::Client;
    air.conninfo = cluster_->conninfo();
    air.write_queue = "write_queue";
    cfg_.clusters[0].nodes.push_back(air);
    cluster_->psql(0,
        "CREATE TABLE write_queue (id serial PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now(),"
        "  synced boolean NOT NULL DEFAULT false, payload jsonb);"
        "GRANT SELECT ON write_queue TO pgwarden;");
  }
  void TearDown() override { cluster_->psql(0, "DROP TABLE IF EXISTS write_queue"); }
};

TEST_F(SyncQueueTest, CountsUnsyncedRowsAndOldestAge) {
  auto check = check_named("sync_queue");
  ASSERT_TRUE(check);
  EXPECT_FALSE(check->applies_to(cfg_.clusters[0].nodes[0])) << "primary";
  EXPECT_TRUE(check->applies_to(cfg_.clusters[0].nodes[1])) << "client with write_queue";
  NodeConfig no_queue = cfg_.clusters[0].nodes[1];
  no_queue.write_queue.clear();
  EXPECT_FALSE(check->applies_to(no_queue));

  PgSession pg = session();
  auto empty = collect(*check, pg, 1);
  EXPECT_EQ(value(empty, "pgwarden_sync_queue_pending"), 0);
  EXPECT_EQ(value(empty, "pgwarden_sync_queue_oldest_age_seconds"), 0);

  cluster_->psql(0,
      "INSERT INTO write_queue (created_at, synced, payload) VALUES"
      " (now() - interval '5 hours', true, '{}'),"
      " (now() - interval '90 minutes', false, '{}'),"
      " (now() - interval '10 minutes', false, '{}')");
  auto s = collect(*check, pg, 1);
  EXPECT_EQ(value(s, "pgwarden_sync_queue_pending"), 2);
  auto age = value(s, "pgwarden_sync_queue_oldest_age_seconds");
  ASSERT_TRUE(age);
  EXPECT_GE(*age, 5400);
  EXPECT_LT(*age, 5400 + 60);

  cfg_.clusters[0].nodes[1].write_queue = "public.write_queue";
  EXPECT_EQ(value(collect(*check, pg, 1), "pgwarden_sync_queue_pending"), 2);
}

TEST_F(SyncQueueTest, TableNameIsNeverInterpolated) {
  auto check = check_named("sync_queue");
  ASSERT_TRUE(check);
  PgSession pg = session();
  cfg_.clusters[0].nodes[1].write_queue = "write_queue WHERE false; DROP TABLE documents; --";
  EXPECT_THROW(collect(*check, pg, 1), std::exception);
  cfg_.clusters[0].nodes[1].write_queue = "Write_Queue";  // quoted: case-sensitive, no such table
  EXPECT_THROW(collect(*check, pg, 1), std::exception);
  EXPECT_EQ(cluster_->psql(0, "SELECT count(*) FROM documents"), "4");
}

TEST_F(SyncQueueTest, UnreachableClientJustFailsTheCheck) {
  auto check = check_named("sync_queue");
  ASSERT_TRUE(check);
  std::string dead = "host=127.0.0.1 port=" + std::to_string(test::free_port()) + " dbname=postgres user=pgwarden";
  cfg_.clusters[0].nodes[1].conninfo = dead;
  PgSession pg(dead, "");
  auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(collect(*check, pg, 1), std::exception);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

}  // namespace
}  // namespace pgw
