#include "alerts/notifier.h"

#include <algorithm>
#include <atomic>
#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>

#include <spdlog/spdlog.h>

#include "alerts/alertmanager_resend.h"
#include "alerts/backoff.h"
#include "alerts/grouping.h"
#include "alerts/hmac.h"
#include "alerts/payload.h"
#include "core/durable_file.h"
#include "core/http_client.h"
#include "core/internal_errors.h"
#include "core/json_text.h"
#include "core/metric_catalog.h"

namespace pgw {
namespace fs = std::filesystem;
using Mono = std::chrono::steady_clock;

namespace {

PGW_DESCRIBE_METRICS({
    {"pgwarden_notifications_total", MetricType::Counter,
     "Notifications by receiver and outcome: success, failure (an attempt to retry), dropped "
     "(rejected with a 4xx), expired (undelivered after outbox_max_age), superseded (replaced "
     "by a newer notification of the same group before delivery), persist_error."},
    {"pgwarden_outbox_pending", MetricType::Gauge, "Notifications waiting in the outbox."},
});

// A counter that /metrics reads without taking the notifier's lock.
struct Counter {
  std::atomic<unsigned long long> n{0};
  void add() { n.fetch_add(1, std::memory_order_relaxed); }
  double value() const { return static_cast<double>(n.load(std::memory_order_relaxed)); }
};

// Only the receiver's name is ever logged: its URL and keys are secrets.
struct ReceiverState {
  ReceiverConfig cfg;
  const PayloadType* payload = nullptr;
  std::unique_ptr<Grouper> grouper;       // every type but alertmanager
  std::unique_ptr<ResendTracker> resend;  // alertmanager
  std::deque<OutboxEntry> queue;          // by id (creation order); guarded by Impl::mu
  Counter success, failure, dropped, persist_error, expired, superseded;
  std::atomic<size_t> pending{0};         // queue.size(), for lock-free reads
};

enum class Outcome { Success, Retry, Drop };

Outcome classify(const HttpResponse& r) {
  // A 2xx means the receiver has it, even if reading its reply failed.
  if (r.status >= 200 && r.status < 300) return Outcome::Success;
  if (r.status == 0) return Outcome::Retry;  // network error, timeout
  if (r.status >= 500 || r.status == 408 || r.status == 429) return Outcome::Retry;
  return Outcome::Drop;
}

std::string header_value(const HttpResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return "";
}

std::string target_url(const ReceiverState& r) {
  std::string url = r.cfg.url.empty() ? r.payload->default_url : r.cfg.url;
  if (r.cfg.type == "alertmanager" && !url.empty()) {
    while (!url.empty() && url.back() == '/') url.pop_back();
    url += "/api/v2/alerts";
  }
  return url;
}

std::string describe(const HttpResponse& r) {
  return r.status != 0 ? "HTTP " + std::to_string(r.status) : r.error;
}

HttpRequest build_request(const ReceiverState& r, const OutboxEntry& entry, Duration remaining) {
  HttpRequest req;
  req.method = "POST";
  req.url = target_url(r);
  req.body = r.payload->prepare_send ? r.payload->prepare_send(r.cfg, entry.body) : entry.body;
  req.timeout = std::min(r.cfg.timeout, remaining);
  req.max_response_bytes = 64 * 1024;
  req.ca_file = r.cfg.ca_file;  // empty: the system CA bundle; TLS is always verified
  req.headers.emplace_back("Content-Type", "application/json");
  if (!r.cfg.hmac_secret.empty())
    req.headers.emplace_back("X-Pgwarden-Signature", signature_header_value(r.cfg.hmac_secret, req.body));
  return req;
}

// Wall-clock instants read from disk, placed on the monotonic clock.
Mono::time_point mono_from_wall(TimePoint wall, TimePoint wall_now, Mono::time_point mono_now) {
  return mono_now + std::chrono::duration_cast<Mono::duration>(wall - wall_now);
}

}  // namespace

struct Notifier::Impl {
  std::string state_dir;
  NotifierOptions options;
  Outbox outbox;
  std::vector<std::unique_ptr<ReceiverState>> receivers;  // fixed after construction
  // Lock order: io_mu, then mu. mu guards the queues, groupers and rng and is
  // held only for memory work; io_mu serialises the outbox's files (and the
  // decisions that create or delete them), so a file is never rewritten after
  // its entry left the queue. Neither is taken by append_samples().
  mutable std::mutex mu;
  std::mutex io_mu;
  std::mutex deliver_mu;     // one deliver() at a time
  std::mt19937_64 rng{std::random_device{}()};
  Mono::time_point last_persist_log{};
  std::string saved_state;   // last dedup state written

