#include "alerts/notifier.h"

#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>

#include <spdlog/spdlog.h>

#include "alerts/backoff.h"
#include "alerts/grouping.h"
#include "alerts/hmac.h"
#include "alerts/outbox.h"
#include "alerts/payload.h"
#include "alerts/alertmanager_resend.h"
#include "core/durable_file.h"
#include "core/http_client.h"
#include "core/metric_catalog.h"

namespace pgw {

PGW_DESCRIBE_METRICS({
    {"pgwarden_notifications_total", MetricType::Counter,
     "Notifications by receiver and outcome."},
    {"pgwarden_outbox_pending", MetricType::Gauge,
     "Notifications waiting in the outbox."},
});
namespace fs = std::filesystem;
namespace {

// Only the receiver's name is ever logged: its URL and keys are secrets.
struct ReceiverState {
  ReceiverConfig cfg;
  const PayloadType* payload = nullptr;
  std::unique_ptr<Grouper> grouper;       // every type but alertmanager
  std::unique_ptr<ResendTracker> resend;  // alertmanager
  std::deque<OutboxEntry> queue;          // FIFO
  double success = 0, failure = 0, dropped = 0, persist_error = 0;
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

}  // namespace

struct Notifier::Impl {
  std::string state_dir;
  NotifierOptions options;
  Outbox outbox;
  std::vector<std::unique_ptr<ReceiverState>> receivers;
  mutable std::mutex mu;     // guards everything below and the receivers' state
  std::mutex deliver_mu;     // one deliver() at a time keeps each receiver FIFO
  std::mt19937_64 rng{std::random_device{}()};
  TimePoint last_persist_log{};
  std::string saved_state;   // last dedup state written

  Impl(std::string dir, NotifierOptions opts)
      : state_dir(std::move(dir)),
        options(std::move(opts)),
        outbox((fs::path(state_dir) / "outbox").string()) {}

  std::string state_path() const { return (fs::path(state_dir) / "notify_state.json").string(); }

