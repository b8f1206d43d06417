#include "alerts/rule_unit_test.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <map>
#include <sstream>
#include <stdexcept>

#include <yaml-cpp/yaml.h>

#include "alerts/promql_eval.h"
#include "alerts/promql_history.h"
#include "alerts/promql_parser.h"
#include "alerts/rule_state.h"
#include "alerts/template.h"
#include "core/duration.h"

namespace pgw {
namespace {

std::int64_t duration_ms(const YAML::Node& n, std::int64_t fallback) {
  if (!n) return fallback;
  auto d = parse_duration(n.as<std::string>());
  if (!d) throw std::invalid_argument("bad duration \"" + n.as<std::string>() + "\"");
  return d->count();
}

// Prometheus' model.Duration.String(): 10m, 1h30m, 0s.
std::string go_duration(std::int64_t ms) { return format_duration(Duration(ms)); }

double parse_value(const std::string& s) {
  std::string l = s;
  std::transform(l.begin(), l.end(), l.begin(), [](unsigned char c) { return std::tolower(c); });
  if (l == "nan") return std::nan("");
  if (l == "inf" || l == "+inf") return INFINITY;
  if (l == "-inf") return -INFINITY;
  size_t used = 0;
  double v = std::stod(s, &used);
  if (used != s.size()) throw std::invalid_argument("bad number \"" + s + "\"");
  return v;
}

// Labels as Prometheus prints them: {a="b", c="d"} (sorted).
std::string labels_string(const Labels& l) {
  std::string s = "{";
  for (size_t i = 0; i < l.size(); ++i) s += (i ? ", " : "") + l[i].first + "=\"" + l[i].second + "\"";
  return s + "}";
}

// A series selector of equality matchers (`name{a="b"}`) as a label set.
Labels parse_metric(const std::string& text) {
  auto n = promql::parse(text);
  if (n->kind != promql::Node::Kind::Selector || n->range_selector || n->offset_ms)
    throw std::invalid_argument("not a series: " + text);
  Labels l;
  for (const auto& m : n->matchers) {
    if (m.op != promql::Matcher::Op::Eq) throw std::invalid_argument("not a series: " + text);
    l.emplace_back(m.name, m.value);
  }
  normalize(l);
  return l;
}

std::string format_e(double v) {
  // Go's strconv.FormatFloat(v, 'E', -1, 64): shortest digits, exponent with sign and 2+ digits.
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string s(buf, r.ptr);
  size_t e = s.find('e');
  std::string mant = s.substr(0, e), exp = s.substr(e + 1);
  char sign = exp[0] == '-' ? '-' : '+';
  if (exp[0] == '-' || exp[0] == '+') exp = exp.substr(1);
  while (exp.size() > 2 && exp[0] == '0') exp = exp.substr(1);
  if (exp.size() < 2) exp = "0" + exp;
  return mant + "E" + sign + exp;
}

struct Rule {
  bool alerting = false;
  std::string name;  // alert or record
  promql::NodePtr expr;
  std::int64_t for_ms = 0, keep_firing_ms = 0;
  std::vector<std::pair<std::string, Template>> labels, annotations;
  RuleState state;
};

struct LabelsAndAnnotations {
  Labels labels;
  Labels annotations;
  bool operator<(const LabelsAndAnnotations& o) const {
    return std::tie(labels, annotations) < std::tie(o.labels, o.annotations);
  }
  bool operator==(const LabelsAndAnnotations& o) const { return labels == o.labels && annotations == o.annotations; }
};

std::string indent(const std::string& s, const std::string& pad) {
  std::string out;
  for (char c : s) {
    out += c;
    if (c == '\n') out += pad;
  }
  return out;
}

std::string to_string(const std::vector<LabelsAndAnnotations>& v) {
  if (v.empty()) return "[]";
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) {
    s += (i ? ",\n" : "\n") + std::to_string(i) + ":" +
         indent("\nLabels:" + labels_string(v[i].labels) + "\nAnnotations:" + labels_string(v[i].annotations), "  ");
  }
  return s + "\n]";
}

std::vector<Rule> load_rule_files(const YAML::Node& files, const std::filesystem::path& dir) {
  std::vector<Rule> rules;
  for (const auto& f : files) {
    std::filesystem::path p = f.as<std::string>();
    if (p.is_relative()) p = dir / p;
    YAML::Node doc = YAML::LoadFile(p.string());
    for (const auto& g : doc["groups"])
      for (const auto& r : g["rules"]) {
        Rule rule;
        rule.alerting = static_cast<bool>(r["alert"]);
        rule.name = rule.alerting ? r["alert"].as<std::string>() : r["record"].as<std::string>();
        try {
          rule.expr = promql::parse(r["expr"].as<std::string>());
        } catch (const promql::ParseError& e) {
          throw std::invalid_argument(p.string() + ": rule \"" + rule.name + "\": " + e.what());
        }
        rule.for_ms = duration_ms(r["for"], 0);
        rule.keep_firing_ms = duration_ms(r["keep_firing_for"], 0);
        for (const auto& kv : r["labels"]) rule.labels.emplace_back(kv.first.as<std::string>(), Template::parse(kv.second.as<std::string>()));
        for (const auto& kv : r["annotations"])
          rule.annotations.emplace_back(kv.first.as<std::string>(), Template::parse(kv.second.as<std::string>()));
        rules.push_back(std::move(rule));
      }
  }
  return rules;
}

class GroupRun {
 public:
  GroupRun(const YAML::Node& tg, std::vector<Rule>& rules, std::int64_t eval_interval)
      : tg_(tg), rules_(rules), eval_interval_(eval_interval) {}

