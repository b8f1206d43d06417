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

// Writes samples given by pointer (kept alive by the owner of the
// ItemWriter) in sorted order, a part at a time. Only samples whose labels
// are not yet normalized (the store's always are) are copied. The self
// metrics of `self_rows` (sorted by SelfKey) go in as whole families at
// their place in name order, through one scratch sample instead of a Sample
// per series (at 1,000 nodes there are 36,000 of them); no sample may share
// their names.
class ItemWriter : public Exposition {
 public:
  ItemWriter() = default;
  // Call once the items are in place.
  void prepare(std::vector<Item> order, std::vector<const CheckResult*> self_rows) {
    for (auto& it : order) {
      if (ready(it)) continue;
      Sample& copy = normalized_.emplace_back();
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
    order_ = std::move(order);
    rows_ = std::move(self_rows);
    next_self_ = rows_.empty() ? self_metrics().size() : 0;
  }

  // Bytes written so far.
  size_t written() const { return written_; }

  bool write(std::string& out, size_t bytes) override {
    const auto& self = self_metrics();
    const size_t start = out.size();
    while (out.size() - start < bytes) {
      if (in_self_) {
        if (!write_self_row(out, self[next_self_])) {
          in_self_ = false;
          ++next_self_;
        }
        continue;
      }
      if (i_ < order_.size()) {
        const Item& it = order_[i_];
        // A later duplicate of the same series replaces the earlier one.
        if (i_ + 1 < order_.size() && order_[i_ + 1].s->name == it.s->name && compare_labels(order_[i_ + 1], it) == 0) {
          ++i_;
          continue;
        }
        if (!family_ || *family_ != it.s->name) {
          if (next_self_ < self.size() && self[next_self_].name < it.s->name) {
            start_self();
            continue;
          }
          append_header(out, it.s->name);
          family_ = &it.s->name;
        }
        append_series(out, it);
        ++i_;
        continue;
      }
      if (next_self_ < self.size()) {
        start_self();
        continue;
      }
      break;
    }
    written_ += out.size() - start;
    return out.size() > start;
  }

 private:
  void start_self() {
    in_self_ = true;
    row_ = 0;
    header_ = false;
    scratch_.name = self_metrics()[next_self_].name;
  }

  // The next line of self family m; false when it has no more.
  bool write_self_row(std::string& out, const SelfMetric& m) {
    for (; row_ < rows_.size(); ++row_) {
      const CheckResult& r = *rows_[row_];
      if (!m.present(r)) continue;
      // A later duplicate of the same series replaces the earlier one.
      bool replaced = false;
      for (size_t j = row_ + 1; j < rows_.size() && SelfKey(*rows_[j]) == SelfKey(r) && !replaced; ++j)
        replaced = m.present(*rows_[j]);
      if (replaced) continue;
      if (!header_) append_header(out, scratch_.name);
      header_ = true;
      self_metric_labels(r, scratch_.labels);
      scratch_.value = m.value(r);
      append_series(out, Item{&scratch_, nullptr});
      ++row_;
      return true;
    }
    return false;
  }

  std::deque<Sample> normalized_;
  std::vector<Item> order_;
  std::vector<const CheckResult*> rows_;
  size_t written_ = 0;
  size_t i_ = 0;                         // next item
  const std::string* family_ = nullptr;  // name of the family being written
  size_t next_self_ = 0;                 // next self family (index into self_metrics())
  bool in_self_ = false;                 // writing self family next_self_
  size_t row_ = 0;                       // its next row
  bool header_ = false;                  // its header written
  Sample scratch_;
};

// Gives freed heap back to the operating system when destroyed after a
// large render: as a base declared before the writer, it is destroyed after
// the writer's and the exposition's scratch memory is freed.
class TrimAfterLargeRender {
 public:
  ~TrimAfterLargeRender() {
    if (large_) release_free_heap();
  }

 protected:
  bool large_ = false;
};

// The store's body: holds the results (immutable and shared, so their
// samples are read in place without a copy and without the store's lock:
// a round may publish meanwhile) and the other sources' samples.
class StoreExposition : private TrimAfterLargeRender, public ItemWriter {
 public:
  StoreExposition(const SnapshotStore& store, const std::vector<const SampleSource*>& others)
      : results_(store.results()) {
    for (const auto* s : others) s->append_samples(small_);  // alerts, notifier, build_info
    std::vector<Item> order;
    size_t n = small_.size();
    for (const auto& r : results_) n += r->samples.size();
    order.reserve(n);
    for (const auto& r : results_)
      for (const Sample& s : r->samples) order.push_back({&s, r->base && !r->base->empty() ? r->base.get() : nullptr});
    for (const Sample& s : small_) order.push_back({&s, nullptr});
    // The self metrics go in as whole families unless some other sample
    // shares their names (then they are samples like the rest).
    const auto& self = self_metrics();
    bool shared = std::any_of(order.begin(), order.end(), [&](const Item& it) {
      return std::any_of(self.begin(), self.end(), [&](const SelfMetric& m) { return it.s->name == m.name; });
    });
    std::vector<const CheckResult*> rows;
    if (shared) {
      SnapshotStore::append_self_samples(results_, self_samples_);
      for (const Sample& s : self_samples_) order.push_back({&s, nullptr});
    } else {
      for (const auto& r : results_)
        if (r->self_metrics) rows.push_back(r.get());
      std::stable_sort(rows.begin(), rows.end(),
                       [](const CheckResult* a, const CheckResult* b) { return SelfKey(*a) < SelfKey(*b); });
    }
    prepare(std::move(order), std::move(rows));
  }
  ~StoreExposition() override {
    // A small body's scratch is a few kB that the next scrape reuses: a trim
    // would only cost it time.
    large_ = written() >= 1024 * 1024;
  }

 private:
  std::vector<std::shared_ptr<const CheckResult>> results_;
  std::vector<Sample> small_;
  std::vector<Sample> self_samples_;
};

std::string drained(Exposition& e) {
  std::string out;
  while (e.write(out, 1 << 20)) {
  }
  return out;
}

}  // namespace

std::string render_text(const std::vector<Sample>& samples) {
  std::vector<Item> order;
  order.reserve(samples.size());
  for (const Sample& s : samples) order.push_back({&s, nullptr});
  ItemWriter w;
  w.prepare(std::move(order), {});
  return drained(w);
}

std::unique_ptr<Exposition> expose_metrics(const SnapshotStore& store, const std::vector<const SampleSource*>& others) {
  return std::make_unique<StoreExposition>(store, others);
}

std::string render_metrics(const SnapshotStore& store, const std::vector<const SampleSource*>& others) {
  auto e = expose_metrics(store, others);
  return drained(*e);
}

}  // namespace pgw
