#include "exporter/metrics_render.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <string_view>

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

// One sample to render, given by pointer, with the label pairs of its
// store entry that it does not hold itself (CheckResult::base), or null.
struct Item {
  const Sample* s;
  const Labels* base;
};

// Walks an item's label pairs in sorted order, its base merged in as
// for_each_sample() merges it, without building them.
class LabelCursor {
 public:
  explicit LabelCursor(const Item& it) : own_(it.s->labels), base_(it.base ? *it.base : none()) {}
  const std::pair<std::string, std::string>* next() {
    if (i_ < own_.size() && (j_ == base_.size() || !(base_[j_] < own_[i_]))) return &own_[i_++];
    if (j_ < base_.size()) return &base_[j_++];
    return nullptr;
  }

 private:
  static const Labels& none() {
    static const Labels empty;
    return empty;
  }
  const Labels& own_;
  const Labels& base_;
  size_t i_ = 0, j_ = 0;
};

// <0, 0, >0 as a's whole label set sorts before, equal to, after b's.
int compare_labels(const Item& a, const Item& b) {
  if (!a.base && !b.base) return a.s->labels < b.s->labels ? -1 : (b.s->labels < a.s->labels ? 1 : 0);
  LabelCursor x(a), y(b);
  for (;;) {
    const auto* p = x.next();
    const auto* q = y.next();
    if (!p || !q) return (p ? 1 : 0) - (q ? 1 : 0);
    if (*p < *q) return -1;
    if (*q < *p) return 1;
  }
}

// Whether the item can be written as it is: normalized labels, valid names,
// UTF-8 values.
bool ready(const Item& it) {
  if (!it.base) return is_normalized(it.s->labels) && renderable(*it.s);
  if (!valid_name(it.s->name, true)) return false;
  LabelCursor c(it);
  const std::string* last = nullptr;
  while (const auto* p = c.next()) {
    if (p->second.empty() || (last && !(*last < p->first))) return false;
    if (!valid_name(p->first, false) || !is_valid_utf8(p->second)) return false;
    last = &p->first;
  }
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

void append_series(std::string& out, const Item& it) {
  out += it.s->name;
  LabelCursor c(it);
  const char* sep = "{";
  while (const auto* p = c.next()) {
    out += sep;
    out += p->first;
    out += "=\"";
    append_escaped(out, p->second, true);
    out += '"';
    sep = ",";
  }
  if (*sep == ',') out += '}';
  out += ' ';
  append_value(out, it.s->value);
  out += '\n';
}

}  // namespace

namespace {

// Pieces are about this long: a body of megabytes is never one buffer grown
// (and copied) on the way, and each piece is mapped and unmapped on its own
// (tune_allocator). A piece is closed after the line that passes the mark.
constexpr size_t kPieceBytes = 256 * 1024;
constexpr size_t kPieceMark = kPieceBytes - 4096;

class PieceWriter {
 public:
  PieceWriter() { cur_.reserve(kPieceBytes); }
  std::string& out() { return cur_; }
  // After each whole line.
  void line_done() {
    if (cur_.size() < kPieceMark) return;
    pieces_.push_back(std::move(cur_));
    cur_ = std::string();
    cur_.reserve(kPieceBytes);
  }
  TextPieces finish() {
    if (!cur_.empty()) pieces_.push_back(std::move(cur_));
    return std::move(pieces_);
  }

