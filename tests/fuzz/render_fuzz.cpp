// Arbitrary bytes as label names and values, annotation text and template
// input, rendered through everything pgwarden writes for others: the
// /metrics text, the /alerts JSON, every receiver payload. Each output must
// be valid UTF-8, and parse (JSON, or the exposition format checked by
// exposition_validate.h). A failure aborts: libFuzzer reports the input.
#include <fuzzer/FuzzedDataProvider.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "alerts/payload.h"
#include "alerts/template.h"
#include "core/json_text.h"
#include "core/utf8.h"
#include "exporter/alerts_json.h"
#include "exporter/metrics_render.h"
#include "tests/fuzz/exposition_validate.h"

namespace {

void require(bool ok, const char* what, const std::string& detail = "") {
  if (ok) return;
  std::fprintf(stderr, "render_fuzz: %s %s\n", what, detail.substr(0, 2000).c_str());
  std::abort();
}

void require_json(const std::string& text, const char* what) {
  require(pgw::is_valid_utf8(text), what, "is not valid UTF-8");
  require(!nlohmann::json::parse(text, nullptr, false).is_discarded(), what, "does not parse as JSON");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  pgw::Labels raw;
  int n = in.ConsumeIntegralInRange(0, 4);
  for (int i = 0; i < n; ++i) {
    std::string k = in.ConsumeRandomLengthString(32), v = in.ConsumeRandomLengthString(128);
    raw.emplace_back(std::move(k), std::move(v));
  }
  std::string metric = in.ConsumeRandomLengthString(32);
  std::string summary = in.ConsumeRandomLengthString(256);
  std::string tmpl = in.ConsumeRandomLengthString(256);
  double value = in.ConsumeFloatingPoint<double>();

  // Templates render label values from outside.
  pgw::Labels labels = raw;
  labels.emplace_back("alertname", "Fuzz");
  labels.emplace_back("severity", "critical");
  labels.emplace_back("cluster", "aya");
  pgw::normalize(labels);
  try {
    std::string out = pgw::Template::parse(tmpl).render(labels, value);
    require(pgw::is_valid_utf8(out), "template output", out);
  } catch (const pgw::TemplateError&) {
  }

  // /metrics: a sample as a check could emit it, with raw names and values.
  std::vector<pgw::Sample> samples = {{metric.empty() ? "pgwarden_fuzz" : metric, raw, value},
                                      {"pgwarden_alerts", labels, 1},
                                      {"pgwarden_fuzz", {{"v", summary}}, -value}};
  std::string text = pgw::render_text(samples);
  std::string why = pgw::fuzz::validate_exposition(text);
  require(why.empty(), "/metrics text", why + "\n" + text);

  // /alerts and receiver payloads, with raw (unrepaired) bytes too: the
  // JSON writer must not throw on them.
  for (const pgw::Labels* ls : {&labels, &raw}) {
    pgw::Alert a;
    a.labels = *ls;
    a.annotations = {{"summary", summary}, {in.ConsumeRandomLengthString(16), tmpl}};
    a.state = in.ConsumeBool() ? pgw::AlertState::Firing : pgw::AlertState::Inactive;
    a.value = value;
    a.active_at = pgw::TimePoint(std::chrono::seconds(1700000000));
    a.fired_at = a.active_at + std::chrono::seconds(60);
    if (a.state == pgw::AlertState::Inactive) a.resolved_at = a.fired_at + std::chrono::seconds(60);
    require_json(pgw::json_text(pgw::alerts_to_json({a}), 2), "/alerts");

    pgw::Notification note;
    note.receiver = "ops";
    note.group_key = "ops:{alertname=\"Fuzz\"}";
    note.group_labels = {{"alertname", a.name()}};
    note.alerts = {a};
    note.now = a.fired_at + std::chrono::seconds(120);
    for (const char* type : {"webhook", "slack", "discord", "pagerduty", "alertmanager"}) {
      const pgw::PayloadType* p = pgw::find_payload_type(type);
      require(p != nullptr, "payload type missing", type);
      pgw::ReceiverConfig rc;
      rc.name = "ops";
      rc.type = type;
      rc.routing_key = "R0UT1NG";
      std::string body = p->render(rc, note);
      require_json(body, type);
      if (p->prepare_send) require_json(p->prepare_send(rc, body), type);
    }
  }
  return 0;
}