  Impl(std::string dir, NotifierOptions opts)
      : state_dir(std::move(dir)),
        options(std::move(opts)),
        outbox((fs::path(state_dir) / "outbox").string()) {}

  std::string state_path() const { return (fs::path(state_dir) / "notify_state.json").string(); }

  ReceiverState* find(const std::string& name) {
    for (auto& r : receivers)
      if (r->cfg.name == name) return r.get();
    return nullptr;
  }

  // Logged at most once a minute: a full or read-only disk would otherwise
  // flood the log on every evaluation. Caller holds io_mu.
  void persist_failed(ReceiverState& r, const std::string& error) {
    r.persist_error.add();
    auto now = Mono::now();
    if (last_persist_log == Mono::time_point{} || now - last_persist_log >= std::chrono::minutes(1)) {
      last_persist_log = now;
      spdlog::error("notifier: cannot persist to state_dir ({}); receiver {} keeps its "
                    "notifications in memory", error, r.cfg.name);
    }
  }

  void load_state() {
    std::ifstream in(state_path(), std::ios::binary);
    if (!in) return;
    std::stringstream ss;
    ss << in.rdbuf();
    auto j = nlohmann::json::parse(ss.str(), nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("receivers")) {
      spdlog::warn("notifier: ignoring corrupt dedup state {}", state_path());
      return;
    }
    saved_state = ss.str();
    restore_dedup(j);
  }

  void restore_dedup(const nlohmann::json& j) {
    if (!j.is_object() || !j.contains("receivers") || !j["receivers"].is_object()) return;
    for (auto& r : receivers)
      if (r->grouper && j["receivers"].contains(r->cfg.name)) r->grouper->restore(j["receivers"][r->cfg.name]);
  }

  // Caller holds mu.
  nlohmann::json dedup_json() const {
    nlohmann::json j = {{"version", 1}, {"receivers", nlohmann::json::object()}};
    for (auto& r : receivers)
      if (r->grouper) j["receivers"][r->cfg.name] = r->grouper->save();
    return j;
  }

  // Caller holds io_mu (not mu): writes and fsyncs.
  void save_state_if_changed(std::string text) {
    if (text == saved_state) return;
    std::error_code ec;
    fs::create_directories(state_dir, ec);
    std::string error = write_file_atomically(state_path(), text, 0600);
    if (error.empty()) {
      saved_state = std::move(text);
      return;
    }
    auto now = Mono::now();
    if (last_persist_log == Mono::time_point{} || now - last_persist_log >= std::chrono::minutes(1)) {
      last_persist_log = now;
      spdlog::error("notifier: cannot save dedup state ({})", error);
    }
  }

  // A new entry for `n`, rendered but not yet written. Caller holds mu.
  std::optional<OutboxEntry> make_entry(ReceiverState& r, const Notification& n, const SentState& sent,
                                        TimePoint now) {
    OutboxEntry e;
    try {
      e.body = r.payload->render(r.cfg, n);
    } catch (const std::exception& ex) {
      report_internal_error("delivery", "receiver " + r.cfg.name + ": cannot render a notification: " + ex.what());
      return std::nullopt;
    }
    e.id = outbox.new_id(now);
    e.receiver = r.cfg.name;
    e.created = now;
    e.next_attempt = now;
    e.due = e.created_mono = Mono::now();
    e.group_key = n.group_key;
    e.sent = sent;
    return e;
  }

  // Queues `e` (already written, or not). A grouped receiver's notification
  // carries the group's whole state, so it replaces any older undelivered
  // one of the same group; those are returned for their files to go.
  // Caller holds mu.
  std::vector<OutboxEntry> queue_entry(ReceiverState& r, OutboxEntry e) {
    std::vector<OutboxEntry> replaced;
    if (r.grouper && !e.group_key.empty()) {
      for (const auto& q : r.queue)
        if (q.group_key == e.group_key && q.id > e.id) {  // already superseded itself
          r.superseded.add();
          replaced.push_back(std::move(e));
          return replaced;
        }
      replaced = take_older(r, e.group_key, e.id);
    }
    auto pos = std::upper_bound(r.queue.begin(), r.queue.end(), e.id,
                                [](const std::string& id, const OutboxEntry& q) { return id < q.id; });
    r.queue.insert(pos, std::move(e));
    r.pending = r.queue.size();
    return replaced;
  }

