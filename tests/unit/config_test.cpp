// The config loader: good configs load with the right values; every bad one
// is rejected with an exact "file:line:col: message" error; secrets never
// show up in errors.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "checks/check.h"
#include "checks/conninfo.h"
#include "core/config.h"
#include "exporter/config_loader.h"

namespace pgw {
namespace {

namespace fs = std::filesystem;

// A private temporary directory, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "pgwarden-config-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  // Writes `content` to `name` (creating directories) with `mode`.
  std::string write(const std::string& name, const std::string& content, mode_t mode = 0600) {
    fs::path p = path_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << content;
    chmod(p.c_str(), mode);
    return p.string();
  }

 private:
  fs::path path_;
};

std::vector<std::string> error_strings(const LoadResult& r) {
  std::vector<std::string> out;
  for (const auto& e : r.errors) out.push_back(e.str());
  return out;
}

// Loads `toml` as "bad.toml" and expects exactly one error, `expected`.
void expect_error(const std::string& toml, const std::string& expected) {
  LoadResult r = load_config_string(toml, "bad.toml");
  EXPECT_FALSE(r.config.has_value());
  EXPECT_EQ(error_strings(r), std::vector<std::string>{expected}) << toml;
}

const char* const kInline =
    "inline passwords are not allowed; use password_file or a libpq passfile (PGPASSFILE)";

// ---- bad configs: one exact error each ---------------------------------------

TEST(ConfigErrors, TomlSyntaxError) {
  expect_error("[exporter\nlisten = 1\n",
               "bad.toml:1:10: invalid TOML: Error while parsing table header: expected ']', "
               "saw '\\n'");
}

TEST(ConfigErrors, UnknownKeyWithHint) {
  expect_error("[exporter]\nintervall = \"5s\"\n",
               "bad.toml:2:1: exporter.intervall: unknown key (did you mean \"interval\"?)");
}

TEST(ConfigErrors, UnknownTopLevelKeyListsValidKeys) {
  expect_error("scrape = 1\n",
               "bad.toml:1:1: scrape: unknown key (expected one of: exporter, clusters, queries, "
               "rules, receivers, inhibit_rules, alerts, checks)");
}

TEST(ConfigErrors, BadDuration) {
  expect_error("[exporter]\ninterval = \"5x\"\n",
               "bad.toml:2:12: exporter.interval: \"5x\" is not a duration (expected e.g. 30s, "
               "5m, 1h30m)");
}

TEST(ConfigErrors, DurationOfWrongType) {
  expect_error("[exporter]\ntimeout = 5\n",
               "bad.toml:2:11: exporter.timeout: expected a duration string (e.g. 30s, 5m, "
               "1h30m), got integer");
}

TEST(ConfigErrors, ZeroInterval) {
  expect_error("[exporter]\ninterval = \"0s\"\n",
               "bad.toml:2:12: exporter.interval: must be longer than 0s");
}

TEST(ConfigErrors, WrongType) {
  expect_error("[exporter]\nworkers = \"8\"\n",
               "bad.toml:2:11: exporter.workers: expected an integer, got string");
}

TEST(ConfigErrors, IntegerOutOfRange) {
  expect_error("[exporter]\nworkers = 0\n",
               "bad.toml:2:11: exporter.workers: must be between 1 and 1024, got 0");
}

TEST(ConfigErrors, BadListenAddress) {
  expect_error("[exporter]\nlisten = \"localhost\"\n",
               "bad.toml:2:10: exporter.listen: \"localhost\" is not a listen address (expected "
               "HOST:PORT, e.g. 127.0.0.1:9847)");
}

TEST(ConfigErrors, ListenPortOutOfRange) {
  expect_error("[exporter]\nlisten = \"127.0.0.1:70000\"\n",
               "bad.toml:2:10: exporter.listen: \"127.0.0.1:70000\" is not a listen address "
               "(expected HOST:PORT, e.g. 127.0.0.1:9847)");
}

TEST(ConfigErrors, BadLogLevel) {
  expect_error("[exporter]\nlog_level = \"verbose\"\n",
               "bad.toml:2:13: exporter.log_level: \"verbose\" is not a log level (expected one "
               "of: trace, debug, info, warn, error, critical, off)");
}

TEST(ConfigErrors, SectionOfWrongType) {
  expect_error("clusters = \"aya\"\n",
               "bad.toml:1:12: clusters: expected an array of tables ([[clusters]]), got string");
}

TEST(ConfigErrors, BadRole) {
  expect_error(R"([[clusters]]
name = "aya"
[[clusters.nodes]]
name = "alpha"
role = "master"
)",
               "bad.toml:5:8: clusters[0].nodes[0].role: \"master\" is not a role (expected "
               "primary, standby, client or auto)");
}

TEST(ConfigErrors, MissingNodeName) {
  expect_error(R"([[clusters]]
name = "aya"
[[clusters.nodes]]
role = "primary"
)",
               "bad.toml:3:1: clusters[0].nodes[0].name: missing (required)");
}

TEST(ConfigErrors, ClusterWithoutNodes) {
  expect_error("[[clusters]]\nname = \"aya\"\n",
               "bad.toml:1:1: clusters[0].nodes: missing (a cluster needs at least one "
               "[[clusters.nodes]])");
}

TEST(ConfigErrors, DuplicateNodeName) {
  expect_error(R"([[clusters]]
name = "aya"
[[clusters.nodes]]
name = "alpha"
role = "primary"
[[clusters.nodes]]
name = "alpha"
role = "standby"
)",
               "bad.toml:7:8: clusters[0].nodes[1].name: duplicate node name \"alpha\" (first "
               "defined at bad.toml:4:8)");
}

TEST(ConfigErrors, DuplicateClusterName) {
  expect_error(R"([[clusters]]
name = "aya"
nodes = [{ name = "a", role = "primary" }]
[[clusters]]
name = "aya"
nodes = [{ name = "b", role = "primary" }]
)",
               "bad.toml:5:8: clusters[1].name: duplicate cluster name \"aya\" (first defined at "
               "bad.toml:2:8)");
}

// expected_standbys / sync_standbys are application_name values (DESIGN):
// a standby pgwarden does not watch, or one named "walreceiver", is fine.
TEST(ConfigLoad, StandbyNamesNeedNotBeNodes) {
  LoadResult r = load_config_string(R"([[clusters]]
name = "aya"
[[clusters.nodes]]
name = "alpha"
role = "primary"
expected_standbys = ["beta", "walreceiver"]
sync_standbys = ["gamma"]
[[clusters.nodes]]
name = "beta"
role = "standby"
)", "ok.toml");
  ASSERT_TRUE(r.config.has_value()) << testing::PrintToString(error_strings(r));
  const auto& alpha = r.config->clusters.at(0).nodes.at(0);
  EXPECT_EQ(alpha.expected_standbys, (std::vector<std::string>{"beta", "walreceiver"}));
  EXPECT_EQ(alpha.sync_standbys, std::vector<std::string>{"gamma"});
}

