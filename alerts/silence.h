// Silences with Alertmanager's model (api/v2 PostableSilence and
// GettableSilence): matchers, startsAt, endsAt, createdBy, comment, and a
// state that follows from the clock: pending before startsAt, active until
// endsAt, expired after. An alert matched by every matcher of an active
// silence is silenced: still evaluated and shown, not notified.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "alerts/alert.h"
#include "alerts/matcher.h"
#include "core/sample_source.h"

namespace pgw {

struct Silence {
  std::string id;
  std::vector<LabelMatcher> matchers;
  TimePoint starts_at{}, ends_at{}, updated_at{};
  std::string created_by, comment;

  const char* state(TimePoint now) const;  // "pending" | "active" | "expired"
  bool matches(const Labels& labels) const { return all_match(matchers, labels); }
  // GettableSilence.
  nlohmann::json to_json(TimePoint now) const;
};

// Reads a PostableSilence (api/v2 JSON, also the store's own format). On
// error returns nullopt with the reason in Alertmanager's words. Checks the
// shape and each matcher, not the times (see validate_new_silence).
std::optional<Silence> silence_from_json(const nlohmann::json& j, std::string& error);
// Alertmanager's checks for a silence about to be created or updated:
// matchers present and not all matching "", endsAt after startsAt and not in
// the past.
std::optional<std::string> validate_new_silence(const Silence& s, TimePoint now);

// The silences of one state_dir, in `path` (JSON). Every change is written
// (temp file, fsync, rename) before the call returns, so an answered request
// survives kill -9. Re-reads the file when another process (the `pgwarden
// silence` command next to `serve`) changed it. Thread-safe.
class SilenceStore : public SampleSource {
 public:
  // Loads `path` if it exists; a corrupt file is reported by load_error()
  // and left untouched until the next successful write.
  explicit SilenceStore(std::string path);

  const std::string& load_error() const { return load_error_; }

  enum class Result { Ok, Invalid, NotFound, WriteFailed };
  // Creates a silence (no id), or updates one (id given): an active or
  // pending silence whose matchers are unchanged is updated in place;
  // otherwise the old one is expired and a new id is issued, as Alertmanager
  // does. On success `id` is the silence's id. Nothing changes on error.
  Result upsert(Silence s, TimePoint now, std::string& id, std::string& error);
  // Expires a pending or active silence now (a pending one ends unused).
  Result expire(const std::string& id, TimePoint now, std::string& error);

  std::optional<Silence> get(const std::string& id);
  std::vector<Silence> list();
  // Re-reads the file if another process changed it (one stat() otherwise).
  void refresh();
  // Ids of the active silences that match `labels` (from memory).
  std::vector<std::string> silencing(const Labels& labels, TimePoint now);

  // pgwarden_silences{state}.
  void append_samples(std::vector<Sample>& out) const override;

 private:
  void refresh_locked();
  bool load_locked(std::string& error);
  std::string write_locked(const std::vector<Silence>& silences, TimePoint now);

  std::string path_;
  std::string load_error_;
  mutable std::mutex mu_;
  std::vector<Silence> silences_;
  std::string loaded_text_;  // what the file held when last read or written
  long long loaded_mtime_ns_ = 0;
};

// Expired silences are kept this long (Alertmanager's default retention),
// then dropped when the store is next written.
inline constexpr auto kSilenceRetention = std::chrono::hours(120);

// A random version-4 UUID, the form of Alertmanager's silence ids.
std::string new_silence_id();

}  // namespace pgw