  // Removes from the queue every entry of `group_key` older than `id`.
  // Caller holds mu.
  std::vector<OutboxEntry> take_older(ReceiverState& r, const std::string& group_key, const std::string& id) {
    std::vector<OutboxEntry> out;
    for (auto it = r.queue.begin(); it != r.queue.end();) {
      if (it->group_key == group_key && it->id < id) {
        out.push_back(std::move(*it));
        it = r.queue.erase(it);
        r.superseded.add();
      } else {
        ++it;
      }
    }
    r.pending = r.queue.size();
    return out;
  }

  // Caller holds io_mu (not mu).
  void remove_files(const std::vector<OutboxEntry>& entries) {
    for (const auto& e : entries) {
      std::string error;
      if (e.persisted && !outbox.remove(e, error)) spdlog::error("notifier: receiver {}: {}", e.receiver, error);
    }
  }

  // Drops entries older than their receiver's outbox_max_age. Caller holds io_mu.
  void expire(Mono::time_point now) {
    std::vector<OutboxEntry> gone;
    {
      std::lock_guard lock(mu);
      for (auto& r : receivers) {
        size_t before = gone.size();
        for (auto it = r->queue.begin(); it != r->queue.end();) {
          if (now - it->created_mono >= r->cfg.outbox_max_age) {
            gone.push_back(std::move(*it));
            it = r->queue.erase(it);
            r->expired.add();
          } else {
            ++it;
          }
        }
        r->pending = r->queue.size();
        if (gone.size() > before)
          spdlog::error("notifier: receiver {}: {} notification(s) expired undelivered after {} s",
                        r->cfg.name, gone.size() - before,
                        std::chrono::duration_cast<std::chrono::seconds>(r->cfg.outbox_max_age).count());
      }
    }
    remove_files(gone);
  }

  // The oldest entry of `r` that is due, copied; nullopt when none is.
  std::optional<OutboxEntry> next_due(ReceiverState& r, Mono::time_point now) {
    std::lock_guard lock(mu);
    for (const auto& e : r.queue)
      if (e.due <= now) return e;
    return std::nullopt;
  }

  HttpResponse send(ReceiverState& r, const OutboxEntry& entry, Duration remaining, Outcome& outcome) {
    HttpResponse resp;
    try {
      HttpRequest req = build_request(r, entry, remaining);
      if (req.url.empty()) {
        resp.error = "receiver has no url";
        outcome = Outcome::Drop;
        return resp;
      }
      resp = http_request(req);
      outcome = classify(resp);
    } catch (const std::exception& e) {
      report_internal_error("delivery", "receiver " + r.cfg.name + ": " + e.what());
      resp.error = "internal error";
      outcome = Outcome::Retry;
    }
    return resp;
  }

  // A failed attempt: the entry alone backs off (others of the receiver go
  // on). Caller holds io_mu.
  void retry_later(ReceiverState& r, const std::string& id, const HttpResponse& resp) {
    r.failure.add();
    OutboxEntry copy;
    {
      std::lock_guard lock(mu);
      auto it = std::find_if(r.queue.begin(), r.queue.end(), [&](const OutboxEntry& e) { return e.id == id; });
      if (it == r.queue.end()) return;  // replaced or expired meanwhile
      it->attempts += 1;
      BackoffPolicy policy{options.initial_backoff, options.max_backoff};
      Duration delay = backoff_delay(policy, it->attempts, rng);
      auto wall_now = std::chrono::system_clock::now();
      if (auto ra = parse_retry_after(header_value(resp, "retry-after"), wall_now, options.max_retry_after))
        delay = std::max(delay, *ra);
      it->due = Mono::now() + delay;
      it->next_attempt = wall_now + delay;
      spdlog::warn("notifier: receiver {} attempt {} failed ({}); retrying in {} ms", r.cfg.name,
                   it->attempts, describe(resp), delay.count());
      copy = *it;
    }
    // Persist the attempt count; an entry that could not be written before
    // gets another chance to reach the disk.
    std::string error;
    bool ok = outbox.write(copy, error);
    if (!ok && !copy.persisted) persist_failed(r, error);
    if (ok && !copy.persisted) {
      std::lock_guard lock(mu);
      for (auto& e : r.queue)
        if (e.id == id) e.persisted = true;
    }
  }

