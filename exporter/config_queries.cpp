// [[queries]]: custom SQL whose result columns become metrics.
#include <set>

#include "exporter/config_sections.h"
#include "exporter/config_values.h"

namespace pgw::config_detail {
namespace {

void read_metric(const toml::table& t, const std::string& path, LoadState& st,
                 QueryMetricConfig& m) {
  TableReader r(t, path, st.sink);
  r.string("column", m.column, true);
  if (r.string("name", m.name, true))
    if (auto err = check_metric_name(m.name)) st.sink.add(*t.get("name"), r.key_path("name"), *err);
  if (r.string("type", m.type) && m.type != "gauge" && m.type != "counter")
    st.sink.add(*t.get("type"), r.key_path("type"),
                show(m.type) + " is not a metric type (expected gauge or counter)");
  if (r.strings("labels", m.labels)) {
    const auto* arr = t.get("labels")->as_array();
    for (size_t i = 0; i < m.labels.size(); ++i)
      if (auto err = check_label_name(m.labels[i]))
        st.sink.add(*arr->get(i), r.key_path("labels") + "[" + std::to_string(i) + "]", *err);
  }
  r.string("help", m.help);
  r.finish();
}

}  // namespace

void read_queries(TableReader& root, LoadState& st, const std::vector<ClusterConfig>& clusters,
                  std::vector<QueryConfig>& out) {
  std::set<std::string> node_names;
  std::vector<std::string> node_list;
  for (const auto& c : clusters)
    for (const auto& n : c.nodes)
      if (node_names.insert(n.name).second) node_list.push_back(n.name);

  UniqueNames query_names("query");
  UniqueNames metric_names("metric");
  auto tables = root.tables("queries");
  for (size_t qi = 0; qi < tables.size(); ++qi) {
    const toml::table& t = *tables[qi];
    std::string path = "queries[" + std::to_string(qi) + "]";
    TableReader r(t, path, st.sink);
    QueryConfig q;
    q.pos = st.sink.pos(t);
    if (r.string("name", q.name, true)) query_names.add(q.name, *t.get("name"), path + ".name", st.sink);

    std::vector<std::string> roles;
    if (r.strings("roles", roles)) {
      const auto* arr = t.get("roles")->as_array();
      for (size_t i = 0; i < roles.size(); ++i) {
        if (auto role = parse_role(roles[i]); role && *role != Role::Auto)
          q.roles.push_back(*role);
        else
          st.sink.add(*arr->get(i), r.key_path("roles") + "[" + std::to_string(i) + "]",
                      show(roles[i]) + " is not a role (expected primary, standby or client)");
      }
    }
    if (r.strings("nodes", q.nodes)) {
      const auto* arr = t.get("nodes")->as_array();
      for (size_t i = 0; i < q.nodes.size(); ++i)
        if (!node_names.count(q.nodes[i]))
          st.sink.add(*arr->get(i), r.key_path("nodes") + "[" + std::to_string(i) + "]",
                      show(q.nodes[i]) + " is not a configured node (expected one of: " +
                          join(node_list) + ")");
    }
    r.string("sql", q.sql, true);

    auto metrics = r.tables("metrics");
    if (!t.get("metrics"))
      st.sink.add(q.pos, r.key_path("metrics") +
                             ": missing (required: e.g. metrics = [{ column = \"n\", name = "
                             "\"pgwarden_n\" }])");
    else if (metrics.empty() && t.get("metrics")->as_array())
      st.sink.add(*t.get("metrics"), r.key_path("metrics"), "must list at least one metric");
    for (size_t i = 0; i < metrics.size(); ++i) {
      QueryMetricConfig m;
      std::string mpath = r.key_path("metrics") + "[" + std::to_string(i) + "]";
      read_metric(*metrics[i], mpath, st, m);
      if (!m.name.empty() && metrics[i]->get("name"))
        metric_names.add(m.name, *metrics[i]->get("name"), mpath + ".name", st.sink);
      q.metrics.push_back(std::move(m));
    }
    r.duration("interval", q.interval);
    r.duration("timeout", q.timeout);
    r.finish();
    out.push_back(std::move(q));
  }
}

}  // namespace pgw::config_detail
