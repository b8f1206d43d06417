#include "alerts/alertmanager_resend.h"

#include <set>

#include "alerts/grouping.h"

namespace pgw {

ResendTracker::ResendTracker(ReceiverConfig receiver, std::string external_url,
                             Duration resend_delay)
    : receiver_(std::move(receiver)),
      external_url_(std::move(external_url)),
      resend_delay_(resend_delay) {}

std::optional<Notification> ResendTracker::update(const std::vector<Alert>& alerts,
                                                  TimePoint now) {
  Notification n;
  n.receiver = receiver_.name;
  n.group_key = receiver_.name + ":{}";
  n.external_url = external_url_;
  n.now = now;
  n.resend_delay = resend_delay_;
  std::set<std::string> seen;
  for (const auto& a : alerts) {
    bool firing = alert_is_firing(a);
    bool resolved = a.state == AlertState::Inactive && a.fired_at != TimePoint{};
    if (!firing && !resolved) continue;  // pending alerts are not sent (as Prometheus)
    if (!receiver_matches(receiver_, a)) continue;
    std::string fp = a.fingerprint();
    seen.insert(fp);
    auto it = last_sent_.find(fp);
    bool due = it == last_sent_.end() || it->second + resend_delay_ <= now ||
               (resolved && a.resolved_at > it->second);
    if (resolved && !receiver_.send_resolved) due = false;
    if (!due) continue;
    last_sent_[fp] = now;
    n.alerts.push_back(a);
  }
  for (auto it = last_sent_.begin(); it != last_sent_.end();)
    it = seen.count(it->first) ? std::next(it) : last_sent_.erase(it);
  if (n.alerts.empty()) return std::nullopt;
  return n;
}

}  // namespace pgw
