#include "exporter/cmd_serve.h"

#include <pthread.h>
#include <signal.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <shared_mutex>
#include <thread>

#include <spdlog/spdlog.h>

#include "alerts/notifier.h"
#include "alerts/rule_engine.h"
#include "alerts/suppression.h"
#include "exporter/alertmanager_api.h"
#include "exporter/alerts_json.h"
#include "core/durable_file.h"
#include "exporter/build_info.h"
#include "exporter/config_loader.h"
#include "exporter/http_server.h"
#include "exporter/logging.h"
#include "exporter/metrics_render.h"
#include "exporter/scheduler.h"
#include "exporter/status_page.h"

namespace pgw {
namespace {

// Everything that belongs to one loaded configuration.
struct Runtime {
  std::shared_ptr<const Config> config;
  std::unique_ptr<RuleEngine> rules;
  std::unique_ptr<SilenceStore> silences;
  std::unique_ptr<Suppressor> suppressor;  // inhibition + silences, before notifying
  std::unique_ptr<Notifier> notifier;
  std::unique_ptr<Scheduler> scheduler;
  std::string last_saved_state;
  std::string last_saved_significant;  // last_saved_state without lastEval/value
  std::chrono::steady_clock::time_point last_saved_at{};
};

std::string alert_state_path(const Config& c) { return c.exporter.state_dir + "/alerts.json"; }

class Service : public HttpBackend {
 public:
  explicit Service(ServeOptions options) : options_(std::move(options)) {}

  int run() {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGHUP);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    // Blocked before any thread starts, so every thread inherits the mask
    // and only sigwait() below sees these signals.
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    signal(SIGPIPE, SIG_IGN);

    auto loaded = load_config(options_.config_path);
    if (!loaded.config) {
      for (const auto& e : loaded.errors) spdlog::error("{}", e.str());
      return 2;
    }
    auto config = std::make_shared<const Config>(std::move(*loaded.config));
    setup_logging(config->exporter.log_level);
    std::string listen = options_.listen_override.empty() ? config->exporter.listen
                                                          : options_.listen_override;
    start_runtime(config, restore_alert_state(*config));

    try {
      http_ = std::make_unique<HttpServer>(listen, *this, basic_auth(*config));
    } catch (const std::exception& e) {
      spdlog::error("{}", e.what());
      stop_runtime();
      return 1;
    }
    spdlog::info("pgwarden {} listening on {} ({} cluster(s))", version_string(), listen,
                 config->clusters.size());

    for (;;) {
      int sig = 0;
      if (sigwait(&signals, &sig) != 0) continue;
      if (sig == SIGHUP) {
        reload();
        continue;
      }
      spdlog::info("received {}, shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
      break;
    }
    http_.reset();
    stop_runtime();
    return 0;
  }

  HttpReply metrics() override {
    std::shared_lock lock(mu_);
    std::vector<const SampleSource*> sources = {&store_, &build_info_};
    if (rt_) sources.insert(sources.end(), {rt_->rules.get(), rt_->notifier.get(), rt_->silences.get()});
    return {200, "text/plain; version=0.0.4; charset=utf-8", render_sources(sources)};
  }

  HttpReply healthz() override { return {200, "text/plain; charset=utf-8", "ok\n"}; }

  HttpReply alerts() override {
    std::shared_lock lock(mu_);
    nlohmann::json j = {{"alerts", rt_ ? alerts_to_json(suppressed_active(*rt_)) : nlohmann::json::array()}};
    return {200, "application/json", j.dump(2) + "\n"};
  }

  HttpReply status() override {
    std::shared_lock lock(mu_);
    if (!rt_) return {503, "text/plain; charset=utf-8", "starting\n"};
    std::vector<Sample> samples;
    store_.append_samples(samples);
    return {200, "text/html; charset=utf-8",
            render_status_page(*rt_->config, samples, store_.results(), suppressed_active(*rt_),
                               rt_->silences->list())};
  }

  HttpReply api(const HttpRequestData& request) override {
    std::shared_lock lock(mu_);
    if (!rt_) return {503, "application/json", "\"starting\"\n"};
    Runtime& rt = *rt_;
    ApiContext ctx{*rt.config, *rt.silences,
                   [&rt] { return rt.suppressor->apply(rt.rules->alerts(), std::chrono::system_clock::now()); },
                   started_};
    return handle_alertmanager_api(request, ctx);
  }

 private:
  static std::vector<Alert> suppressed_active(Runtime& rt) {
    return rt.suppressor->apply(rt.rules->active_alerts(), std::chrono::system_clock::now());
  }

  // Reads the alert state saved by a previous run, if any.
  nlohmann::json restore_alert_state(const Config& config) {
    std::string text;
    if (!read_file(alert_state_path(config), text)) return nullptr;
    try {
      return nlohmann::json::parse(text);
    } catch (const std::exception&) {
      spdlog::warn("ignoring unreadable alert state {}", alert_state_path(config));
      return nullptr;
    }
  }

