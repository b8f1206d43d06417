// The configuration data model (DESIGN.md "Config (TOML)"): plain structs.
// exporter/config_loader.h reads and validates it from TOML. Secrets are never
// read from the TOML itself; fields ending in _file name files whose contents
// are read at load time.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/duration.h"

namespace pgw {

// Where a value came from, for error messages ("aya.toml:12:5").
struct SourcePos {
  std::string file;
  int line = 0;
  int column = 0;
  std::string str() const;  // "file:line:col"
};

// Auto: the node may be primary or standby at any time (a Patroni member);
// what PostgreSQL reports each round decides.
enum class Role { Primary, Standby, Client, Auto };
const char* role_name(Role r);

struct EmbedderConfig {
  std::string url;                   // base URL, e.g. http://127.0.0.1:8765
  std::string probe_text = "health probe";
  int dimension = 0;                 // expected vector length; 0 = don't check
  Duration timeout = Duration(5000);
};

struct PatroniConfig {
  std::string url;                   // REST API base URL, e.g. http://127.0.0.1:8008
  Duration timeout = Duration(3000);
};

struct SshConfig {
  std::string host;
  int port = 22;
  std::string user;
  std::string key_file;              // private key (secret: path only, never logged content)
  std::string known_hosts;           // required: host keys are always verified
  Duration timeout = Duration(5000);
};

struct NodeConfig {
  std::string name;
  Role role = Role::Primary;
  std::string conninfo;              // libpq conninfo without password
  std::string password_file;         // optional: file holding the password
  std::string password;              // loaded from password_file; secret
  // Node-level expectations (fixed roles only, e.g. a cascading standby):
  // checked on this node whatever it reports.
  std::vector<std::string> expected_standbys;
  std::vector<std::string> expected_slots;
  std::vector<std::string> sync_standbys;
  std::optional<EmbedderConfig> embedder;
  std::optional<PatroniConfig> patroni;
  std::optional<SshConfig> ssh;
  std::string data_dir;              // empty = SHOW data_directory
  std::vector<std::string> disk_paths;
  std::string backup_glob;
  std::string write_queue;           // table for the sync-queue check (client nodes)
  SourcePos pos;
};

struct EtcdConfig {
  std::string url;
  Duration timeout = Duration(3000);
  SourcePos pos;
};

struct ClusterConfig {
  std::string name;
  // Expectations of the cluster, checked on whichever node is its one
  // primary now (checks/expectations.h), so they follow a failover.
  std::vector<std::string> expected_standbys;
  std::vector<std::string> expected_slots;
  std::vector<std::string> sync_standbys;
  std::vector<NodeConfig> nodes;
  std::vector<EtcdConfig> etcd;
  SourcePos pos;
};

struct QueryMetricConfig {
  std::string column;                // result column holding the value
  std::string name;                  // metric name (must start with pgwarden_)
  std::string type = "gauge";        // gauge | counter
  std::vector<std::string> labels;   // result columns used as labels
  std::string help;
};

struct QueryConfig {
  std::string name;
  std::vector<Role> roles;           // empty = every role
  std::vector<std::string> nodes;    // optional: only these node names
  std::string sql;
  std::vector<QueryMetricConfig> metrics;
  std::optional<Duration> interval;  // default: exporter.interval
  std::optional<Duration> timeout;   // default: exporter.timeout
  SourcePos pos;
};

struct RuleConfig {
  std::string alert;
  std::string expr;
  Duration for_ = Duration(0);
  Duration keep_firing_for = Duration(0);
  std::string severity = "warning";
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  SourcePos pos;                     // of the [[rules]] table
  SourcePos expr_pos;                // of the expr value
};

struct ReceiverConfig {
  std::string name;
  std::string type;                  // webhook | slack | discord | pagerduty | alertmanager | email
  std::string url;                   // secret: from url or url_file; never logged
  std::string url_file;
  bool send_resolved = true;
  // One fault, one page: the alerts of one cluster travel together (a dead
  // primary is PgNodeDown and PgNoPrimary in one notification).
  std::vector<std::string> group_by = {"cluster"};
  Duration group_wait = Duration(10000);
  Duration group_interval = Duration(5 * 60 * 1000);
  Duration repeat_interval = Duration(4 * 3600 * 1000);
  Duration timeout = Duration(10000);
  // A notification still undelivered after this long is dropped from the
  // outbox (counted as outcome="expired" and logged): a receiver that was
  // gone for a day gets the current state, not a day of history.
  Duration outbox_max_age = Duration(24LL * 3600 * 1000);
  std::map<std::string, std::string> match;   // label equality filter
  std::string hmac_secret_file;
  std::string hmac_secret;           // loaded; secret
  std::string routing_key_file;      // pagerduty integration key file
  std::string routing_key;           // loaded; secret
  std::string ca_file;               // PEM CA bundle to verify https with (replaces the system one)
  // email: url is smtp://host:port (STARTTLS) or smtps://host:port (TLS).
  std::string from;                  // envelope and From: address
  std::vector<std::string> to;       // recipients
  std::string tls = "starttls";      // starttls (required) | none (plain SMTP, only when set)
  std::string username;              // SMTP AUTH user; password from password_file
  std::string password_file;
  std::string password;              // loaded; secret
  SourcePos pos;
};

// [[inhibit_rules]] (Alertmanager semantics): while an alert matching every
// source matcher fires, alerts matching every target matcher whose `equal`
// labels have the same values are not notified. Matchers are kept in
// Alertmanager's string form ('severity=~"warning|info"'); the loader has
// checked that they parse.
struct InhibitRuleConfig {
  std::vector<std::string> source_matchers;
  std::vector<std::string> target_matchers;
  std::vector<std::string> equal;
  SourcePos pos;
};

// Thresholds of the built-in rule pack ([alerts] table).
struct AlertsConfig {
  bool builtin = true;
  double lag_warning_bytes = 10e6;
  double lag_critical_bytes = 100e6;
  double lag_warning_seconds = 5;
  double lag_critical_seconds = 60;
  double slot_retained_warning_bytes = 1024.0 * 1024 * 1024;
  double disk_free_warning_ratio = 0.10;
  double disk_free_critical_ratio = 0.05;
  Duration backup_max_age = Duration(26LL * 3600 * 1000);
  Duration sync_queue_max_age = Duration(3600LL * 1000);
  Duration timeline_changed_window = Duration(3600LL * 1000);
  Duration standby_last_msg_max_age = Duration(60LL * 1000);
  // Vacuum horizon, wraparound, archive backlog, slot WAL (issue 14).
  Duration long_transaction_max_age = Duration(3600LL * 1000);
  double xmin_horizon_max_age_xids = 50e6;
  double wraparound_age_xids = 1.2e9;         // of the 2^31 (~2.1e9) limit
  double archive_ready_files_max = 100;
  double slot_safe_wal_size_min_bytes = 128.0 * 1024 * 1024;
  // A standby whose replay is further behind the primary than this is not
  // ready to take over (failover blocker replay_behind).
  double failover_replay_behind_bytes = 16.0 * 1024 * 1024;
  Duration for_ = Duration(60LL * 1000);      // default `for` of built-in rules
  std::vector<std::string> disabled;          // built-in alert names turned off
  Duration slot_wal_loss_horizon = Duration(4LL * 3600 * 1000);  // PgReplicationSlotWalLossPredicted
  Duration disk_fill_horizon = Duration(6LL * 3600 * 1000);      // HostDiskFillPredicted
  double history_max_samples = 1e6;  // bound of the range-selector history (all series)
};

// Per-check overrides ([checks.NAME] tables).
struct CheckSettings {
  std::optional<Duration> interval;
  std::optional<Duration> timeout;
  bool enabled = true;
};

struct ExporterConfig {
  std::string listen = "127.0.0.1:9847";
  Duration interval = Duration(5000);
  Duration timeout = Duration(3000);          // per-check deadline and connect timeout
  std::string state_dir = "/var/lib/pgwarden";
  // Check lanes run concurrently (a node's PostgreSQL checks are one lane,
  // each HTTP/SSH check another). 8 finish a round of 1,000 nodes in about
  // 1.4 s; 32 were no faster and cost 28 MB more RSS (bench/RESULTS.md).
  int workers = 8;
  std::string log_level = "info";
  std::string basic_auth_file;                // "user:password" lines; empty = off
  std::string basic_auth;                     // its contents (secret), read at load
  std::string external_url;                   // where users reach pgwarden (status page links);
                                              // empty: "http://" + listen
};

struct Config {
  std::string path;                           // file it came from ("" = defaults)
  ExporterConfig exporter;
  std::vector<ClusterConfig> clusters;
  std::vector<QueryConfig> queries;
  std::vector<RuleConfig> rules;
  std::vector<ReceiverConfig> receivers;
  std::vector<InhibitRuleConfig> inhibit_rules;
  AlertsConfig alerts;
  std::map<std::string, CheckSettings> checks;
};

struct ConfigError {
  SourcePos pos;
  std::string message;                        // what is wrong and what was expected
  std::string str() const;                    // "file:line:col: message"
};

}  // namespace pgw
