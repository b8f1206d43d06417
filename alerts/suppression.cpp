#include "alerts/suppression.h"

namespace pgw {

std::vector<Alert> Suppressor::apply(std::vector<Alert> alerts, TimePoint now) const {
  inhibitor_.apply(alerts);
  if (silences_) silences_->refresh();
  for (auto& a : alerts) {
    bool active = a.state == AlertState::Pending || a.state == AlertState::Firing;
    if (silences_ && active) a.silenced_by = silences_->silencing(a.labels, now);
    else a.silenced_by.clear();
  }
  return alerts;
}

}  // namespace pgw
