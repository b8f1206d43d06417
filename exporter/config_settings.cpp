// [exporter] and [checks.NAME]: how pgwarden itself runs.
#include <algorithm>

#include "checks/check.h"
#include "core/durable_file.h"
#include "exporter/basic_auth.h"
#include "exporter/config_sections.h"
#include "exporter/config_values.h"

namespace pgw::config_detail {

void read_exporter(TableReader& root, LoadState& st, ExporterConfig& e) {
  const toml::table* t = root.subtable("exporter");
  if (!t) return;
  TableReader r(*t, "exporter", st.sink);
  if (r.string("listen", e.listen))
    if (auto err = check_listen_address(e.listen))
      st.sink.add(*t->get("listen"), r.key_path("listen"), *err);
  r.duration("interval", e.interval);
  r.duration("timeout", e.timeout);
  if (r.string("state_dir", e.state_dir)) {
    if (e.state_dir.empty())
      st.sink.add(*t->get("state_dir"), r.key_path("state_dir"),
                  "must not be empty (expected a directory path)");
    e.state_dir = st.base.resolve(e.state_dir);
    if (auto why = unsafe_directory_reason(e.state_dir); !why.empty())
      st.sink.add(*t->get("state_dir"), r.key_path("state_dir"), show(e.state_dir) + " " + why);
  }
  r.integer("workers", e.workers, 1, 1024);
  if (r.string("log_level", e.log_level)) {
    static const std::vector<std::string> levels = {"trace", "debug", "info",    "warn",
                                                    "error", "critical", "off"};
    if (std::find(levels.begin(), levels.end(), e.log_level) == levels.end())
      st.sink.add(*t->get("log_level"), r.key_path("log_level"),
                  show(e.log_level) + " is not a log level (expected one of: " + join(levels) +
                      ")");
  }
  if (r.get("basic_auth_file") &&
      read_secret_file(r, "basic_auth_file", st.base, e.basic_auth_file, &e.basic_auth))
    if (BasicAuth parsed; auto err = BasicAuth::parse(e.basic_auth, parsed))
      st.sink.add(*t->get("basic_auth_file"), r.key_path("basic_auth_file"),
                  show(e.basic_auth_file) + ": " + *err);
  r.finish();
}

void read_checks(TableReader& root, LoadState& st, std::map<std::string, CheckSettings>& out) {
  const toml::table* t = root.subtable("checks");
  if (!t) return;
  const std::vector<std::string> modules = registered_modules();
  for (auto&& [key, node] : *t) {
    std::string name(key.str());
    std::string path = "checks." + name;
    if (std::find(modules.begin(), modules.end(), name) == modules.end()) {
      std::string hint = closest_match(name, modules);
      std::string msg = path + ": unknown check module";
      if (!hint.empty()) msg += " (did you mean \"" + hint + "\"?)";
      msg += modules.empty() ? "; no check modules are registered"
                             : "; valid modules: " + join(modules);
      st.sink.add(st.sink.pos(key.source()), msg);
      continue;
    }
    const toml::table* settings = node.as_table();
    if (!settings) {
      st.sink.add(node, path, "expected a table ([" + path + "]), got " + toml_type_name(node));
      continue;
    }
    TableReader r(*settings, path, st.sink);
    CheckSettings cs;
    r.duration("interval", cs.interval);
    r.duration("timeout", cs.timeout);
    r.boolean("enabled", cs.enabled);
    r.finish();
    out[name] = cs;
  }
}

}  // namespace pgw::config_detail
