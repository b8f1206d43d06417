#include "exporter/config_reader.h"

#include <algorithm>
#include <cctype>
#include <cmath>

namespace pgw::config_detail {

const char* const kInlinePasswordMessage =
    "inline passwords are not allowed; use password_file or a libpq passfile (PGPASSFILE)";

SourcePos ErrorSink::pos(const toml::source_region& where) const {
  return SourcePos{file_, static_cast<int>(where.begin.line), static_cast<int>(where.begin.column)};
}

void ErrorSink::add(SourcePos pos, std::string message) {
  errors_.push_back(ConfigError{std::move(pos), std::move(message)});
}

std::string toml_type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string: return "string";
    case toml::node_type::integer: return "integer";
    case toml::node_type::floating_point: return "float";
    case toml::node_type::boolean: return "boolean";
    case toml::node_type::table: return "table";
    case toml::node_type::array: return "array";
    case toml::node_type::date: return "date";
    case toml::node_type::time: return "time";
    case toml::node_type::date_time: return "date-time";
    default: return "nothing";
  }
}

namespace {

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      size_t cost = (a[i - 1] == b[j - 1]) ? 0 : 1;
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + cost});
      diag = up;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string closest_match(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = 0;
  for (const auto& c : candidates) {
    size_t d = edit_distance(word, c);
    if (best.empty() || d < best_distance) {
      best = c;
      best_distance = d;
    }
  }
  // Short words tolerate one typo, longer ones a few more.
  size_t limit = std::max<size_t>(1, std::min(word.size(), best.size()) / 3);
  if (best.empty() || best_distance > limit) return "";
  return best;
}

std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += sep;
    out += items[i];
  }
  return out;
}

