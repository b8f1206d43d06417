// Alert delivery against a real HTTP server (WebhookSink): outages, crashes
// and restarts, retries, drops, signatures, deadlines, and secrets that must
// never leak into logs or metrics.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "alerts/hmac.h"
#include "alerts/notifier.h"
#include "tests/fixtures/test_util.h"
#include "tests/fixtures/transcript.h"
#include "tests/fixtures/webhook_sink.h"

namespace pgw {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test::WebhookSink;

const std::string kUrlToken = "T0KEN-9f8e7d6c5b4a";
const std::string kHmacSecret = "hmac-s3cr3t-0123456789";

// Captures everything spdlog writes during a test; restores the old logger.
class LogCapture {
 public:
  LogCapture() : previous_(spdlog::default_logger()) {
    auto logger = std::make_shared<spdlog::logger>(
        "capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(out_));
    logger->set_level(spdlog::level::trace);
    spdlog::set_default_logger(logger);
  }
  ~LogCapture() {
    spdlog::set_default_logger(previous_);
    test::record_transcript("log", text());
  }
  std::string text() const { return out_.str(); }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> previous_;
};

class NotifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    state_dir_ = test::make_temp_dir("pgw-notify");
    for (const auto& s : {kUrlToken, kHmacSecret}) test::record_secret(s);
    test::record_secret("PDKEY-55aa66bb", "webhook");  // PagerDuty's body carries it
  }
  void TearDown() override { test::remove_tree(state_dir_); }

  ReceiverConfig webhook(const std::string& name = "ops") {
    ReceiverConfig r;
    r.name = name;
    r.type = "webhook";
    r.url = sink_.url("/hook/" + kUrlToken);
    r.group_by = {"alertname", "cluster"};  // the timelines below group per alert
    r.group_wait = 0ms;
    r.group_interval = 1s;
    r.repeat_interval = 1h;
    r.timeout = 5s;
    return r;
  }
  Config config(std::vector<ReceiverConfig> receivers) {
    Config c;
    c.exporter.listen = "127.0.0.1:9847";
    c.receivers = std::move(receivers);
    return c;
  }
  static NotifierOptions fast() {
    NotifierOptions o;
    o.initial_backoff = 50ms;
    o.max_backoff = 200ms;
    return o;
  }
  static Alert firing(const std::string& name, const std::string& node = "alpha") {
    Alert a;
    a.labels = {{"alertname", name}, {"cluster", "aya"}, {"node", node}, {"severity", "critical"}};
    normalize(a.labels);
    a.annotations = {{"summary", name + " on " + node}};
    a.state = AlertState::Firing;
    a.active_at = std::chrono::system_clock::now() - 2min;
    a.fired_at = std::chrono::system_clock::now() - 1min;
    return a;
  }
  // Delivers until `done` holds, polling with a deadline.
  static bool deliver_until(Notifier& n, const std::function<bool()>& done,
                            std::chrono::milliseconds timeout = 10s) {
    return test::poll_until([&] {
      n.deliver(Deadline::in(1s));
      return done();
    }, timeout, 20ms);
  }
  static double metric(const Notifier& n, const std::string& name, const std::string& receiver,
                       const std::string& outcome = "") {
    std::vector<Sample> samples;
    n.append_samples(samples);
    for (const auto& s : samples)
      if (s.name == name && label_value(s.labels, "receiver") == receiver &&
          label_value(s.labels, "outcome") == outcome)
        return s.value;
    return -1;
  }
  size_t outbox_files(const std::string& receiver = "ops") const {
    fs::path dir = fs::path(state_dir_) / "outbox" / receiver;
    if (!fs::exists(dir)) return 0;
    size_t n = 0;
    for (const auto& de : fs::directory_iterator(dir)) n += de.path().extension() == ".json";
    return n;
  }
  static std::string group_key_of(const test::RecordedRequest& r) {
    return nlohmann::json::parse(r.body)["groupKey"].get<std::string>();
  }

  WebhookSink sink_;
  std::string state_dir_;
};