// Cluster-level expectations (DESIGN): read from [[clusters]], checked on
// whichever node is the primary.
TEST(ConfigLoad, ClusterLevelExpectationsWithAutoNodes) {
  LoadResult r = load_config_string(R"([[clusters]]
name = "aya"
expected_standbys = ["alpha", "beta"]
expected_slots = ["alpha", "beta"]
sync_standbys = ["alpha", "beta"]
[[clusters.nodes]]
name = "alpha"
role = "auto"
[[clusters.nodes]]
name = "beta"
role = "auto"
)", "ok.toml");
  ASSERT_TRUE(r.config.has_value()) << testing::PrintToString(error_strings(r));
  const auto& aya = r.config->clusters.at(0);
  EXPECT_EQ(aya.expected_standbys, (std::vector<std::string>{"alpha", "beta"}));
  EXPECT_EQ(aya.expected_slots, (std::vector<std::string>{"alpha", "beta"}));
  EXPECT_EQ(aya.sync_standbys, (std::vector<std::string>{"alpha", "beta"}));
  EXPECT_EQ(aya.nodes.at(0).role, Role::Auto);
  EXPECT_TRUE(aya.nodes.at(0).expected_standbys.empty());
}

TEST(ConfigErrors, NodeLevelExpectationOnAutoNode) {
  expect_error(R"([[clusters]]
name = "aya"
[[clusters.nodes]]
name = "alpha"
role = "auto"
expected_slots = ["beta"]
)",
               "bad.toml:6:18: clusters[0].nodes[0].expected_slots: not allowed on a node with role \"auto\": "
               "set expected_slots on its [[clusters]] table, where it is checked on whichever node is the primary");
}

TEST(ConfigErrors, ClusterLevelExpectationsAreValidated) {
  expect_error(R"([[clusters]]
name = "aya"
sync_standbys = ["beta", ""]
[[clusters.nodes]]
name = "alpha"
role = "auto"
)",
               "bad.toml:3:26: clusters[0].sync_standbys[1]: empty application_name");
  expect_error(R"([[clusters]]
name = "aya"
expected_slots = ["Beta-Slot"]
[[clusters.nodes]]
name = "alpha"
role = "auto"
)",
               "bad.toml:3:19: clusters[0].expected_slots[0]: \"Beta-Slot\" is not a replication slot name "
               "(expected lower-case letters, digits, _)");
  expect_error(R"([[clusters]]
name = "aya"
expected_standbys = "beta"
[[clusters.nodes]]
name = "alpha"
role = "auto"
)",
               "bad.toml:3:21: clusters[0].expected_standbys: expected an array of strings, got string");
}

TEST(ConfigErrors, ExpectedStandbyIsThisNode) {
  expect_error(R"([[clusters]]
name = "aya"
[[clusters.nodes]]
name = "alpha"
role = "primary"
expected_standbys = ["alpha"]
)",
               "bad.toml:6:22: clusters[0].nodes[0].expected_standbys[0]: \"alpha\" is this node itself");
}

TEST(ConfigErrors, SyncStandbyIsEmpty) {
  expect_error(R"([[clusters]]
name = "aya"
[[clusters.nodes]]
name = "alpha"
role = "primary"
sync_standbys = [""]
)",
               "bad.toml:6:18: clusters[0].nodes[0].sync_standbys[0]: empty application_name");
}

TEST(ConfigErrors, BadConninfo) {
  expect_error(R"([[clusters]]
name = "aya"
[[clusters.nodes]]
name = "alpha"
role = "primary"
conninfo = "host=alpha port"
)",
               "bad.toml:6:12: clusters[0].nodes[0].conninfo: not a valid libpq conninfo: "
               "missing \"=\" after \"port\" in connection info string");
}

TEST(ConfigErrors, UnknownConninfoKeyword) {
  expect_error(R"([[clusters]]
name = "aya"
[[clusters.nodes]]
name = "alpha"
role = "primary"
conninfo = "host=alpha dbnmae=aya"
)",
               "bad.toml:6:12: clusters[0].nodes[0].conninfo: not a valid libpq conninfo: "
               "invalid connection option \"...\"");
}

TEST(ConfigErrors, PasswordInConninfo) {
  expect_error(R"([[clusters]]
name = "aya"
[[clusters.nodes]]
name = "alpha"
role = "primary"
conninfo = "host=alpha password=hunter2"
)",
               std::string("bad.toml:6:12: clusters[0].nodes[0].conninfo: ") + kInline);
}

TEST(ConfigErrors, PasswordInConninfoUri) {
  expect_error(R"([[clusters]]
name = "aya"
[[clusters.nodes]]
name = "alpha"
role = "primary"
conninfo = "postgresql://pgwarden:hunter2@alpha/aya"
)",
               std::string("bad.toml:6:12: clusters[0].nodes[0].conninfo: ") + kInline);
}

TEST(ConfigErrors, PasswordKey) {
  expect_error(R"([[clusters]]
name = "aya"
[[clusters.nodes]]
name = "alpha"
role = "primary"
password = "hunter2"
)",
               std::string("bad.toml:6:1: clusters[0].nodes[0].password: ") + kInline);
}

TEST(ConfigErrors, PasswordKeyAnywhere) {
  expect_error("[exporter]\npassword = \"x\"\n",
               std::string("bad.toml:2:1: exporter.password: ") + kInline);
}

TEST(ConfigErrors, UnknownKeyInInlineTable) {
  expect_error(R"([[clusters]]
name = "aya"
[[clusters.nodes]]
name = "alpha"
role = "primary"
embedder = { url = "http://127.0.0.1:8765", dimensoin = 768 }
)",
               "bad.toml:6:45: clusters[0].nodes[0].embedder.dimensoin: unknown key (did you mean "
               "\"dimension\"?)");
}

TEST(ConfigErrors, EmbedderUrlNotHttp) {
  expect_error(R"([[clusters]]
name = "aya"
[[clusters.nodes]]
name = "alpha"
role = "primary"
embedder = { url = "127.0.0.1:8765" }
)",
               "bad.toml:6:20: clusters[0].nodes[0].embedder.url: expected an http:// or https:// "
               "URL");
}

TEST(ConfigErrors, SshWithoutKnownHosts) {
  expect_error(R"([[clusters]]
name = "aya"
[[clusters.nodes]]
name = "alpha"
role = "primary"
ssh = { host = "alpha", user = "monitor" }
)",
               "bad.toml:6:7: clusters[0].nodes[0].ssh.known_hosts: missing (required)");
}

TEST(ConfigErrors, BadWriteQueueTable) {
  expect_error(R"([[clusters]]
name = "aya"
[[clusters.nodes]]
name = "air"
role = "client"
write_queue = "write_queue; DROP TABLE x"
)",
               "bad.toml:6:15: clusters[0].nodes[0].write_queue: \"write_queue; DROP TABLE x\" is "
               "not a table name (expected e.g. write_queue or sync.write_queue)");
}

TEST(ConfigErrors, RelativeDiskPath) {
  expect_error(R"([[clusters]]
name = "aya"
[[clusters.nodes]]
name = "alpha"
role = "primary"
disk_paths = ["/", "data"]
)",
               "bad.toml:6:20: clusters[0].nodes[0].disk_paths[1]: \"data\" is not an absolute "
               "path (it is a path on the node)");
}

