// The on-disk outbox: durable writes, reload in a new instance, removal,
// corrupt files skipped and logged; plus retry timing (backoff, Retry-After).
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "alerts/backoff.h"
#include "alerts/outbox.h"

namespace pgw {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const TimePoint kT0 = TimePoint(std::chrono::seconds(1795000000));

class OutboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "pgw-outbox.XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    fs::permissions(dir_, fs::perms::owner_all, ec);
    fs::remove_all(dir_, ec);
  }
  OutboxEntry entry(Outbox& box, const std::string& receiver, const std::string& body) {
    OutboxEntry e;
    e.id = box.new_id(kT0);
    e.receiver = receiver;
    e.body = body;
    e.created = kT0;
    e.next_attempt = kT0 + 5s;
    e.group_key = receiver + ":{alertname=\"X\"}";
    e.sent.firing = {"abc"};
    e.sent.at = kT0;
    return e;
  }
  std::string outbox_dir() const { return (fs::path(dir_) / "outbox").string(); }
  std::string dir_;
};

TEST_F(OutboxTest, WriteThenReloadInANewInstance) {
  std::vector<std::string> ids;
  {
    Outbox box(outbox_dir());
    for (int i = 0; i < 3; ++i) {
      auto e = entry(box, "ops", "{\"n\":" + std::to_string(i) + "}");
      e.attempts = i;
      std::string error;
      ASSERT_TRUE(box.write(e, error)) << error;
      ids.push_back(e.id);
    }
  }
  Outbox reloaded(outbox_dir());
  auto entries = reloaded.load("ops");
  ASSERT_EQ(entries.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(entries[i].id, ids[i]);  // creation order
    EXPECT_EQ(entries[i].body, "{\"n\":" + std::to_string(i) + "}");
    EXPECT_EQ(entries[i].attempts, i);
    EXPECT_EQ(entries[i].receiver, "ops");
    EXPECT_EQ(entries[i].next_attempt, kT0 + 5s);
    EXPECT_EQ(entries[i].group_key, "ops:{alertname=\"X\"}");
    EXPECT_EQ(entries[i].sent.firing, std::set<std::string>{"abc"});
    EXPECT_TRUE(entries[i].persisted);
  }
  EXPECT_TRUE(reloaded.load("other").empty());
  // Ids created after a reload sort after the loaded ones.
  EXPECT_GT(reloaded.new_id(kT0), ids.back());
}

TEST_F(OutboxTest, FilesArePrivateAndNoTempFilesRemain) {
  Outbox box(outbox_dir());
  auto e = entry(box, "ops", "{}");
  std::string error;
  ASSERT_TRUE(box.write(e, error)) << error;
  size_t files = 0;
  for (const auto& de : fs::directory_iterator(box.receiver_dir("ops"))) {
    ++files;
    EXPECT_EQ(de.path().extension(), ".json");
    struct stat st {};
    ASSERT_EQ(::stat(de.path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
  }
  EXPECT_EQ(files, 1u);
}

TEST_F(OutboxTest, RemoveAfterAck) {
  Outbox box(outbox_dir());
  auto a = entry(box, "ops", "a");
  auto b = entry(box, "ops", "b");
  std::string error;
  ASSERT_TRUE(box.write(a, error));
  ASSERT_TRUE(box.write(b, error));
  ASSERT_TRUE(box.remove(a, error)) << error;
  auto left = Outbox(outbox_dir()).load("ops");
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].body, "b");
  EXPECT_TRUE(box.remove(a, error));  // already gone is fine
}

TEST_F(OutboxTest, RewriteUpdatesAttempts) {
  Outbox box(outbox_dir());
  auto e = entry(box, "ops", "x");
  std::string error;
  ASSERT_TRUE(box.write(e, error));
  e.attempts = 4;
  e.next_attempt = kT0 + 60s;
  ASSERT_TRUE(box.write(e, error));
  auto loaded = Outbox(outbox_dir()).load("ops");
  ASSERT_EQ(loaded.size(), 1u);
  EXPECT_EQ(loaded[0].attempts, 4);
  EXPECT_EQ(loaded[0].next_attempt, kT0 + 60s);
}

