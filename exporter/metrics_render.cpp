#include "exporter/metrics_render.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <deque>

#include "exporter/heap_trim.h"
#include "core/metric_catalog.h"
#include "core/utf8.h"

namespace pgw {
namespace {

bool name_char(char c, bool first, bool colon_ok) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon_ok && c == ':') ||
         (!first && c >= '0' && c <= '9');
}

bool valid_name(const std::string& s, bool colon_ok) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i)
    if (!name_char(s[i], i == 0, colon_ok)) return false;
  return true;
}

// Every character a name may not hold becomes '_' (as Prometheus' own
// sanitisers do); a leading digit gets a '_' in front.
std::string sanitized_name(const std::string& s, bool colon_ok) {
  std::string out;
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) out += '_';
  for (char c : s) out += name_char(c, false, colon_ok) ? c : '_';
  return out;
}

// Whether a sample can be rendered as it is: the names valid and the values
// UTF-8. Checks, rules and config produce only such samples; this is the
// second line of defence that keeps every scrape parseable regardless.
bool renderable(const Sample& s) {
  if (!valid_name(s.name, true)) return false;
  for (const auto& [k, v] : s.labels)
    if (!valid_name(k, false) || !is_valid_utf8(v)) return false;
  return true;
}

void repair(Sample& s) {
  if (!valid_name(s.name, true)) s.name = sanitized_name(s.name, true);
  for (auto& [k, v] : s.labels)
    if (!valid_name(k, false)) k = sanitized_name(k, false);
  normalize(s.labels);  // also makes the values valid UTF-8
  // Two names may have become one: keep the first.
  s.labels.erase(std::unique(s.labels.begin(), s.labels.end(),
                             [](const auto& a, const auto& b) { return a.first == b.first; }),
                 s.labels.end());
}

bool is_normalized(const Labels& labels) {
  for (size_t i = 0; i < labels.size(); ++i)
    if (labels[i].second.empty() || (i > 0 && !(labels[i - 1].first < labels[i].first))) return false;
  return true;
}

// HELP text escapes backslash and newline; label values also the quote.
void append_escaped(std::string& out, const std::string& s, bool quote) {
  for (char c : s) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (quote && c == '"') out += "\\\"";
    else out += c;
  }
}

void append_value(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v < 0 ? "-Inf" : "+Inf";
  } else {
    // 15 significant digits unless that does not read back exactly
    // (std::to_chars for double is missing from older macOS libc++).
    char buf[32];
    int n = std::snprintf(buf, sizeof buf, "%.15g", v);
    if (std::strtod(buf, nullptr) != v) n = std::snprintf(buf, sizeof buf, "%.17g", v);
    out.append(buf, static_cast<size_t>(n));
  }
}

void append_header(std::string& out, const std::string& name) {
  auto info = find_metric(name);
  out += "# HELP ";
  out += name;
  out += ' ';
  append_escaped(out, info ? info->help : "pgwarden metric " + name, false);
  out += "\n# TYPE ";
  out += name;
  out += info && info->type == MetricType::Counter ? " counter\n" : " gauge\n";
}

void append_series(std::string& out, const Sample& s) {
  out += s.name;
  if (!s.labels.empty()) {
    out += '{';
    for (size_t i = 0; i < s.labels.size(); ++i) {
      if (i) out += ',';
      out += s.labels[i].first;
      out += "=\"";
      append_escaped(out, s.labels[i].second, true);
      out += '"';
    }
    out += '}';
  }
  out += ' ';
  append_value(out, s.value);
  out += '\n';
}

}  // namespace

