// `email` receiver: one plain-text message per group, sent over SMTP by
// libcurl (core/smtp_client.h). The rendered message rests in the outbox, so
// it holds no secret; the password is added only by the transport.
// SMTP 2xx delivered, 4xx (and network/TLS failures) retried, 5xx dropped.
#include <ctime>
#include <functional>
#include <set>

#include "alerts/payload.h"
#include "core/smtp_client.h"

namespace pgw {
namespace {

// Header values never carry CR or LF (no header injection from labels).
std::string one_line(const std::string& s) {
  std::string o;
  for (char c : s) o += (c == '\r' || c == '\n') ? ' ' : c;
  return o;
}

// RFC 2047 encoded-word (base64) when the text is not plain ASCII.
std::string encode_header(const std::string& s) {
  bool ascii = true;
  for (unsigned char c : s) ascii &= c >= 0x20 && c < 0x7f;
  if (ascii) return s;
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string b;
  size_t i = 0;
  for (; i + 2 < s.size(); i += 3) {
    unsigned v = (unsigned char)s[i] << 16 | (unsigned char)s[i + 1] << 8 | (unsigned char)s[i + 2];
    b += {k[v >> 18 & 63], k[v >> 12 & 63], k[v >> 6 & 63], k[v & 63]};
  }
  if (i + 1 == s.size()) {
    unsigned v = (unsigned char)s[i] << 16;
    b += {k[v >> 18 & 63], k[v >> 12 & 63], '=', '='};
  } else if (i + 2 == s.size()) {
    unsigned v = (unsigned char)s[i] << 16 | (unsigned char)s[i + 1] << 8;
    b += {k[v >> 18 & 63], k[v >> 12 & 63], k[v >> 6 & 63], '='};
  }
  return "=?UTF-8?B?" + b + "?=";
}

std::string rfc5322_date(TimePoint t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  static const char* days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
                months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

std::string joined_values(const std::vector<Alert>& alerts, const std::string& label) {
  std::set<std::string> values;
  for (const auto& a : alerts)
    if (!label_value(a.labels, label).empty()) values.insert(label_value(a.labels, label));
  std::string out;
  for (const auto& v : values) out += (out.empty() ? "" : ", ") + v;
  return out;
}

// "[FIRING:2] PgReplicationLagHigh (cluster aya)": status, alert and cluster.
std::string email_subject(const Notification& n) {
  size_t firing = 0;
  for (const auto& a : n.alerts) firing += alert_is_firing(a) ? 1 : 0;
  std::string s = firing > 0 ? "[FIRING:" + std::to_string(firing) + "] " : "[RESOLVED] ";
  s += joined_values(n.alerts, "alertname");
  std::string cluster = joined_values(n.alerts, "cluster");
  if (!cluster.empty()) s += " (cluster " + cluster + ")";
  return truncate_utf8(one_line(s), 250);
}

// Lines longer than SMTP's 998-octet limit are cut.
void add_line(std::string& body, const std::string& line) {
  body += truncate_utf8(one_line(line), 900) + "\r\n";
}

std::string email_body(const Notification& n) {
  std::string b;
  size_t firing = 0;
  for (const auto& a : n.alerts) firing += alert_is_firing(a) ? 1 : 0;
  add_line(b, std::to_string(firing) + " firing, " + std::to_string(n.alerts.size() - firing) +
                  " resolved.");
  add_line(b, "");
  for (const auto& a : n.alerts) {
    std::string status = alert_is_firing(a) ? "FIRING" : "RESOLVED";
    add_line(b, "[" + status + "] " + a.name() + " (" + a.severity() + ")");
    add_line(b, "  since: " + rfc3339_ms(alert_starts_at(a)));
    if (!alert_is_firing(a) && a.resolved_at != TimePoint{})
      add_line(b, "  resolved: " + rfc3339_ms(a.resolved_at));
    add_line(b, "  labels:");
    for (const auto& [k, v] : a.labels) add_line(b, "    " + k + " = " + v);
    if (!a.annotations.empty()) {
      add_line(b, "  annotations:");
      for (const auto& [k, v] : a.annotations) add_line(b, "    " + k + " = " + v);
    }
    add_line(b, "");
  }
  if (!n.external_url.empty()) {
    add_line(b, "Status page: " + n.external_url + "/");
    add_line(b, "Alerts (JSON): " + n.external_url + "/alerts");
  }
  add_line(b, "-- ");
  add_line(b, "pgwarden");
  return b;
}

std::string render_email(const ReceiverConfig& rc, const Notification& n) {
  std::string to;
  for (const auto& t : rc.to) to += (to.empty() ? "" : ", ") + t;
  std::string id = std::to_string(std::hash<std::string>{}(n.group_key)) + "." +
                   std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                      n.now.time_since_epoch()).count());
  std::string m;
  m += "From: pgwarden <" + one_line(rc.from) + ">\r\n";
  m += "To: " + one_line(to) + "\r\n";
  m += "Subject: " + encode_header(email_subject(n)) + "\r\n";
  m += "Date: " + rfc5322_date(n.now) + "\r\n";
  m += "Message-ID: <" + id + "@pgwarden>\r\n";
  m += "MIME-Version: 1.0\r\n";
  m += "Content-Type: text/plain; charset=utf-8\r\n";
  m += "Content-Transfer-Encoding: 8bit\r\n";
  m += "Auto-Submitted: auto-generated\r\n";
  m += "\r\n";
  m += email_body(n);
  return m;
}

DeliveryResult send_email(const ReceiverConfig& rc, const std::string& message, Duration timeout) {
  SmtpRequest req;
  req.url = rc.url;
  req.require_tls = rc.tls != "none";
  req.from = rc.from;
  req.to = rc.to;
  req.username = rc.username;
  req.password = rc.password;
  req.message = message;
  req.ca_file = rc.ca_file;
  req.timeout = timeout;
  SmtpResponse r = smtp_send(req);
  DeliveryResult d;
  d.detail = r.error;
  if (r.ok) d.outcome = DeliveryResult::Outcome::Delivered;
  else if (r.code >= 500 && r.code < 600) d.outcome = DeliveryResult::Outcome::Drop;
  else d.outcome = DeliveryResult::Outcome::Retry;  // 4xx, no answer, TLS failure
  return d;
}

}  // namespace
}  // namespace pgw

PGW_REGISTER_PAYLOAD(email, &pgw::render_email, "", nullptr, &pgw::send_email)
