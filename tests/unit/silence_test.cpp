// Silences: Alertmanager's validation, states over time, durability of the
// store (a second store on the same file sees every answered change), and
// that a rejected silence changes nothing.
#include <gtest/gtest.h>

#include <filesystem>

#include "alerts/silence.h"
#include "alerts/suppression.h"
#include "core/durable_file.h"
#include "core/time_format.h"
#include "exporter/alertmanager_api.h"

namespace pgw {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("pgw_silence_" + new_silence_id());
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
};

nlohmann::json postable(const std::string& starts, const std::string& ends,
                        nlohmann::json matchers = {{{"name", "alertname"}, {"value", "PgReplicationLagHigh"},
                                                    {"isRegex", false}, {"isEqual", true}}}) {
  return {{"matchers", matchers}, {"startsAt", starts}, {"endsAt", ends}, {"createdBy", "t"}, {"comment", "c"}};
}

TEST(Rfc3339, ParsesGoForms) {
  auto t = parse_rfc3339("2026-12-02T06:10:00.123456789Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(rfc3339_ms(*t), "2026-12-02T06:10:00.123Z");
  EXPECT_EQ(rfc3339_ms(*parse_rfc3339("2026-12-02T07:10:00+01:00")), "2026-12-02T06:10:00.000Z");
  EXPECT_FALSE(parse_rfc3339("2026-12-02 junk"));
  EXPECT_FALSE(parse_rfc3339("2026-13-02T06:10:00Z"));
}

TEST(Silence, StateFollowsTheClock) {
  Silence s;
  auto now = std::chrono::system_clock::now();
  s.starts_at = now + 1h;
  s.ends_at = now + 2h;
  EXPECT_STREQ(s.state(now), "pending");
  EXPECT_STREQ(s.state(now + 1h), "active");
  EXPECT_STREQ(s.state(now + 2h), "expired");
}

TEST(SilenceStore, AddMatchExpireAndSurviveReload) {
  TempDir dir;
  std::string path = (dir.path / "silences.json").string();
  auto now = std::chrono::system_clock::now();
  std::string error, id;
  SilenceStore store(path);
  auto s = silence_from_json(postable(rfc3339_ms(now - 1s), rfc3339_ms(now + 1h)), error);
  ASSERT_TRUE(s) << error;
  ASSERT_EQ(store.upsert(*s, now, id, error), SilenceStore::Result::Ok) << error;
  EXPECT_EQ(id.size(), 36u);
  Labels lag = {{"alertname", "PgReplicationLagHigh"}, {"cluster", "aya"}};
  EXPECT_EQ(store.silencing(lag, now), std::vector<std::string>{id});
  EXPECT_TRUE(store.silencing({{"alertname", "PgNodeDown"}}, now).empty());
  EXPECT_TRUE(store.silencing(lag, now + 2h).empty());  // expires by itself

  SilenceStore reopened(path);  // what a restart (or kill -9) sees
  ASSERT_EQ(reopened.list().size(), 1u);
  EXPECT_EQ(reopened.silencing(lag, now), std::vector<std::string>{id});

  ASSERT_EQ(reopened.expire(id, now + 1s, error), SilenceStore::Result::Ok);
  EXPECT_EQ(reopened.expire(id, now + 2s, error), SilenceStore::Result::Invalid);
  EXPECT_EQ(reopened.expire("nope", now, error), SilenceStore::Result::NotFound);
  store.refresh();  // the other process's change is seen
  EXPECT_TRUE(store.silencing(lag, now + 2s).empty());
  EXPECT_STREQ(store.get(id)->state(now + 2s), "expired");

  std::vector<Sample> samples;
  store.append_samples(samples);
  ASSERT_EQ(samples.size(), 3u);
  EXPECT_EQ(samples[1].labels, (Labels{{"state", "expired"}}));
}

TEST(SilenceStore, MalformedSilencesAreRejectedAndChangeNothing) {
  TempDir dir;
  std::string path = (dir.path / "silences.json").string();
  auto now = std::chrono::system_clock::now();
  SilenceStore store(path);
  std::string error, id;
  auto good = silence_from_json(postable(rfc3339_ms(now), rfc3339_ms(now + 1h)), error);
  ASSERT_EQ(store.upsert(*good, now, id, error), SilenceStore::Result::Ok);
  std::string before;
  ASSERT_TRUE(read_file(path, before));

  auto no_matchers = silence_from_json(postable(rfc3339_ms(now), rfc3339_ms(now + 1h), nlohmann::json::array()), error);
  ASSERT_TRUE(no_matchers);
  EXPECT_EQ(store.upsert(*no_matchers, now, id, error), SilenceStore::Result::Invalid);
  EXPECT_EQ(error, "at least one matcher required");
  auto backwards = silence_from_json(postable(rfc3339_ms(now + 2h), rfc3339_ms(now + 1h)), error);
  EXPECT_EQ(store.upsert(*backwards, now, id, error), SilenceStore::Result::Invalid);
  EXPECT_EQ(error, "start time must be before end time");
  auto empty_match = silence_from_json(
      postable(rfc3339_ms(now), rfc3339_ms(now + 1h), {{{"name", "x"}, {"value", ".*"}, {"isRegex", true}}}), error);
  EXPECT_EQ(store.upsert(*empty_match, now, id, error), SilenceStore::Result::Invalid);
  EXPECT_FALSE(silence_from_json(
      postable(rfc3339_ms(now), rfc3339_ms(now + 1h), {{{"name", "x"}, {"value", "(a"}, {"isRegex", true}}}), error));
  EXPECT_NE(error.find("invalid regular expression"), std::string::npos);

  std::string after;
  ASSERT_TRUE(read_file(path, after));
  EXPECT_EQ(before, after);
  EXPECT_EQ(store.list().size(), 1u);
}

TEST(SilenceStore, UpdatingMatchersIssuesANewIdAndExpiresTheOld) {
  TempDir dir;
  auto now = std::chrono::system_clock::now();
  SilenceStore store((dir.path / "s.json").string());
  std::string error, id1, id2, id3;
  auto s = silence_from_json(postable(rfc3339_ms(now), rfc3339_ms(now + 1h)), error);
  ASSERT_EQ(store.upsert(*s, now, id1, error), SilenceStore::Result::Ok);
  s->id = id1;
  s->ends_at = now + 3h;  // extend: same id
  ASSERT_EQ(store.upsert(*s, now + 1s, id2, error), SilenceStore::Result::Ok);
  EXPECT_EQ(id1, id2);
  EXPECT_EQ(store.get(id1)->ends_at, now + 3h);
  s->matchers.push_back(*LabelMatcher::make("node", LabelMatcher::Op::Equal, "alpha", error));
  ASSERT_EQ(store.upsert(*s, now + 2s, id3, error), SilenceStore::Result::Ok);
  EXPECT_NE(id3, id1);
  EXPECT_STREQ(store.get(id1)->state(now + 2s), "expired");
}

TEST(Suppressor, SilencedAlertIsMarkedWithTheSilenceId) {
  TempDir dir;
  auto now = std::chrono::system_clock::now();
  SilenceStore store((dir.path / "s.json").string());
  std::string error, id;
  auto s = silence_from_json(postable(rfc3339_ms(now), rfc3339_ms(now + 1h)), error);
  ASSERT_EQ(store.upsert(*s, now, id, error), SilenceStore::Result::Ok);
  Config c;
  Suppressor sup(c, &store);
  Alert a;
  a.labels = {{"alertname", "PgReplicationLagHigh"}, {"cluster", "aya"}, {"severity", "warning"}};
  a.state = AlertState::Firing;
  auto out = sup.apply({a}, now + 1s);
  EXPECT_EQ(out[0].silenced_by, std::vector<std::string>{id});
  EXPECT_TRUE(out[0].suppressed());
  out = sup.apply({a}, now + 2h);
  EXPECT_FALSE(out[0].suppressed());
}

HttpRequestInfo request(std::string method, std::string path, std::string filter = "", std::string body = "") {
  HttpRequestInfo r;
  r.method = std::move(method);
  r.path = std::move(path);
  if (!filter.empty()) r.args.emplace_back("filter", filter);
  r.body = std::move(body);
  return r;
}

TEST(AlertmanagerApi, PostGetDeleteAndErrors) {
  TempDir dir;
  SilenceStore store((dir.path / "s.json").string());
  Config c;
  ApiContext ctx{c, store, [] { return std::vector<Alert>{}; }, {}};
  auto now = std::chrono::system_clock::now();
  HttpRequestInfo post;
  post.method = "POST";
  post.path = "/api/v2/silences";
  post.body = (
                       postable(rfc3339_ms(now), rfc3339_ms(now + 1h)).dump());
  auto r = handle_alertmanager_api(post, ctx);
  ASSERT_EQ(r.status, 200) << r.body;
  std::string id = nlohmann::json::parse(r.body)["silenceID"];
  r = handle_alertmanager_api(request("GET", "/api/v2/silence/" + id), ctx);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(nlohmann::json::parse(r.body)["status"]["state"], "active");
  r = handle_alertmanager_api(request("GET", "/api/v2/silences", "alertname=\"PgReplicationLagHigh\""), ctx);
  EXPECT_EQ(nlohmann::json::parse(r.body).size(), 1u);
  r = handle_alertmanager_api(request("GET", "/api/v2/silences", "alertname=Other"), ctx);
  EXPECT_EQ(nlohmann::json::parse(r.body).size(), 0u);
  r = handle_alertmanager_api(request("POST", "/api/v2/silences", "", "{not json"), ctx);
  EXPECT_EQ(r.status, 400);
  r = handle_alertmanager_api(
      request("POST", "/api/v2/silences", "", postable(rfc3339_ms(now + 2h), rfc3339_ms(now + 1h)).dump()), ctx);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("start time must be before end time"), std::string::npos);
  r = handle_alertmanager_api(request("DELETE", "/api/v2/silence/" + id), ctx);
  EXPECT_EQ(r.status, 200);
  r = handle_alertmanager_api(request("DELETE", "/api/v2/silence/unknown"), ctx);
  EXPECT_EQ(r.status, 404);
  r = handle_alertmanager_api(request("GET", "/api/v2/status"), ctx);
  EXPECT_EQ(nlohmann::json::parse(r.body)["cluster"]["status"], "disabled");
}

}  // namespace
}  // namespace pgw