TEST_F(NotifyTest, ReceiverDownThenUpDeliversEveryNotificationExactlyOnceInOrder) {
  sink_.stop();
  Notifier n(config({webhook()}), state_dir_, fast());
  n.update({firing("A"), firing("B"), firing("C")}, std::chrono::system_clock::now());
  ASSERT_EQ(n.pending(), 3u);
  EXPECT_EQ(outbox_files(), 3u);  // on disk before any attempt

  // Down for a while: attempts fail and are retried.
  ASSERT_TRUE(test::poll_until([&] {
    n.deliver(Deadline::in(200ms));
    return metric(n, "pgwarden_notifications_total", "ops", "failure") >= 3;
  }, 10s, 20ms));
  EXPECT_EQ(n.pending(), 3u);
  EXPECT_EQ(metric(n, "pgwarden_outbox_pending", "ops"), 3);

  sink_.start();
  ASSERT_TRUE(deliver_until(n, [&] { return n.pending() == 0; }));
  n.deliver(Deadline::in(300ms));  // nothing more to send
  auto reqs = sink_.requests();
  ASSERT_EQ(reqs.size(), 3u);
  std::vector<std::string> keys;
  for (const auto& r : reqs) keys.push_back(group_key_of(r));
  // Each entry backs off on its own (so none blocks another): after an
  // outage the groups arrive in the order their retries come due.
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(keys, (std::vector<std::string>{"ops:{alertname=\"A\", cluster=\"aya\"}",
                                            "ops:{alertname=\"B\", cluster=\"aya\"}",
                                            "ops:{alertname=\"C\", cluster=\"aya\"}"}));
  EXPECT_EQ(reqs[0].path, "/hook/" + kUrlToken);
  EXPECT_EQ(reqs[0].header("content-type"), "application/json");
  EXPECT_EQ(metric(n, "pgwarden_notifications_total", "ops", "success"), 3);
  EXPECT_EQ(metric(n, "pgwarden_outbox_pending", "ops"), 0);
  EXPECT_EQ(outbox_files(), 0u);
}

TEST_F(NotifyTest, CrashBeforeDeliveryDeliversOnceAfterRestart) {
  auto alerts = std::vector<Alert>{firing("A"), firing("B")};
  {
    Notifier n(config({webhook()}), state_dir_, fast());
    n.update(alerts, std::chrono::system_clock::now());
    ASSERT_EQ(n.pending(), 2u);
  }  // destroyed without delivering: the process "crashed"
  EXPECT_EQ(sink_.count(), 0u);
  ASSERT_EQ(outbox_files(), 2u);
  // Even if the dedup state file was lost, the outbox says what was queued.
  fs::remove(fs::path(state_dir_) / "notify_state.json");
  {
    Notifier n(config({webhook()}), state_dir_, fast());
    EXPECT_EQ(n.pending(), 2u);
    n.update(alerts, std::chrono::system_clock::now());  // must not queue them again
    EXPECT_EQ(n.pending(), 2u);
    ASSERT_TRUE(deliver_until(n, [&] { return n.pending() == 0; }));
  }
  {
    Notifier n(config({webhook()}), state_dir_, fast());
    EXPECT_EQ(n.pending(), 0u);
    n.update(alerts, std::chrono::system_clock::now());
    n.deliver(Deadline::in(500ms));
    EXPECT_EQ(n.pending(), 0u);
  }
  auto reqs = sink_.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_NE(group_key_of(reqs[0]), group_key_of(reqs[1]));
}

TEST_F(NotifyTest, AckedThenCrashSendsNothingAgainButStillSendsNews) {
  {
    Notifier n(config({webhook()}), state_dir_, fast());
    n.update({firing("A")}, std::chrono::system_clock::now());
    ASSERT_TRUE(deliver_until(n, [&] { return n.pending() == 0; }));
  }
  ASSERT_EQ(sink_.count(), 1u);
  Notifier n(config({webhook()}), state_dir_, fast());
  n.update({firing("A")}, std::chrono::system_clock::now());
  n.deliver(Deadline::in(500ms));
  EXPECT_EQ(n.pending(), 0u);
  EXPECT_EQ(sink_.count(), 1u);
  // A new alert in the same group is news and goes out, after group_interval.
  ASSERT_TRUE(deliver_until(n, [&] {
    n.update({firing("A"), firing("A", "beta")}, std::chrono::system_clock::now());
    return sink_.count() == 2 && n.pending() == 0;
  }));
  auto body = nlohmann::json::parse(sink_.requests()[1].body);
  EXPECT_EQ(body["alerts"].size(), 2u);
}

