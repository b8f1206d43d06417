// [[clusters]], [[clusters.nodes]] and [[clusters.etcd]].
#include <set>

#include "checks/conninfo.h"
#include "exporter/config_sections.h"
#include "exporter/config_values.h"

namespace pgw::config_detail {
namespace {

std::string index_path(const std::string& base, const char* key, size_t i) {
  return base + "." + key + "[" + std::to_string(i) + "]";
}

// Reports `message` for a string value that failed `check`.
template <typename Check>
void check_value(TableReader& r, std::string_view key, const std::string& value, Check check) {
  if (auto err = check(value)) r.sink().add(*r.table().get(key), r.key_path(key), *err);
}

void read_url(TableReader& r, std::string& out) {
  if (r.string("url", out, true)) check_value(r, "url", out, check_http_url);
}

void read_absolute_path(TableReader& r, std::string_view key, std::string& out) {
  if (r.string(key, out) && (out.empty() || out[0] != '/'))
    r.sink().add(*r.table().get(key), r.key_path(key),
                 show(out) + " is not an absolute path (it is a path on the node)");
}

void read_embedder(const toml::table& t, const std::string& path, LoadState& st,
                   EmbedderConfig& e) {
  TableReader r(t, path, st.sink);
  read_url(r, e.url);
  r.string("probe_text", e.probe_text);
  r.integer("dimension", e.dimension, 0, 1 << 20);
  r.duration("timeout", e.timeout);
  r.finish();
}

void read_patroni(const toml::table& t, const std::string& path, LoadState& st, PatroniConfig& p) {
  TableReader r(t, path, st.sink);
  read_url(r, p.url);
  r.duration("timeout", p.timeout);
  r.finish();
}

void read_ssh(const toml::table& t, const std::string& path, LoadState& st, SshConfig& s) {
  TableReader r(t, path, st.sink);
  r.string("host", s.host, true);
  r.integer("port", s.port, 1, 65535);
  r.string("user", s.user, true);
  if (r.get("key_file"))
    read_secret_file(r, "key_file", st.base, s.key_file, nullptr, SecretUse::CheckAccess);
  // Host keys are always verified, so known_hosts cannot be left out.
  if (r.string("known_hosts", s.known_hosts, true)) s.known_hosts = st.base.resolve(s.known_hosts);
  r.duration("timeout", s.timeout);
  r.finish();
}

void read_node(const toml::table& t, const std::string& path, LoadState& st, NodeConfig& n) {
  TableReader r(t, path, st.sink);
  n.pos = st.sink.pos(t);
  r.string("name", n.name, true);
  std::string role;
  if (r.string("role", role, true)) {
    if (auto parsed = parse_role(role))
      n.role = *parsed;
    else
      st.sink.add(*t.get("role"), r.key_path("role"),
                  show(role) + " is not a role (expected primary, standby, client or auto)");
  }
  if (r.string("conninfo", n.conninfo)) check_value(r, "conninfo", n.conninfo, check_conninfo);
  if (r.get("password_file"))
    read_secret_file(r, "password_file", st.base, n.password_file, &n.password);
  r.strings("expected_standbys", n.expected_standbys);
  if (r.strings("expected_slots", n.expected_slots)) {
    const auto* arr = t.get("expected_slots")->as_array();
    for (size_t i = 0; i < n.expected_slots.size(); ++i)
      if (auto err = check_slot_name(n.expected_slots[i]))
        st.sink.add(*arr->get(i), r.key_path("expected_slots") + "[" + std::to_string(i) + "]",
                    *err);
  }
  r.strings("sync_standbys", n.sync_standbys);
  if (const auto* e = r.subtable("embedder")) {
    n.embedder.emplace();
    read_embedder(*e, r.key_path("embedder"), st, *n.embedder);
  }
  if (const auto* p = r.subtable("patroni")) {
    n.patroni.emplace();
    read_patroni(*p, r.key_path("patroni"), st, *n.patroni);
  }
  if (const auto* s = r.subtable("ssh")) {
    n.ssh.emplace();
    read_ssh(*s, r.key_path("ssh"), st, *n.ssh);
  }
  read_absolute_path(r, "data_dir", n.data_dir);
  if (r.strings("disk_paths", n.disk_paths)) {
    const auto* arr = t.get("disk_paths")->as_array();
    for (size_t i = 0; i < n.disk_paths.size(); ++i)
      if (n.disk_paths[i].empty() || n.disk_paths[i][0] != '/')
        st.sink.add(*arr->get(i), r.key_path("disk_paths") + "[" + std::to_string(i) + "]",
                    show(n.disk_paths[i]) + " is not an absolute path (it is a path on the node)");
  }
  read_absolute_path(r, "backup_glob", n.backup_glob);
  if (r.string("write_queue", n.write_queue))
    check_value(r, "write_queue", n.write_queue, check_table_name);
  r.finish();
}

// expected_standbys / sync_standbys hold application_name values, which need
// not be node names (a standby pgwarden does not watch still streams from
// here). Only what cannot be meant is refused: an empty name, or this node's
// own name (a node does not stream from itself).
void check_standby_refs(const toml::table& node_table, const std::string& node_path,
                        const NodeConfig& node, ErrorSink& sink) {
  for (const char* key : {"expected_standbys", "sync_standbys"}) {
    const auto& values = std::string_view(key) == "expected_standbys" ? node.expected_standbys
                                                                      : node.sync_standbys;
    const toml::node* n = node_table.get(key);
    const toml::array* arr = n ? n->as_array() : nullptr;
    if (!arr) continue;
    for (size_t i = 0; i < values.size() && i < arr->size(); ++i) {
      std::string where = node_path + "." + key + "[" + std::to_string(i) + "]";
      if (values[i].empty())
        sink.add(*arr->get(i), where, "empty application_name");
      else if (values[i] == node.name)
        sink.add(*arr->get(i), where, show(values[i]) + " is this node itself");
    }
  }
}

void read_cluster(const toml::table& t, const std::string& path, LoadState& st,
                  ClusterConfig& c) {
  TableReader r(t, path, st.sink);
  c.pos = st.sink.pos(t);
  r.string("name", c.name, true);
  auto nodes = r.tables("nodes");
  if (!t.get("nodes"))
    st.sink.add(c.pos, r.key_path("nodes") + ": missing (a cluster needs at least one "
                                             "[[clusters.nodes]])");
  UniqueNames node_names("node");
  for (size_t i = 0; i < nodes.size(); ++i) {
    NodeConfig n;
    read_node(*nodes[i], index_path(path, "nodes", i), st, n);
    if (!n.name.empty())
      node_names.add(n.name, *nodes[i]->get("name"), index_path(path, "nodes", i) + ".name",
                     st.sink);
    c.nodes.push_back(std::move(n));
  }
  for (size_t i = 0; i < nodes.size(); ++i)
    check_standby_refs(*nodes[i], index_path(path, "nodes", i), c.nodes[i], st.sink);

  auto etcd = r.tables("etcd");
  for (size_t i = 0; i < etcd.size(); ++i) {
    TableReader er(*etcd[i], index_path(path, "etcd", i), st.sink);
    EtcdConfig e;
    e.pos = st.sink.pos(*etcd[i]);
    read_url(er, e.url);
    er.duration("timeout", e.timeout);
    er.finish();
    c.etcd.push_back(std::move(e));
  }
  r.finish();
}

}  // namespace

void read_clusters(TableReader& root, LoadState& st, std::vector<ClusterConfig>& out) {
  auto clusters = root.tables("clusters");
  UniqueNames names("cluster");
  for (size_t i = 0; i < clusters.size(); ++i) {
    ClusterConfig c;
    std::string path = "clusters[" + std::to_string(i) + "]";
    read_cluster(*clusters[i], path, st, c);
    if (!c.name.empty()) names.add(c.name, *clusters[i]->get("name"), path + ".name", st.sink);
    out.push_back(std::move(c));
  }
}

bool UniqueNames::add(const std::string& name, const toml::node& at, const std::string& path,
                      ErrorSink& sink) {
  auto [it, inserted] = seen_.emplace(name, sink.pos(at));
  if (inserted) return true;
  sink.add(at, path,
           "duplicate " + what_ + " name " + show(name) + " (first defined at " +
               it->second.str() + ")");
  return false;
}

}  // namespace pgw::config_detail