  // Delivered or rejected: the entry leaves the queue, and with a delivery
  // so do older entries of its group (the receiver now has a newer state).
  // Caller holds io_mu.
  void finish(ReceiverState& r, const std::string& id, Outcome outcome, const HttpResponse& resp) {
    if (outcome == Outcome::Success) {
      r.success.add();
      spdlog::debug("notifier: receiver {} delivered {}", r.cfg.name, id);
    } else {
      r.dropped.add();
      spdlog::error("notifier: receiver {} rejected a notification ({}); dropped", r.cfg.name, describe(resp));
    }
    std::vector<OutboxEntry> gone;
    {
      std::lock_guard lock(mu);
      auto it = std::find_if(r.queue.begin(), r.queue.end(), [&](const OutboxEntry& e) { return e.id == id; });
      if (it == r.queue.end()) return;
      gone.push_back(std::move(*it));
      r.queue.erase(it);
      if (outcome == Outcome::Success && !gone[0].group_key.empty()) {
        auto older = take_older(r, gone[0].group_key, id);
        for (auto& e : older) gone.push_back(std::move(e));
      }
      r.pending = r.queue.size();
    }
    remove_files(gone);
  }

  // Attempts the oldest due entry of `r`. Returns true when it made an
  // attempt (the entry then left the queue or backed off).
  bool deliver_next(ReceiverState& r, Deadline deadline) {
    auto entry = next_due(r, Mono::now());
    if (!entry) return false;
    auto remaining = Duration(deadline.remaining_ms());
    if (remaining < Duration(1)) return false;
    Outcome outcome = Outcome::Retry;
    HttpResponse resp = send(r, *entry, remaining, outcome);  // no lock held: network I/O
    std::lock_guard io(io_mu);
    if (outcome == Outcome::Retry) retry_later(r, entry->id, resp);
    else finish(r, entry->id, outcome, resp);
    return true;
  }
};

Notifier::Notifier(const Config& config, std::string state_dir, NotifierOptions options)
    : impl_(std::make_unique<Impl>(std::move(state_dir), std::move(options))) {
  auto& d = *impl_;
  if (d.options.external_url.empty()) d.options.external_url = "http://" + config.exporter.listen;
  std::error_code ec;
  fs::create_directories(d.state_dir, ec);
  if (ec) spdlog::error("notifier: cannot create state_dir {}: {}", d.state_dir, ec.message());

  for (const auto& rc : config.receivers) {
    auto r = std::make_unique<ReceiverState>();
    r->cfg = rc;
    r->payload = find_payload_type(rc.type);
    if (!r->payload) {
      spdlog::error("notifier: receiver {} has unknown type {}; ignored", rc.name, rc.type);
      continue;
    }
    if (rc.type == "alertmanager")
      r->resend = std::make_unique<ResendTracker>(rc, d.options.external_url, d.options.resend_delay);
    else
      r->grouper = std::make_unique<Grouper>(rc, d.options.external_url);
    d.receivers.push_back(std::move(r));
  }
  std::lock_guard io(d.io_mu);
  std::lock_guard lock(d.mu);
  d.load_state();
  auto wall_now = std::chrono::system_clock::now();
  auto mono_now = Mono::now();
  for (auto& r : d.receivers) {
    for (auto& e : d.outbox.load(r->cfg.name)) {
      // A notification queued just before a crash counts as sent, even if
      // the dedup state file was not updated in time.
      if (r->grouper && !e.group_key.empty()) r->grouper->mark_sent(e.group_key, e.sent);
      e.created_mono = std::min(mono_now, mono_from_wall(e.created, wall_now, mono_now));
      e.due = std::clamp(mono_from_wall(e.next_attempt, wall_now, mono_now), mono_now,
                         mono_now + d.options.max_backoff);
      // Files from before per-group replacement may hold several states of
      // one group: only the newest is kept.
      auto replaced = d.queue_entry(*r, std::move(e));
      d.remove_files(replaced);
    }
    if (!r->queue.empty())
      spdlog::info("notifier: receiver {} has {} queued notifications", r->cfg.name, r->queue.size());
  }
}

Notifier::~Notifier() = default;

void Notifier::update(const std::vector<Alert>& alerts, TimePoint now) {
  auto& d = *impl_;
  std::lock_guard io(d.io_mu);
  std::vector<std::pair<ReceiverState*, OutboxEntry>> fresh;
  std::string state_text;
  {
    std::lock_guard lock(d.mu);
    for (auto& r : d.receivers) {
      if (r->grouper) {
        for (auto& due : r->grouper->update(alerts, now))
          if (auto e = d.make_entry(*r, due.notification, due.sent, now)) fresh.emplace_back(r.get(), std::move(*e));
      } else if (auto n = r->resend->update(alerts, now)) {
        if (auto e = d.make_entry(*r, *n, SentState{}, now)) fresh.emplace_back(r.get(), std::move(*e));
      }
    }
    state_text = json_text(d.dedup_json());
  }
  // On disk before it is queued (and so before any attempt); fsync outside mu.
  for (auto& [r, e] : fresh) {
    std::string error;
    e.persisted = d.outbox.write(e, error);
    if (!e.persisted) d.persist_failed(*r, error);
  }
  std::vector<OutboxEntry> replaced;
  {
    std::lock_guard lock(d.mu);
    for (auto& [r, e] : fresh)
      for (auto& old : d.queue_entry(*r, std::move(e))) replaced.push_back(std::move(old));
  }
  d.remove_files(replaced);
  d.save_state_if_changed(std::move(state_text));
}

void Notifier::deliver(Deadline deadline) {
  auto& d = *impl_;
  std::lock_guard serial(d.deliver_mu);
  {
    std::lock_guard io(d.io_mu);
    d.expire(Mono::now());
  }
  // Round robin so one slow receiver does not starve the others.
  bool progress = true;
  while (progress && !deadline.expired()) {
    progress = false;
    for (auto& r : d.receivers) {
      if (deadline.expired()) return;
      progress |= d.deliver_next(*r, deadline);
    }
  }
}

size_t Notifier::pending() const {
  size_t n = 0;
  for (const auto& r : impl_->receivers) n += r->pending.load();
  return n;
}

NotifierHandover Notifier::handover() const {
  auto& d = *impl_;
  std::lock_guard lock(d.mu);
  NotifierHandover h;
  for (const auto& r : d.receivers)
    for (const auto& e : r->queue)
      if (!e.persisted) h.unpersisted.push_back(e);
  h.dedup = d.dedup_json();
  return h;
}

void Notifier::adopt(NotifierHandover h) {
  auto& d = *impl_;
  std::lock_guard io(d.io_mu);
  std::vector<OutboxEntry> replaced;
  {
    std::lock_guard lock(d.mu);
    if (!h.dedup.is_null()) d.restore_dedup(h.dedup);
  }
  for (auto& e : h.unpersisted) {
    ReceiverState* r = d.find(e.receiver);
    if (!r) {
      spdlog::warn("notifier: receiver {} is gone after the reload; its unsaved notification is dropped",
                   e.receiver);
      continue;
    }
    std::string error;
    e.persisted = d.outbox.write(e, error);  // the disk may have room again
    if (!e.persisted) d.persist_failed(*r, error);
    std::lock_guard lock(d.mu);
    if (r->grouper && !e.group_key.empty()) r->grouper->mark_sent(e.group_key, e.sent);
    for (auto& old : d.queue_entry(*r, std::move(e))) replaced.push_back(std::move(old));
  }
  d.remove_files(replaced);
}

void Notifier::append_samples(std::vector<Sample>& out) const {
  // Lock-free: a scrape never waits on delivery or on the disk.
  for (const auto& r : impl_->receivers) {
    const std::pair<const char*, const Counter*> outcomes[] = {
        {"success", &r->success},   {"failure", &r->failure},     {"dropped", &r->dropped},
        {"expired", &r->expired},   {"superseded", &r->superseded}, {"persist_error", &r->persist_error}};
    for (const auto& [outcome, counter] : outcomes)
      out.push_back(Sample{"pgwarden_notifications_total",
                           {{"outcome", outcome}, {"receiver", r->cfg.name}}, counter->value()});
    out.push_back(Sample{"pgwarden_outbox_pending", {{"receiver", r->cfg.name}},
                         static_cast<double>(r->pending.load())});
  }
}

}  // namespace pgw