TEST(ConfigErrors, EtcdWithoutUrl) {
  expect_error(R"([[clusters]]
name = "aya"
nodes = [{ name = "a", role = "primary" }]
[[clusters.etcd]]
timeout = "2s"
)",
               "bad.toml:4:1: clusters[0].etcd[0].url: missing (required)");
}

TEST(ConfigErrors, MetricNameWithoutPrefix) {
  expect_error(R"([[queries]]
name = "q"
sql = "SELECT 1 AS n"
metrics = [{ column = "n", name = "chunks_total" }]
)",
               "bad.toml:4:35: queries[0].metrics[0].name: \"chunks_total\" must start with "
               "pgwarden_");
}

TEST(ConfigErrors, MetricNameInvalid) {
  expect_error(R"([[queries]]
name = "q"
sql = "SELECT 1 AS n"
metrics = [{ column = "n", name = "pgwarden-chunks" }]
)",
               "bad.toml:4:35: queries[0].metrics[0].name: \"pgwarden-chunks\" is not a valid "
               "metric name (expected [a-zA-Z_:][a-zA-Z0-9_:]*)");
}

TEST(ConfigErrors, QueryWithoutMetrics) {
  expect_error("[[queries]]\nname = \"q\"\nsql = \"SELECT 1\"\n",
               "bad.toml:1:1: queries[0].metrics: missing (required: e.g. metrics = [{ column = "
               "\"n\", name = \"pgwarden_n\" }])");
}

TEST(ConfigErrors, QueryBadRole) {
  expect_error(R"([[queries]]
name = "q"
roles = ["primary", "replica"]
sql = "SELECT 1 AS n"
metrics = [{ column = "n", name = "pgwarden_n" }]
)",
               "bad.toml:3:21: queries[0].roles[1]: \"replica\" is not a role (expected primary, "
               "standby or client)");
}

TEST(ConfigErrors, QueryUnknownNode) {
  expect_error(R"([[clusters]]
name = "aya"
nodes = [{ name = "alpha", role = "primary" }]
[[queries]]
name = "q"
nodes = ["beta"]
sql = "SELECT 1 AS n"
metrics = [{ column = "n", name = "pgwarden_n" }]
)",
               "bad.toml:6:10: queries[0].nodes[0]: \"beta\" is not a configured node (expected "
               "one of: alpha)");
}

TEST(ConfigErrors, DuplicateQueryName) {
  expect_error(R"([[queries]]
name = "q"
sql = "SELECT 1 AS n"
metrics = [{ column = "n", name = "pgwarden_a" }]
[[queries]]
name = "q"
sql = "SELECT 1 AS n"
metrics = [{ column = "n", name = "pgwarden_b" }]
)",
               "bad.toml:6:8: queries[1].name: duplicate query name \"q\" (first defined at "
               "bad.toml:2:8)");
}

TEST(ConfigErrors, RuleBadSeverity) {
  expect_error(R"([[rules]]
alert = "X"
expr = "up == 0"
severity = "page"
)",
               "bad.toml:4:12: rules[0].severity: \"page\" is not a severity (expected critical, "
               "warning, info or none)");
}

TEST(ConfigErrors, RuleWithoutExpr) {
  expect_error("[[rules]]\nalert = \"X\"\n", "bad.toml:1:1: rules[0].expr: missing (required)");
}

TEST(ConfigErrors, RuleWithoutAlert) {
  expect_error("[[rules]]\nexpr = \"up == 0\"\n",
               "bad.toml:1:1: rules[0].alert: missing (required)");
}

TEST(ConfigErrors, RuleBadFor) {
  expect_error("[[rules]]\nalert = \"X\"\nexpr = \"up == 0\"\nfor = \"1 minute\"\n",
               "bad.toml:4:7: rules[0].for: \"1 minute\" is not a duration (expected e.g. 30s, "
               "5m, 1h30m)");
}

TEST(ConfigErrors, ReceiverBadType) {
  expect_error(R"([[receivers]]
name = "ops"
type = "mail"
url = "https://hooks.example.com/x"
)",
               "bad.toml:3:8: receivers[0].type: \"mail\" is not a receiver type (expected "
               "webhook, slack, discord, pagerduty, alertmanager or email)");
}

const char* const kEmail = R"([[receivers]]
name = "mail"
type = "email"
url = "smtp://mail.example.com:587"
from = "pgwarden@example.com"
to = ["a@example.com", "b@example.com"]
)";

TEST(ConfigEmail, MinimalEmailReceiverDefaultsToStartTls) {
  LoadResult r = load_config_string(kEmail, "ok.toml");
  ASSERT_TRUE(r.config.has_value()) << (r.errors.empty() ? "" : r.errors[0].str());
  const auto& rc = r.config->receivers[0];
  EXPECT_EQ(rc.tls, "starttls");
  EXPECT_EQ(rc.to, (std::vector<std::string>{"a@example.com", "b@example.com"}));
  EXPECT_EQ(rc.from, "pgwarden@example.com");
}

TEST(ConfigEmail, PasswordComesFromAFileAndNeedsAUser) {
  TempDir dir;
  std::string file = dir.write("smtp.pw", "s3cret\n", 0600);
  LoadResult r = load_config_string(std::string(kEmail) + "username = \"u\"\npassword_file = \"" + file + "\"\n", "ok.toml");
  ASSERT_TRUE(r.config.has_value()) << (r.errors.empty() ? "" : r.errors[0].str());
  EXPECT_EQ(r.config->receivers[0].password, "s3cret");
  expect_error(std::string(kEmail) + "username = \"u\"\n",
               "bad.toml:7:12: receivers[0].username: needs password_file (the SMTP password is "
               "never written in the config)");
  expect_error(std::string(kEmail) + "password = \"x\"\n",
               "bad.toml:7:1: receivers[0].password: inline passwords are not allowed; use "
               "password_file or a libpq passfile (PGPASSFILE)");
}

TEST(ConfigEmail, BadValuesPointAtTheKey) {
  expect_error(std::string(kEmail) + "tls = \"ssl\"\n",
               "bad.toml:7:7: receivers[0].tls: \"ssl\" is not a TLS mode (expected \"starttls\" or "
               "\"none\"; use an smtps:// url for TLS from the start)");
  expect_error(R"([[receivers]]
name = "mail"
type = "email"
url = "https://mail.example.com"
from = "pgwarden@example.com"
to = ["a@example.com"]
)",
               "bad.toml:4:7: receivers[0].url: expected smtp://host:port (STARTTLS) or "
               "smtps://host:port (TLS)");
  expect_error(R"([[receivers]]
name = "mail"
type = "email"
url = "smtp://mail.example.com"
from = "pgwarden@example.com"
to = ["a@example.com", "not an address"]
)",
               "bad.toml:6:24: receivers[0].to[1]: \"not an address\" is not an email address");
  expect_error(R"([[receivers]]
name = "mail"
type = "email"
url = "smtp://mail.example.com"
from = "pgwarden@example.com"
)",
               "bad.toml:1:1: receivers[0].to: missing (email receivers need recipients)");
  expect_error(R"([[receivers]]
name = "ops"
type = "webhook"
url = "https://hooks.example.com/x"
to = ["a@example.com"]
)",
               "bad.toml:5:1: receivers[0].to: unknown key (expected one of: name, type, url, "
               "url_file, send_resolved, group_by, group_wait, group_interval, repeat_interval, "
               "timeout, outbox_max_age, match, hmac_secret_file, routing_key_file, ca_file)");
}

