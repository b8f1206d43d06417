// The check-module interface. A check measures one aspect of a node (node
// scope) or of a whole cluster from its nodes' latest samples (cluster scope)
// and writes samples to a sink. Throwing any std::exception marks the check
// failed for this round: its samples are dropped and check_success is 0.
//
// Adding a module: write checks/<name>_check.cpp with a class implementing
// Check, describe the metrics it emits there with PGW_DESCRIBE_METRICS
// (core/metric_catalog.h) and register it with PGW_REGISTER_CHECK("<name>",
// Class). The registered name is the module's only name: its `check` label
// and its [checks.<name>] key. Nothing else needs to change.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/deadline.h"
#include "checks/pg_client.h"
#include "core/sample.h"
#include "core/config.h"

namespace pgw {

enum class Scope { Node, Cluster };

// Facts about the node gathered once per round and shared by the checks of
// that round (so each module need not repeat the same query).
struct NodeFacts {
  std::optional<bool> in_recovery;
  int server_version = 0;
};

// Everything a check may use. Fields that do not apply to a scope are null.
struct CheckContext {
  const ClusterConfig* cluster = nullptr;
  const NodeConfig* node = nullptr;            // node scope only
  PgSession* pg = nullptr;                     // node scope, when uses_postgres()
  NodeFacts* facts = nullptr;                  // node scope
  // Values a check keeps between its runs on this node (e.g. last timeline).
  std::map<std::string, double>* memory = nullptr;
  // Cluster scope: latest successful samples of every node of the cluster.
  const std::vector<Sample>* cluster_samples = nullptr;
  Deadline deadline;
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();

  // Runs a query on this node's session with this check's deadline.
  PgResult query(std::string_view sql) const { return pg->query(sql, deadline); }
  // Whole seconds since the epoch of `now`, as a double.
  double now_seconds() const;
};

// One instance serves every node: collect() runs concurrently for different
// nodes, so keep per-node state in ctx.memory, not in members.
class Check {
 public:
  virtual ~Check() = default;
  // The name the module registered under (PGW_REGISTER_CHECK): its
  // [checks.NAME] key. Set by create_checks().
  const std::string& module() const { return module_; }
  // Value of the `check` label of the self metrics; unique per instance:
  // the module name, unless a module makes several instances (query_<name>).
  virtual std::string name() const { return module_; }
  virtual Scope scope() const { return Scope::Node; }
  // Whether the check runs on this node (e.g. only when an embedder is set).
  virtual bool applies_to(const NodeConfig&) const { return true; }
  // Cluster scope: whether the check runs for this cluster (e.g. only when
  // etcd endpoints are configured).
  virtual bool applies_to_cluster(const ClusterConfig&) const { return true; }
  // Whether the check needs the node's PostgreSQL session. Checks that do not
  // (HTTP, SSH) still run when PostgreSQL is unreachable.
  virtual bool uses_postgres() const { return true; }
  // How often and how long the check runs. First what the instance's own
  // config entry says (a [[queries]] table's interval), then [checks.MODULE],
  // then the module's defaults, then exporter.interval / exporter.timeout.
  virtual std::optional<Duration> own_interval() const { return std::nullopt; }
  virtual std::optional<Duration> own_timeout() const { return std::nullopt; }
  virtual std::optional<Duration> interval() const { return std::nullopt; }
  virtual std::optional<Duration> timeout() const { return std::nullopt; }
  virtual void collect(CheckContext& ctx, SampleSink& out) = 0;

 private:
  friend std::vector<std::unique_ptr<Check>> create_checks(const Config& config);
  std::string module_;
};

// Builds zero or more check instances from the config (most modules make one;
// [[queries]] makes one per query).
using CheckFactory = std::function<std::vector<std::unique_ptr<Check>>(const Config&)>;

struct CheckRegistration {
  CheckRegistration(const char* module, CheckFactory factory);
};

// All registered modules' checks for a config, in a stable order (by module
// name, then creation order).
std::vector<std::unique_ptr<Check>> create_checks(const Config& config);
// Names of the registered modules (the keys allowed in [checks.NAME]).
std::vector<std::string> registered_modules();

}  // namespace pgw

// Registers a check class with a default constructor as one instance.
// `module` is the check's name (its `check` label and its [checks.NAME] key).
#define PGW_REGISTER_CHECK(module, Class)                                     \
  static ::pgw::CheckRegistration pgw_registration_##Class(module, [](const ::pgw::Config&) { \
    std::vector<std::unique_ptr<::pgw::Check>> v;                             \
    v.push_back(std::make_unique<Class>());                                   \
    return v;                                                                 \
  })

// Registers a factory producing any number of instances from the config.
#define PGW_REGISTER_CHECK_FACTORY(module, Id, factory) \
  static ::pgw::CheckRegistration pgw_registration_##Id(module, factory)
