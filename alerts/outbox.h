// The on-disk outbox: one JSON file per notification under
// <state_dir>/outbox/<receiver>/. A file is written to a temp file, fsynced,
// renamed into place and the directory fsynced, so after a crash an entry is
// either complete or absent. Entries are removed only after delivery.
// Files are 0600 and hold no secrets (URLs and keys come from the config).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "alerts/alert.h"
#include "alerts/grouping.h"

namespace pgw {

struct OutboxEntry {
  std::string id;              // file name without ".json"; sorts in creation order
  std::string receiver;
  std::string body;            // exact request body
  int attempts = 0;            // failed attempts so far
  TimePoint created{};         // wall clock: persisted, and shown to people
  TimePoint next_attempt{};    // wall clock: persisted only
  // In memory, timing runs on the monotonic clock, so a step of the wall
  // clock neither silences a receiver nor expires its queue at once.
  std::chrono::steady_clock::time_point due{};
  std::chrono::steady_clock::time_point created_mono{};
  std::string group_key;       // for dedup recovery after a crash
  SentState sent;
  bool persisted = false;      // false when the file could not be written
};

class Outbox {
 public:
  // `dir` is <state_dir>/outbox. Nothing is touched until a call.
  explicit Outbox(std::string dir);

  // A fresh id that sorts after every id this process created before.
  std::string new_id(TimePoint created);

  // Loads every entry of `receiver`, oldest first. Unreadable or corrupt
  // files are logged, renamed to *.corrupt and skipped; leftover temp files
  // are removed.
  std::vector<OutboxEntry> load(const std::string& receiver);

  // Writes (or rewrites) an entry durably. Returns false and sets `error`
  // (no secrets: paths under state_dir and errno text only) on failure.
  bool write(const OutboxEntry& entry, std::string& error);
  // Removes an entry's file (missing is fine).
  bool remove(const OutboxEntry& entry, std::string& error);

  // Directory of one receiver's entries (receiver names are sanitised).
  std::string receiver_dir(const std::string& receiver) const;

 private:
  std::string dir_;
  long long last_ms_ = 0;
  int seq_ = 0;
};

}  // namespace pgw
