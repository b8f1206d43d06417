#include "alerts/rule_state.h"

#include "core/json_text.h"

#include <limits>
#include <stdexcept>

namespace pgw {
namespace {

std::int64_t to_ms(TimePoint t) {
  if (t == TimePoint{}) return 0;
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

TimePoint from_ms(std::int64_t ms) {
  if (ms == 0) return TimePoint{};
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::milliseconds(ms)));
}

AlertState state_from_name(const std::string& s) {
  if (s == "pending") return AlertState::Pending;
  if (s == "firing") return AlertState::Firing;
  if (s == "inactive") return AlertState::Inactive;
  throw std::invalid_argument("unknown alert state \"" + s + "\"");
}

}  // namespace

std::string label_key(const Labels& labels) {
  std::string key;
  for (const auto& [n, v] : labels) {
    key += n;
    key += '\xff';
    key += v;
    key += '\xff';
  }
  return key;
}

void RuleState::advance(std::vector<ReturnedAlert> results, TimePoint now, Duration hold, Duration keep_firing_for) {
  for (auto& [key, a] : results) {
    auto [it, inserted] = active_.try_emplace(std::move(key));
    Instance& inst = it->second;
    if (!inserted && inst.alert.state != AlertState::Inactive) {
      inst.alert.value = a.value;
      inst.alert.annotations = std::move(a.annotations);
      inst.returned = true;
      continue;
    }
    a.state = AlertState::Pending;
    a.active_at = now;
    a.fired_at = TimePoint{};
    a.resolved_at = TimePoint{};
    inst = Instance{std::move(a), TimePoint{}, true};
  }
  for (auto it = active_.begin(); it != active_.end();) {
    Instance& inst = it->second;
    Alert& a = inst.alert;
    a.last_eval = now;
    bool returned = inst.returned;
    inst.returned = false;
    if (!returned) {
      bool keep_firing = false;
      if (a.state == AlertState::Firing && keep_firing_for.count() > 0) {
        if (inst.keep_firing_since == TimePoint{}) inst.keep_firing_since = now;
        keep_firing = now - inst.keep_firing_since < keep_firing_for;
      }
      if (a.state == AlertState::Pending ||
          (a.resolved_at != TimePoint{} && now - a.resolved_at > kResolvedRetention)) {
        it = active_.erase(it);
        continue;
      }
      if (!keep_firing) {
        if (a.state != AlertState::Inactive) {
          a.state = AlertState::Inactive;
          a.resolved_at = now;
        }
        ++it;
        continue;
      }
    } else {
      inst.keep_firing_since = TimePoint{};
    }
    if (a.state == AlertState::Pending && now - a.active_at >= hold) {
      a.state = AlertState::Firing;
      a.fired_at = now;
    }
    ++it;
  }
}

std::vector<Alert> RuleState::alerts() const {
  std::vector<Alert> out;
  out.reserve(active_.size());
  for (const auto& [_, inst] : active_) out.push_back(inst.alert);
  return out;
}

nlohmann::json RuleState::save() const {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [_, inst] : active_) {
    const Alert& a = inst.alert;
    nlohmann::json labels = nlohmann::json::object();
    for (const auto& [k, v] : a.labels) labels[k] = v;
    out.push_back({{"labels", labels},
                   {"annotations", a.annotations},
                   {"state", alert_state_name(a.state)},
                   {"activeAt", to_ms(a.active_at)},
                   {"firedAt", to_ms(a.fired_at)},
                   {"resolvedAt", to_ms(a.resolved_at)},
                   {"keepFiringSince", to_ms(inst.keep_firing_since)},
                   {"lastEval", to_ms(a.last_eval)},
                   {"value", a.value}});
  }
  return out;
}

void RuleState::write(StateText& out) const {
  // The same document as save(), keys in the order nlohmann writes them.
  auto str = [](const std::string& v) { return json_text(nlohmann::json(v)); };
  auto num = [](std::int64_t v) { return std::to_string(v); };
  out.significant("[");
  bool first = true;
  for (const auto& [_, inst] : active_) {
    const Alert& a = inst.alert;
    out.significant(first ? "{\"activeAt\":" : ",{\"activeAt\":");
    first = false;
    out.significant(num(to_ms(a.active_at)));
    out.significant(",\"annotations\":{");
    bool k1 = true;
    for (const auto& [k, v] : a.annotations) {
      out.significant((k1 ? "" : ",") + str(k) + ":" + str(v));
      k1 = false;
    }
    out.significant("},\"firedAt\":" + num(to_ms(a.fired_at)));
    out.significant(",\"keepFiringSince\":" + num(to_ms(inst.keep_firing_since)) + ",\"labels\":{");
    k1 = true;
    for (const auto& [k, v] : a.labels) {
      out.significant((k1 ? "" : ",") + str(k) + ":" + str(v));
      k1 = false;
    }
    out.significant("}");
    out.volatile_part(",\"lastEval\":" + num(to_ms(a.last_eval)));
    out.significant(",\"resolvedAt\":" + num(to_ms(a.resolved_at)) + ",\"state\":" +
                    str(alert_state_name(a.state)));
    // JSON has no NaN or infinity: null, as nlohmann writes them.
    out.volatile_part(",\"value\":" + json_text(nlohmann::json(a.value)));
    out.significant("}");
  }
  out.significant("]");
}

void RuleState::restore(const nlohmann::json& instances) {
  if (!instances.is_array()) throw std::invalid_argument("alert instances must be a JSON array");
  std::map<std::string, Instance> restored;
  for (const auto& j : instances) {
    try {
      Instance inst;
      Alert& a = inst.alert;
      for (const auto& [k, v] : j.at("labels").items()) a.labels.emplace_back(k, v.get<std::string>());
      normalize(a.labels);
      a.annotations = j.at("annotations").get<std::map<std::string, std::string>>();
      a.state = state_from_name(j.at("state").get<std::string>());
      a.active_at = from_ms(j.at("activeAt").get<std::int64_t>());
      a.fired_at = from_ms(j.at("firedAt").get<std::int64_t>());
      a.resolved_at = from_ms(j.at("resolvedAt").get<std::int64_t>());
      inst.keep_firing_since = from_ms(j.value("keepFiringSince", std::int64_t{0}));
      a.last_eval = from_ms(j.value("lastEval", std::int64_t{0}));
      // JSON has no NaN: nlohmann writes null for it.
      a.value = j.at("value").is_null() ? std::numeric_limits<double>::quiet_NaN() : j.at("value").get<double>();
      restored[label_key(a.labels)] = std::move(inst);
    } catch (const nlohmann::json::exception& e) {
      throw std::invalid_argument(std::string("malformed alert instance: ") + e.what());
    }
  }
  active_ = std::move(restored);
}

}  // namespace pgw