TEST_F(NotifyTest, ClientErrorIsDroppedAndCounted) {
  sink_.respond_with({400});
  Notifier n(config({webhook()}), state_dir_, fast());
  n.update({firing("A")}, std::chrono::system_clock::now());
  ASSERT_TRUE(deliver_until(n, [&] { return n.pending() == 0; }));
  n.deliver(Deadline::in(300ms));
  EXPECT_EQ(sink_.count(), 1u);  // not retried
  EXPECT_EQ(metric(n, "pgwarden_notifications_total", "ops", "dropped"), 1);
  EXPECT_EQ(metric(n, "pgwarden_notifications_total", "ops", "success"), 0);
  EXPECT_EQ(metric(n, "pgwarden_notifications_total", "ops", "failure"), 0);
  EXPECT_EQ(outbox_files(), 0u);
}

TEST_F(NotifyTest, ServerErrorThenSuccessIsDeliveredOnceWithRetryCounted) {
  sink_.respond_with({500, 503});
  Notifier n(config({webhook()}), state_dir_, fast());
  n.update({firing("A")}, std::chrono::system_clock::now());
  ASSERT_TRUE(deliver_until(n, [&] { return n.pending() == 0; }));
  auto reqs = sink_.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].status, 500);
  EXPECT_EQ(reqs[2].status, 200);
  EXPECT_EQ(reqs[0].body, reqs[2].body);  // the same notification, retried
  EXPECT_EQ(metric(n, "pgwarden_notifications_total", "ops", "failure"), 2);
  EXPECT_EQ(metric(n, "pgwarden_notifications_total", "ops", "success"), 1);
  // Exponential backoff: the retries are spaced, not immediate.
  EXPECT_GE(reqs[1].at - reqs[0].at, 25ms);
}

TEST_F(NotifyTest, TooManyRequestsHonoursRetryAfter) {
  sink_.respond_with({429});
  sink_.set_response_header("Retry-After", "1");
  Notifier n(config({webhook()}), state_dir_, fast());
  n.update({firing("A")}, std::chrono::system_clock::now());
  ASSERT_TRUE(deliver_until(n, [&] { return n.pending() == 0; }));
  auto reqs = sink_.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_GE(reqs[1].at - reqs[0].at, 950ms);  // not the 50 ms backoff
}

TEST_F(NotifyTest, HmacSignatureVerifiesWithTheSecret) {
  auto r = webhook();
  r.hmac_secret = kHmacSecret;
  Notifier n(config({r}), state_dir_, fast());
  n.update({firing("A")}, std::chrono::system_clock::now());
  ASSERT_TRUE(deliver_until(n, [&] { return n.pending() == 0; }));
  auto req = sink_.requests().at(0);
  EXPECT_EQ(req.header("x-pgwarden-signature"), "sha256=" + hmac_sha256_hex(kHmacSecret, req.body));
  EXPECT_NE(req.header("x-pgwarden-signature"), "sha256=" + hmac_sha256_hex("wrong", req.body));
}

TEST_F(NotifyTest, SecretsNeverAppearInLogsOrMetrics) {
  LogCapture log;
  auto r = webhook();
  r.hmac_secret = kHmacSecret;
  auto pd = webhook("pager");
  pd.type = "pagerduty";
  pd.routing_key = "PDKEY-55aa66bb";
  std::string samples_text;
  {
    // Every path that logs: refused connections, 5xx, a 4xx drop, success.
    sink_.stop();
    Notifier n(config({r, pd}), state_dir_, fast());
    n.update({firing("A")}, std::chrono::system_clock::now());
    n.deliver(Deadline::in(300ms));
    sink_.start();
    sink_.respond_with({500, 400});
    ASSERT_TRUE(deliver_until(n, [&] { return n.pending() == 0; }));
    std::vector<Sample> samples;
    n.append_samples(samples);
    for (const auto& s : samples) {
      samples_text += s.name;
      for (const auto& [k, v] : s.labels) samples_text += " " + k + "=" + v;
      samples_text += "\n";
    }
  }
  // The pagerduty key did reach PagerDuty (the sink), as it must.
  bool key_sent = false;
  for (const auto& req : sink_.requests()) key_sent |= req.body.find("PDKEY-55aa66bb") != std::string::npos;
  EXPECT_TRUE(key_sent);
  std::string logs = log.text();
  EXPECT_NE(logs.find("ops"), std::string::npos) << "expected the receiver name in: " << logs;
  for (const std::string& secret : {kUrlToken, kHmacSecret, std::string("PDKEY-55aa66bb"),
                                    std::to_string(sink_.port()) + "/hook"}) {
    EXPECT_EQ(logs.find(secret), std::string::npos) << secret << " leaked into logs:\n" << logs;
    EXPECT_EQ(samples_text.find(secret), std::string::npos) << secret << " leaked into metrics";
  }
  // Nor does the routing key rest on disk.
  for (const auto& de : fs::recursive_directory_iterator(state_dir_)) {
    if (!de.is_regular_file()) continue;
    EXPECT_EQ(test::read_file(de.path().string()).find("PDKEY-55aa66bb"), std::string::npos);
  }
}

