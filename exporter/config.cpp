// Loading a config file: parse the TOML, read every section strictly,
// collect all errors, and hand back either a Config or the errors sorted by
// position. The section readers live in config_*.cpp.
#include "exporter/config_loader.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <toml++/toml.h>

#include "exporter/config_sections.h"

namespace pgw {

using namespace config_detail;

namespace config_detail {

void report_inline_passwords(const toml::node& node, const std::string& path, ErrorSink& sink) {
  if (const auto* t = node.as_table()) {
    for (auto&& [key, value] : *t) {
      std::string name(key.str());
      std::string child = path.empty() ? name : path + "." + name;
      std::string lower = name;
      std::transform(lower.begin(), lower.end(), lower.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (lower == "password")
        sink.add(sink.pos(key.source()), child + ": " + kInlinePasswordMessage);
      else
        report_inline_passwords(value, child, sink);
    }
  } else if (const auto* a = node.as_array()) {
    for (size_t i = 0; i < a->size(); ++i)
      report_inline_passwords(*a->get(i), path + "[" + std::to_string(i) + "]", sink);
  }
}

}  // namespace config_detail

namespace {

LoadResult load_document(const std::string& text, const std::string& name,
                         const std::filesystem::path& base_dir) {
  LoadResult result;
  LoadState st{ErrorSink(name), PathBase{base_dir}};
  toml::table doc;
  try {
    doc = toml::parse(text, std::string_view(name));
  } catch (const toml::parse_error& e) {
    st.sink.add(st.sink.pos(e.source()), "invalid TOML: " + std::string(e.description()));
    result.errors = std::move(st.sink.errors());
    return result;
  }

  Config config;
  config.path = name;
  report_inline_passwords(doc, "", st.sink);
  TableReader root(doc, "", st.sink);
  read_exporter(root, st, config.exporter);
  read_clusters(root, st, config.clusters);
  read_queries(root, st, config.clusters, config.queries);
  read_rules(root, st, config.rules);
  read_receivers(root, st, config.receivers);
  read_inhibit_rules(root, st, config.inhibit_rules);
  read_alerts(root, st, config.alerts);
  read_checks(root, st, config.checks);
  root.finish();

  auto& errors = st.sink.errors();
  std::stable_sort(errors.begin(), errors.end(), [](const ConfigError& a, const ConfigError& b) {
    return std::pair(a.pos.line, a.pos.column) < std::pair(b.pos.line, b.pos.column);
  });
  result.errors = std::move(errors);
  if (result.errors.empty()) result.config = std::move(config);
  return result;
}

}  // namespace

LoadResult load_config_string(const std::string& text, const std::string& name) {
  try {
    return load_document(text, name, std::filesystem::path(name).parent_path());
  } catch (const std::exception& e) {
    // Not expected (the readers report instead of throwing); keeps the
    // "never throws" promise of the header.
    LoadResult r;
    r.errors.push_back({SourcePos{name, 0, 0}, std::string("internal error: ") + e.what()});
    return r;
  }
}

LoadResult load_config_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::error_code ec;
  if (!in || std::filesystem::is_directory(path, ec)) {
    LoadResult r;
    r.errors.push_back({SourcePos{path, 0, 0}, "cannot read the config file (missing or not "
                                               "readable)"});
    return r;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  // Relative paths inside the config are relative to the config file.
  std::filesystem::path base = std::filesystem::absolute(path, ec).parent_path();
  try {
    return load_document(ss.str(), path, base);
  } catch (const std::exception& e) {
    LoadResult r;
    r.errors.push_back({SourcePos{path, 0, 0}, std::string("internal error: ") + e.what()});
    return r;
  }
}

Config config_from_environment() {
  // libpq reads PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSFILE... itself, so
  // the conninfo stays empty. The node's real role is unknown here; it is
  // declared primary, the common case for a single monitored server.
  Config c;
  ClusterConfig cl;
  cl.name = "local";
  NodeConfig n;
  const char* host = std::getenv("PGHOST");
  // A socket directory ("/var/run/postgresql") makes a poor node name.
  n.name = (host && *host && host[0] != '/') ? host : "local";
  n.role = Role::Primary;
  cl.nodes.push_back(std::move(n));
  c.clusters.push_back(std::move(cl));
  return c;
}

}  // namespace pgw