  std::vector<std::string> run() {
    for (auto& r : rules_) r.state = RuleState();
    std::int64_t interval = duration_ms(tg_["interval"], eval_interval_);
    load_series(interval);
    std::map<std::int64_t, std::vector<YAML::Node>> alert_tests;
    std::int64_t maxt = 0;
    for (const auto& t : tg_["alert_rule_test"]) {
      std::int64_t at = duration_ms(t["eval_time"], 0);
      alert_tests[at].push_back(t);
      maxt = std::max(maxt, at);
    }
    for (const auto& t : tg_["promql_expr_test"]) maxt = std::max(maxt, duration_ms(t["eval_time"], 0));
    std::string name = tg_["name"] ? "    name: " + tg_["name"].as<std::string>() + ",\n" : "";
    auto next_test = alert_tests.begin();
    for (std::int64_t ts = 0; ts <= maxt; ts += eval_interval_) {
      eval_rules(ts);
      // An alert test at eval_time in [ts, ts + interval) sees the evaluation at ts.
      while (next_test != alert_tests.end() && next_test->first < ts + eval_interval_) {
        for (const auto& t : next_test->second) check_alerts(t, next_test->first, name);
        ++next_test;
      }
    }
    for (const auto& t : tg_["promql_expr_test"]) check_expr(t, name);
    return errors_;
  }

 private:
  const YAML::Node& tg_;
  std::vector<Rule>& rules_;
  std::int64_t eval_interval_;
  promql::History history_;
  std::vector<std::string> errors_;

  void load_series(std::int64_t interval) {
    for (const auto& s : tg_["input_series"]) {
      Labels l = parse_metric(s["series"].as<std::string>());
      auto values = expand_series_values(s["values"] ? s["values"].as<std::string>() : "");
      promql::History::Series* series = nullptr;
      for (size_t i = 0; i < values.size(); ++i) {
        std::int64_t t = static_cast<std::int64_t>(i) * interval;
        if (values[i].stale) {
          if (series) history_.add_stale(*series, t);
        } else if (values[i].present) {
          series = &history_.add(l, t, values[i].value);
        }
      }
    }
  }

  promql::Value query(const promql::Node& expr, std::int64_t ts) {
    promql::SeriesSet none(std::vector<Sample>{});
    promql::EvalOptions opt;
    opt.history = &history_;
    opt.instants_from_history = true;
    return promql::evaluate(expr, none, opt, static_cast<double>(ts) / 1000);
  }