TEST_F(NotifyTest, UnwritableStateDirStillDeliversAndCountsPersistErrors) {
  LogCapture log;
  // A path below a regular file can never be created, even by root.
  std::string bad = state_dir_ + "/file";
  test::write_file(bad, "x");
  Notifier n(config({webhook()}), bad + "/state", fast());
  n.update({firing("A")}, std::chrono::system_clock::now());
  n.update({firing("A"), firing("B")}, std::chrono::system_clock::now());
  EXPECT_EQ(n.pending(), 2u);
  EXPECT_EQ(metric(n, "pgwarden_notifications_total", "ops", "persist_error"), 2);
  ASSERT_TRUE(deliver_until(n, [&] { return n.pending() == 0; }));
  EXPECT_EQ(sink_.count(), 2u);
  std::string logs = log.text();
  // Logged once per minute, not once per failure.
  size_t first = logs.find("cannot persist");
  ASSERT_NE(first, std::string::npos) << logs;
  EXPECT_EQ(logs.find("cannot persist", first + 1), std::string::npos) << logs;
}

TEST_F(NotifyTest, DeliverReturnsByItsDeadline) {
  sink_.set_delay(3s);
  Notifier n(config({webhook()}), state_dir_, fast());
  n.update({firing("A")}, std::chrono::system_clock::now());
  auto start = std::chrono::steady_clock::now();
  n.deliver(Deadline::in(300ms));
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took, 1500ms);
  EXPECT_EQ(n.pending(), 1u);  // timed out: kept for a retry
  EXPECT_EQ(metric(n, "pgwarden_notifications_total", "ops", "failure"), 1);
  sink_.set_delay(0ms);
}

TEST_F(NotifyTest, AlertmanagerReceiverPostsToApiV2) {
  ReceiverConfig r;
  r.name = "am";
  r.type = "alertmanager";
  r.url = sink_.url("/");
  Notifier n(config({r}), state_dir_, fast());
  n.update({firing("A"), firing("B")}, std::chrono::system_clock::now());
  ASSERT_TRUE(deliver_until(n, [&] { return n.pending() == 0; }));
  auto req = sink_.requests().at(0);
  EXPECT_EQ(req.path, "/api/v2/alerts");
  auto body = nlohmann::json::parse(req.body);
  ASSERT_TRUE(body.is_array());
  EXPECT_EQ(body.size(), 2u);
  // Re-posted only after the resend delay, not on every evaluation.
  n.update({firing("A"), firing("B")}, std::chrono::system_clock::now());
  EXPECT_EQ(n.pending(), 0u);
}

TEST_F(NotifyTest, OneReceiverDownDoesNotBlockAnother) {
  WebhookSink other;
  other.stop();
  auto down = webhook("down");
  down.url = other.url("/x");
  Notifier n(config({down, webhook("up")}), state_dir_, fast());
  n.update({firing("A")}, std::chrono::system_clock::now());
  ASSERT_TRUE(deliver_until(n, [&] { return sink_.count() == 1; }));
  EXPECT_EQ(n.pending(), 1u);
  EXPECT_EQ(metric(n, "pgwarden_outbox_pending", "down"), 1);
  EXPECT_EQ(metric(n, "pgwarden_outbox_pending", "up"), 0);
}

