// The `email` receiver of a real `pgwarden serve` against a real SMTP server
// (Debian's python3-aiosmtpd) on loopback: STARTTLS with a test CA and AUTH,
// plain SMTP only when tls = "none" is set, 4xx retried and 5xx dropped and
// counted. The alert is a real one: the watched node's port has no server,
// so PgNodeDown fires (no PostgreSQL needed).
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "tests/fixtures/exposition.h"
#include "tests/fixtures/pg_tls.h"
#include "tests/fixtures/pgwarden_process.h"
#include "tests/fixtures/smtp_sink.h"
#include "tests/fixtures/test_util.h"
#include "tests/fixtures/transcript.h"

namespace pgw::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class EmailTest : public ::testing::Test {
 protected:
  EmailTest() : dir_(make_temp_dir("pgw-email")) {}
  ~EmailTest() override { remove_tree(dir_); }

  // A config watching one unreachable primary, plus `receivers` (TOML).
  std::string config(const std::string& receivers) {
    return "[exporter]\n"
           "state_dir = \"" + pgw_.dir() + "/state\"\n"
           "interval = \"1s\"\ntimeout = \"1s\"\n"
           "external_url = \"http://pgw.example:9847/\"\n"
           "[alerts]\nfor = \"0s\"\n"
           "[[clusters]]\nname = \"mailtest\"\n"
           "[[clusters.nodes]]\nname = \"alpha\"\nrole = \"primary\"\n"
           "conninfo = \"host=127.0.0.1 port=" + std::to_string(free_port()) +
           " dbname=postgres user=pgwarden\"\n" + receivers;
  }

  std::string receiver(const std::string& name, int port, const std::string& extra) {
    return "[[receivers]]\nname = \"" + name + "\"\ntype = \"email\"\n"
           "url = \"smtp://127.0.0.1:" + std::to_string(port) + "\"\n"
           "from = \"pgwarden@example.com\"\n"
           "group_wait = \"0s\"\ngroup_interval = \"1s\"\n"
           "match = { alertname = \"PgNodeDown\" }\n" + extra;
  }

  double metric(const std::string& name, const LabelMatchers& m) {
    try {
      return parse_exposition(pgw_.scrape()).value(name, m).value_or(-1);
    } catch (const std::exception&) {
      return -1;
    }
  }

  std::string dir_;
  PgwardenProcess pgw_;
};

TEST_F(EmailTest, StartTlsWithAuthSendsOneMessageToEveryRecipient) {
  TestCa ca = make_test_ca(dir_, "smtp");
  ServerCert cert = make_server_cert(ca, dir_, "smtp");
  std::string password = "smtp-pw-" + std::to_string(::getpid()) + "-x7Q";
  SmtpSink sink({&cert, "pgwarden", password});
  std::string pw_file = pgw_.dir() + "/smtp.pw";
  write_file(pw_file, password + "\n", true);
  pgw_.start(config(receiver("mail", sink.port(),
                             "to = [\"oncall@example.com\", \"dba@example.com\"]\n"
                             "username = \"pgwarden\"\npassword_file = \"" + pw_file + "\"\n"
                             "ca_file = \"" + ca.cert + "\"\n")));

  ASSERT_TRUE(poll_until([&] { return !sink.messages().empty(); }, 30s, 100ms)) << pgw_.log_text();
  ASSERT_TRUE(poll_until([&] {
    return metric("pgwarden_notifications_total", {{"receiver", "mail"}, {"outcome", "success"}}) >= 1;
  }, 10s)) << pgw_.log_text();
  auto msgs = sink.messages();
  ASSERT_EQ(msgs.size(), 1u) << "one message per group";
  const SmtpMessage& m = msgs[0];
  EXPECT_TRUE(m.tls) << "STARTTLS is the default";
  EXPECT_EQ(m.login, "pgwarden");
  EXPECT_EQ(m.mail_from, "pgwarden@example.com");
  EXPECT_EQ(m.rcpt_tos, (std::vector<std::string>{"oncall@example.com", "dba@example.com"}));
  EXPECT_NE(m.data.find("Subject: [FIRING:1] PgNodeDown (cluster mailtest)"), std::string::npos) << m.data;
  EXPECT_NE(m.data.find("To: oncall@example.com, dba@example.com"), std::string::npos) << m.data;
  EXPECT_NE(m.data.find("[FIRING] PgNodeDown (critical)"), std::string::npos) << m.data;
  EXPECT_NE(m.data.find("    node = alpha"), std::string::npos) << m.data;
  EXPECT_NE(m.data.find("    cluster = mailtest"), std::string::npos) << m.data;
  EXPECT_NE(m.data.find("  annotations:"), std::string::npos) << m.data;
  EXPECT_NE(m.data.find("    summary = "), std::string::npos) << m.data;
  EXPECT_NE(m.data.find("Status page: http://pgw.example:9847/"), std::string::npos) << m.data;
  EXPECT_EQ(m.data.find(password), std::string::npos);
  // The password reaches neither the log nor anything under state_dir.
  EXPECT_EQ(pgw_.log_text().find(password), std::string::npos);
  for (const auto& e : fs::recursive_directory_iterator(pgw_.dir() + "/state"))
    if (e.is_regular_file()) {
      EXPECT_EQ(read_file(e.path()).find(password), std::string::npos) << e.path();
    }
}

