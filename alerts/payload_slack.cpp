// Slack incoming-webhook message: a title line plus one attachment coloured
// by status (danger = firing critical, warning = other firing, good = resolved).
#include "alerts/payload.h"
#include "core/json_text.h"

namespace pgw {
namespace {

std::string slack_color(const Notification& n) {
  if (!n.firing()) return "good";
  for (const auto& a : n.alerts)
    if (alert_is_firing(a) && a.severity() == "critical") return "danger";
  return "warning";
}

std::string render_slack(const ReceiverConfig&, const Notification& n) {
  std::string text;
  for (const auto& line : alert_lines(n)) text += line + "\n";
  nlohmann::json attachment = {
      {"color", slack_color(n)},
      {"title", truncate_utf8(notification_title(n), 250)},
      {"text", truncate_utf8(text, 3000)},
      {"footer", "pgwarden"},
  };
  nlohmann::json body = {
      {"text", truncate_utf8(notification_title(n), 3000)},
      {"attachments", nlohmann::json::array({attachment})},
  };
  return json_text(body);
}

}  // namespace
}  // namespace pgw

PGW_REGISTER_PAYLOAD(slack, &pgw::render_slack, "", nullptr)