TEST(ConfigEmail, ExternalUrlIsAnHttpUrl) {
  LoadResult r = load_config_string("[exporter]\nexternal_url = \"https://pgw.example.com/\"\n", "ok.toml");
  ASSERT_TRUE(r.config.has_value()) << (r.errors.empty() ? "" : r.errors[0].str());
  EXPECT_EQ(r.config->exporter.external_url, "https://pgw.example.com");
  LoadResult bad = load_config_string("[exporter]\nexternal_url = \"pgw.example.com\"\n", "bad.toml");
  EXPECT_FALSE(bad.config.has_value());
}

TEST(ConfigErrors, ReceiverWithoutUrl) {
  expect_error("[[receivers]]\nname = \"ops\"\ntype = \"webhook\"\n",
               "bad.toml:1:1: receivers[0]: missing url or url_file (one is required)");
}

TEST(ConfigErrors, PagerDutyWithoutRoutingKey) {
  expect_error("[[receivers]]\nname = \"pd\"\ntype = \"pagerduty\"\n",
               "bad.toml:1:1: receivers[0].routing_key_file: missing (pagerduty receivers need "
               "the integration key in a file)");
}

TEST(ConfigErrors, DuplicateReceiverName) {
  expect_error(R"([[receivers]]
name = "ops"
type = "alertmanager"
url = "http://127.0.0.1:9093"
[[receivers]]
name = "ops"
type = "alertmanager"
url = "http://127.0.0.1:9094"
)",
               "bad.toml:6:8: receivers[1].name: duplicate receiver name \"ops\" (first defined "
               "at bad.toml:2:8)");
}

TEST(ConfigErrors, ReceiverBadGroupBy) {
  expect_error(R"([[receivers]]
name = "ops"
type = "alertmanager"
url = "http://127.0.0.1:9093"
group_by = ["alert-name"]
)",
               "bad.toml:5:13: receivers[0].group_by[0]: \"alert-name\" is not a valid label name "
               "(expected [a-zA-Z_][a-zA-Z0-9_]*)");
}

TEST(ConfigErrors, DisabledAlertNotBuiltin) {
  expect_error("[alerts]\ndisabled = [\"PgNodDown\"]\n",
               "bad.toml:2:13: alerts.disabled[0]: \"PgNodDown\" is not a built-in alert (did you "
               "mean \"PgNodeDown\"?)");
}

TEST(ConfigErrors, RatioOutOfRange) {
  expect_error("[alerts]\ndisk_free_warning_ratio = 10\n",
               "bad.toml:2:27: alerts.disk_free_warning_ratio: expected a number between 0 and 1, "
               "got 10");
}

TEST(ConfigErrors, UnknownCheckModule) {
  std::vector<std::string> modules = registered_modules();
  std::string valid;
  for (const auto& m : modules) valid += (valid.empty() ? "" : ", ") + m;
  expect_error("[checks.no_such_module]\ninterval = \"1m\"\n",
               "bad.toml:1:9: checks.no_such_module: unknown check module; valid modules: " +
                   valid);
}

TEST(ConfigErrors, MisspelledCheckModuleGetsAHint) {
  std::vector<std::string> modules = registered_modules();
  ASSERT_FALSE(modules.empty());
  std::string valid;
  for (const auto& m : modules) valid += (valid.empty() ? "" : ", ") + m;
  const std::string typo = modules.front() + "x";
  expect_error("[checks." + typo + "]\nenabled = false\n",
               "bad.toml:1:9: checks." + typo + ": unknown check module (did you mean \"" +
                   modules.front() + "\"?); valid modules: " + valid);
}

TEST(ConfigErrors, UnknownKeyInCheckSettings) {
  std::vector<std::string> modules = registered_modules();
  ASSERT_FALSE(modules.empty());
  const std::string& m = modules.front();
  expect_error("[checks." + m + "]\nenable = false\n",
               "bad.toml:2:1: checks." + m + ".enable: unknown key (did you mean \"enabled\"?)");
}

TEST(ConfigErrors, MissingFile) {
  LoadResult r = load_config_file("/nonexistent/pgwarden.toml");
  EXPECT_FALSE(r.config.has_value());
  EXPECT_EQ(error_strings(r),
            std::vector<std::string>{"/nonexistent/pgwarden.toml: cannot read the config file "
                                     "(missing or not readable)"});
}

// ---- all errors are collected, in file order -------------------------------

TEST(ConfigErrors, CollectsEveryError) {
  LoadResult r = load_config_string(R"([exporter]
interval = "5x"
workers = -1
[[clusters]]
name = "aya"
[[clusters.nodes]]
name = "alpha"
role = "leader"
[[rules]]
alert = "X"
)",
                                    "multi.toml");
  EXPECT_FALSE(r.config.has_value());
  EXPECT_EQ(error_strings(r),
            (std::vector<std::string>{
                "multi.toml:2:12: exporter.interval: \"5x\" is not a duration (expected e.g. 30s, "
                "5m, 1h30m)",
                "multi.toml:3:11: exporter.workers: must be between 1 and 1024, got -1",
                "multi.toml:8:8: clusters[0].nodes[0].role: \"leader\" is not a role (expected "
                "primary, standby, client or auto)",
                "multi.toml:9:1: rules[0].expr: missing (required)",
            }));
}

// ---- secret files ------------------------------------------------------------

std::string node_with(const std::string& extra) {
  return "[[clusters]]\nname = \"aya\"\n[[clusters.nodes]]\nname = \"alpha\"\nrole = "
         "\"primary\"\n" +
         extra + "\n";
}

TEST(ConfigSecrets, PasswordFileIsReadAndTrimmed) {
  TempDir dir;
  std::string file = dir.write("pw", "s3cret\n");
  LoadResult r = load_config_string(node_with("password_file = \"" + file + "\""), "ok.toml");
  ASSERT_TRUE(r.config.has_value()) << (r.errors.empty() ? "" : r.errors[0].str());
  EXPECT_EQ(r.config->clusters[0].nodes[0].password, "s3cret");
  EXPECT_EQ(r.config->clusters[0].nodes[0].password_file, file);
}

TEST(ConfigSecrets, MissingSecretFileNamesThePath) {
  TempDir dir;
  std::string file = (dir.path() / "nope").string();
  expect_error(node_with("password_file = \"" + file + "\""),
               "bad.toml:6:17: clusters[0].nodes[0].password_file: cannot read \"" + file +
                   "\": No such file or directory");
}

TEST(ConfigSecrets, OthersReadableSecretFileIsRejected) {
  TempDir dir;
  std::string file = dir.write("pw", "s3cret\n", 0644);
  expect_error(node_with("password_file = \"" + file + "\""),
               "bad.toml:6:17: clusters[0].nodes[0].password_file: \"" + file +
                   "\" is readable or writable by others (mode 0644); fix it with: chmod o-rwx " +
                   file);
}

