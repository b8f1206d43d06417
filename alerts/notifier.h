// Alert delivery: groups alerts per receiver, decides when a group is due
// (group_wait, group_interval, repeat_interval, send_resolved), writes each
// notification to the on-disk outbox (fsynced) before sending, and removes
// it only after a 2xx. Retries with exponential backoff and jitter.
//
// The outbox never sticks: each entry has its own backoff, so one that keeps
// failing does not hold back newer ones of the same receiver; a newer
// notification of a group replaces an undelivered older one (after an outage
// the receiver gets each group's newest state, never a stale "firing" after
// its resolution); entries older than the receiver's outbox_max_age expire.
// Disk I/O (fsync) never happens under the lock that /metrics reads through.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "alerts/alert.h"
#include "alerts/outbox.h"
#include "core/deadline.h"
#include "core/config.h"
#include "core/sample_source.h"

namespace pgw {

// What a reload hands from the old notifier to the new one: what exists only
// in memory because the disk refused it (full, read-only), so a SIGHUP does
// not lose it.
struct NotifierHandover {
  std::vector<OutboxEntry> unpersisted;  // entries whose file could not be written
  nlohmann::json dedup;                  // the groupers' state (null: use the disk's)
};

// Tunables with production defaults; tests shorten them.
struct NotifierOptions {
  Duration initial_backoff = Duration(1000);        // first retry delay, doubling...
  Duration max_backoff = Duration(5 * 60 * 1000);   // ...up to this
  Duration max_retry_after = Duration(3600 * 1000); // cap on a server's Retry-After
  Duration resend_delay = Duration(60 * 1000);      // `alertmanager` receiver, as Prometheus
  std::string external_url;                         // empty: "http://" + exporter.listen
};

class Notifier : public SampleSource {
 public:
  // Loads the outbox and dedup state from `state_dir` (created if missing).
  // A state_dir that cannot be written is logged; alerts are still
  // evaluated and delivery is attempted from memory.
  Notifier(const Config& config, std::string state_dir, NotifierOptions options = {});
  ~Notifier() override;

  // Feeds the current alerts (from RuleEngine::alerts()). Creates outbox
  // entries for groups that are due. Cheap; no network I/O.
  void update(const std::vector<Alert>& alerts, TimePoint now);
  // Sends outbox entries whose retry time has come, until `deadline`.
  // Does network I/O; call from a delivery thread (serve) or once (check).
  void deliver(Deadline deadline);
  // Entries still waiting in the outbox.
  size_t pending() const;

  // For a reload: what only memory holds (see NotifierHandover), and taking
  // it over in the new notifier (receivers matched by name; entries of a
  // receiver that is gone are dropped and logged).
  NotifierHandover handover() const;
  void adopt(NotifierHandover handover);

  // pgwarden_notifications_total{receiver,outcome}, pgwarden_outbox_pending{receiver}.
  void append_samples(std::vector<Sample>& out) const override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pgw
