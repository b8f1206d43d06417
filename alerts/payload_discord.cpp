// Discord webhook message: content (the title) and one embed with the alert
// lines, coloured red/orange/green. Respects Discord's length limits.
#include "alerts/payload.h"
#include "core/json_text.h"

namespace pgw {
namespace {

int discord_color(const Notification& n) {
  if (!n.firing()) return 0x2ECC71;  // green
  for (const auto& a : n.alerts)
    if (alert_is_firing(a) && a.severity() == "critical") return 0xE74C3C;  // red
  return 0xE67E22;  // orange
}

std::string render_discord(const ReceiverConfig&, const Notification& n) {
  std::string description;
  for (const auto& line : alert_lines(n)) description += line + "\n";
  nlohmann::json embed = {
      {"title", truncate_utf8(notification_title(n), 256)},
      {"description", truncate_utf8(description, 4096)},
      {"color", discord_color(n)},
  };
  if (!n.external_url.empty()) embed["url"] = n.external_url;
  nlohmann::json body = {
      {"content", truncate_utf8(notification_title(n), 2000)},
      {"embeds", nlohmann::json::array({embed})},
  };
  return json_text(body);
}

}  // namespace
}  // namespace pgw

PGW_REGISTER_PAYLOAD(discord, &pgw::render_discord, "", nullptr)