 private:
  std::string cur_;
  TextPieces pieces_;
};

// An entry's self-metric label pairs as self_metric_labels() makes them
// (empty values dropped, in name order), compared without building strings.
// Config names and check names are valid UTF-8, so normalize() would leave
// the values as they are.
struct SelfKey {
  std::pair<std::string_view, std::string_view> pairs[3];
  size_t n = 0;
  explicit SelfKey(const CheckResult& r) {
    add("check", r.check);
    add("cluster", r.cluster);
    add("node", r.node);
  }
  void add(std::string_view name, const std::string& value) {
    if (!value.empty()) pairs[n++] = {name, value};
  }
  bool operator<(const SelfKey& o) const {
    return std::lexicographical_compare(pairs, pairs + n, o.pairs, o.pairs + o.n);
  }
  bool operator==(const SelfKey& o) const { return std::equal(pairs, pairs + n, o.pairs, o.pairs + o.n); }
};

// Writes the self metrics of `rows` (entries sorted by SelfKey), each as a
// whole family: one scratch sample instead of a Sample per series (at 1,000
// nodes there are 36,000 of them).
void write_self_family(PieceWriter& w, const SelfMetric& m, const std::vector<const CheckResult*>& rows) {
  Sample scratch;
  scratch.name = m.name;
  bool header = false;
  for (size_t i = 0; i < rows.size(); ++i) {
    const CheckResult& r = *rows[i];
    if (!m.present(r)) continue;
    // A later duplicate of the same series replaces the earlier one.
    bool replaced = false;
    for (size_t j = i + 1; j < rows.size() && SelfKey(*rows[j]) == SelfKey(r) && !replaced; ++j)
      replaced = m.present(*rows[j]);
    if (replaced) continue;
    if (!header) append_header(w.out(), scratch.name);
    header = true;
    self_metric_labels(r, scratch.labels);
    scratch.value = m.value(r);
    append_series(w.out(), Item{&scratch, nullptr});
    w.line_done();
  }
}

// Renders samples given by pointer; they must stay alive meanwhile. Only
// samples whose labels are not yet normalized (the store's always are) are
// copied. The self metrics of `self_rows` (sorted by SelfKey) go in as
// whole families at their place in name order; no sample may share their
// names.
TextPieces render_items(std::vector<Item> order, const std::vector<const CheckResult*>& self_rows = {}) {
  std::deque<Sample> normalized;
  for (auto& it : order) {
    if (ready(it)) continue;
    Sample& copy = normalized.emplace_back();
    copy.name = it.s->name;
    LabelCursor c(it);
    while (const auto* p = c.next()) copy.labels.push_back(*p);
    copy.value = it.s->value;
    repair(copy);
    it = Item{&copy, nullptr};
  }
  std::stable_sort(order.begin(), order.end(), [](const Item& a, const Item& b) {
    if (a.s->name != b.s->name) return a.s->name < b.s->name;
    return compare_labels(a, b) < 0;
  });
  PieceWriter w;
  const auto& self = self_metrics();
  auto next_self = self_rows.empty() ? self.end() : self.begin();
  auto write_self_before = [&](const std::string* name) {
    for (; next_self != self.end() && (!name || next_self->name < *name); ++next_self)
      write_self_family(w, *next_self, self_rows);
  };
  const std::string* family = nullptr;
  for (size_t i = 0; i < order.size(); ++i) {
    const Item& it = order[i];
    // A later duplicate of the same series replaces the earlier one.
    if (i + 1 < order.size() && order[i + 1].s->name == it.s->name && compare_labels(order[i + 1], it) == 0)
      continue;
    if (!family || *family != it.s->name) {
      write_self_before(&it.s->name);
      append_header(w.out(), it.s->name);
      family = &it.s->name;
    }
    append_series(w.out(), it);
    w.line_done();
  }
  write_self_before(nullptr);
  return w.finish();
}

}  // namespace

std::string joined(const TextPieces& pieces) {
  size_t n = 0;
  for (const auto& p : pieces) n += p.size();
  std::string out;
  out.reserve(n);
  for (const auto& p : pieces) out += p;
  return out;
}

std::string render_text(const std::vector<Sample>& samples) {
  std::vector<Item> order;
  order.reserve(samples.size());
  for (const Sample& s : samples) order.push_back({&s, nullptr});
  return joined(render_items(std::move(order)));
}

TextPieces render_metrics_pieces(const SnapshotStore& store, const std::vector<const SampleSource*>& others) {
  // The store's results are immutable and shared: holding them keeps their
  // samples alive while they are rendered in place, without a copy, and
  // without holding the store's lock (a round may publish meanwhile).
  const auto results = store.results();
  std::vector<Sample> small;  // alerts, notifier, build_info
  for (const auto* s : others) s->append_samples(small);
  std::vector<Item> order;
  size_t n = small.size();
  for (const auto& r : results) n += r->samples.size();
  order.reserve(n);
  for (const auto& r : results)
    for (const Sample& s : r->samples) order.push_back({&s, r->base && !r->base->empty() ? r->base.get() : nullptr});
  for (const Sample& s : small) order.push_back({&s, nullptr});
  // The self metrics go in as whole families unless some other sample
  // shares their names (then they are samples like the rest).
  const auto& self = self_metrics();
  bool shared = std::any_of(order.begin(), order.end(), [&](const Item& it) {
    return std::any_of(self.begin(), self.end(), [&](const SelfMetric& m) { return it.s->name == m.name; });
  });
  std::vector<Sample> self_samples;
  std::vector<const CheckResult*> rows;
  if (shared) {
    SnapshotStore::append_self_samples(results, self_samples);
    for (const Sample& s : self_samples) order.push_back({&s, nullptr});
  } else {
    for (const auto& r : results)
      if (r->self_metrics) rows.push_back(r.get());
    std::stable_sort(rows.begin(), rows.end(),
                     [](const CheckResult* a, const CheckResult* b) { return SelfKey(*a) < SelfKey(*b); });
  }
  TextPieces body = render_items(std::move(order), rows);
  release_free_heap();  // the render's scratch memory is gone; give its pages back
  return body;
}

std::string render_metrics(const SnapshotStore& store, const std::vector<const SampleSource*>& others) {
  return joined(render_metrics_pieces(store, others));
}

}  // namespace pgw