// A real process crash: a child queues notifications and dies by SIGKILL
// (no destructors, no flushing); the next process delivers them once.
// Not a NotifyTest: the fork happens before any server thread exists.
TEST(NotifyCrash, KilledProcessLeavesAnOutboxThatIsDeliveredOnce) {
  std::string state_dir = test::make_temp_dir("pgw-notify-crash");
  struct Cleanup {
    std::string dir;
    ~Cleanup() { test::remove_tree(dir); }
  } cleanup{state_dir};
  auto make_config = [](const std::string& url) {
    Config c;
    ReceiverConfig r;
    r.name = "ops";
    r.type = "webhook";
    r.url = url;
    r.group_wait = 0ms;
    c.receivers = {r};
    return c;
  };
  Alert a;
  a.labels = {{"alertname", "PgNodeDown"}, {"cluster", "aya"}, {"severity", "critical"}};
  a.state = AlertState::Firing;
  a.fired_at = std::chrono::system_clock::now();

  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    Notifier n(make_config("http://127.0.0.1:9/unused"), state_dir);
    n.update({a}, std::chrono::system_clock::now());
    ::kill(::getpid(), SIGKILL);
    _exit(1);  // not reached
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

  WebhookSink sink;
  NotifierOptions fast;
  fast.initial_backoff = 50ms;
  {
    Notifier n(make_config(sink.url("/after-crash")), state_dir, fast);
    ASSERT_EQ(n.pending(), 1u);
    n.update({a}, std::chrono::system_clock::now());  // already queued: nothing new
    ASSERT_TRUE(test::poll_until([&] {
      n.deliver(Deadline::in(1s));
      return n.pending() == 0;
    }, 10s));
  }
  Notifier again(make_config(sink.url("/after-crash")), state_dir, fast);
  again.update({a}, std::chrono::system_clock::now());
  again.deliver(Deadline::in(500ms));
  ASSERT_EQ(sink.count(), 1u);
  EXPECT_EQ(sink.requests()[0].path, "/after-crash");
  EXPECT_EQ(nlohmann::json::parse(sink.requests()[0].body)["alerts"][0]["labels"]["alertname"],
            "PgNodeDown");
}


// ---- The outbox never sticks (issue 13) ----

Alert resolved(const std::string& name) {
  Alert a;
  a.labels = {{"alertname", name}, {"cluster", "aya"}, {"node", "alpha"}, {"severity", "critical"}};
  normalize(a.labels);
  a.annotations = {{"summary", name + " on alpha"}};
  a.state = AlertState::Inactive;
  a.active_at = std::chrono::system_clock::now() - 3min;
  a.fired_at = std::chrono::system_clock::now() - 2min;
  a.resolved_at = std::chrono::system_clock::now();
  return a;
}

std::string alertname_of(const test::RecordedRequest& r) {
  return nlohmann::json::parse(r.body)["groupLabels"]["alertname"].get<std::string>();
}

TEST_F(NotifyTest, AReceiverAnswering500ForeverDoesNotHoldBackOneThatWorks) {
  WebhookSink broken;
  broken.set_default_status(500);
  auto bad = webhook("bad");
  bad.url = broken.url("/hook/" + kUrlToken);
  Notifier n(config({bad, webhook("ops")}), state_dir_, fast());
  n.update({firing("A"), firing("B")}, std::chrono::system_clock::now());
  ASSERT_TRUE(deliver_until(n, [&] { return sink_.count() == 2 && broken.count() >= 4; }));
  EXPECT_EQ(metric(n, "pgwarden_outbox_pending", "ops"), 0);
  EXPECT_EQ(metric(n, "pgwarden_outbox_pending", "bad"), 2);
  // News still reaches the working receiver while the other keeps failing.
  n.update({firing("A"), firing("B"), firing("C")}, std::chrono::system_clock::now());
  ASSERT_TRUE(deliver_until(n, [&] { return sink_.count() == 3; }));
  EXPECT_EQ(alertname_of(sink_.requests()[2]), "C");
  EXPECT_GE(metric(n, "pgwarden_notifications_total", "bad", "failure"), 4);
  EXPECT_EQ(metric(n, "pgwarden_notifications_total", "bad", "success"), 0);
}

