// The fuzz target `render`'s property as a seeded randomized unit test (it
// runs in every build, not only the clang one): arbitrary bytes as label
// names and values, annotation and template text go through the /metrics
// text, the /alerts JSON and every receiver payload; each output is valid
// UTF-8 and parses.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include <nlohmann/json.hpp>

#include "alerts/payload.h"
#include "alerts/template.h"
#include "core/json_text.h"
#include "core/utf8.h"
#include "exporter/alerts_json.h"
#include "exporter/metrics_render.h"
#include "tests/fuzz/exposition_validate.h"

namespace pgw {
namespace {

TEST(HostileRender, EveryOutputIsValidUtf8AndParses) {
  std::mt19937 rng(2026);
  auto bytes = [&](size_t max) {
    std::string s(rng() % (max + 1), '\0');
    for (auto& c : s) c = static_cast<char>(rng() % 3 == 0 ? "\"\\\n{}=,$|.\xff\xc3\xe2\x82"[rng() % 14] : rng() % 256);
    return s;
  };
  for (int round = 0; round < 500; ++round) {
    Labels raw;
    for (int k = rng() % 4; k > 0; --k) raw.emplace_back(bytes(12), bytes(60));
    std::string summary = bytes(120);
    std::string tmpl = rng() % 2 ? "{{ $labels." + bytes(6) + " }}" + bytes(20) : "{{ " + bytes(20) + " }}";
    double value = std::ldexp(static_cast<double>(rng()), static_cast<int>(rng() % 200) - 100);

    Labels labels = raw;
    labels.emplace_back("alertname", "Fuzz");
    labels.emplace_back("severity", "critical");
    normalize(labels);
    try {
      std::string out = Template::parse(tmpl).render(labels, value);
      ASSERT_TRUE(is_valid_utf8(out)) << tmpl;
    } catch (const TemplateError&) {
    }

    std::string text = render_text({{bytes(16), raw, value}, {"pgwarden_alerts", labels, 1}, {"pgwarden_x", {{"v", summary}}, -value}});
    std::string why = fuzz::validate_exposition(text);
    ASSERT_TRUE(why.empty()) << why << "\n" << text;

    for (const Labels* ls : {&labels, &raw}) {
      Alert a;
      a.labels = *ls;
      a.annotations = {{"summary", summary}, {bytes(8), tmpl}};
      a.state = rng() % 2 ? AlertState::Firing : AlertState::Inactive;
      a.value = value;
      a.active_at = TimePoint(std::chrono::seconds(1700000000));
      a.fired_at = a.active_at + std::chrono::seconds(60);
      if (a.state == AlertState::Inactive) a.resolved_at = a.fired_at + std::chrono::seconds(60);
      std::string alerts = json_text(alerts_to_json({a}), 2);
      ASSERT_TRUE(is_valid_utf8(alerts));
      ASSERT_FALSE(nlohmann::json::parse(alerts, nullptr, false).is_discarded()) << alerts;

      Notification n;
      n.receiver = "ops";
      n.group_key = "ops:{}";
      n.group_labels = {{"alertname", a.name()}};
      n.alerts = {a};
      n.now = a.fired_at + std::chrono::seconds(120);
      for (const char* type : {"webhook", "slack", "discord", "pagerduty", "alertmanager"}) {
        const PayloadType* p = find_payload_type(type);
        ASSERT_NE(p, nullptr) << type;
        ReceiverConfig rc;
        rc.name = "ops";
        rc.type = type;
        rc.routing_key = "R0UT1NG";
        std::string body = p->render(rc, n);
        ASSERT_TRUE(is_valid_utf8(body)) << type;
        ASSERT_FALSE(nlohmann::json::parse(body, nullptr, false).is_discarded()) << type << ": " << body;
      }
    }
  }
}

}  // namespace
}  // namespace pgw