TEST(ConfigSecrets, OthersWritableSecretFileIsRejected) {
  TempDir dir;
  std::string file = dir.write("url", "https://hooks.example.com/x\n", 0602);
  expect_error("[[receivers]]\nname = \"ops\"\ntype = \"webhook\"\nurl_file = \"" + file + "\"\n",
               "bad.toml:4:12: receivers[0].url_file: \"" + file +
                   "\" is readable or writable by others (mode 0602); fix it with: chmod o-rwx " +
                   file);
}

// root:pgwarden 0640 under systemd: the group may read a secret.
TEST(ConfigSecrets, GroupReadableSecretFileIsAccepted) {
  TempDir dir;
  std::string file = dir.write("url", "https://hooks.example.com/x\n", 0640);
  LoadResult r = load_config_string(
      "[[receivers]]\nname = \"ops\"\ntype = \"webhook\"\nurl_file = \"" + file + "\"\n", "ok.toml");
  ASSERT_TRUE(r.config.has_value()) << (r.errors.empty() ? "" : r.errors[0].str());
  EXPECT_EQ(r.config->receivers[0].url, "https://hooks.example.com/x");
}

TEST(ConfigSecrets, EmptySecretFileIsRejected) {
  TempDir dir;
  std::string file = dir.write("pw", "\n");
  expect_error(node_with("password_file = \"" + file + "\""),
               "bad.toml:6:17: clusters[0].nodes[0].password_file: \"" + file + "\" is empty");
}

TEST(ConfigSecrets, BasicAuthFileIsReadAndChecked) {
  TempDir dir;
  std::string file = dir.write("users", "# web users\nprom:pa:ss\n\n");
  LoadResult r = load_config_string("[exporter]\nbasic_auth_file = \"" + file + "\"\n", "ok.toml");
  ASSERT_TRUE(r.config.has_value()) << (r.errors.empty() ? "" : r.errors[0].str());
  EXPECT_EQ(r.config->exporter.basic_auth_file, file);
  EXPECT_EQ(r.config->exporter.basic_auth, "# web users\nprom:pa:ss");
}

TEST(ConfigSecrets, BasicAuthFileWithABadLineIsRejectedWithoutItsContent) {
  TempDir dir;
  std::string file = dir.write("users", "prom:ok\nTOPSECRETLINE\n");
  expect_error("[exporter]\nbasic_auth_file = \"" + file + "\"\n",
               "bad.toml:2:19: exporter.basic_auth_file: \"" + file +
                   "\": line 2 is not \"user:password\"");
  std::string only_comments = dir.write("comments", "# nobody\n");
  expect_error("[exporter]\nbasic_auth_file = \"" + only_comments + "\"\n",
               "bad.toml:2:19: exporter.basic_auth_file: \"" + only_comments +
                   "\": has no \"user:password\" line");
}

TEST(ConfigReceivers, CaFileIsResolvedAndMustBeReadable) {
  TempDir dir;
  std::string ca = dir.write("ca.pem", "-----BEGIN CERTIFICATE-----\n", 0644);  // not a secret
  LoadResult r = load_config_string("[[receivers]]\nname = \"ops\"\ntype = \"webhook\"\n"
                                    "url = \"https://hooks.example.com/x\"\nca_file = \"" + ca + "\"\n",
                                    "ok.toml");
  ASSERT_TRUE(r.config.has_value()) << (r.errors.empty() ? "" : r.errors[0].str());
  EXPECT_EQ(r.config->receivers[0].ca_file, ca);
  std::string missing = (dir.path() / "nope.pem").string();
  expect_error("[[receivers]]\nname = \"ops\"\ntype = \"webhook\"\n"
               "url = \"https://hooks.example.com/x\"\nca_file = \"" + missing + "\"\n",
               "bad.toml:5:11: receivers[0].ca_file: cannot read \"" + missing +
                   "\" (expected a PEM file of CA certificates)");
}

TEST(ConfigSecrets, UrlFileAndKeysAreLoaded) {
  TempDir dir;
  std::string url = dir.write("url", "https://hooks.example.com/T0/B1/abc\r\n");
  std::string hmac = dir.write("hmac", "k3y");
  std::string key = dir.write("rk", "routing-key\n");
  LoadResult r = load_config_string("[[receivers]]\nname = \"ops\"\ntype = \"webhook\"\n"
                                    "url_file = \"" + url + "\"\nhmac_secret_file = \"" + hmac +
                                        "\"\n[[receivers]]\nname = \"pd\"\ntype = \"pagerduty\"\n"
                                        "routing_key_file = \"" + key + "\"\n",
                                    "ok.toml");
  ASSERT_TRUE(r.config.has_value()) << (r.errors.empty() ? "" : r.errors[0].str());
  const auto& ops = r.config->receivers[0];
  EXPECT_EQ(ops.url, "https://hooks.example.com/T0/B1/abc");
  EXPECT_EQ(ops.url_file, url);
  EXPECT_EQ(ops.hmac_secret, "k3y");
  const auto& pd = r.config->receivers[1];
  EXPECT_EQ(pd.routing_key, "routing-key");
  EXPECT_EQ(pd.url, "https://events.pagerduty.com/v2/enqueue");
}

// Every way a secret could leak into a message: file contents that fail
// validation, inline credentials in URLs and conninfo, values of unknown keys.
TEST(ConfigSecrets, SecretsNeverAppearInErrors) {
  const std::string secret = "Sup3rS3cretT0ken";
  TempDir dir;
  std::string pw = dir.write("pw", secret + "\n");
  std::string url = dir.write("url", "not-a-url-" + secret + "\n");
  std::string doc = R"([exporter]
webhook = "https://hooks.example.com/)" + secret + R"("
[[clusters]]
name = "aya"
[[clusters.nodes]]
name = "alpha"
role = "leader"
password_file = ")" + pw + R"("
conninfo = "host=alpha )" + secret + R"("
[[clusters.nodes]]
name = "beta"
role = "standby"
conninfo = "postgresql://u:)" + secret + R"(@beta/db"
password = ")" + secret + R"("
embedder = { url = "http://u:)" + secret + R"(@beta:8765/)" + secret + R"(", dimension = -1 }
[[receivers]]
name = "ops"
type = "webhook"
url_file = ")" + url + R"("
[[receivers]]
name = "chat"
type = "chat"
url = "ftp://hooks.example.com/)" + secret + R"("
)";
  LoadResult r = load_config_string(doc, "secret.toml");
  EXPECT_FALSE(r.config.has_value());
  EXPECT_GE(r.errors.size(), 8u);
  for (const auto& e : r.errors) EXPECT_EQ(e.str().find(secret), std::string::npos) << e.str();
  // The inline URL's scheme and host may be shown, nothing after them.
  for (const auto& e : r.errors) EXPECT_EQ(e.str().find("/hooks.example.com/"), std::string::npos);
}

// ---- good configs ------------------------------------------------------------

TEST(ConfigLoad, EmptyConfigHasDefaults) {
  LoadResult r = load_config_string("", "empty.toml");
  ASSERT_TRUE(r.config.has_value());
  const Config& c = *r.config;
  EXPECT_EQ(c.path, "empty.toml");
  EXPECT_EQ(c.exporter.listen, "127.0.0.1:9847");
  EXPECT_EQ(c.exporter.interval, Duration(5000));
  EXPECT_EQ(c.exporter.timeout, Duration(3000));
  EXPECT_EQ(c.exporter.state_dir, "/var/lib/pgwarden");
  EXPECT_EQ(c.exporter.workers, 8);
  EXPECT_TRUE(c.alerts.builtin);
  EXPECT_EQ(c.alerts.lag_warning_bytes, 10e6);
  EXPECT_TRUE(c.clusters.empty());
  EXPECT_TRUE(c.checks.empty());
}