  // Logged at most once a minute: a full or read-only disk would otherwise
  // flood the log on every evaluation.
  void persist_failed(ReceiverState& r, const std::string& error) {
    r.persist_error += 1;
    auto now = std::chrono::system_clock::now();
    if (now - last_persist_log >= std::chrono::minutes(1)) {
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
    for (auto& r : receivers) {
      if (r->grouper && j["receivers"].contains(r->cfg.name))
        r->grouper->restore(j["receivers"][r->cfg.name]);
    }
  }

  void save_state_if_changed() {
    nlohmann::json j = {{"version", 1}, {"receivers", nlohmann::json::object()}};
    for (auto& r : receivers)
      if (r->grouper) j["receivers"][r->cfg.name] = r->grouper->save();
    std::string text = j.dump();
    if (text == saved_state) return;
    std::string error;
    std::error_code ec;
    fs::create_directories(state_dir, ec);
    if ((error = write_file_atomically(state_path(), text, 0600)).empty()) {
      saved_state = std::move(text);
    } else {
      auto now = std::chrono::system_clock::now();
      if (now - last_persist_log >= std::chrono::minutes(1)) {
        last_persist_log = now;
        spdlog::error("notifier: cannot save dedup state ({})", error);
      }
    }
  }

  void enqueue(ReceiverState& r, const Notification& n, const SentState& sent, TimePoint now) {
    OutboxEntry e;
    e.id = outbox.new_id(now);
    e.receiver = r.cfg.name;
    e.body = r.payload->render(r.cfg, n);
    e.created = now;
    e.next_attempt = now;
    e.group_key = n.group_key;
    e.sent = sent;
    std::string error;
    e.persisted = outbox.write(e, error);
    if (!e.persisted) persist_failed(r, error);
    r.queue.push_back(std::move(e));
  }

  // Sends the head of one receiver's queue if it is due. Returns true when
  // the head left the queue (delivered or dropped).
  bool deliver_one(ReceiverState& r, Deadline deadline) {
    OutboxEntry entry;
    {
      std::lock_guard lock(mu);
      if (r.queue.empty()) return false;
      if (r.queue.front().next_attempt > std::chrono::system_clock::now()) return false;
      entry = r.queue.front();
    }
    auto remaining = Duration(deadline.remaining_ms());
    if (remaining < Duration(1)) return false;

    HttpRequest req;
    req.method = "POST";
    req.url = target_url(r);
    req.body = r.payload->prepare_send ? r.payload->prepare_send(r.cfg, entry.body) : entry.body;
    req.timeout = std::min(r.cfg.timeout, remaining);
    req.max_response_bytes = 64 * 1024;
    req.ca_file = r.cfg.ca_file;  // empty: the system CA bundle; TLS is always verified
    req.headers.emplace_back("Content-Type", "application/json");
    if (!r.cfg.hmac_secret.empty())
      req.headers.emplace_back("X-Pgwarden-Signature",
                               signature_header_value(r.cfg.hmac_secret, req.body));
    HttpResponse resp;
    if (req.url.empty())
      resp.error = "receiver has no url";
    else
      resp = http_request(req);
    Outcome outcome = req.url.empty() ? Outcome::Drop : classify(resp);

    std::lock_guard lock(mu);
    if (r.queue.empty() || r.queue.front().id != entry.id) return false;
    OutboxEntry& head = r.queue.front();
    std::string error;
    if (outcome == Outcome::Retry) {
      r.failure += 1;
      head.attempts += 1;
      auto now = std::chrono::system_clock::now();
      BackoffPolicy policy{options.initial_backoff, options.max_backoff};
      Duration delay = backoff_delay(policy, head.attempts, rng);
      if (auto ra = parse_retry_after(header_value(resp, "retry-after"), now,
                                      options.max_retry_after))
        delay = std::max(delay, *ra);
      head.next_attempt = now + delay;
      spdlog::warn("notifier: receiver {} attempt {} failed ({}); retrying in {} ms",
                   r.cfg.name, head.attempts, describe(resp), delay.count());
      // Persist the attempt count; an entry that could not be written before
      // gets another chance to reach the disk.
      bool ok = outbox.write(head, error);
      if (ok) head.persisted = true;
      else if (!head.persisted) persist_failed(r, error);
      return false;
    }
    if (outcome == Outcome::Success) {
      r.success += 1;
      spdlog::debug("notifier: receiver {} delivered {}", r.cfg.name, head.id);
    } else {
      r.dropped += 1;
      spdlog::error("notifier: receiver {} rejected a notification ({}); dropped", r.cfg.name,
                    describe(resp));
    }
    if (head.persisted && !outbox.remove(head, error))
      spdlog::error("notifier: receiver {}: {}", r.cfg.name, error);
    r.queue.pop_front();
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
  std::lock_guard lock(d.mu);
  d.load_state();
  for (auto& r : d.receivers) {
    for (auto& e : d.outbox.load(r->cfg.name)) {
      // A notification queued just before a crash counts as sent, even if
      // the dedup state file was not updated in time.
      if (r->grouper && !e.group_key.empty()) r->grouper->mark_sent(e.group_key, e.sent);
      r->queue.push_back(std::move(e));
    }
    if (!r->queue.empty())
      spdlog::info("notifier: receiver {} has {} queued notifications", r->cfg.name,
                   r->queue.size());
  }
}

Notifier::~Notifier() = default;

void Notifier::update(const std::vector<Alert>& alerts, TimePoint now) {
  auto& d = *impl_;
  std::lock_guard lock(d.mu);
  for (auto& r : d.receivers) {
    if (r->grouper) {
      for (auto& due : r->grouper->update(alerts, now)) d.enqueue(*r, due.notification, due.sent, now);
    } else if (auto n = r->resend->update(alerts, now)) {
      d.enqueue(*r, *n, SentState{}, now);
    }
  }
  d.save_state_if_changed();
}

void Notifier::deliver(Deadline deadline) {
  auto& d = *impl_;
  std::lock_guard serial(d.deliver_mu);
  // Round robin so one slow receiver does not starve the others.
  bool progress = true;
  while (progress && !deadline.expired()) {
    progress = false;
    for (auto& r : d.receivers) {
      if (deadline.expired()) return;
      progress |= d.deliver_one(*r, deadline);
    }
  }
}

size_t Notifier::pending() const {
  std::lock_guard lock(impl_->mu);
  size_t n = 0;
  for (const auto& r : impl_->receivers) n += r->queue.size();
  return n;
}

void Notifier::append_samples(std::vector<Sample>& out) const {
  std::lock_guard lock(impl_->mu);
  for (const auto& r : impl_->receivers) {
    const std::pair<const char*, double> outcomes[] = {{"success", r->success},
                                                       {"failure", r->failure},
                                                       {"dropped", r->dropped},
                                                       {"persist_error", r->persist_error}};
    for (const auto& [outcome, value] : outcomes)
      out.push_back(Sample{"pgwarden_notifications_total",
                           {{"outcome", outcome}, {"receiver", r->cfg.name}}, value});
    out.push_back(Sample{"pgwarden_outbox_pending", {{"receiver", r->cfg.name}},
                         static_cast<double>(r->queue.size())});
  }
}

}  // namespace pgw