  void eval_rules(std::int64_t ts) {
    TimePoint now{std::chrono::milliseconds(ts)};
    for (auto& r : rules_) {
      promql::Value v;
      try {
        v = query(*r.expr, ts);
      } catch (const std::exception& e) {
        errors_.push_back("    rule: " + r.name + ", time: " + go_duration(ts) + ", err: " + e.what());
        continue;
      }
      std::vector<std::pair<Labels, double>> out;
      if (v.type == promql::ValueType::Scalar) out.emplace_back(Labels{}, v.scalar);
      for (auto& s : v.vector) out.emplace_back(s.labels, s.value);
      if (!r.alerting) {
        for (auto& [labels, value] : out) {
          Labels l;
          for (const auto& p : labels)
            if (p.first != "__name__") l.push_back(p);
          for (const auto& [k, t] : r.labels) l.emplace_back(k, t.render(labels, value));
          l.emplace_back("__name__", r.name);
          normalize(l);
          history_.add(l, ts, value);
        }
        continue;
      }
      std::vector<ReturnedAlert> found;
      for (auto& [labels, value] : out) {
        Alert a;
        for (const auto& p : labels)
          if (p.first != "__name__") a.labels.push_back(p);
        for (const auto& [name, t] : r.labels) {
          const std::string& k = name;  // clang 14 cannot capture a structured binding
          std::string rendered = t.render(labels, value);
          auto it = std::find_if(a.labels.begin(), a.labels.end(), [&](const auto& p) { return p.first == k; });
          if (it != a.labels.end()) it->second = rendered;
          else a.labels.emplace_back(k, rendered);
        }
        a.labels.erase(std::remove_if(a.labels.begin(), a.labels.end(), [](const auto& p) { return p.second.empty(); }),
                       a.labels.end());
        a.labels.emplace_back("alertname", r.name);
        normalize(a.labels);
        for (const auto& [k, t] : r.annotations) a.annotations[k] = t.render(labels, value);
        a.value = value;
        std::string key = label_key(a.labels);
        found.push_back(ReturnedAlert{std::move(key), std::move(a)});
      }
      r.state.advance(std::move(found), now, Duration(r.for_ms), Duration(r.keep_firing_ms));
    }
  }

  void check_alerts(const YAML::Node& t, std::int64_t at, const std::string& name) {
    std::string alertname = t["alertname"].as<std::string>();
    std::vector<LabelsAndAnnotations> got, exp;
    for (const auto& r : rules_) {
      if (!r.alerting || r.name != alertname) continue;
      for (const auto& a : r.state.alerts()) {
        if (a.state != AlertState::Firing) continue;
        Labels ann(a.annotations.begin(), a.annotations.end());
        got.push_back({a.labels, ann});
      }
    }
    for (const auto& e : t["exp_alerts"]) {
      LabelsAndAnnotations x;
      for (const auto& kv : e["exp_labels"]) x.labels.emplace_back(kv.first.as<std::string>(), kv.second.as<std::string>());
      x.labels.emplace_back("alertname", alertname);
      normalize(x.labels);
      for (const auto& kv : e["exp_annotations"])
        x.annotations.emplace_back(kv.first.as<std::string>(), kv.second.as<std::string>());
      normalize(x.annotations);
      exp.push_back(std::move(x));
    }
    std::sort(got.begin(), got.end());
    std::sort(exp.begin(), exp.end());
    if (got == exp) return;
    errors_.push_back(name + "    alertname: " + alertname + ", time: " + go_duration(at) + ", \n        exp:" +
                      indent(to_string(exp), "            ") + ", \n        got:" + indent(to_string(got), "            "));
  }