namespace {

// One metric family rendered ahead (the self metrics): its text is put in
// at the family's place in the sorted output.
struct Family {
  std::string name;
  std::string text;  // HELP, TYPE and the series lines
};

// Renders samples given by pointer; they must stay alive meanwhile. Only
// samples whose labels are not yet normalized (the store's always are) are
// copied. `ahead` (sorted by name) holds whole families no sample has.
std::string render_pointers(std::vector<const Sample*> order, const std::vector<Family>& ahead = {}) {
  std::deque<Sample> normalized;
  for (auto& p : order) {
    if (is_normalized(p->labels) && renderable(*p)) continue;
    normalized.push_back(*p);
    repair(normalized.back());
    p = &normalized.back();
  }
  std::stable_sort(order.begin(), order.end(), [](const Sample* a, const Sample* b) {
    if (a->name != b->name) return a->name < b->name;
    return a->labels < b->labels;
  });
  // Sized from the last body, so that a large one is not grown (and copied)
  // a dozen times on the way.
  static std::atomic<size_t> last_size{0};
  std::string out;
  out.reserve(std::max(order.size() * 96, last_size.load() + last_size.load() / 16));
  auto next_ahead = ahead.begin();
  auto flush_ahead = [&](const std::string* before) {
    for (; next_ahead != ahead.end() && (!before || next_ahead->name < *before); ++next_ahead)
      out += next_ahead->text;
  };
  const std::string* family = nullptr;
  for (size_t i = 0; i < order.size(); ++i) {
    const Sample& s = *order[i];
    // A later duplicate of the same series replaces the earlier one.
    if (i + 1 < order.size() && order[i + 1]->name == s.name && order[i + 1]->labels == s.labels) continue;
    if (!family || *family != s.name) {
      flush_ahead(&s.name);
      append_header(out, s.name);
      family = &s.name;
    }
    append_series(out, s);
  }
  flush_ahead(nullptr);
  last_size = out.size();
  return out;
}

// The self metrics (check_success...) of `results` as whole families,
// written through one scratch sample instead of a Sample per series (at
// 1,000 nodes there are 36,000 of them, 11 MB as samples).
std::vector<Family> self_families(const std::vector<std::shared_ptr<const CheckResult>>& results) {
  std::vector<std::pair<Labels, const CheckResult*>> rows;  // one label set serves three families
  for (const auto& r : results) {
    if (!r->self_metrics) continue;
    Labels l{{"check", r->check}, {"cluster", r->cluster}};
    if (!r->node.empty()) l.emplace_back("node", r->node);
    normalize(l);
    rows.emplace_back(std::move(l), r.get());
  }
  std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<Family> out;
  auto family = [&](const char* name, auto value, auto present) {
    Family f{name, {}};
    append_header(f.text, f.name);
    Sample scratch;
    scratch.name = f.name;
    bool any = false;
    for (size_t i = 0; i < rows.size(); ++i) {
      const auto& [labels, r] = rows[i];
      // A later duplicate of the same series replaces the earlier one.
      if (!present(*r) || (i + 1 < rows.size() && rows[i + 1].first == labels)) continue;
      scratch.labels = labels;
      scratch.value = value(*r);
      append_series(f.text, scratch);
      any = true;
    }
    if (any) out.push_back(std::move(f));
  };
  auto always = [](const CheckResult&) { return true; };
  // In name order.
  family("pgwarden_check_duration_seconds", [](const CheckResult& r) { return r.duration_seconds; }, always);
  family("pgwarden_check_last_success_timestamp_seconds",
         [](const CheckResult& r) { return r.last_success_timestamp; },
         [](const CheckResult& r) { return r.last_success_timestamp > 0; });
  family("pgwarden_check_success", [](const CheckResult& r) { return r.success ? 1.0 : 0.0; }, always);
  return out;
}

}  // namespace

std::string render_text(const std::vector<Sample>& samples) {
  std::vector<const Sample*> order;
  order.reserve(samples.size());
  for (const Sample& s : samples) order.push_back(&s);
  return render_pointers(std::move(order));
}

std::string render_metrics(const SnapshotStore& store, const std::vector<const SampleSource*>& others) {
  // The store's results are immutable and shared: holding them keeps their
  // samples alive while they are rendered in place, without a copy, and
  // without holding the store's lock (a round may publish meanwhile).
  const auto results = store.results();
  std::vector<Sample> small;  // alerts, notifier, build_info
  for (const auto* s : others) s->append_samples(small);
  std::vector<const Sample*> order;
  size_t n = small.size();
  for (const auto& r : results) n += r->samples.size();
  order.reserve(n);
  for (const auto& r : results)
    for (const Sample& s : r->samples) order.push_back(&s);
  for (const Sample& s : small) order.push_back(&s);
  // The self metrics go in as whole families unless some other sample
  // shares their names (then they are samples like the rest).
  std::vector<Family> ahead = self_families(results);
  bool shared = std::any_of(order.begin(), order.end(), [&](const Sample* s) {
    return std::any_of(ahead.begin(), ahead.end(), [&](const Family& f) { return f.name == s->name; });
  });
  if (shared) {
    ahead.clear();
    std::vector<Sample> self;
    SnapshotStore::append_self_samples(results, self);
    small.insert(small.end(), self.begin(), self.end());
    order.clear();
    for (const auto& r : results)
      for (const Sample& s : r->samples) order.push_back(&s);
    for (const Sample& s : small) order.push_back(&s);
  }
  std::string body = render_pointers(std::move(order), ahead);
  release_free_heap();  // the render's scratch memory is gone; give its pages back
  return body;
}

}  // namespace pgw
