// "embedder" node check: the HTTP embedding service next to each node.
//
// What fails the check and what is a measurement: everything the service
// does wrong is a measurement, so an embedder that is down, slow, answers
// 503, sends garbage, a wrong-sized or non-finite vector or a huge body still
// exports pgwarden_embedder_up 0 / pgwarden_embedder_probe_ok 0 with
// check_success 1 — that is what EmbedderDown and EmbedderDimensionMismatch
// alert on. A check failure would drop those samples and leave only
// CheckFailing. The check itself fails only when no request could be made at
// all (the round's deadline had already passed).
//
// Budget: embedder.timeout bounds the whole check (all three requests), and
// the round's deadline bounds it further. When /health gets no HTTP answer at
// all (refused, timeout) the probe and /stats are skipped: the service is
// down and waiting for two more timeouts would only delay the round.
#include <algorithm>
#include <stdexcept>

#include "checks/check.h"
#include "checks/embedder_response.h"
#include "core/http_client.h"
#include "core/metric_catalog.h"

namespace pgw {
namespace {

constexpr size_t kHealthMaxBytes = 64 * 1024;
constexpr size_t kStatsMaxBytes = 64 * 1024;
// 768 floats are ~15 KB of JSON; 1 MiB leaves room for 4096-d vectors.
constexpr size_t kEmbedMaxBytes = 1 << 20;

std::string join_url(const std::string& base, const char* path) {
  std::string u = base;
  while (!u.empty() && u.back() == '/') u.pop_back();
  return u + path;
}

class EmbedderCheck : public Check {
 public:
  bool applies_to(const NodeConfig& node) const override { return node.embedder.has_value(); }
  bool uses_postgres() const override { return false; }

  void collect(CheckContext& ctx, SampleSink& out) override {
    if (!ctx.node || !ctx.node->embedder) return;
    const EmbedderConfig& cfg = *ctx.node->embedder;
    Deadline budget = Deadline::in(cfg.timeout).earlier(ctx.deadline);
    if (budget.expired()) throw std::runtime_error("embedder: no time left in this round's deadline");

    HttpRequest health_req;
    health_req.url = join_url(cfg.url, "/health");
    health_req.max_response_bytes = kHealthMaxBytes;
    Sent health = send(health_req, budget);
    bool up = health.ok() && parse_embedder_health(health.body).healthy();
    out.add("pgwarden_embedder_up", {}, up ? 1 : 0);
    out.add("pgwarden_embedder_health_duration_seconds", {}, health.seconds);
    if (health.status == 0) {  // no HTTP answer: down
      out.add("pgwarden_embedder_probe_ok", {}, 0);
      return;
    }

    probe(cfg, budget, out);

    HttpRequest stats_req;
    stats_req.url = join_url(cfg.url, "/stats");
    stats_req.max_response_bytes = kStatsMaxBytes;
    Sent stats = send(stats_req, budget);
    if (stats.ok()) {
      auto parsed = parse_embedder_stats(stats.body);
      if (parsed.cache_size) out.add("pgwarden_embedder_cache_entries", {}, *parsed.cache_size);
    }
  }

 private:
  void probe(const EmbedderConfig& cfg, Deadline budget, SampleSink& out) {
    HttpRequest req;
    req.method = "POST";
    req.url = join_url(cfg.url, "/embed");
    req.headers = {{"Content-Type", "application/json"}};
    req.body = embed_request_body(cfg.probe_text);
    req.max_response_bytes = kEmbedMaxBytes;
    Sent resp = send(req, budget);
    bool ok = false;
    if (!resp.skipped) out.add("pgwarden_embedder_probe_duration_seconds", {}, resp.seconds);
    if (resp.ok()) {
      EmbedResult r = parse_embed_response(resp.body);
      if (r.error.empty()) {
        out.add("pgwarden_embedder_probe_dimension", {}, static_cast<double>(r.dimension));
        bool right_size = cfg.dimension > 0 ? r.dimension == static_cast<size_t>(cfg.dimension)
                                            : r.dimension > 0;
        ok = right_size && r.all_finite;
      }
    }
    out.add("pgwarden_embedder_probe_ok", {}, ok ? 1 : 0);
  }

  // Sends with whatever is left of the budget; never with a zero timeout,
  // which libcurl would take as "no timeout".
  struct Sent : HttpResponse {
    bool skipped = false;  // the budget was spent before the request
  };
  static Sent send(HttpRequest req, Deadline budget) {
    Sent r;
    if (budget.expired()) {
      r.error = "deadline exceeded";
      r.skipped = true;
      return r;
    }
    req.timeout = Duration(std::max(1, budget.remaining_ms()));
    static_cast<HttpResponse&>(r) = http_request(req);
    return r;
  }
};

}  // namespace

PGW_DESCRIBE_METRICS({
    {"pgwarden_embedder_up", MetricType::Gauge,
     "1 when the embedding service's /health answered healthy."},
    {"pgwarden_embedder_health_duration_seconds", MetricType::Gauge,
     "Duration of the /health request."},
    {"pgwarden_embedder_probe_ok", MetricType::Gauge,
     "1 when an /embed probe returned a valid vector of the expected dimension."},
    {"pgwarden_embedder_probe_dimension", MetricType::Gauge,
     "Length of the vector returned by the /embed probe."},
    {"pgwarden_embedder_probe_duration_seconds", MetricType::Gauge,
     "Duration of the /embed probe."},
    {"pgwarden_embedder_cache_entries", MetricType::Gauge,
     "Entries in the embedding service's cache (from /stats)."},
});

PGW_REGISTER_CHECK("embedder", EmbedderCheck);

}  // namespace pgw
