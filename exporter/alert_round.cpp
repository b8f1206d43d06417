#include "exporter/alert_round.h"

#include <spdlog/spdlog.h>

#include "core/durable_file.h"

namespace pgw {

void run_alert_round(const std::vector<const SampleSource*>& inputs, RuleEngine& rules,
                     Notifier* notifier, TimePoint now, const Suppressor* suppressor) {
  // The inputs are walked in place (the store holds most samples; a copy
  // of them was the round's peak memory at 1,000 nodes).
  std::vector<std::unique_ptr<const SampleSequence>> parts;
  for (const SampleSource* s : inputs) parts.push_back(s->sequence());
  if (notifier) parts.push_back(notifier->sequence());
  rules.evaluate(ConcatSequence(std::move(parts)), now);
  if (notifier) notifier->update(suppressor ? suppressor->apply(rules.alerts(), now) : rules.alerts(), now);
}

nlohmann::json AlertStateFile::load() const {
  std::string text;
  if (!read_file(path_, text)) return nullptr;
  try {
    nlohmann::json state = nlohmann::json::parse(text);
    // `check` used to nest the engine's document under "rules".
    if (state.is_object() && state.contains("rules") && state["rules"].is_object())
      return state["rules"];
    return state;
  } catch (const std::exception&) {
    spdlog::warn("ignoring unreadable alert state {}", path_);
    return nullptr;
  }
}

void restore_alert_state(RuleEngine& rules, const nlohmann::json& state) {
  if (!state.is_null()) rules.restore_state(state);
}

std::string AlertStateFile::save(const RuleEngine& rules, bool force) {
  StateText state = rules.save_state_text();
  const std::uint64_t digest = text_digest(state.text);
  if (digest == last_digest_) return "";
  auto now = std::chrono::steady_clock::now();
  if (!force && state.significant_digest == last_significant_digest_ && now - last_saved_at_ < kRefresh) return "";
  std::string err = write_file_atomically(path_, state.text, 0600);
  if (!err.empty()) {
    if (err != last_error_) spdlog::warn("cannot save alert state: {}", err);
    last_error_ = err;
    return err;
  }
  last_error_.clear();
  last_digest_ = digest;
  last_significant_digest_ = state.significant_digest;
  last_saved_at_ = now;
  return "";
}

}  // namespace pgw
