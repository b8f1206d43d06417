// Readers for the sections of the config file (internal to the config
// loader). Each reads its part of the document strictly, reporting every
// problem to the shared sink; cross-references (a standby naming a node, a
// query naming a node) are checked where both sides are known.
#pragma once

#include <toml++/toml.h>

#include "core/config.h"
#include "exporter/config_reader.h"
#include "exporter/config_secrets.h"

namespace pgw::config_detail {

struct LoadState {
  ErrorSink sink;
  PathBase base;
};

void read_exporter(TableReader& root, LoadState& st, ExporterConfig& out);
void read_clusters(TableReader& root, LoadState& st, std::vector<ClusterConfig>& out);
void read_queries(TableReader& root, LoadState& st, const std::vector<ClusterConfig>& clusters,
                  std::vector<QueryConfig>& out);
void read_rules(TableReader& root, LoadState& st, std::vector<RuleConfig>& out);
void read_alerts(TableReader& root, LoadState& st, AlertsConfig& out);
void read_receivers(TableReader& root, LoadState& st, std::vector<ReceiverConfig>& out);
void read_inhibit_rules(TableReader& root, LoadState& st, std::vector<InhibitRuleConfig>& out);
void read_checks(TableReader& root, LoadState& st, std::map<std::string, CheckSettings>& out);
// Reports every key named "password", at any depth.
void report_inline_passwords(const toml::node& node, const std::string& path, ErrorSink& sink);

// Remembers names seen in one scope and reports duplicates.
class UniqueNames {
 public:
  explicit UniqueNames(std::string what) : what_(std::move(what)) {}
  // Returns false (and reports) when `name` was seen before.
  bool add(const std::string& name, const toml::node& at, const std::string& path,
           ErrorSink& sink);

 private:
  std::string what_;
  std::map<std::string, SourcePos> seen_;
};

}  // namespace pgw::config_detail