TEST(ConfigLoad, DesignExampleLoads) {
  TempDir dir;
  std::string key = dir.write("id_monitor", "private key");
  // DESIGN.md's example, with real paths for the SSH key and a beta node so
  // that expected_standbys names a node of the cluster.
  std::string doc = R"([exporter]
listen = "127.0.0.1:9847"
interval = "5s"            # default check interval
state_dir = "/var/lib/pgwarden"

[[clusters]]
name = "aya"

[[clusters.nodes]]
name = "alpha"
role = "primary"           # expected role: primary | standby | client
conninfo = "host=alpha.example port=5432 dbname=aya_rag user=pgwarden"
expected_standbys = ["beta"]        # application_name values expected streaming
expected_slots = ["beta_slot"]
sync_standbys = ["beta"]            # must report sync_state sync|quorum
embedder = { url = "http://alpha.example:8765", probe_text = "health probe", dimension = 768 }
patroni = { url = "http://alpha.example:8008" }
ssh = { host = "alpha.example", port = 22, user = "monitor", key_file = ")" + key +
                    R"(", known_hosts = "/etc/pgwarden/known_hosts" }
data_dir = "/Library/PostgreSQL/18/data"   # optional; default: SHOW data_directory
disk_paths = ["/Library/PostgreSQL/18/data"]
backup_glob = "/Users/x/AYA/backups/aya_rag_*.sql*"

[[clusters.nodes]]
name = "beta"
role = "standby"
conninfo = "host=beta.example dbname=aya_rag user=pgwarden"

[[clusters.nodes]]
name = "air"
role = "client"            # a laptop with its own copy: often offline by design
conninfo = "host=air.example dbname=aya_rag user=pgwarden"
write_queue = "write_queue"         # table read by the built-in sync-queue check

[[clusters.etcd]]
url = "http://alpha.example:2379"

[[queries]]                # custom SQL → metrics, on nodes whose role matches
name = "chunks_without_embedding"
roles = ["primary", "client"]
sql = "SELECT category, count(*) AS n FROM chunks c JOIN documents d ON d.id = c.document_id WHERE c.embedding IS NULL GROUP BY category"
metrics = [{ column = "n", name = "pgwarden_chunks_without_embedding", type = "gauge", labels = ["category"] }]

[[rules]]                  # built-in rules are on unless [alerts] builtin = false
alert = "BetaReplayLagHigh"
expr = 'pgwarden_replication_lag_bytes{application_name="beta", stage="replay"} > 10e6'
for = "1m"
severity = "warning"
annotations = { summary = "{{ $labels.node }} lag {{ $value | humanize1024 }}B" }

[[receivers]]
name = "ops"
type = "webhook"           # webhook | slack | discord | pagerduty | alertmanager
url = "https://..."        # or url_file = "..." (secret)
send_resolved = true
group_wait = "10s"
repeat_interval = "4h"
match = { severity = "critical" }   # optional
)";
  LoadResult r = load_config_string(doc, "design.toml");
  ASSERT_TRUE(r.config.has_value()) << (r.errors.empty() ? "" : r.errors[0].str());
  const Config& c = *r.config;
  EXPECT_EQ(c.exporter.interval, Duration(5000));
  ASSERT_EQ(c.clusters.size(), 1u);
  const ClusterConfig& aya = c.clusters[0];
  EXPECT_EQ(aya.name, "aya");
  EXPECT_EQ(aya.pos.str(), "design.toml:6:1");
  ASSERT_EQ(aya.nodes.size(), 3u);
  const NodeConfig& alpha = aya.nodes[0];
  EXPECT_EQ(alpha.name, "alpha");
  EXPECT_EQ(alpha.role, Role::Primary);
  EXPECT_EQ(alpha.conninfo, "host=alpha.example port=5432 dbname=aya_rag user=pgwarden");
  EXPECT_EQ(alpha.expected_standbys, std::vector<std::string>{"beta"});
  EXPECT_EQ(alpha.expected_slots, std::vector<std::string>{"beta_slot"});
  EXPECT_EQ(alpha.sync_standbys, std::vector<std::string>{"beta"});
  ASSERT_TRUE(alpha.embedder.has_value());
  EXPECT_EQ(alpha.embedder->url, "http://alpha.example:8765");
  EXPECT_EQ(alpha.embedder->probe_text, "health probe");
  EXPECT_EQ(alpha.embedder->dimension, 768);
  EXPECT_EQ(alpha.embedder->timeout, Duration(5000));
  ASSERT_TRUE(alpha.patroni.has_value());
  EXPECT_EQ(alpha.patroni->url, "http://alpha.example:8008");
  ASSERT_TRUE(alpha.ssh.has_value());
  EXPECT_EQ(alpha.ssh->host, "alpha.example");
  EXPECT_EQ(alpha.ssh->port, 22);
  EXPECT_EQ(alpha.ssh->user, "monitor");
  EXPECT_EQ(alpha.ssh->key_file, key);
  EXPECT_EQ(alpha.ssh->known_hosts, "/etc/pgwarden/known_hosts");
  EXPECT_EQ(alpha.data_dir, "/Library/PostgreSQL/18/data");
  EXPECT_EQ(alpha.disk_paths, std::vector<std::string>{"/Library/PostgreSQL/18/data"});
  EXPECT_EQ(alpha.backup_glob, "/Users/x/AYA/backups/aya_rag_*.sql*");
  EXPECT_EQ(aya.nodes[1].role, Role::Standby);
  EXPECT_FALSE(aya.nodes[1].embedder.has_value());
  EXPECT_EQ(aya.nodes[2].role, Role::Client);
  EXPECT_EQ(aya.nodes[2].write_queue, "write_queue");
  ASSERT_EQ(aya.etcd.size(), 1u);
  EXPECT_EQ(aya.etcd[0].url, "http://alpha.example:2379");
  EXPECT_EQ(aya.etcd[0].timeout, Duration(3000));

  ASSERT_EQ(c.queries.size(), 1u);
  const QueryConfig& q = c.queries[0];
  EXPECT_EQ(q.name, "chunks_without_embedding");
  EXPECT_EQ(q.roles, (std::vector<Role>{Role::Primary, Role::Client}));
  ASSERT_EQ(q.metrics.size(), 1u);
  EXPECT_EQ(q.metrics[0].column, "n");
  EXPECT_EQ(q.metrics[0].name, "pgwarden_chunks_without_embedding");
  EXPECT_EQ(q.metrics[0].labels, std::vector<std::string>{"category"});
  EXPECT_FALSE(q.interval.has_value());

  ASSERT_EQ(c.rules.size(), 1u);
  const RuleConfig& rule = c.rules[0];
  EXPECT_EQ(rule.alert, "BetaReplayLagHigh");
  EXPECT_EQ(rule.expr,
            "pgwarden_replication_lag_bytes{application_name=\"beta\", stage=\"replay\"} > 10e6");
  EXPECT_EQ(rule.expr_pos.str(), "design.toml:45:8");
  EXPECT_EQ(rule.for_, Duration(60000));
  EXPECT_EQ(rule.severity, "warning");
  EXPECT_EQ(rule.annotations.at("summary"), "{{ $labels.node }} lag {{ $value | humanize1024 }}B");

  ASSERT_EQ(c.receivers.size(), 1u);
  const ReceiverConfig& ops = c.receivers[0];
  EXPECT_EQ(ops.type, "webhook");
  EXPECT_EQ(ops.url, "https://...");
  EXPECT_TRUE(ops.send_resolved);
  EXPECT_EQ(ops.group_wait, Duration(10000));
  EXPECT_EQ(ops.repeat_interval, Duration(4LL * 3600 * 1000));
  EXPECT_EQ(ops.group_interval, Duration(5 * 60 * 1000));
  EXPECT_EQ(ops.group_by, (std::vector<std::string>{"cluster"}));
  EXPECT_EQ(ops.match, (std::map<std::string, std::string>{{"severity", "critical"}}));
}