TEST_F(NotifyTest, AFailingEntryDoesNotBlockNewerOnesOfTheSameReceiver) {
  // The first notification fails and is told to come back in an hour.
  sink_.respond_with({503});
  sink_.set_response_header("Retry-After", "3600");
  Notifier n(config({webhook()}), state_dir_, fast());
  n.update({firing("A")}, std::chrono::system_clock::now());
  n.deliver(Deadline::in(1s));
  ASSERT_EQ(sink_.count(), 1u);
  ASSERT_EQ(n.pending(), 1u);
  n.update({firing("A"), firing("B")}, std::chrono::system_clock::now());
  ASSERT_TRUE(deliver_until(n, [&] { return sink_.count() == 2; }));
  EXPECT_EQ(alertname_of(sink_.requests()[1]), "B");
  EXPECT_EQ(sink_.requests()[1].status, 200);
  EXPECT_EQ(n.pending(), 1u);  // A waits for its own retry time
  EXPECT_EQ(outbox_files(), 1u);
}

TEST_F(NotifyTest, EntriesExpireAfterOutboxMaxAgeAndAreCountedAndLogged) {
  LogCapture log;
  sink_.stop();
  auto r = webhook();
  r.outbox_max_age = 300ms;
  Notifier n(config({r}), state_dir_, fast());
  n.update({firing("A"), firing("B")}, std::chrono::system_clock::now());
  ASSERT_EQ(outbox_files(), 2u);
  ASSERT_TRUE(deliver_until(n, [&] { return n.pending() == 0; }));
  EXPECT_EQ(metric(n, "pgwarden_notifications_total", "ops", "expired"), 2);
  EXPECT_EQ(metric(n, "pgwarden_outbox_pending", "ops"), 0);
  EXPECT_EQ(outbox_files(), 0u);
  EXPECT_NE(log.text().find("expired undelivered"), std::string::npos) << log.text();
}

TEST_F(NotifyTest, AWallClockStepDoesNotSilenceAReceiver) {
  // The wall clock read a day ahead when the notification was queued and has
  // since been stepped back: retry timing runs on the monotonic clock.
  Notifier n(config({webhook()}), state_dir_, fast());
  n.update({firing("A")}, std::chrono::system_clock::now() + 24h);
  ASSERT_TRUE(deliver_until(n, [&] { return n.pending() == 0; }, 5s));
  EXPECT_EQ(sink_.count(), 1u);
}

TEST_F(NotifyTest, AfterAnOutageEachGroupsNewestStateIsDelivered) {
  sink_.stop();
  Notifier n(config({webhook()}), state_dir_, fast());
  auto t0 = std::chrono::system_clock::now();
  n.update({firing("A")}, t0);
  n.deliver(Deadline::in(200ms));  // fails: the receiver is down
  // A resolves during the outage; the group's next notification says so.
  n.update({resolved("A")}, t0 + 2s);
  ASSERT_EQ(n.pending(), 1u);
  EXPECT_EQ(outbox_files(), 1u);
  EXPECT_EQ(metric(n, "pgwarden_notifications_total", "ops", "superseded"), 1);
  sink_.start();
  ASSERT_TRUE(deliver_until(n, [&] { return n.pending() == 0; }));
  n.deliver(Deadline::in(300ms));
  auto reqs = sink_.requests();
  ASSERT_EQ(reqs.size(), 1u);  // never "firing" after the resolution
  EXPECT_EQ(nlohmann::json::parse(reqs[0].body)["status"], "resolved");
}

TEST_F(NotifyTest, AReloadKeepsWhatOnlyMemoryHolds) {
  // The disk refuses the outbox (here: a file where its directory should be).
  { std::ofstream(fs::path(state_dir_) / "outbox") << "not a directory"; }
  sink_.stop();
  NotifierHandover handover;
  {
    Notifier n(config({webhook()}), state_dir_, fast());
    n.update({firing("A")}, std::chrono::system_clock::now());
    ASSERT_EQ(n.pending(), 1u);
    EXPECT_EQ(metric(n, "pgwarden_notifications_total", "ops", "persist_error"), 1);
    handover = n.handover();
  }  // SIGHUP: the old notifier goes
  ASSERT_EQ(handover.unpersisted.size(), 1u);
  sink_.start();
  Notifier n(config({webhook()}), state_dir_, fast());
  n.adopt(std::move(handover));
  EXPECT_EQ(n.pending(), 1u);
  n.update({firing("A")}, std::chrono::system_clock::now());  // dedup state came along
  EXPECT_EQ(n.pending(), 1u);
  ASSERT_TRUE(deliver_until(n, [&] { return n.pending() == 0; }));
  EXPECT_EQ(sink_.count(), 1u);
}

}  // namespace
}  // namespace pgw
