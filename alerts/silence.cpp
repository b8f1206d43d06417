#include "alerts/silence.h"

#include <algorithm>
#include <filesystem>
#include <limits>
#include <random>

#include "core/durable_file.h"
#include "core/metric_catalog.h"
#include "core/time_format.h"

namespace pgw {
namespace fs = std::filesystem;

PGW_DESCRIBE_METRICS({
    {"pgwarden_silences", MetricType::Gauge,
     "Silences by state (active, pending, expired), as Alertmanager's alertmanager_silences."},
});

namespace {

// kNoFile when the file does not exist. (file_clock's epoch is not 1970:
// libstdc++ counts from 2174, so real times are negative.)
constexpr long long kNoFile = std::numeric_limits<long long>::min();

long long mtime_ns(const std::string& path) {
  std::error_code ec;
  auto t = fs::last_write_time(path, ec);
  if (ec) return kNoFile;
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

std::string matchers_key(const std::vector<LabelMatcher>& ms) {
  std::vector<std::string> parts;
  for (const auto& m : ms) parts.push_back(m.str());
  std::sort(parts.begin(), parts.end());
  std::string out;
  for (const auto& p : parts) out += p + ",";
  return out;
}

}  // namespace

std::string new_silence_id() {
  static std::mutex mu;
  static std::mt19937_64 rng{std::random_device{}()};
  std::lock_guard lock(mu);
  unsigned char b[16];
  for (int i = 0; i < 16; i += 8) {
    auto v = rng();
    for (int k = 0; k < 8; ++k) b[i + k] = static_cast<unsigned char>(v >> (8 * k));
  }
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += hex[b[i] >> 4];
    out += hex[b[i] & 15];
  }
  return out;
}

const char* Silence::state(TimePoint now) const {
  if (now < starts_at) return "pending";
  if (now < ends_at) return "active";
  return "expired";
}

nlohmann::json Silence::to_json(TimePoint now) const {
  nlohmann::json ms = nlohmann::json::array();
  for (const auto& m : matchers)
    ms.push_back({{"name", m.name()}, {"value", m.value()}, {"isRegex", m.is_regex()},
                  {"isEqual", m.is_equal()}});
  return {{"id", id},
          {"status", {{"state", state(now)}}},
          {"updatedAt", rfc3339_ms(updated_at)},
          {"matchers", ms},
          {"startsAt", rfc3339_ms(starts_at)},
          {"endsAt", rfc3339_ms(ends_at)},
          {"createdBy", created_by},
          {"comment", comment}};
}

std::optional<Silence> silence_from_json(const nlohmann::json& j, std::string& error) {
  if (!j.is_object()) {
    error = "silence must be a JSON object";
    return std::nullopt;
  }
  Silence s;
  auto str = [&](const char* key, std::string& out, bool required) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) {
      if (required) error = std::string(key) + " in body is required";
      return !required;
    }
    if (!it->is_string()) {
      error = std::string(key) + " in body must be of type string";
      return false;
    }
    out = it->get<std::string>();
    return true;
  };
  auto time = [&](const char* key, TimePoint& out) {
    std::string text;
    if (!str(key, text, true)) return false;
    auto t = parse_rfc3339(text);
    if (!t) {
      error = std::string(key) + " in body must be of type date-time: \"" + text + "\"";
      return false;
    }
    out = *t;
    return true;
  };
  if (!str("id", s.id, false) || !str("createdBy", s.created_by, true) ||
      !str("comment", s.comment, true) || !time("startsAt", s.starts_at) ||
      !time("endsAt", s.ends_at))
    return std::nullopt;
  auto ms = j.find("matchers");
  if (ms == j.end() || !ms->is_array()) {
    error = "matchers in body is required";
    return std::nullopt;
  }
  for (const auto& m : *ms) {
    if (!m.is_object() || !m.contains("name") || !m["name"].is_string() || !m.contains("value") ||
        !m["value"].is_string() || !m.contains("isRegex") || !m["isRegex"].is_boolean()) {
      error = "each matcher needs name, value (strings) and isRegex (boolean)";
      return std::nullopt;
    }
    bool is_regex = m["isRegex"].get<bool>();
    bool is_equal = !m.contains("isEqual") || !m["isEqual"].is_boolean() || m["isEqual"].get<bool>();
    using Op = LabelMatcher::Op;
    Op op = is_regex ? (is_equal ? Op::Regex : Op::NotRegex) : (is_equal ? Op::Equal : Op::NotEqual);
    auto lm = LabelMatcher::make(m["name"].get<std::string>(), op, m["value"].get<std::string>(), error);
    if (!lm) return std::nullopt;
    s.matchers.push_back(std::move(*lm));
  }
  return s;
}

std::optional<std::string> validate_new_silence(const Silence& s, TimePoint now) {
  if (s.matchers.empty()) return "at least one matcher required";
  if (std::all_of(s.matchers.begin(), s.matchers.end(),
                  [](const LabelMatcher& m) { return m.matches_value(""); }))
    return "at least one matcher must not match the empty string";
  if (s.ends_at <= s.starts_at) return "start time must be before end time";
  if (s.ends_at < now) return "end time can't be in the past";
  return std::nullopt;
}

SilenceStore::SilenceStore(std::string path) : path_(std::move(path)) {
  std::lock_guard lock(mu_);
  if (!load_locked(load_error_)) load_error_ = path_ + ": " + load_error_;
}