// embedder/patroni/ssh may also be written as sub-tables, etcd as an inline
// array of tables.
TEST(ConfigLoad, SubTablesAndInlineArrays) {
  LoadResult r = load_config_string(R"([[clusters]]
name = "aya"
etcd = [{ url = "http://127.0.0.1:2379", timeout = "1s" }]
[[clusters.nodes]]
name = "alpha"
role = "primary"
[clusters.nodes.embedder]
url = "http://127.0.0.1:8765"
timeout = "2s"
[clusters.nodes.patroni]
url = "http://127.0.0.1:8008"
[[clusters.nodes]]
name = "beta"
role = "standby"
)",
                                    "ok.toml");
  ASSERT_TRUE(r.config.has_value()) << (r.errors.empty() ? "" : r.errors[0].str());
  const ClusterConfig& aya = r.config->clusters[0];
  ASSERT_EQ(aya.nodes.size(), 2u);
  ASSERT_TRUE(aya.nodes[0].embedder.has_value());
  EXPECT_EQ(aya.nodes[0].embedder->url, "http://127.0.0.1:8765");
  EXPECT_EQ(aya.nodes[0].embedder->timeout, Duration(2000));
  EXPECT_EQ(aya.nodes[0].embedder->dimension, 0);
  ASSERT_TRUE(aya.nodes[0].patroni.has_value());
  EXPECT_EQ(aya.nodes[0].patroni->timeout, Duration(3000));
  EXPECT_FALSE(aya.nodes[1].patroni.has_value());
  ASSERT_EQ(aya.etcd.size(), 1u);
  EXPECT_EQ(aya.etcd[0].timeout, Duration(1000));
  EXPECT_EQ(aya.nodes[1].pos.str(), "ok.toml:12:1");
}

TEST(ConfigLoad, ExporterAlertsAndChecksSettings) {
  std::vector<std::string> modules = registered_modules();
  ASSERT_FALSE(modules.empty());
  LoadResult r = load_config_string(R"([exporter]
listen = "[::1]:9999"
interval = "1m30s"
timeout = "250ms"
workers = 2
log_level = "debug"
[alerts]
builtin = false
lag_warning_bytes = 5000000
disk_free_critical_ratio = 0.02
backup_max_age = "2d"
for = "0s"
disabled = ["Watchdog", "EtcdUnhealthy"]
[checks.)" + modules.front() + R"(]
interval = "2m"
enabled = false
)",
                                    "ok.toml");
  ASSERT_TRUE(r.config.has_value()) << (r.errors.empty() ? "" : r.errors[0].str());
  const Config& c = *r.config;
  EXPECT_EQ(c.exporter.listen, "[::1]:9999");
  EXPECT_EQ(c.exporter.interval, Duration(90000));
  EXPECT_EQ(c.exporter.timeout, Duration(250));
  EXPECT_EQ(c.exporter.workers, 2);
  EXPECT_EQ(c.exporter.log_level, "debug");
  EXPECT_FALSE(c.alerts.builtin);
  EXPECT_EQ(c.alerts.lag_warning_bytes, 5e6);
  EXPECT_EQ(c.alerts.disk_free_critical_ratio, 0.02);
  EXPECT_EQ(c.alerts.backup_max_age, Duration(2LL * 24 * 3600 * 1000));
  EXPECT_EQ(c.alerts.for_, Duration(0));
  EXPECT_EQ(c.alerts.disabled, (std::vector<std::string>{"Watchdog", "EtcdUnhealthy"}));
  ASSERT_EQ(c.checks.count(modules.front()), 1u);
  const CheckSettings& cs = c.checks.at(modules.front());
  EXPECT_EQ(cs.interval, Duration(120000));
  EXPECT_FALSE(cs.timeout.has_value());
  EXPECT_FALSE(cs.enabled);
}

// etc/aya.toml is the example users copy: it must load once the secret files
// it names exist. Its relative paths resolve against its own directory.
TEST(ConfigLoad, ShippedAyaExampleLoads) {
  TempDir dir;
  fs::copy_file(fs::path(PGWARDEN_SOURCE_DIR) / "etc" / "aya.toml", dir.path() / "aya.toml");
  dir.write("secrets/pgwarden_password", "pw\n");
  dir.write("secrets/id_ed25519_monitor", "key\n");
  dir.write("secrets/ops_webhook_url", "https://hooks.example.com/T0/B0/x\n");
  dir.write("secrets/ops_webhook_hmac", "hmac\n");
  LoadResult r = load_config_file((dir.path() / "aya.toml").string());
  ASSERT_TRUE(r.config.has_value()) << (r.errors.empty() ? "" : r.errors[0].str());
  const Config& c = *r.config;
  EXPECT_EQ(c.exporter.state_dir, (dir.path() / "state").string());
  ASSERT_EQ(c.clusters.size(), 1u);
  const auto& nodes = c.clusters[0].nodes;
  ASSERT_EQ(nodes.size(), 3u);
  EXPECT_EQ(nodes[0].name, "alpha");
  // The Patroni pair follows the primary: role auto, expectations on the cluster.
  EXPECT_EQ(nodes[0].role, Role::Auto);
  EXPECT_TRUE(nodes[0].expected_standbys.empty());
  const std::vector<std::string> members = {"alpha", "beta"};
  EXPECT_EQ(c.clusters[0].expected_standbys, members);
  EXPECT_EQ(c.clusters[0].expected_slots, members);
  EXPECT_EQ(c.clusters[0].sync_standbys, members);
  EXPECT_EQ(nodes[0].password, "pw");
  EXPECT_EQ(nodes[0].password_file, (dir.path() / "secrets/pgwarden_password").string());
  ASSERT_TRUE(nodes[0].ssh.has_value());
  EXPECT_EQ(nodes[0].ssh->known_hosts, (dir.path() / "known_hosts").string());
  EXPECT_EQ(nodes[1].name, "beta");
  EXPECT_EQ(nodes[1].role, Role::Auto);
  EXPECT_EQ(nodes[2].name, "air");
  EXPECT_EQ(nodes[2].role, Role::Client);
  EXPECT_EQ(nodes[2].write_queue, "write_queue");
  ASSERT_EQ(c.clusters[0].etcd.size(), 1u);
  ASSERT_EQ(c.queries.size(), 1u);
  EXPECT_EQ(c.queries[0].interval, Duration(5 * 60 * 1000));
  ASSERT_EQ(c.rules.size(), 1u);
  ASSERT_EQ(c.receivers.size(), 2u);
  EXPECT_EQ(c.receivers[0].url, "https://hooks.example.com/T0/B0/x");
  EXPECT_EQ(c.receivers[0].hmac_secret, "hmac");
  EXPECT_EQ(c.receivers[1].type, "alertmanager");
}

