// The state directory full or read-only under a running `pgwarden serve`
// (issue 7, "Fault injection"): the outbox cannot persist, yet the alert is
// still evaluated (/alerts, pgwarden_alerts), the failure is logged and
// counted (pgwarden_notifications_total{outcome="persist_error"}), nothing
// crashes, and once space or write permission returns the notification
// reaches the disk again and is delivered, once.
//
// "Full" and "read-only" are real: state_dir is on a 64 KiB tmpfs mounted by
// the test (needs root and mount permission: skipped otherwise), filled to
// ENOSPC, or remounted read-only (which stops root too, unlike chmod).
// The receiver is down while the disk is bad, so the notification has to
// wait in the outbox rather than be delivered from memory at once.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/fixtures/exposition.h"
#include "tests/fixtures/fault_test.h"
#include "tests/fixtures/flag_alerts.h"
#include "tests/fixtures/test_util.h"

namespace pgw::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Delivery after the fault: the receiver was down meanwhile, so the entry's
// backoff may have grown to 16 s.
constexpr auto kDeliverAfter = 60s;

// A small tmpfs mounted on a fresh directory; unmounted by the destructor.
class TmpfsMount {
 public:
  TmpfsMount() : dir_(make_temp_dir("pgw-tmpfs")) {
    if (::geteuid() != 0) {
      why_ = "needs root to mount a tmpfs";
      return;
    }
    auto r = run_command("mount -t tmpfs -o size=64k,mode=0755 tmpfs " + shell_quote(dir_), true);
    if (r.exit_code != 0) why_ = "mount -t tmpfs not permitted here: " + r.out;
    else mounted_ = true;
  }
  ~TmpfsMount() {
    if (mounted_) run_command("umount -l " + shell_quote(dir_), true);
    remove_tree(dir_);
  }
  bool mounted() const { return mounted_; }
  const std::string& why_not() const { return why_; }
  const std::string& dir() const { return dir_; }

  // Writes a filler file until the filesystem is full.
  void fill() const {
    run_command("dd if=/dev/zero of=" + shell_quote(dir_ + "/filler") + " bs=1k 2>/dev/null", true);
  }
  void unfill() const { fs::remove(dir_ + "/filler"); }
  void set_read_only(bool ro) const {
    auto r = run_command(std::string("mount -o remount,") + (ro ? "ro " : "rw ") + shell_quote(dir_), true);
    if (r.exit_code != 0) throw std::runtime_error("remount failed: " + r.out);
  }

 private:
  std::string dir_;
  std::string why_;
  bool mounted_ = false;
};

class StateDirFaultsTest : public FaultTest {
 protected:
  void SetUp() override {
    if (!mount_.mounted()) GTEST_SKIP() << mount_.why_not();
    start_cluster();
    flags_ = std::make_unique<FlagAlerts>(*pg_, std::vector<std::string>{"DiskFull", "DiskReadOnly"});
    watch(config(flags_->toml(), state_dir()));
    if (HasFatalFailure()) return;
    // Watchdog's first notification is delivered and gone before the fault.
    ASSERT_TRUE(eventually_metrics(proc_, "outbox empty", kFaultReact, [](const Exposition& m) {
      return m.value("pgwarden_outbox_pending", {{"receiver", "sink"}}) == 0.0 &&
             m.value("pgwarden_notifications_total", {{"receiver", "sink"}, {"outcome", "success"}}) >= 1.0;
    }));
  }

  std::string state_dir() const { return mount_.dir() + "/state"; }
  size_t outbox_files() const {
    size_t n = 0;
    std::error_code ec;
    for (const auto& de : fs::directory_iterator(state_dir() + "/outbox/sink", ec))
      n += de.path().extension() == ".json";
    return n;
  }
  double persist_errors() const {
    return parse_exposition(proc_.scrape())
        .value("pgwarden_notifications_total", {{"receiver", "sink"}, {"outcome", "persist_error"}})
        .value_or(-1);
  }

  // With the disk broken by `breaks` and the receiver down: raise `flag` and
  // check it is evaluated, counted and logged; then `repairs` and check it
  // reaches the disk, then (receiver up) the sink, exactly once.
  void run_fault(const std::string& flag, const std::function<void()>& breaks,
                 const std::function<void()>& repairs) {
    sink_.stop();
    breaks();
    const double errors_before = persist_errors();
    const size_t log_before = proc_.log_text().size();
    flags_->raise(flag);

    EXPECT_TRUE(eventually_metrics(proc_, flag + " firing, its notification pending and unpersisted",
                                   kFaultReact, [&](const Exposition& m) {
      return m.value("pgwarden_alerts", {{"alertname", flag}, {"state", "firing"}}) == 1.0 &&
             m.value("pgwarden_outbox_pending", {{"receiver", "sink"}}).value_or(0) >= 1.0 &&
             m.value("pgwarden_notifications_total", {{"receiver", "sink"}, {"outcome", "persist_error"}})
                     .value_or(0) > errors_before;
    }));
    EXPECT_EQ(active_alerts(flag), 1) << "not in /alerts";
    EXPECT_EQ(outbox_files(), 0u) << "an outbox file was written to a broken disk";
    EXPECT_NE(proc_.log_text().find("cannot persist", log_before), std::string::npos)
        << "the persist failure was not logged";
    ScrapeStats st = scrape_for(2s);
    EXPECT_EQ(st.failed, 0) << "while the disk is broken: " << st.first_error;

    repairs();
    // The next retry writes the entry that could not be written before.
    EXPECT_TRUE(poll_until([&] { return outbox_files() >= 1; }, kDeliverAfter, 200ms))
        << "the pending notification never reached the repaired disk";
    const size_t mark = sink_.count();
    sink_.start();
    expect_webhook_firing(sink_, {{"alertname", flag}}, true, mark, kDeliverAfter);
    EXPECT_TRUE(eventually_metrics(proc_, "outbox drained", kDeliverAfter, [](const Exposition& m) {
      return m.value("pgwarden_outbox_pending", {{"receiver", "sink"}}) == 0.0;
    }));
    EXPECT_EQ(outbox_files(), 0u);
    int firing = 0;
    for (const auto& a : webhook_alerts(sink_.requests()))
      firing += a.labels.count("alertname") && a.labels.at("alertname") == flag && a.status == "firing";
    EXPECT_EQ(firing, 1) << flag << " not delivered exactly once";
    expect_undisturbed();
  }

  // pgwarden must stop before the mount goes (members of this class are
  // destroyed before the base's process).
  void TearDown() override {
    FaultTest::TearDown();
    proc_.stop();
  }

  TmpfsMount mount_;
  std::unique_ptr<FlagAlerts> flags_;
};

TEST_F(StateDirFaultsTest, FullStateDirKeepsEvaluatingCountsAndDeliversOnceSpaceReturns) {
  run_fault("DiskFull", [&] { mount_.fill(); }, [&] { mount_.unfill(); });
}

TEST_F(StateDirFaultsTest, ReadOnlyStateDirKeepsEvaluatingCountsAndDeliversOnceWritable) {
  run_fault("DiskReadOnly", [&] { mount_.set_read_only(true); }, [&] { mount_.set_read_only(false); });
}

}  // namespace
}  // namespace pgw::test
