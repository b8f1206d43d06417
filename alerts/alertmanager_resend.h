// The `alertmanager` receiver does no grouping of its own (Alertmanager
// groups): like Prometheus, it posts each firing alert again every resend
// delay (1 minute) with endsAt = now + 4 x resend delay, and a resolved alert
// as soon as its resolution is news, with endsAt = its resolution time.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "alerts/alert.h"
#include "alerts/payload.h"
#include "core/config.h"

namespace pgw {

class ResendTracker {
 public:
  ResendTracker(ReceiverConfig receiver, std::string external_url, Duration resend_delay);

  // The alerts that need posting at `now` as one notification, or nullopt.
  // Returned alerts are considered sent.
  std::optional<Notification> update(const std::vector<Alert>& alerts, TimePoint now);

 private:
  ReceiverConfig receiver_;
  std::string external_url_;
  Duration resend_delay_;
  std::map<std::string, TimePoint> last_sent_;  // by fingerprint
};

}  // namespace pgw
