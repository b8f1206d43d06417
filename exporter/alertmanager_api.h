// The subset of Alertmanager's API v2 that amtool uses, answered by `serve`:
//   GET    /api/v2/status            (amtool asks it first)
//   GET    /api/v2/alerts            (?active, silenced, inhibited, filter, receiver)
//   GET    /api/v2/receivers
//   GET    /api/v2/silences          (?filter)
//   POST   /api/v2/silences          (create or update; 400 with a reason)
//   GET    /api/v2/silence/{id}
//   DELETE /api/v2/silence/{id}      (expire)
// Plain functions: a request in, a reply out, so any HTTP server can carry
// them. Who may write is the server's business (exporter/http_server.h).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "alerts/alert.h"
#include "alerts/silence.h"
#include "core/config.h"
#include "exporter/http_server.h"

namespace pgw {

struct ApiContext {
  const Config& config;
  SilenceStore& silences;
  // Current alerts with inhibition and silences applied (only called by
  // the endpoints that need them).
  std::function<std::vector<Alert>()> alerts;
  TimePoint started{};  // process start, for /status uptime
};

// Answers paths under /api/v2/; 404 for anything else.
HttpReply handle_alertmanager_api(const HttpRequestInfo& request, ApiContext& context);

// Writes (POST, DELETE) need basic auth unless serve listens on loopback
// (127.0.0.0/8, ::1, localhost: only local users can reach it). The reply
// to send instead of handling `request`, if it is refused.
std::optional<HttpReply> refuse_unauthenticated_write(const HttpRequestInfo& request, const std::string& listen,
                                                      bool auth_enabled);
bool is_loopback_listen(const std::string& listen);

// Decodes one application/x-www-form-urlencoded component ("%20", "+").
std::string url_decode(const std::string& text);

}  // namespace pgw