TEST_F(OutboxTest, CorruptFilesAreSkippedAndLogged) {
  std::ostringstream log;
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>(
      "capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(log)));

  Outbox box(outbox_dir());
  auto good = entry(box, "ops", "good");
  std::string error;
  ASSERT_TRUE(box.write(good, error));
  std::string rdir = box.receiver_dir("ops");
  std::ofstream(fs::path(rdir) / "0000000000001-000000-bad.json") << "{not json";
  std::ofstream(fs::path(rdir) / "0000000000002-000000-trunc.json") << "{\"version\":1}";
  std::ofstream(fs::path(rdir) / "0000000000003-000000-left.json.tmp") << "partial";

  auto loaded = Outbox(outbox_dir()).load("ops");
  spdlog::set_default_logger(previous);

  ASSERT_EQ(loaded.size(), 1u);
  EXPECT_EQ(loaded[0].body, "good");
  EXPECT_NE(log.str().find("0000000000001-000000-bad.json"), std::string::npos) << log.str();
  EXPECT_NE(log.str().find("0000000000002-000000-trunc.json"), std::string::npos);
  // Set aside so they are not reported again, but kept for inspection.
  EXPECT_TRUE(fs::exists(fs::path(rdir) / "0000000000001-000000-bad.corrupt"));
  EXPECT_FALSE(fs::exists(fs::path(rdir) / "0000000000003-000000-left.json.tmp"));
  EXPECT_EQ(Outbox(outbox_dir()).load("ops").size(), 1u);
}

TEST_F(OutboxTest, UnwritableDirectoryReportsAnError) {
  if (::geteuid() == 0) {
    // root ignores permissions: use a path below a regular file instead.
    std::ofstream(fs::path(dir_) / "file") << "x";
    Outbox box((fs::path(dir_) / "file" / "outbox").string());
    auto e = entry(box, "ops", "x");
    std::string error;
    EXPECT_FALSE(box.write(e, error));
    EXPECT_FALSE(error.empty());
    return;
  }
  fs::permissions(dir_, fs::perms::owner_read | fs::perms::owner_exec);
  Outbox box(outbox_dir());
  auto e = entry(box, "ops", "x");
  std::string error;
  EXPECT_FALSE(box.write(e, error));
  EXPECT_FALSE(error.empty());
}

TEST_F(OutboxTest, ReceiverNamesAreSanitisedForTheFilesystem) {
  Outbox box(outbox_dir());
  std::string rdir = box.receiver_dir("../../etc");
  EXPECT_EQ(fs::path(rdir).parent_path(), fs::path(outbox_dir()));
  auto e = entry(box, "../../etc", "x");
  std::string error;
  ASSERT_TRUE(box.write(e, error)) << error;
  EXPECT_EQ(Outbox(outbox_dir()).load("../../etc").size(), 1u);
  // A different name that sanitises to the same directory does not see it.
  EXPECT_TRUE(Outbox(outbox_dir()).load("______etc").empty());
}

TEST(Backoff, DoublesWithJitterUpToTheCap) {
  std::mt19937_64 rng(42);
  BackoffPolicy p{1000ms, 300000ms};
  for (int i = 0; i < 100; ++i) {
    auto d1 = backoff_delay(p, 1, rng);
    EXPECT_GE(d1, 500ms);
    EXPECT_LE(d1, 1000ms);
    auto d4 = backoff_delay(p, 4, rng);
    EXPECT_GE(d4, 4000ms);
    EXPECT_LE(d4, 8000ms);
    auto d30 = backoff_delay(p, 30, rng);
    EXPECT_GE(d30, 150000ms);
    EXPECT_LE(d30, 300000ms);
  }
  // Jitter actually varies.
  std::set<long long> seen;
  for (int i = 0; i < 20; ++i) seen.insert(backoff_delay(p, 5, rng).count());
  EXPECT_GT(seen.size(), 1u);
}

TEST(Backoff, RetryAfterSecondsAndHttpDate) {
  auto now = TimePoint(std::chrono::seconds(784111777));  // Sun, 06 Nov 1994 08:49:37 GMT
  EXPECT_EQ(parse_retry_after("120", now, 3600s), Duration(120000));
  EXPECT_EQ(parse_retry_after(" 7 ", now, 3600s), Duration(7000));
  EXPECT_EQ(parse_retry_after("99999", now, 3600s), Duration(3600000));  // capped
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:50:37 GMT", now, 3600s), Duration(60000));
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now, 3600s), Duration(0));
  EXPECT_FALSE(parse_retry_after("", now, 3600s).has_value());
  EXPECT_FALSE(parse_retry_after("soon", now, 3600s).has_value());
  EXPECT_FALSE(parse_retry_after("-5", now, 3600s).has_value());
}

TEST(Backoff, RetryAfterFarAwayOrHugeNeverOverflows) {
  auto now = TimePoint(std::chrono::seconds(784111777));
  EXPECT_EQ(parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now, 3600s), Duration(3600000));
  EXPECT_EQ(parse_retry_after("Mon, 01 Jan 0001 00:00:00 GMT", now, 3600s), Duration(0));
  EXPECT_EQ(parse_retry_after("999999999", now, Duration::max()), Duration(999999999000LL));
  EXPECT_EQ(parse_retry_after("99999999999999999999", now, Duration::max()), kMaxDuration);
  EXPECT_EQ(parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now, Duration::max()), kMaxDuration);
}

}  // namespace
}  // namespace pgw