TEST_F(EmailTest, PlainSmtpOnlyWhenTlsNoneIsExplicit) {
  SmtpSink sink;  // no STARTTLS offered
  pgw_.start(config(receiver("plain", sink.port(), "to = [\"plain@example.com\"]\ntls = \"none\"\n") +
                    receiver("strict", sink.port(), "to = [\"strict@example.com\"]\n")));
  ASSERT_TRUE(poll_until([&] { return !sink.messages().empty(); }, 30s, 100ms)) << pgw_.log_text();
  ASSERT_TRUE(poll_until([&] {
    return metric("pgwarden_notifications_total", {{"receiver", "strict"}, {"outcome", "failure"}}) >= 1;
  }, 20s)) << pgw_.log_text();
  for (const auto& m : sink.messages()) {
    EXPECT_FALSE(m.tls);
    EXPECT_EQ(m.rcpt_tos, std::vector<std::string>{"plain@example.com"})
        << "a receiver without tls = \"none\" must not send in the clear";
  }
  EXPECT_EQ(metric("pgwarden_outbox_pending", {{"receiver", "strict"}}), 1) << "kept for a retry";
  EXPECT_NE(pgw_.log_text().find("receiver strict attempt 1 failed"), std::string::npos) << pgw_.log_text();
}

TEST_F(EmailTest, Smtp4xxIsRetriedUntilDelivered) {
  SmtpSink sink;
  sink.fail_with("451 4.3.0 try again later");
  pgw_.start(config(receiver("mail", sink.port(), "to = [\"oncall@example.com\"]\ntls = \"none\"\n")));
  ASSERT_TRUE(poll_until([&] {
    return metric("pgwarden_notifications_total", {{"receiver", "mail"}, {"outcome", "failure"}}) >= 1;
  }, 30s)) << pgw_.log_text();
  EXPECT_TRUE(sink.messages().empty());
  EXPECT_EQ(metric("pgwarden_outbox_pending", {{"receiver", "mail"}}), 1);
  EXPECT_NE(pgw_.log_text().find("SMTP 451"), std::string::npos) << pgw_.log_text();
  sink.fail_with("");
  ASSERT_TRUE(poll_until([&] { return !sink.messages().empty(); }, 30s, 100ms)) << pgw_.log_text();
  ASSERT_TRUE(poll_until([&] {
    return metric("pgwarden_notifications_total", {{"receiver", "mail"}, {"outcome", "success"}}) == 1;
  }, 10s));
  EXPECT_EQ(metric("pgwarden_outbox_pending", {{"receiver", "mail"}}), 0);
  EXPECT_NE(sink.messages()[0].data.find("PgNodeDown"), std::string::npos);
}

TEST_F(EmailTest, Smtp5xxIsDroppedAndCounted) {
  SmtpSink sink;
  sink.fail_with("554 5.7.1 message rejected");
  pgw_.start(config(receiver("mail", sink.port(), "to = [\"oncall@example.com\"]\ntls = \"none\"\n")));
  ASSERT_TRUE(poll_until([&] {
    return metric("pgwarden_notifications_total", {{"receiver", "mail"}, {"outcome", "dropped"}}) == 1;
  }, 30s)) << pgw_.log_text();
  EXPECT_EQ(metric("pgwarden_notifications_total", {{"receiver", "mail"}, {"outcome", "failure"}}), 0);
  EXPECT_EQ(metric("pgwarden_outbox_pending", {{"receiver", "mail"}}), 0);
  EXPECT_TRUE(sink.messages().empty());
  EXPECT_NE(pgw_.log_text().find("SMTP 554"), std::string::npos) << pgw_.log_text();
}

}  // namespace
}  // namespace pgw::test
