// "query" module: one check per [[queries]] entry, named query_<name>;
// [checks.query] applies to all of them (enabled = false turns every query
// off). Each result row becomes one sample per configured metric: the value
// column must be numeric (booleans count as 1/0), label columns become labels. A NULL
// value skips that sample; a non-numeric value, a missing column or two rows
// with the same labels fail the check with an error naming the query.
#include <algorithm>
#include <set>
#include <stdexcept>

#include "checks/check.h"
#include "core/metric_catalog.h"

namespace pgw {
namespace {

class QueryCheck : public Check {
 public:
  explicit QueryCheck(QueryConfig q) : q_(std::move(q)) {}

  std::string name() const override { return "query_" + q_.name; }
  bool applies_to(const NodeConfig& node) const override {
    bool role_ok = q_.roles.empty() || std::find(q_.roles.begin(), q_.roles.end(), node.role) != q_.roles.end();
    bool node_ok = q_.nodes.empty() || std::find(q_.nodes.begin(), q_.nodes.end(), node.name) != q_.nodes.end();
    return role_ok && node_ok;
  }
  std::optional<Duration> interval() const override { return q_.interval; }
  std::optional<Duration> timeout() const override { return q_.timeout; }
  // They come from the query's own [[queries]] entry, so they also win over
  // [checks.query].
  std::optional<Duration> own_interval() const override { return q_.interval; }
  std::optional<Duration> own_timeout() const override { return q_.timeout; }

  void collect(CheckContext& ctx, SampleSink& out) override {
    PgResult r = ctx.query(q_.sql);
    for (const auto& m : q_.metrics) {
      size_t value_col = column(r, m.column);
      std::vector<size_t> label_cols;
      for (const auto& l : m.labels) {
        if (l == "cluster" || l == "node")
          throw std::runtime_error(where() + ": label column '" + l + "' clashes with the label pgwarden sets");
        label_cols.push_back(column(r, l));
      }
      std::set<Labels> seen;
      for (size_t row = 0; row < r.size(); ++row) {
        const auto& cell = r.rows[row][value_col];
        if (!cell) continue;  // NULL: nothing measured
        auto value = r.number(row, m.column);
        if (!value)
          throw std::runtime_error(where() + ": column '" + m.column + "' of row " + std::to_string(row + 1) +
                                   " is not a number (metric " + m.name + ")");
        Labels labels;
        for (size_t i = 0; i < label_cols.size(); ++i)
          labels.emplace_back(m.labels[i], r.rows[row][label_cols[i]].value_or(""));
        Labels key = labels;
        normalize(key);
        if (!seen.insert(key).second)
          throw std::runtime_error(where() + ": two rows give " + m.name +
                                   " the same labels; add a label column or aggregate in SQL");
        out.add(m.name, std::move(labels), *value);
      }
    }
  }

 private:
  std::string where() const { return "query " + q_.name; }

  size_t column(const PgResult& r, const std::string& name) const {
    auto it = std::find(r.columns.begin(), r.columns.end(), name);
    if (it != r.columns.end()) return static_cast<size_t>(it - r.columns.begin());
    std::string have;
    for (const auto& c : r.columns) have += (have.empty() ? "" : ", ") + c;
    throw std::runtime_error(where() + ": result has no column '" + name + "' (columns: " + have + ")");
  }

  QueryConfig q_;
};

std::vector<std::unique_ptr<Check>> make_query_checks(const Config& config) {
  std::vector<std::unique_ptr<Check>> checks;
  for (const auto& q : config.queries) {
    for (const auto& m : q.metrics) {
      std::string help = !m.help.empty() ? m.help
                                         : "Custom query " + q.name + ": column " + m.column + ".";
      register_metric({m.name, m.type == "counter" ? MetricType::Counter : MetricType::Gauge, help});
    }
    checks.push_back(std::make_unique<QueryCheck>(q));
  }
  return checks;
}

PGW_REGISTER_CHECK_FACTORY("query", query_checks, make_query_checks);

}  // namespace
}  // namespace pgw
