#include "alerts/outbox.h"
#include "core/json_text.h"

#include "core/durable_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace pgw {
namespace fs = std::filesystem;
namespace {

long long to_ms(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
// Clamped to 1970..2096: a corrupt file must not overflow the clock's
// nanoseconds (which end in 2262) in later arithmetic.
TimePoint from_ms(long long ms) {
  return TimePoint(std::chrono::milliseconds(std::clamp<long long>(ms, 0, 4'000'000'000'000LL)));
}

std::string errno_text(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

// Creates the directory (and parents) with mode 0700.
bool ensure_dir(const std::string& path, std::string& error) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) {
    error = "cannot create " + path + ": " + ec.message();
    return false;
  }
  ::chmod(path.c_str(), 0700);
  return true;
}

bool fsync_dir(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return false;
  bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}


std::string to_json_text(const OutboxEntry& e) {
  nlohmann::json j = {
      {"version", 1},
      {"receiver", e.receiver},
      {"body", e.body},
      {"attempts", e.attempts},
      {"created_ms", to_ms(e.created)},
      {"next_attempt_ms", to_ms(e.next_attempt)},
      {"group_key", e.group_key},
      {"sent", e.sent.to_json()},
  };
  return json_text(j);
}

std::optional<OutboxEntry> from_json_text(const std::string& text, std::string& why) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    why = "not a JSON object";
    return std::nullopt;
  }
  try {
    OutboxEntry e;
    if (j.at("version").get<int>() != 1) {
      why = "unknown version";
      return std::nullopt;
    }
    e.receiver = j.at("receiver").get<std::string>();
    e.body = j.at("body").get<std::string>();
    e.attempts = j.at("attempts").get<int>();
    e.created = from_ms(j.at("created_ms").get<long long>());
    e.next_attempt = from_ms(j.at("next_attempt_ms").get<long long>());
    e.group_key = j.value("group_key", "");
    if (j.contains("sent"))
      if (auto s = SentState::from_json(j.at("sent"))) e.sent = *s;
    e.persisted = true;
    return e;
  } catch (const nlohmann::json::exception&) {
    why = "missing or mistyped field";
    return std::nullopt;
  }
}

}  // namespace

Outbox::Outbox(std::string dir) : dir_(std::move(dir)) {}

std::string Outbox::receiver_dir(const std::string& receiver) const {
  std::string safe;
  for (char c : receiver)
    safe.push_back(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ? c : '_');
  if (safe.empty()) safe = "_";
  return (fs::path(dir_) / safe).string();
}

std::string Outbox::new_id(TimePoint created) {
  long long ms = std::max(to_ms(created), last_ms_);
  seq_ = ms == last_ms_ ? seq_ + 1 : 0;
  last_ms_ = ms;
  // The random suffix keeps ids unique across processes sharing a millisecond.
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%013lld-%06d-%08x", ms, seq_,
                static_cast<unsigned>(rng() & 0xffffffffu));
  return buf;
}

std::vector<OutboxEntry> Outbox::load(const std::string& receiver) {
  std::vector<OutboxEntry> out;
  std::string dir = receiver_dir(receiver);
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  for (const auto& de : fs::directory_iterator(dir, ec)) {
    const auto path = de.path();
    if (is_temporary_file_name(path.filename().string())) {
      fs::remove(path, ec);  // a write that never completed
      continue;
    }
    if (path.extension() != ".json") continue;
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string why;
    auto entry = in ? from_json_text(ss.str(), why) : std::nullopt;
    // Two names can sanitise to one directory: leave the other's entries alone.
    if (entry && entry->receiver != receiver) continue;
    if (!in) why = "unreadable";
    if (!entry) {
      spdlog::warn("outbox: skipping corrupt entry {} ({})", path.string(), why);
      fs::rename(path, fs::path(path).replace_extension(".corrupt"), ec);
      continue;
    }
    entry->id = path.stem().string();
    out.push_back(std::move(*entry));
  }
  std::sort(out.begin(), out.end(),
            [](const OutboxEntry& a, const OutboxEntry& b) { return a.id < b.id; });
  if (!out.empty()) {
    // Later ids of this process must sort after the loaded ones.
    const std::string& last = out.back().id;
    long long ms = 0;
    int seq = 0;
    if (std::sscanf(last.c_str(), "%13lld-%6d", &ms, &seq) == 2 && ms >= last_ms_) {
      seq_ = ms == last_ms_ ? std::max(seq_, seq) : seq;
      last_ms_ = ms;
    }
  }
  return out;
}

bool Outbox::write(const OutboxEntry& entry, std::string& error) {
  std::string dir = receiver_dir(entry.receiver);
  if (!ensure_dir(dir, error)) return false;
  error = write_file_atomically((fs::path(dir) / (entry.id + ".json")).string(),
                                to_json_text(entry), 0600);
  return error.empty();
}

bool Outbox::remove(const OutboxEntry& entry, std::string& error) {
  std::string dir = receiver_dir(entry.receiver);
  std::string path = (fs::path(dir) / (entry.id + ".json")).string();
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    error = errno_text("cannot remove", path);
    return false;
  }
  fsync_dir(dir);
  return true;
}

}  // namespace pgw
