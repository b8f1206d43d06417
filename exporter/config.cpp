// Config loader: first cut (syntax only). Full validation follows.
#include "exporter/config.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <toml++/toml.h>

namespace pgw {

std::string SourcePos::str() const {
  if (line <= 0) return file;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

std::string ConfigError::str() const { return pos.str() + ": " + message; }

const char* role_name(Role r) {
  switch (r) {
    case Role::Primary: return "primary";
    case Role::Standby: return "standby";
    case Role::Client: return "client";
  }
  return "primary";
}

LoadResult load_config_string(const std::string& text, const std::string& name) {
  LoadResult r;
  try {
    toml::table t = toml::parse(text, name);
    Config c;
    c.path = name;
    r.config = std::move(c);
  } catch (const toml::parse_error& e) {
    r.errors.push_back({SourcePos{name, static_cast<int>(e.source().begin.line),
                                  static_cast<int>(e.source().begin.column)},
                        std::string(e.description())});
  }
  return r;
}

LoadResult load_config_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    LoadResult r;
    r.errors.push_back({SourcePos{path, 0, 0}, "cannot read the config file"});
    return r;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return load_config_string(ss.str(), path);
}

Config config_from_environment() {
  Config c;
  ClusterConfig cl;
  cl.name = "local";
  NodeConfig n;
  const char* host = std::getenv("PGHOST");
  n.name = (host && *host && host[0] != '/') ? host : "local";
  n.role = Role::Primary;
  cl.nodes.push_back(n);
  c.clusters.push_back(cl);
  return c;
}

}  // namespace pgw
