#include "alerts/rule_history.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "alerts/promql_labels.h"
#include "core/metric_catalog.h"

namespace pgw {
namespace {

PGW_DESCRIBE_METRICS({
    {"pgwarden_rule_history_series", MetricType::Gauge,
     "Series whose recent samples the rules' range selectors and offsets (and the status page's lag graphs) "
     "keep in memory."},
    {"pgwarden_rule_history_samples", MetricType::Gauge,
     "Samples kept in memory for range selectors and offsets (and the status page's lag graphs)."},
    {"pgwarden_rule_history_dropped_samples_total", MetricType::Counter,
     "Samples dropped (oldest first) because the history reached [alerts] history_max_samples."},
});

void collect_needs(const promql::Node& n, std::vector<std::pair<const promql::Node*, std::int64_t>>& out) {
  if (n.kind == promql::Node::Kind::Selector && (n.range_selector || n.offset_ms > 0)) {
    std::int64_t depth = n.offset_ms + (n.range_selector ? n.range_ms : promql::kLookbackMs);
    out.emplace_back(&n, depth);
  }
  for (const auto& a : n.args) collect_needs(*a, out);
}

bool matches(const std::vector<promql::Matcher>& ms, const Labels& labels) {
  static const std::string empty;
  for (const auto& m : ms) {
    const std::string* v = promql::find_label(labels, m.name);
    if (!m.matches(v ? *v : empty)) return false;
  }
  return true;
}

// JSON has no NaN or Inf: those go as strings, as Prometheus' API writes values.
nlohmann::json encode(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return v;
}
double decode(const nlohmann::json& j) {
  if (j.is_number()) return j.get<double>();
  std::string s = j.get<std::string>();
  if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
  if (s == "+Inf") return std::numeric_limits<double>::infinity();
  if (s == "-Inf") return -std::numeric_limits<double>::infinity();
  throw std::invalid_argument("bad value " + s);
}

}  // namespace

void RuleHistory::set_needs(const std::vector<const promql::Node*>& exprs) {
  std::vector<std::pair<const promql::Node*, std::int64_t>> found;
  for (const auto* e : exprs) collect_needs(*e, found);
  rule_needs_.clear();
  for (const auto& [n, depth] : found) rule_needs_.push_back(Need{n->matchers, depth});
  apply_needs();
}

void RuleHistory::set_display_needs(const std::vector<const promql::Node*>& selectors, std::int64_t resolution_ms) {
  display_resolution_ms_ = std::max<std::int64_t>(0, resolution_ms);
  std::vector<std::pair<const promql::Node*, std::int64_t>> found;
  for (const auto* e : selectors) collect_needs(*e, found);
  display_needs_.clear();
  for (const auto& [n, depth] : found) display_needs_.push_back(Need{n->matchers, depth});
  apply_needs();
}

void RuleHistory::apply_needs() {
  needs_ = rule_needs_;
  needs_.insert(needs_.end(), display_needs_.begin(), display_needs_.end());
  for (auto& [name, group] : history_.all())
    for (auto& [key, s] : group) s.keep_ms = keep_for(s.labels);
}

HistorySnapshot RuleHistory::display_snapshot() const {
  HistorySnapshot out;
  out.at_ms = last_t_;
  std::vector<const promql::History::Series*> seen;  // a series two needs match is copied once
  for (const auto& need : display_needs_) {
    history_.select(need.matchers, [&](const promql::History::Series& s) {
      if (std::find(seen.begin(), seen.end(), &s) != seen.end()) return;
      seen.push_back(&s);
      const std::int64_t from = last_t_ - need.keep_ms;
      auto pts = promql::points_in(s, from, last_t_);
      HistorySnapshot::Series copy{s.labels, {}, {}};
      copy.points.reserve(pts.size());
      for (const auto& p : pts) copy.points.push_back({p.t, p.v});
      for (std::int64_t t : s.stale)
        if (t >= from) copy.stale.push_back(t);
      out.series.push_back(std::move(copy));
    });
  }
  return out;
}

bool RuleHistory::rules_need(const Labels& labels) const {
  for (const auto& n : rule_needs_)
    if (matches(n.matchers, labels)) return true;
  return false;
}

std::int64_t RuleHistory::keep_for(const Labels& labels) const {
  std::int64_t keep = 0;
  for (const auto& n : needs_)
    if (n.keep_ms > keep && matches(n.matchers, labels)) keep = n.keep_ms;
  return keep;
}

void RuleHistory::record(const promql::SeriesSet& round, std::int64_t t) {
  ++round_;
  last_t_ = t;
  if (!needs_.empty()) {
    // Candidates through the name index where a need names its metric.
    std::vector<size_t> candidates;
    bool all = false;
    for (const auto& n : needs_) {
      const promql::Matcher* by_name = nullptr;
      for (const auto& m : n.matchers)
        if (m.name == promql::kName && m.op == promql::Matcher::Op::Eq) by_name = &m;
      if (!by_name) {
        all = true;
        break;
      }
      if (const auto* idx = round.by_name(by_name->value)) candidates.insert(candidates.end(), idx->begin(), idx->end());
    }
    if (all) {
      candidates.resize(round.size());
      for (size_t i = 0; i < candidates.size(); ++i) candidates[i] = i;
    } else {
      std::sort(candidates.begin(), candidates.end());
      candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
    }
    for (size_t i : candidates) {
      const Labels labels = round.labels(i);
      std::int64_t keep = keep_for(labels);
      if (keep == 0) continue;
      auto& h = history_.add(labels, t, round.value(i));
      h.keep_ms = keep;
      h.seen_round = round_;
      // Display only: the point before the latest goes when it is closer
      // than the resolution to the one before it (the latest stays current).
      if (display_resolution_ms_ > 0 && h.size() >= 3 && !rules_need(labels)) {
        auto before_last = h.points.end() - 2;
        if (before_last->t - (before_last - 1)->t < display_resolution_ms_) h.points.erase(before_last);
      }
    }
  }
  // A needed series missing from this round went stale (as a scrape would mark it).
  for (auto& [name, group] : history_.all())
    for (auto& [key, s] : group)
      if (s.seen_round != round_) history_.add_stale(s, t);
  trim(t);
  enforce_bound();
}

void RuleHistory::trim(std::int64_t now) {
  for (auto& [name, group] : history_.all())
    for (auto& [key, s] : group) promql::History::drop_before(s, now - s.keep_ms);
  history_.remove_empty();
  samples_ = history_.sample_count();
}

void RuleHistory::enforce_bound() {
  while (samples_ > max_samples_) {
    // The oldest points across all series go first, one timestamp at a time.
    std::int64_t oldest = std::numeric_limits<std::int64_t>::max();
    for (const auto& [name, group] : history_.all())
      for (const auto& [key, s] : group)
        if (s.size() > 0) oldest = std::min(oldest, s.view().front().t);
    size_t before = samples_;
    for (auto& [name, group] : history_.all())
      for (auto& [key, s] : group) promql::History::drop_before(s, oldest + 1);
    history_.remove_empty();
    samples_ = history_.sample_count();
    dropped_ += before - samples_;
    if (samples_ == before) break;
  }
}

nlohmann::json RuleHistory::save() const {
  nlohmann::json series = nlohmann::json::array();
  for (const auto& [name, group] : history_.all())
    for (const auto& [key, s] : group) {
      nlohmann::json labels = nlohmann::json::object();
      for (const auto& [k, v] : s.labels) labels[k] = v;
      nlohmann::json points = nlohmann::json::array();
      for (const auto& p : s.view()) points.push_back({p.t, encode(p.v)});
      series.push_back({{"labels", std::move(labels)}, {"points", std::move(points)}, {"stale", s.stale}});
    }
  return {{"version", 1}, {"series", std::move(series)}};
}

void RuleHistory::restore(const nlohmann::json& saved) {
  promql::History restored;
  try {
    if (!saved.is_object() || saved.value("version", 0) != 1 || !saved.contains("series") || !saved["series"].is_array())
      throw std::invalid_argument("expected {\"version\": 1, \"series\": [...]}");
    for (const auto& s : saved["series"]) {
      Labels labels;
      for (const auto& [k, v] : s.at("labels").items()) labels.emplace_back(k, v.get<std::string>());
      normalize(labels);
      std::int64_t keep = keep_for(labels);
      if (keep == 0) continue;  // no rule needs it any more
      promql::History::Series* h = nullptr;
      for (const auto& p : s.at("points")) h = &restored.add(labels, p.at(0).get<std::int64_t>(), decode(p.at(1)));
      if (!h) continue;
      h->keep_ms = keep;
      for (const auto& t : s.at("stale")) h->stale.push_back(t.get<std::int64_t>());
      std::sort(h->stale.begin(), h->stale.end());
    }
  } catch (const std::exception& e) {
    throw std::invalid_argument(std::string("rule history: ") + e.what());
  }
  history_ = std::move(restored);
  for (const auto& [name, group] : history_.all())
    for (const auto& [key, s] : group) {
      if (s.size() > 0) last_t_ = std::max(last_t_, s.view().back().t);
      if (!s.stale.empty()) last_t_ = std::max(last_t_, s.stale.back());
    }
  samples_ = history_.sample_count();
  enforce_bound();
}

void RuleHistory::append_samples(std::vector<Sample>& out) const {
  out.push_back(Sample{"pgwarden_rule_history_series", {}, static_cast<double>(history_.series_count())});
  out.push_back(Sample{"pgwarden_rule_history_samples", {}, static_cast<double>(samples_)});
  out.push_back(Sample{"pgwarden_rule_history_dropped_samples_total", {}, static_cast<double>(dropped_)});
}

}  // namespace pgw