bool SilenceStore::load_locked(std::string& error) {
  if (path_.empty()) return true;
  long long mtime = mtime_ns(path_);
  std::string text;
  if (mtime == kNoFile || !read_file(path_, text)) {
    loaded_mtime_ns_ = mtime;
    return true;  // no file yet: no silences
  }
  loaded_mtime_ns_ = mtime;
  if (text == loaded_text_) return true;
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("silences") || !j["silences"].is_array()) {
    error = "corrupt silence file (kept as it is; fix or remove it)";
    return false;
  }
  std::vector<Silence> loaded;
  for (const auto& e : j["silences"]) {
    std::string err;
    auto s = silence_from_json(e, err);
    if (!s || s->id.empty()) continue;
    if (e.contains("updatedAt") && e["updatedAt"].is_string())
      if (auto t = parse_rfc3339(e["updatedAt"].get<std::string>())) s->updated_at = *t;
    loaded.push_back(std::move(*s));
  }
  silences_ = std::move(loaded);
  loaded_text_ = std::move(text);
  return true;
}

void SilenceStore::refresh_locked() {
  if (path_.empty() || mtime_ns(path_) == loaded_mtime_ns_) return;
  std::string error;
  if (!load_locked(error)) load_error_ = path_ + ": " + error;
  else load_error_.clear();
}

std::string SilenceStore::write_locked(const std::vector<Silence>& silences, TimePoint now) {
  if (path_.empty()) return "";
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& s : silences) arr.push_back(s.to_json(now));
  std::string text = nlohmann::json{{"version", 1}, {"silences", arr}}.dump(1);
  std::error_code ec;
  fs::create_directories(fs::path(path_).parent_path(), ec);
  std::string err = write_file_atomically(path_, text, 0600);
  if (!err.empty()) return err;
  loaded_text_ = std::move(text);
  loaded_mtime_ns_ = mtime_ns(path_);
  return "";
}

SilenceStore::Result SilenceStore::upsert(Silence s, TimePoint now, std::string& id,
                                          std::string& error) {
  std::lock_guard lock(mu_);
  refresh_locked();
  // A start in the past means now, as in Alertmanager.
  if (s.starts_at < now) s.starts_at = now;
  if (auto err = validate_new_silence(s, now)) {
    error = *err;
    return Result::Invalid;
  }
  std::vector<Silence> next;
  for (const auto& old : silences_)  // drop what retention has passed
    if (old.ends_at + kSilenceRetention > now) next.push_back(old);
  s.updated_at = now;
  if (!s.id.empty()) {
    auto it = std::find_if(next.begin(), next.end(), [&](const Silence& o) { return o.id == s.id; });
    if (it == next.end()) {
      error = "silence " + s.id + " not found";
      return Result::NotFound;
    }
    bool in_place = std::string(it->state(now)) != "expired" &&
                    matchers_key(it->matchers) == matchers_key(s.matchers) &&
                    (std::string(it->state(now)) == "pending" || it->starts_at == s.starts_at ||
                     s.starts_at == now);
    if (in_place) {
      if (std::string(it->state(now)) == "active") s.starts_at = it->starts_at;
      *it = s;
    } else {
      if (std::string(it->state(now)) != "expired") {
        it->ends_at = std::max(now, it->starts_at);
        it->updated_at = now;
      }
      s.id = new_silence_id();
      next.push_back(s);
    }
  } else {
    s.id = new_silence_id();
    next.push_back(s);
  }
  if (auto err = write_locked(next, now); !err.empty()) {
    error = "cannot store the silence: " + err;
    return Result::WriteFailed;
  }
  silences_ = std::move(next);
  id = s.id;
  return Result::Ok;
}

SilenceStore::Result SilenceStore::expire(const std::string& id, TimePoint now, std::string& error) {
  std::lock_guard lock(mu_);
  refresh_locked();
  std::vector<Silence> next = silences_;
  auto it = std::find_if(next.begin(), next.end(), [&](const Silence& o) { return o.id == id; });
  if (it == next.end()) {
    error = "silence " + id + " not found";
    return Result::NotFound;
  }
  if (std::string(it->state(now)) == "expired") {
    error = "silence " + id + " already expired";
    return Result::Invalid;
  }
  // A pending silence ends before it began: both times become now.
  if (now < it->starts_at) it->starts_at = now;
  it->ends_at = now;
  it->updated_at = now;
  if (auto err = write_locked(next, now); !err.empty()) {
    error = "cannot store the silence: " + err;
    return Result::WriteFailed;
  }
  silences_ = std::move(next);
  return Result::Ok;
}

void SilenceStore::refresh() {
  std::lock_guard lock(mu_);
  refresh_locked();
}

std::optional<Silence> SilenceStore::get(const std::string& id) {
  std::lock_guard lock(mu_);
  refresh_locked();
  for (const auto& s : silences_)
    if (s.id == id) return s;
  return std::nullopt;
}

std::vector<Silence> SilenceStore::list() {
  std::lock_guard lock(mu_);
  refresh_locked();
  return silences_;
}

std::vector<std::string> SilenceStore::silencing(const Labels& labels, TimePoint now) {
  std::lock_guard lock(mu_);
  std::vector<std::string> ids;
  for (const auto& s : silences_)
    if (std::string(s.state(now)) == "active" && s.matches(labels)) ids.push_back(s.id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

void SilenceStore::append_samples(std::vector<Sample>& out) const {
  auto now = std::chrono::system_clock::now();
  double active = 0, pending = 0, expired = 0;
  {
    std::lock_guard lock(mu_);
    for (const auto& s : silences_) {
      std::string st = s.state(now);
      (st == "active" ? active : st == "pending" ? pending : expired) += 1;
    }
  }
  out.push_back(Sample{"pgwarden_silences", {{"state", "active"}}, active});
  out.push_back(Sample{"pgwarden_silences", {{"state", "expired"}}, expired});
  out.push_back(Sample{"pgwarden_silences", {{"state", "pending"}}, pending});
}

}  // namespace pgw
