#include "exporter/alertmanager_api.h"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

#include "alerts/grouping.h"
#include "core/time_format.h"
#include "exporter/build_info.h"

namespace pgw {
namespace {

using Query = std::vector<std::pair<std::string, std::string>>;

HttpReply json_reply(int status, const nlohmann::json& j) {
  return {status, "application/json", j.dump() + "\n"};
}

// Alertmanager answers errors with a JSON string.
HttpReply error_reply(int status, const std::string& message) { return json_reply(status, message); }

bool bool_param(const Query& q, const std::string& name, bool fallback, bool& ok) {
  for (const auto& [k, v] : q)
    if (k == name) {
      if (v == "true") return true;
      if (v == "false") return false;
      ok = false;
    }
  return fallback;
}

// ?filter=... matchers; false (and `error`) when one does not parse.
bool filters(const Query& q, std::vector<LabelMatcher>& out, std::string& error) {
  for (const auto& [k, v] : q) {
    if (k != "filter") continue;
    size_t offset = 0;
    auto m = LabelMatcher::parse(v, error, offset);
    if (!m) {
      error = "bad matcher format: " + v + ": " + error;
      return false;
    }
    out.push_back(std::move(*m));
  }
  return true;
}

HttpReply get_status(ApiContext& ctx) {
  nlohmann::json j = {
      {"cluster", {{"name", ""}, {"status", "disabled"}, {"peers", nlohmann::json::array()}}},
      // The config is not shown: it is pgwarden's, not an Alertmanager one.
      {"config", {{"original", ""}}},
      {"uptime", rfc3339_ms(ctx.started)},
      {"versionInfo",
       {{"branch", ""}, {"buildDate", ""}, {"buildUser", ""}, {"goVersion", ""},
        {"revision", revision_string()}, {"version", std::string("pgwarden-") + version_string()}}}};
  return json_reply(200, j);
}

HttpReply get_receivers(ApiContext& ctx) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : ctx.config.receivers) out.push_back({{"name", r.name}});
  return json_reply(200, out);
}

HttpReply get_alerts(const Query& q, ApiContext& ctx) {
  bool ok = true;
  bool active = bool_param(q, "active", true, ok);
  bool silenced = bool_param(q, "silenced", true, ok);
  bool inhibited = bool_param(q, "inhibited", true, ok);
  bool_param(q, "unprocessed", true, ok);  // pgwarden processes every alert at once
  if (!ok) return error_reply(400, "active, silenced, inhibited and unprocessed take true or false");
  std::vector<LabelMatcher> ms;
  std::string error;
  if (!filters(q, ms, error)) return error_reply(400, error);
  std::string receiver;
  for (const auto& [k, v] : q)
    if (k == "receiver") receiver = v;
  // Alertmanager's GettableAlert. Only firing alerts exist for Alertmanager
  // (Prometheus does not send pending ones).
  auto alerts = ctx.alerts();
  std::sort(alerts.begin(), alerts.end(),
            [](const Alert& a, const Alert& b) { return a.labels < b.labels; });
  nlohmann::json out = nlohmann::json::array();
  // A firing alert is kept alive by every evaluation: endsAt is a few
  // intervals ahead, as Prometheus sets it when it sends alerts.
  auto resend = std::chrono::duration_cast<std::chrono::system_clock::duration>(ctx.config.exporter.interval * 4);
  for (const auto& a : alerts) {
    if (a.state != AlertState::Firing) continue;
    if (!all_match(ms, a.labels)) continue;
    bool is_silenced = !a.silenced_by.empty(), is_inhibited = !a.inhibited_by.empty();
    if (!active && !is_silenced && !is_inhibited) continue;
    if (!silenced && is_silenced) continue;
    if (!inhibited && is_inhibited) continue;
    nlohmann::json receivers = nlohmann::json::array();
    for (const auto& r : ctx.config.receivers)
      if (receiver_matches(r, a) && (receiver.empty() || r.name == receiver))
        receivers.push_back({{"name", r.name}});
    if (!receiver.empty() && receivers.empty()) continue;
    nlohmann::json labels = nlohmann::json::object();
    for (const auto& [k, v] : a.labels) labels[k] = v;
    out.push_back({{"labels", labels},
                   {"annotations", a.annotations},
                   {"startsAt", rfc3339_ms(a.fired_at != TimePoint{} ? a.fired_at : a.active_at)},
                   {"endsAt", rfc3339_ms(a.last_eval + resend)},
                   {"updatedAt", rfc3339_ms(a.last_eval)},
                   {"fingerprint", a.fingerprint()},
                   {"generatorURL", ""},
                   {"receivers", receivers},
                   {"status",
                    {{"state", a.suppressed() ? "suppressed" : "active"},
                     {"silencedBy", a.silenced_by},
                     {"inhibitedBy", a.inhibited_by}}}});
  }
  return json_reply(200, out);
}

