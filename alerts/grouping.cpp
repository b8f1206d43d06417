#include "alerts/grouping.h"
#include "core/json_text.h"

#include <algorithm>

namespace pgw {
namespace {

long long to_ms(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

bool is_resolved(const Alert& a) {
  return a.state == AlertState::Inactive && a.fired_at != TimePoint{};
}

// Firing and neither inhibited nor silenced: news for a receiver.
bool notifiable(const Alert& a) { return alert_is_firing(a) && !a.suppressed(); }

bool subset(const std::set<std::string>& a, const std::set<std::string>& b) {
  return std::includes(b.begin(), b.end(), a.begin(), a.end());
}

}  // namespace

nlohmann::json SentState::to_json() const {
  return {{"firing", firing}, {"resolved", resolved}, {"at_ms", to_ms(at)}};
}

std::optional<SentState> SentState::from_json(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("firing") || !j.contains("at_ms")) return std::nullopt;
  try {
    SentState s;
    s.firing = j.at("firing").get<std::set<std::string>>();
    if (j.contains("resolved")) s.resolved = j.at("resolved").get<std::set<std::string>>();
    s.at = TimePoint(std::chrono::milliseconds(j.at("at_ms").get<long long>()));
    return s;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

bool receiver_matches(const ReceiverConfig& receiver, const Alert& alert) {
  for (const auto& [k, v] : receiver.match)
    if (label_value(alert.labels, k) != v) return false;
  return true;
}

Grouper::Grouper(ReceiverConfig receiver, std::string external_url)
    : receiver_(std::move(receiver)), external_url_(std::move(external_url)) {}

Labels Grouper::group_labels(const Alert& alert) const {
  // group_by = ["..."] groups by every label, as in Alertmanager.
  if (std::find(receiver_.group_by.begin(), receiver_.group_by.end(), "...") !=
      receiver_.group_by.end())
    return alert.labels;
  Labels out;
  for (const auto& name : receiver_.group_by) {
    const auto& v = label_value(alert.labels, name);
    if (!v.empty()) out.emplace_back(name, v);
  }
  normalize(out);
  return out;
}

std::string Grouper::group_key(const Labels& labels) const {
  std::string key = receiver_.name + ":{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i) key += ", ";
    key += labels[i].first + "=" + json_text(nlohmann::json(labels[i].second));
  }
  return key + "}";
}

Grouper::Buckets Grouper::bucket(const std::vector<Alert>& alerts) const {
  Buckets buckets;
  for (const auto& a : alerts) {
    if (a.state == AlertState::Pending) continue;  // not an alert for receivers yet
    if (a.state == AlertState::Inactive && !is_resolved(a)) continue;
    if (!receiver_matches(receiver_, a)) continue;
    // Suppressed alerts are bucketed too: they are still there (not
    // resolved), only not to be announced.
    Labels gl = group_labels(a);
    auto& b = buckets[group_key(gl)];
    b.labels = gl;
    b.alerts[a.fingerprint()] = a;
  }
  return buckets;
}

void Grouper::open_groups(Buckets& buckets, TimePoint now) {
  for (auto& [key, b] : buckets) {
    auto it = groups_.find(key);
    if (it == groups_.end()) {
      bool any_news = std::any_of(b.alerts.begin(), b.alerts.end(),
                                  [](const auto& kv) { return notifiable(kv.second); });
      auto sent = sent_.find(key);
      bool was_notified = sent != sent_.end() && !sent->second.firing.empty();
      // Only a firing, unsuppressed alert (or the resolution of a notified
      // one) starts a group.
      if (!any_news && !was_notified) continue;
      TimePoint next = now + receiver_.group_wait;
      // A group seen by an earlier run (cron `check`) keeps its timer.
      if (auto r = restored_flush_.find(key); r != restored_flush_.end())
        next = std::min(next, r->second);
      it = groups_.emplace(key, Group{b.labels, {}, next, {}}).first;
    }
    Group& g = it->second;
    for (auto& [fp, a] : b.alerts) {
      auto prev = g.alerts.find(fp);
      if (prev != g.alerts.end()) {
        if (prev->second.suppressed() && alert_is_firing(prev->second) && notifiable(a)) g.released[fp] = now;
        prev->second = std::move(a);
      } else {
        g.alerts.emplace(fp, std::move(a));
      }
    }
  }
  restored_flush_.clear();  // timers of groups that did not come back
}

void Grouper::resolve_vanished(const Buckets& buckets, TimePoint now) {
  // Alerts that vanished from the engine's list without a resolution count as
  // resolved now, so the receiver still learns that they ended.
  for (auto& [key, g] : groups_) {
    auto b = buckets.find(key);
    for (auto& [fp, a] : g.alerts) {
      bool present = b != buckets.end() && b->second.alerts.count(fp);
      if (!present && alert_is_firing(a)) {
        a.state = AlertState::Inactive;
        a.resolved_at = now;
        a.inhibited_by.clear();
        a.silenced_by.clear();
      }
    }
  }
}

void Grouper::drop_stale_sent(TimePoint now) {
  // Dedup state of groups that are gone (e.g. restored after a restart for
  // alerts that never came back) is dropped once it could not matter.
  for (auto it = sent_.begin(); it != sent_.end();) {
    bool stale = !groups_.count(it->first) &&
                 (it->second.firing.empty() || now - it->second.at > receiver_.repeat_interval);
    it = stale ? sent_.erase(it) : std::next(it);
  }
}

std::vector<DueNotification> Grouper::flush_due(TimePoint now) {
  std::vector<DueNotification> due;
  for (auto it = groups_.begin(); it != groups_.end();) {
    if (now < it->second.next_flush) {
      ++it;
      continue;
    }
    if (auto n = flush(it->first, it->second, now)) due.push_back(std::move(*n));
    if (it->second.alerts.empty()) {
      sent_.erase(it->first);
      it = groups_.erase(it);
    } else {
      ++it;
    }
  }
  return due;
}

std::vector<DueNotification> Grouper::update(const std::vector<Alert>& alerts, TimePoint now) {
  Buckets buckets = bucket(alerts);
  open_groups(buckets, now);
  resolve_vanished(buckets, now);
  drop_stale_sent(now);
  return flush_due(now);
}

std::optional<DueNotification> Grouper::flush(const std::string& key, Group& g, TimePoint now) {
  g.next_flush = now + receiver_.group_interval;
  SentState& last = sent_[key];
  // firing: what to announce as firing. held: announced earlier, suppressed
  // now and still firing; it is neither repeated nor resolved (it did not
  // end), but stays "announced" so that its end is reported and its return
  // from suppression is not news.
  std::set<std::string> firing, held, resolved;
  for (auto it = g.released.begin(); it != g.released.end();) {
    bool over = now >= it->second + receiver_.group_wait || !g.alerts.count(it->first);
    it = over ? g.released.erase(it) : std::next(it);
  }
  for (const auto& [fp, a] : g.alerts) {
    if (notifiable(a) && !g.released.count(fp))
      firing.insert(fp);
    else if (alert_is_firing(a)) {  // suppressed, or just left suppression
      if (last.firing.count(fp)) held.insert(fp);
    } else if (last.firing.count(fp))  // announce only the end of what was announced
      resolved.insert(fp);
  }
  std::set<std::string> announced = firing;
  announced.insert(held.begin(), held.end());

  bool send = false;
  if (!firing.empty()) {
    bool has_last = last.at != TimePoint{};
    send = !subset(firing, last.firing) ||
           (receiver_.send_resolved && !subset(resolved, last.resolved)) ||
           !has_last || now >= last.at + receiver_.repeat_interval;
  } else {
    send = receiver_.send_resolved && !resolved.empty();
  }

  std::optional<DueNotification> out;
  if (send) {
    DueNotification d;
    d.notification.receiver = receiver_.name;
    d.notification.group_key = key;
    d.notification.group_labels = g.labels;
    d.notification.external_url = external_url_;
    d.notification.now = now;
    for (const auto& [fp, a] : g.alerts) {
      if (firing.count(fp) || (receiver_.send_resolved && resolved.count(fp)))
        d.notification.alerts.push_back(a);
    }
    // Stable order for receivers: by label set, not by fingerprint.
    std::sort(d.notification.alerts.begin(), d.notification.alerts.end(),
              [](const Alert& x, const Alert& y) { return x.labels < y.labels; });
    d.sent.firing = announced;
    if (receiver_.send_resolved) d.sent.resolved = resolved;
    d.sent.at = now;
    last = d.sent;
    out = std::move(d);
  } else if (subset(firing, last.firing)) {
    // Quietly forget alerts that ended unannounced, so that a re-fire is news.
    last.firing = announced;
  }

  // Resolved alerts have been dealt with; the group lives while any fires.
  for (auto it = g.alerts.begin(); it != g.alerts.end();)
    it = alert_is_firing(it->second) ? std::next(it) : g.alerts.erase(it);
  return out;
}

nlohmann::json Grouper::save() const {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [key, s] : sent_)
    if (s.at != TimePoint{}) j[key] = s.to_json();
  // Timers too, so that a process that runs once (cron `check`) still
  // honours group_wait and group_interval across runs.
  for (const auto& [key, g] : groups_) {
    if (!j.contains(key)) j[key] = SentState{}.to_json();
    j[key]["next_flush_ms"] =
        std::chrono::duration_cast<std::chrono::milliseconds>(g.next_flush.time_since_epoch()).count();
  }
  return j;
}

void Grouper::restore(const nlohmann::json& state) {
  if (!state.is_object()) return;
  for (const auto& [key, value] : state.items()) {
    // Keys belong to this receiver; anything else is from an older config.
    if (key.rfind(receiver_.name + ":{", 0) != 0) continue;
    auto s = SentState::from_json(value);
    if (!s) continue;
    if (s->at != TimePoint{}) mark_sent(key, *s);
    if (value.contains("next_flush_ms") && value["next_flush_ms"].is_number_integer())
      restored_flush_[key] = TimePoint(std::chrono::milliseconds(value["next_flush_ms"].get<long long>()));
  }
}

void Grouper::mark_sent(const std::string& group_key, const SentState& sent) {
  auto& cur = sent_[group_key];
  if (sent.at >= cur.at) cur = sent;
}

}  // namespace pgw
