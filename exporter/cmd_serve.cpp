#include "exporter/cmd_serve.h"
#include "core/internal_errors.h"
#include "core/json_text.h"

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <shared_mutex>
#include <thread>

#include <spdlog/spdlog.h>

#include "alerts/notifier.h"
#include "alerts/rule_engine.h"
#include "alerts/rule_history_file.h"
#include "alerts/suppression.h"
#include "exporter/alertmanager_api.h"
#include "core/durable_file.h"
#include "exporter/alert_round.h"
#include "exporter/alerts_json.h"
#include "exporter/build_info.h"
#include "exporter/config_loader.h"
#include "exporter/http_server.h"
#include "exporter/logging.h"
#include "exporter/metrics_render.h"
#include "exporter/round_watch.h"
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
  std::unique_ptr<AlertStateFile> state_file;
  std::unique_ptr<RuleHistoryFile> history_file;  // what range selectors need, across restarts
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
    listen_ = listen;
    start_runtime(config, AlertStateFile(alert_state_path(*config)).load());

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
    std::vector<const SampleSource*> others = {&build_info_, &internal_errors_};
    if (rt_) others.insert(others.end(), {rt_->rules.get(), rt_->notifier.get(), rt_->silences.get()});
    std::shared_ptr<Exposition> body = expose_metrics(store_, others);
    HttpReply reply{200, "text/plain; version=0.0.4; charset=utf-8"};
    // A body that fits in 256 kB goes out whole, with its length; a larger
    // one (hundreds of nodes) is sent while it is written, 256 kB at a time,
    // instead of being held whole (7.7 MB at 1,000 nodes).
    constexpr size_t kWhole = 256 * 1024, kPart = 256 * 1024;
    // Sized from the last body: not grown (and copied) on the way.
    size_t last = last_body_size_;
    reply.body.reserve(std::min(last + last / 8, kWhole + kWhole / 8));
    bool larger = body->write(reply.body, kWhole) && body->write(reply.body, 1);
    last_body_size_ = reply.body.size();
    if (larger) reply.stream = [body](std::string& out) { return body->write(out, kPart); };
    return reply;
  }

  // 503 when no round has completed for three intervals (a hung scheduler),
  // so a supervisor can restart the process. The interval here is the
  // longest of the check interval and the check deadlines.
  HttpReply healthz() override {
    if (!rounds_.healthy())
      return {503, "text/plain; charset=utf-8", "no round completed for three intervals\n"};
    return {200, "text/plain; charset=utf-8", "ok\n"};
  }

  HttpReply alerts() override {
    std::shared_lock lock(mu_);
    nlohmann::json j = {{"alerts", rt_ ? alerts_to_json(suppressed_active(*rt_)) : nlohmann::json::array()}};
    return {200, "application/json", json_text(j, 2) + "\n"};
  }

  HttpReply status() override {
    std::shared_lock lock(mu_);
    if (!rt_) return {503, "text/plain; charset=utf-8", "starting\n"};
    return {200, "text/html; charset=utf-8",
            render_status_page(*rt_->config, store_.results(), suppressed_active(*rt_), rt_->silences->list(),
                               rt_->rules->display_history().get())};
  }

  // The Alertmanager API v2 subset (amtool).
  HttpReply handle(const HttpRequestInfo& request) override {
    std::shared_lock lock(mu_);
    if (!rt_) return {503, "application/json", "\"starting\"\n"};
    Runtime& rt = *rt_;
    if (auto refused = refuse_unauthenticated_write(request, listen_, !rt.config->exporter.basic_auth.empty()))
      return *refused;
    ApiContext ctx{*rt.config, *rt.silences,
                   [&rt] { return rt.suppressor->apply(rt.rules->alerts(), std::chrono::system_clock::now()); },
                   started_};
    return handle_alertmanager_api(request, ctx);
  }

  static std::vector<Alert> suppressed_active(Runtime& rt) {
    return rt.suppressor->apply(rt.rules->active_alerts(), std::chrono::system_clock::now());
  }

 private:
  void start_runtime(std::shared_ptr<const Config> config, const nlohmann::json& alert_state) {
    std::error_code ec;
    std::filesystem::create_directories(config->exporter.state_dir, ec);
    if (int n = remove_temporary_files(config->exporter.state_dir))
      spdlog::info("removed {} temporary file(s) a crash left in {}", n, config->exporter.state_dir);
    if (ec)
      spdlog::warn("state_dir {} cannot be created ({}): alert state and the outbox stay in memory",
                   config->exporter.state_dir, ec.message());
    auto rt = std::make_unique<Runtime>();
    rt->config = config;
    rt->rules = std::make_unique<RuleEngine>(*config);
    const auto& lag_graphs = status_page_history_needs();  // before the saved history is restored
    rt->rules->keep_for_display(lag_graphs.selectors, lag_graphs.resolution_ms);
    restore_alert_state(*rt->rules, alert_state);
    rt->silences = std::make_unique<SilenceStore>(silences_path(*config));
    if (!rt->silences->load_error().empty()) spdlog::error("{}", rt->silences->load_error());
    rt->suppressor = std::make_unique<Suppressor>(*config, rt->silences.get());
    rt->state_file = std::make_unique<AlertStateFile>(alert_state_path(*config));
    rt->history_file = std::make_unique<RuleHistoryFile>(config->exporter.state_dir + "/rule_history.json");
    rt->history_file->load_into(*rt->rules);
    rt->notifier = std::make_unique<Notifier>(*config, config->exporter.state_dir);
    rt->scheduler = std::make_unique<Scheduler>(*config, store_);
    store_.retain(rt->scheduler->keys());
    Runtime* raw = rt.get();
    {
      std::unique_lock lock(mu_);
      rt_ = std::move(rt);
    }
    // A round can rightly last as long as a check's deadline (a node that
    // does not answer): "three intervals" counts the longer of the two.
    Duration longest = std::max(config->exporter.interval, config->exporter.timeout);
    for (const auto& [name, c] : config->checks) {
      if (c.timeout) longest = std::max(longest, *c.timeout);
    }
    rounds_.start(longest);  // a fresh runtime gets three periods for its first round
    raw->scheduler->start([this, raw] { on_round(*raw); });
    stop_delivery_ = false;
    delivery_ = std::thread([this] { delivery_loop(); });
  }

  // Stops checks and delivery; tries to deliver what is pending for a few
  // seconds; saves alert state.
  // `handover` receives what only memory holds (a reload keeps it).
  void stop_runtime(NotifierHandover* handover = nullptr) {
    if (!rt_) return;
    rt_->scheduler->stop();
    {
      std::lock_guard lock(delivery_mu_);
      stop_delivery_ = true;
    }
    delivery_cv_.notify_all();
    if (delivery_.joinable()) delivery_.join();
    rt_->notifier->deliver(Deadline::in(std::chrono::seconds(5)));
    if (handover) *handover = rt_->notifier->handover();
    rt_->state_file->save(*rt_->rules, /*force=*/true);
    rt_->history_file->save_from(*rt_->rules, /*force=*/true);
    std::unique_lock lock(mu_);
    rt_.reset();
  }

  // A reload that fails unexpectedly keeps (or restarts) the running one.
  void reload() {
    std::shared_ptr<const Config> running = rt_ ? rt_->config : nullptr;
    nlohmann::json state = rt_ ? rt_->rules->save_state() : nlohmann::json();
    try {
      reload_config();
    } catch (const std::exception& e) {
      report_internal_error("reload", e.what());
      if (!rt_ && running) start_runtime(running, state);
    }
  }

  void reload_config() {
    spdlog::info("SIGHUP: reloading {}", options_.config_path.empty() ? "(environment)" : options_.config_path);
    auto loaded = load_config(options_.config_path);
    if (!loaded.config) {
      for (const auto& e : loaded.errors) spdlog::error("reload rejected: {}", e.str());
      spdlog::error("keeping the running configuration");
      return;
    }
    auto config = std::make_shared<const Config>(std::move(*loaded.config));
    nlohmann::json state = rt_ ? rt_->rules->save_state() : nlohmann::json();
    NotifierHandover handover;
    stop_runtime(&handover);
    setup_logging(config->exporter.log_level);
    if (http_) http_->set_auth(basic_auth(*config));
    start_runtime(config, state);
    rt_->notifier->adopt(std::move(handover));
    spdlog::info("configuration reloaded ({} cluster(s))", config->clusters.size());
  }

  // After each round: evaluate rules on everything measured, queue
  // notifications, persist alert state, wake delivery.
  void on_round(Runtime& rt) {
    run_alert_round({&store_, &build_info_}, *rt.rules, rt.notifier.get(), std::chrono::system_clock::now(),
                    rt.suppressor.get());
    rt.state_file->save(*rt.rules, /*force=*/false);
    rt.history_file->save_from(*rt.rules);
    rounds_.completed();
    {
      std::lock_guard lock(delivery_mu_);
      delivery_wake_ = true;
    }
    delivery_cv_.notify_all();
  }

  void delivery_loop() {
    std::unique_lock lock(delivery_mu_);
    while (!stop_delivery_) {
      delivery_wake_ = false;
      lock.unlock();
      {
        std::shared_lock rlock(mu_);
        try {
          if (rt_) rt_->notifier->deliver(Deadline::in(std::chrono::seconds(2)));
        } catch (const std::exception& e) {
          report_internal_error("delivery", e.what());
        }
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
  std::string listen_;
  TimePoint started_ = std::chrono::system_clock::now();
  InternalErrorSource internal_errors_;
  RoundWatch rounds_;
  std::unique_ptr<HttpServer> http_;
  SnapshotStore store_;
  BuildInfoSource build_info_;
  std::atomic<size_t> last_body_size_{0};  // of /metrics: a sizing hint
  std::shared_mutex mu_;  // guards rt_ (swapped on reload)
  std::unique_ptr<Runtime> rt_;

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