// Whether a silence's matchers, read as labels, satisfy every filter
// matcher (Alertmanager's CheckSilenceMatchesFilterLabels).
bool silence_passes(const Silence& s, const std::vector<LabelMatcher>& filter) {
  for (const auto& f : filter) {
    auto it = std::find_if(s.matchers.begin(), s.matchers.end(),
                           [&](const LabelMatcher& m) { return m.name() == f.name(); });
    if (it == s.matchers.end() || !f.matches_value(it->value())) return false;
  }
  return true;
}

HttpReply get_silences(const Query& q, ApiContext& ctx) {
  std::vector<LabelMatcher> ms;
  std::string error;
  if (!filters(q, ms, error)) return error_reply(400, error);
  auto now = std::chrono::system_clock::now();
  auto silences = ctx.silences.list();
  // Alertmanager's order: active by endsAt, then pending by startsAt, then
  // expired, most recently ended first.
  auto rank = [&](const Silence& s) {
    std::string st = s.state(now);
    return st == "active" ? 0 : st == "pending" ? 1 : 2;
  };
  std::sort(silences.begin(), silences.end(), [&](const Silence& a, const Silence& b) {
    int ra = rank(a), rb = rank(b);
    if (ra != rb) return ra < rb;
    if (ra == 0) return a.ends_at < b.ends_at;
    if (ra == 1) return a.starts_at < b.starts_at;
    return a.ends_at > b.ends_at;
  });
  nlohmann::json out = nlohmann::json::array();
  for (const auto& s : silences)
    if (silence_passes(s, ms)) out.push_back(s.to_json(now));
  return json_reply(200, out);
}

int status_of(SilenceStore::Result r) {
  switch (r) {
    case SilenceStore::Result::Ok: return 200;
    case SilenceStore::Result::Invalid: return 400;
    case SilenceStore::Result::NotFound: return 404;
    case SilenceStore::Result::WriteFailed: return 500;
  }
  return 500;
}

HttpReply post_silence(const std::string& body, ApiContext& ctx) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded()) return error_reply(400, "request body is not JSON");
  std::string error;
  auto s = silence_from_json(j, error);
  if (!s) return error_reply(400, error);
  std::string id;
  auto r = ctx.silences.upsert(std::move(*s), std::chrono::system_clock::now(), id, error);
  if (r != SilenceStore::Result::Ok)
    return error_reply(status_of(r), r == SilenceStore::Result::Invalid ? "Failed to create silence: " + error : error);
  return json_reply(200, {{"silenceID", id}});
}

}  // namespace

std::string url_decode(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%' && i + 2 < text.size() && std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

bool is_loopback_listen(const std::string& listen) {
  std::string host = listen;
  if (!host.empty() && host[0] == '[') {
    host = host.substr(1, host.find(']') - 1);
  } else if (auto colon = host.rfind(':'); colon != std::string::npos) {
    host = host.substr(0, colon);
  }
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

std::optional<HttpReply> refuse_unauthenticated_write(const HttpRequestInfo& req, const std::string& listen,
                                                      bool auth_enabled) {
  bool write = req.method != "GET" && req.method != "HEAD";
  if (!write || auth_enabled || is_loopback_listen(listen)) return std::nullopt;
  return error_reply(403, "writes need basic auth (basic_auth_file) when serve listens beyond loopback");
}

HttpReply handle_alertmanager_api(const HttpRequestInfo& req, ApiContext& ctx) {
  const std::string& p = req.path;
  const Query& q = req.args;
  auto method_not_allowed = [] { return error_reply(405, "method not allowed"); };
  if (p == "/api/v2/status") return req.method == "GET" ? get_status(ctx) : method_not_allowed();
  if (p == "/api/v2/receivers") return req.method == "GET" ? get_receivers(ctx) : method_not_allowed();
  if (p == "/api/v2/alerts") return req.method == "GET" ? get_alerts(q, ctx) : method_not_allowed();
  if (p == "/api/v2/silences") {
    if (req.method == "GET") return get_silences(q, ctx);
    if (req.method == "POST") return post_silence(req.body, ctx);
    return method_not_allowed();
  }
  const std::string prefix = "/api/v2/silence/";
  if (p.rfind(prefix, 0) == 0 && p.size() > prefix.size()) {
    std::string id = p.substr(prefix.size());
    auto now = std::chrono::system_clock::now();
    if (req.method == "GET") {
      auto s = ctx.silences.get(id);
      return s ? json_reply(200, s->to_json(now)) : error_reply(404, "silence " + id + " not found");
    }
    if (req.method == "DELETE") {
      std::string error;
      auto r = ctx.silences.expire(id, now, error);
      return r == SilenceStore::Result::Ok ? HttpReply{200, "application/json", ""} : error_reply(status_of(r), error);
    }
    return method_not_allowed();
  }
  return error_reply(404, "not found: " + p);
}

}  // namespace pgw