TEST(ConfigLoad, ShippedAyaExampleWithoutSecretsNamesTheMissingFiles) {
  TempDir dir;
  fs::copy_file(fs::path(PGWARDEN_SOURCE_DIR) / "etc" / "aya.toml", dir.path() / "aya.toml");
  LoadResult r = load_config_file((dir.path() / "aya.toml").string());
  ASSERT_FALSE(r.config.has_value());
  ASSERT_FALSE(r.errors.empty());
  for (const auto& e : r.errors)
    EXPECT_NE(e.message.find((dir.path() / "secrets").string()), std::string::npos) << e.str();
}

// ---- the config file's own mode (load_config, what every command uses) ------

TEST(ConfigFileMode, OthersReadableConfigIsRefusedWithTheFix) {
  TempDir dir;
  std::string file = dir.write("pgwarden.toml", "[exporter]\ninterval = \"5s\"\n", 0644);
  LoadResult r = load_config(file);
  EXPECT_FALSE(r.config.has_value());
  EXPECT_EQ(error_strings(r),
            std::vector<std::string>{file + ": the config file \"" + file +
                                     "\" is readable or writable by others (mode 0644); fix it "
                                     "with: chmod o-rwx " + file});
}

TEST(ConfigFileMode, OthersWritableConfigIsRefused) {
  TempDir dir;
  std::string file = dir.write("pgwarden.toml", "", 0602);
  LoadResult r = load_config(file);
  EXPECT_FALSE(r.config.has_value());
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].message.find("(mode 0602)"), std::string::npos) << r.errors[0].str();
}

TEST(ConfigFileMode, OwnerAndGroupOnlyConfigsLoad) {
  TempDir dir;
  for (mode_t mode : {0600, 0640, 0660, 0400}) {
    std::string file = dir.write("pgwarden.toml", "[exporter]\ninterval = \"5s\"\n", mode);
    LoadResult r = load_config(file);
    EXPECT_TRUE(r.config.has_value()) << std::oct << mode << ": "
                                      << (r.errors.empty() ? "" : r.errors[0].str());
  }
}

// The shipped example is 0644 in a git checkout: used as it is, it is
// refused (users copy it and make it private).
TEST(ConfigFileMode, ShippedAyaExampleAsCheckedOutIsRefusedWhenOthersCanRead) {
  TempDir dir;
  std::string file = (dir.path() / "aya.toml").string();
  fs::copy_file(fs::path(PGWARDEN_SOURCE_DIR) / "etc" / "aya.toml", file);
  chmod(file.c_str(), 0644);
  LoadResult r = load_config(file);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].message.find("chmod o-rwx " + file), std::string::npos) << r.errors[0].str();
}

// ---- small API pieces --------------------------------------------------------

TEST(ConfigApi, PositionsAndRoleNames) {
  EXPECT_EQ((SourcePos{"a.toml", 7, 12}).str(), "a.toml:7:12");
  EXPECT_EQ((SourcePos{"a.toml", 0, 0}).str(), "a.toml");
  EXPECT_EQ((ConfigError{{"a.toml", 1, 2}, "oops"}).str(), "a.toml:1:2: oops");
  EXPECT_STREQ(role_name(Role::Primary), "primary");
  EXPECT_STREQ(role_name(Role::Standby), "standby");
  EXPECT_STREQ(role_name(Role::Client), "client");
}

TEST(ConfigApi, EnvironmentConfigUsesPgHost) {
  const char* old = getenv("PGHOST");
  std::string saved = old ? old : "";
  setenv("PGHOST", "db1.example", 1);
  Config c = config_from_environment();
  ASSERT_EQ(c.clusters.size(), 1u);
  EXPECT_EQ(c.clusters[0].name, "local");
  ASSERT_EQ(c.clusters[0].nodes.size(), 1u);
  EXPECT_EQ(c.clusters[0].nodes[0].name, "db1.example");
  EXPECT_EQ(c.clusters[0].nodes[0].role, Role::Primary);
  EXPECT_EQ(c.clusters[0].nodes[0].conninfo, "");
  EXPECT_EQ(c.exporter.listen, "127.0.0.1:9847");
  unsetenv("PGHOST");
  EXPECT_EQ(config_from_environment().clusters[0].nodes[0].name, "local");
  if (old) setenv("PGHOST", saved.c_str(), 1);
}

TEST(Conninfo, AcceptsWhatLibpqAccepts) {
  EXPECT_EQ(check_conninfo(""), std::nullopt);
  EXPECT_EQ(check_conninfo("host=a port=5432 dbname=x user=y"), std::nullopt);
  EXPECT_EQ(check_conninfo("postgresql://u@a:5432/x?sslmode=disable"), std::nullopt);
  EXPECT_EQ(check_conninfo("host=a passfile=/x/pgpass"), std::nullopt);
}

TEST(Conninfo, RejectsPasswordsAndBadSyntax) {
  EXPECT_EQ(check_conninfo("host=a password=x"), std::string(kInline));
  EXPECT_EQ(check_conninfo("host=a password="), std::string(kInline));
  EXPECT_EQ(check_conninfo("postgresql://u:pw@a/x"), std::string(kInline));
  EXPECT_EQ(check_conninfo("host='a"),
            "not a valid libpq conninfo: unterminated quoted string in connection info string");
  auto err = check_conninfo("host=a s3cretword");
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->find("s3cretword"), std::string::npos) << *err;
}

}  // namespace
TEST(ConfigReceivers, OutboxMaxAgeIsADurationWithA24hDefault) {
  LoadResult r = load_config_string("[[receivers]]\nname = \"a\"\ntype = \"webhook\"\nurl = \"http://127.0.0.1:1/\"\n"
                                    "[[receivers]]\nname = \"b\"\ntype = \"webhook\"\nurl = \"http://127.0.0.1:1/\"\n"
                                    "outbox_max_age = \"2h\"\n", "ok.toml");
  ASSERT_TRUE(r.config.has_value()) << (r.errors.empty() ? "" : r.errors[0].str());
  EXPECT_EQ(r.config->receivers[0].outbox_max_age, std::chrono::hours(24));
  EXPECT_EQ(r.config->receivers[1].outbox_max_age, std::chrono::hours(2));
  LoadResult bad = load_config_string("[[receivers]]\nname = \"a\"\ntype = \"webhook\"\nurl = \"http://127.0.0.1:1/\"\n"
                                      "outbox_max_age = \"200y\"\n", "bad.toml");
  ASSERT_FALSE(bad.config.has_value());
  EXPECT_NE(bad.errors.at(0).str().find("longer than 100y"), std::string::npos) << bad.errors.at(0).str();
}

}  // namespace pgw