  void check_expr(const YAML::Node& t, const std::string& name) {
    std::string expr = t["expr"].as<std::string>();
    std::int64_t at = duration_ms(t["eval_time"], 0);
    std::vector<std::pair<Labels, double>> got, exp;
    std::string quoted = "\"" + expr + "\"";
    try {
      promql::Value v = query(*promql::parse(expr), at);
      if (v.type == promql::ValueType::Scalar) got.emplace_back(Labels{}, v.scalar);
      for (auto& s : v.vector) got.emplace_back(s.labels, s.value);
    } catch (const std::exception& e) {
      errors_.push_back("    expr: " + quoted + ", time: " + go_duration(at) + ", err: " + e.what());
      return;
    }
    for (const auto& s : t["exp_samples"])
      exp.emplace_back(parse_metric(s["labels"] ? s["labels"].as<std::string>() : "{}"), s["value"].as<double>());
    auto less = [](const auto& a, const auto& b) { return labels_string(a.first) < labels_string(b.first); };
    std::sort(got.begin(), got.end(), less);
    std::sort(exp.begin(), exp.end(), less);
    auto same = [](const auto& a, const auto& b) {
      if (a.size() != b.size()) return false;
      for (size_t i = 0; i < a.size(); ++i)
        if (a[i].first != b[i].first ||
            !(a[i].second == b[i].second || (std::isnan(a[i].second) && std::isnan(b[i].second))))
          return false;
      return true;
    };
    if (same(got, exp)) return;
    auto str = [](const std::vector<std::pair<Labels, double>>& v) {
      if (v.empty()) return std::string("nil");
      std::string s;
      for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + labels_string(v[i].first) + " " + format_e(v[i].second);
      return s;
    };
    errors_.push_back(name + "    expr: " + quoted + ", time: " + go_duration(at) + ",\n        exp: " + str(exp) +
                      "\n        got: " + str(got));
  }
};

}  // namespace

std::vector<SeriesValue> expand_series_values(const std::string& text) {
  std::vector<SeriesValue> out;
  std::istringstream in(text);
  std::string tok;
  while (in >> tok) {
    if (tok == "stale") {
      out.push_back({false, true, 0});
      continue;
    }
    size_t x = tok.find('x');
    std::string head = x == std::string::npos ? tok : tok.substr(0, x);
    long long times = 0;
    if (x != std::string::npos) {
      std::string n = tok.substr(x + 1);
      auto [p, ec] = std::from_chars(n.data(), n.data() + n.size(), times);
      if (ec != std::errc() || p != n.data() + n.size() || times < 0)
        throw std::invalid_argument("bad repetition in \"" + tok + "\"");
    }
    if (head == "_") {
      for (long long i = 0; i < (x == std::string::npos ? 1 : times); ++i) out.push_back({false, false, 0});
      continue;
    }
    // a, a+b or a-b: the sign after the first character separates the increment.
    double start = 0, step = 0;
    size_t op = std::string::npos;
    for (size_t i = 1; i < head.size(); ++i)
      if ((head[i] == '+' || head[i] == '-') && head[i - 1] != 'e' && head[i - 1] != 'E') {
        op = i;
        break;
      }
    if (op == std::string::npos) {
      start = parse_value(head);
    } else {
      start = parse_value(head.substr(0, op));
      step = parse_value(head.substr(op + 1));
      if (head[op] == '-') step = -step;
      if (x == std::string::npos) throw std::invalid_argument("missing repetition in \"" + tok + "\"");
    }
    if (x == std::string::npos) {
      out.push_back({true, false, start});
      continue;
    }
    double v = start;
    for (long long i = 0; i <= times; ++i) {
      out.push_back({true, false, v});
      v += step;
    }
  }
  return out;
}

RuleTestOutcome run_rule_test_file(const std::string& path) {
  RuleTestOutcome out;
  out.report = "Unit Testing:  " + path + "\n";
  std::vector<std::string> errors;
  try {
    YAML::Node doc = YAML::LoadFile(path);
    std::filesystem::path dir = std::filesystem::path(path).parent_path();
    std::int64_t eval_interval = duration_ms(doc["evaluation_interval"], 60000);
    std::vector<Rule> rules = load_rule_files(doc["rule_files"], dir);
    for (const auto& tg : doc["tests"]) {
      auto errs = GroupRun(tg, rules, eval_interval).run();
      errors.insert(errors.end(), errs.begin(), errs.end());
    }
  } catch (const std::exception& e) {
    errors.push_back(std::string("    ") + e.what());
  }
  out.passed = errors.empty();
  if (out.passed) {
    out.report += "  SUCCESS\n";
  } else {
    out.report += "  FAILED:\n";
    for (const auto& e : errors) out.report += e + "\n";
  }
  return out;
}

}  // namespace pgw
