#include "exporter/pushgateway.h"

#include <algorithm>
#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include <curl/curl.h>
#include <prometheus/collectable.h>
#include <prometheus/gateway.h>
#include <prometheus/metric_family.h>

#include "core/metric_catalog.h"

namespace pgw {
namespace {

std::string base64url(const std::string& in) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    unsigned v = (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8 | (unsigned char)in[i + 2];
    out += {k[v >> 18 & 63], k[v >> 12 & 63], k[v >> 6 & 63], k[v & 63]};
  }
  if (i + 1 == in.size()) {
    unsigned v = (unsigned char)in[i] << 16;
    out += {k[v >> 18 & 63], k[v >> 12 & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    unsigned v = (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8;
    out += {k[v >> 18 & 63], k[v >> 12 & 63], k[v >> 6 & 63], '='};
  }
  return out;
}

// One group's samples as metric families (HELP and TYPE from the catalog).
class SampleCollectable : public prometheus::Collectable {
 public:
  explicit SampleCollectable(std::vector<Sample> samples) : samples_(std::move(samples)) {}

  std::vector<prometheus::MetricFamily> Collect() const override {
    // A repeated series keeps its last value (as /metrics does); the
    // Pushgateway rejects a push with duplicate series.
    std::map<std::string, std::map<Labels, double>> series;
    for (const auto& s : samples_) {
      Labels l = s.labels;
      normalize(l);
      series[s.name][l] = s.value;
    }
    std::vector<prometheus::MetricFamily> out;
    for (const auto& [name, by_labels] : series) {
      auto info = find_metric(name);
      prometheus::MetricFamily f;
      f.name = name;
      f.help = info ? info->help : "pgwarden metric " + name;
      bool counter = info && info->type == MetricType::Counter;
      f.type = counter ? prometheus::MetricType::Counter : prometheus::MetricType::Gauge;
      for (const auto& [labels, value] : by_labels) {
        prometheus::ClientMetric m;
        for (const auto& [k, v] : labels) m.label.push_back({k, v});
        if (counter) m.counter.value = value;
        else m.gauge.value = value;
        f.metric.push_back(std::move(m));
      }
      out.push_back(std::move(f));
    }
    return out;
  }

 private:
  std::vector<Sample> samples_;
};

struct Target {
  std::string host;      // scheme://host, as prometheus::Gateway wants it
  std::string port;      // port plus any path prefix ("9091/pushgw")
  std::string user, password;
  std::string shown;     // scheme://host:port/path, without credentials
  std::string error;
};

std::string url_part(CURLU* u, CURLUPart part, unsigned flags = 0) {
  char* p = nullptr;
  if (curl_url_get(u, part, &p, flags) != CURLUE_OK || !p) return "";
  std::string s = p;
  curl_free(p);
  return s;
}

Target parse_target(const std::string& url) {
  Target t;
  std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> u(curl_url(), curl_url_cleanup);
  if (!u || curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) {
    t.error = "--push: not a URL (expected http://host:port)";
    return t;
  }
  std::string scheme = url_part(u.get(), CURLUPART_SCHEME);
  if (scheme != "http" && scheme != "https") {
    t.error = "--push: expected an http:// or https:// URL";
    return t;
  }
  std::string host = url_part(u.get(), CURLUPART_HOST);
  std::string port = url_part(u.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
  std::string path = url_part(u.get(), CURLUPART_PATH);
  while (!path.empty() && path.back() == '/') path.pop_back();
  t.user = url_part(u.get(), CURLUPART_USER, CURLU_URLDECODE);
  t.password = url_part(u.get(), CURLUPART_PASSWORD, CURLU_URLDECODE);
  t.host = scheme + "://" + host;
  t.port = port + path;
  t.shown = t.host + ":" + t.port;
  return t;
}

std::string describe(int status) {
  if (status < 0) return std::string(curl_easy_strerror(static_cast<CURLcode>(-status)));
  return "HTTP " + std::to_string(status);
}

}  // namespace

std::string grouping_segment(const std::string& name, const std::string& value) {
  bool plain = !value.empty() && std::all_of(value.begin(), value.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '~';
  });
  if (plain) return "/" + name + "/" + value;
  return "/" + name + "@base64/" + (value.empty() ? "=" : base64url(value));
}

std::vector<std::string> push_to_gateway(const std::string& url, const std::vector<Sample>& samples,
                                         Duration timeout) {
  Target t = parse_target(url);
  if (!t.error.empty()) return {t.error};

  std::set<std::string> clusters;
  for (const auto& s : samples) {
    const auto& c = label_value(s.labels, "cluster");
    if (!c.empty()) clusters.insert(c);
  }
  if (clusters.empty()) clusters.insert("");

  std::vector<std::string> errors;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (const auto& cluster : clusters) {
    std::vector<Sample> group;
    for (const auto& s : samples) {
      const auto& c = label_value(s.labels, "cluster");
      if (c.empty() || c == cluster) group.push_back(s);
    }
    // Gateway appends "/name/value" for each grouping label verbatim, so an
    // encoded segment is passed as the job name's suffix.
    std::string job = "pgwarden" + (cluster.empty() ? "" : grouping_segment("cluster", cluster));
    auto collectable = std::make_shared<SampleCollectable>(std::move(group));
    auto gateway = std::make_shared<prometheus::Gateway>(t.host, t.port, job, prometheus::Labels{},
                                                         t.user, t.password);
    gateway->RegisterCollectable(collectable);
    // prometheus-cpp sets no timeout of its own: the push runs on a thread
    // that owns what it uses, and a gateway that hangs is abandoned.
    auto done = std::make_shared<std::promise<int>>();
    auto result = done->get_future();
    // prometheus-cpp 1.0's Push() sends POST (replaces only the pushed metric
    // names) and PushAdd() sends PUT (replaces the whole group), like the
    // Java client's historical naming; the group must be replaced, so PUT.
    std::thread([gateway, collectable, done] { done->set_value(gateway->PushAdd()); }).detach();
    std::string where = "pushgateway " + t.shown + " (cluster " + (cluster.empty() ? "-" : cluster) + ")";
    if (result.wait_until(deadline) != std::future_status::ready) {
      errors.push_back(where + ": no answer within " + format_duration(timeout));
      break;
    }
    int status = result.get();
    if (status < 200 || status >= 300) errors.push_back(where + ": push failed: " + describe(status));
  }
  return errors;
}

}  // namespace pgw