  void start_runtime(std::shared_ptr<const Config> config, const nlohmann::json& alert_state) {
    std::error_code ec;
    std::filesystem::create_directories(config->exporter.state_dir, ec);
    if (ec)
      spdlog::warn("state_dir {} cannot be created ({}): alert state and the outbox stay in memory",
                   config->exporter.state_dir, ec.message());
    auto rt = std::make_unique<Runtime>();
    rt->config = config;
    rt->rules = std::make_unique<RuleEngine>(*config);
    if (!alert_state.is_null()) rt->rules->restore_state(alert_state);
    rt->silences = std::make_unique<SilenceStore>(silences_path(*config));
    if (!rt->silences->load_error().empty()) spdlog::error("{}", rt->silences->load_error());
    rt->suppressor = std::make_unique<Suppressor>(*config, rt->silences.get());
    rt->notifier = std::make_unique<Notifier>(*config, config->exporter.state_dir);
    rt->scheduler = std::make_unique<Scheduler>(*config, store_);
    store_.retain(rt->scheduler->keys());
    Runtime* raw = rt.get();
    {
      std::unique_lock lock(mu_);
      rt_ = std::move(rt);
    }
    raw->scheduler->start([this, raw] { on_round(*raw); });
    stop_delivery_ = false;
    delivery_ = std::thread([this] { delivery_loop(); });
  }

  // Stops checks and delivery; tries to deliver what is pending for a few
  // seconds; saves alert state.
  void stop_runtime() {
    if (!rt_) return;
    rt_->scheduler->stop();
    {
      std::lock_guard lock(delivery_mu_);
      stop_delivery_ = true;
    }
    delivery_cv_.notify_all();
    if (delivery_.joinable()) delivery_.join();
    rt_->notifier->deliver(Deadline::in(std::chrono::seconds(5)));
    save_alert_state(*rt_, /*force=*/true);
    std::unique_lock lock(mu_);
    rt_.reset();
  }

  void reload() {
    spdlog::info("SIGHUP: reloading {}", options_.config_path.empty() ? "(environment)" : options_.config_path);
    auto loaded = load_config(options_.config_path);
    if (!loaded.config) {
      for (const auto& e : loaded.errors) spdlog::error("reload rejected: {}", e.str());
      spdlog::error("keeping the running configuration");
      return;
    }
    auto config = std::make_shared<const Config>(std::move(*loaded.config));
    nlohmann::json state = rt_ ? rt_->rules->save_state() : nlohmann::json();
    stop_runtime();
    setup_logging(config->exporter.log_level);
    if (http_) http_->set_auth(basic_auth(*config));
    start_runtime(config, state);
    spdlog::info("configuration reloaded ({} cluster(s))", config->clusters.size());
  }

  // After each round: evaluate rules on everything measured, queue
  // notifications, persist alert state, wake delivery.
  void on_round(Runtime& rt) {
    std::vector<Sample> samples;
    store_.append_samples(samples);
    build_info_.append_samples(samples);
    rt.notifier->append_samples(samples);
    auto now = std::chrono::system_clock::now();
    rt.rules->evaluate(samples, now);
    rt.notifier->update(rt.suppressor->apply(rt.rules->alerts(), now), now);
    save_alert_state(rt);
    {
      std::lock_guard lock(delivery_mu_);
      delivery_wake_ = true;
    }
    delivery_cv_.notify_all();
  }

  // Every instance's lastEval (and often its value) changes on every round;
  // rewriting and fsyncing the file for those alone was a quarter of
  // pgwarden's CPU at a short interval (bench/compare). So a change of only
  // those is written at most every kStateRefresh; any other change (a state,
  // a timer, labels, an alert appearing or going) is written at once, and
  // `force` (shutdown) always writes.
  static constexpr auto kStateRefresh = std::chrono::seconds(30);

  static std::string significant_state(nlohmann::json state) {
    for (auto& rule : state["rules"])
      for (auto& inst : rule["instances"]) {
        inst.erase("lastEval");
        inst.erase("value");
      }
    return state.dump();
  }

  void save_alert_state(Runtime& rt, bool force = false) {
    nlohmann::json state = rt.rules->save_state();
    std::string text = state.dump();
    if (text == rt.last_saved_state) return;
    std::string significant = significant_state(std::move(state));
    auto now = std::chrono::steady_clock::now();
    if (!force && significant == rt.last_saved_significant && now - rt.last_saved_at < kStateRefresh) return;
    std::string err = write_file_atomically(alert_state_path(*rt.config), text, 0600);
    if (!err.empty()) {
      // Logged once per distinct failure to avoid flooding.
      if (err != last_state_error_) spdlog::warn("cannot save alert state: {}", err);
      last_state_error_ = err;
      return;
    }
    last_state_error_.clear();
    rt.last_saved_state = std::move(text);
    rt.last_saved_significant = std::move(significant);
    rt.last_saved_at = now;
  }

  void delivery_loop() {
    std::unique_lock lock(delivery_mu_);
    while (!stop_delivery_) {
      delivery_wake_ = false;
      lock.unlock();
      {
        std::shared_lock rlock(mu_);
        if (rt_) rt_->notifier->deliver(Deadline::in(std::chrono::seconds(2)));
      }
      lock.lock();
      delivery_cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_delivery_ || delivery_wake_; });
    }
  }

  // The loader has validated the credentials already.
  static BasicAuth basic_auth(const Config& c) {
    BasicAuth auth;
    if (!c.exporter.basic_auth.empty()) BasicAuth::parse(c.exporter.basic_auth, auth);
    return auth;
  }

  ServeOptions options_;
  TimePoint started_ = std::chrono::system_clock::now();
  std::unique_ptr<HttpServer> http_;
  SnapshotStore store_;
  BuildInfoSource build_info_;
  std::shared_mutex mu_;  // guards rt_ (swapped on reload)
  std::unique_ptr<Runtime> rt_;
  std::string last_state_error_;

  std::thread delivery_;
  std::mutex delivery_mu_;
  std::condition_variable delivery_cv_;
  bool stop_delivery_ = false;
  bool delivery_wake_ = false;
};

}  // namespace

int run_serve(const ServeOptions& options) {
  Service service(options);
  return service.run();
}

}  // namespace pgw