std::string show(std::string_view value) {
  constexpr size_t kMax = 60;
  std::string out = "\"";
  for (size_t i = 0; i < value.size() && i < kMax; ++i) {
    unsigned char c = static_cast<unsigned char>(value[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      out += '?';
    } else {
      out += static_cast<char>(c);
    }
  }
  if (value.size() > kMax) out += "...";
  return out + "\"";
}

std::string TableReader::key_path(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

const toml::node* TableReader::get(std::string_view key) {
  if (known_set_.insert(std::string(key)).second) known_.emplace_back(key);
  return table_.get(key);
}

const toml::node* TableReader::require(std::string_view key) {
  const toml::node* node = get(key);
  if (!node)
    sink_.add(sink_.pos(table_), key_path(key) + ": missing (required)");
  return node;
}

void TableReader::type_error(const toml::node& node, std::string_view key,
                             std::string_view expected) {
  sink_.add(node, key_path(key),
            "expected " + std::string(expected) + ", got " + toml_type_name(node));
}

bool TableReader::string(std::string_view key, std::string& out, bool required) {
  const toml::node* node = required ? require(key) : get(key);
  if (!node) return false;
  if (const auto* s = node->as_string()) {
    if (required && s->get().empty()) {
      sink_.add(*node, key_path(key), "must not be empty");
      return false;
    }
    out = s->get();
    return true;
  }
  type_error(*node, key, "a string");
  return false;
}

bool TableReader::boolean(std::string_view key, bool& out) {
  const toml::node* node = get(key);
  if (!node) return false;
  if (const auto* b = node->as_boolean()) {
    out = b->get();
    return true;
  }
  type_error(*node, key, "a boolean (true or false)");
  return false;
}

bool TableReader::integer(std::string_view key, int& out, long long min, long long max) {
  const toml::node* node = get(key);
  if (!node) return false;
  const auto* i = node->as_integer();
  if (!i) {
    type_error(*node, key, "an integer");
    return false;
  }
  long long v = i->get();
  if (v < min || v > max) {
    sink_.add(*node, key_path(key),
              "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                  ", got " + std::to_string(v));
    return false;
  }
  out = static_cast<int>(v);
  return true;
}

bool TableReader::number(std::string_view key, double& out, double min, double max) {
  const toml::node* node = get(key);
  if (!node) return false;
  double v = 0;
  if (const auto* i = node->as_integer()) {
    v = static_cast<double>(i->get());
  } else if (const auto* f = node->as_floating_point()) {
    v = f->get();
  } else {
    type_error(*node, key, "a number");
    return false;
  }
  if (!std::isfinite(v) || v < min || v > max) {
    auto fmt = [](double d) {
      std::string s = std::to_string(d);
      s.erase(s.find_last_not_of('0') + 1);
      if (!s.empty() && s.back() == '.') s.pop_back();
      return s;
    };
    std::string range = max == HUGE_VAL ? "a number >= " + fmt(min)
                                        : "a number between " + fmt(min) + " and " + fmt(max);
    sink_.add(*node, key_path(key), "expected " + range + ", got " + fmt(v));
    return false;
  }
  out = v;
  return true;
}

bool TableReader::duration(std::string_view key, std::optional<Duration>& out, bool allow_zero) {
  const toml::node* node = get(key);
  if (!node) return false;
  const auto* s = node->as_string();
  if (!s) {
    type_error(*node, key, "a duration string (e.g. 30s, 5m, 1h30m)");
    return false;
  }
  std::string why;
  auto d = parse_duration(s->get(), &why);
  if (!d) {
    sink_.add(*node, key_path(key), show(s->get()) + " " + why);
    return false;
  }
  if (!allow_zero && d->count() == 0) {
    sink_.add(*node, key_path(key), "must be longer than 0s");
    return false;
  }
  out = *d;
  return true;
}

bool TableReader::duration(std::string_view key, Duration& out, bool allow_zero) {
  std::optional<Duration> d;
  if (!duration(key, d, allow_zero)) return false;
  out = *d;
  return true;
}

bool TableReader::strings(std::string_view key, std::vector<std::string>& out) {
  const toml::node* node = get(key);
  if (!node) return false;
  const auto* arr = node->as_array();
  if (!arr) {
    type_error(*node, key, "an array of strings");
    return false;
  }
  std::vector<std::string> values;
  bool ok = true;
  for (size_t i = 0; i < arr->size(); ++i) {
    const toml::node& el = *arr->get(i);
    if (const auto* s = el.as_string()) {
      values.push_back(s->get());
    } else {
      sink_.add(el, key_path(key) + "[" + std::to_string(i) + "]",
                "expected a string, got " + toml_type_name(el));
      ok = false;
    }
  }
  if (ok) out = std::move(values);
  return ok;
}

bool TableReader::string_map(std::string_view key, std::map<std::string, std::string>& out) {
  const toml::node* node = get(key);
  if (!node) return false;
  const auto* t = node->as_table();
  if (!t) {
    type_error(*node, key, "a table of strings");
    return false;
  }
  std::map<std::string, std::string> values;
  bool ok = true;
  for (auto&& [k, v] : *t) {
    if (const auto* s = v.as_string()) {
      values[std::string(k.str())] = s->get();
    } else {
      sink_.add(v, key_path(key) + "." + std::string(k.str()),
                "expected a string, got " + toml_type_name(v));
      ok = false;
    }
  }
  if (ok) out = std::move(values);
  return ok;
}

const toml::table* TableReader::subtable(std::string_view key) {
  const toml::node* node = get(key);
  if (!node) return nullptr;
  if (const auto* t = node->as_table()) return t;
  type_error(*node, key, "a table");
  return nullptr;
}

std::vector<const toml::table*> TableReader::tables(std::string_view key) {
  std::vector<const toml::table*> out;
  const toml::node* node = get(key);
  if (!node) return out;
  const auto* arr = node->as_array();
  if (!arr) {
    type_error(*node, key, "an array of tables ([[" + key_path(key) + "]])");
    return out;
  }
  for (size_t i = 0; i < arr->size(); ++i) {
    const toml::node& el = *arr->get(i);
    if (const auto* t = el.as_table()) {
      out.push_back(t);
    } else {
      sink_.add(el, key_path(key) + "[" + std::to_string(i) + "]",
                "expected a table, got " + toml_type_name(el));
    }
  }
  return out;
}

void TableReader::finish() {
  for (auto&& [k, v] : table_) {
    std::string key(k.str());
    if (known_set_.count(key)) continue;
    // Inline passwords are reported once by the whole-document scan.
    std::string lower = key;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == "password") continue;
    std::string msg = "unknown key";
    std::string hint = closest_match(key, known_);
    if (!hint.empty())
      msg += " (did you mean \"" + hint + "\"?)";
    else if (!known_.empty())
      msg += " (expected one of: " + join(known_) + ")";
    sink_.add(sink_.pos(k.source()), key_path(key) + ": " + msg);
  }
}

}  // namespace pgw::config_detail
