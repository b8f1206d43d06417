// Receivers verify TLS: against a real HTTPS server on 127.0.0.1 whose
// certificate comes from a test CA, a receiver that does not trust the CA
// delivers nothing (the outbox keeps the notification, the failure is logged
// and counted, without the URL's secret path), and one with ca_file = the CA
// delivers exactly once.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "alerts/hmac.h"
#include "tests/fixtures/e2e_support.h"
#include "tests/fixtures/https_sink.h"
#include "tests/fixtures/test_util.h"
#include "tests/fixtures/transcript.h"

namespace pgw {
namespace {

using namespace std::chrono_literals;

constexpr auto kReact = 60s;

TEST(WebhookTlsTest, UntrustedCertificateIsNotDeliveredAndCaFileIsTrusted) {
  test::PgwardenProcess proc;
  const std::string& dir = proc.dir();
  test::TestCa ca = test::make_test_ca(dir, "receiver");
  test::HttpsSink sink(test::make_server_cert(ca, dir, "receiver"), dir);

  std::string untrusted_token = test::random_secret("untrusted-token-");
  std::string trusted_token = test::random_secret("trusted-token-");
  std::string hmac = test::random_secret("hmac-");
  test::write_file(dir + "/untrusted_url", sink.url("/hook/" + untrusted_token) + "\n", true);
  test::write_file(dir + "/trusted_url", sink.url("/hook/" + trusted_token) + "\n", true);
  test::write_file(dir + "/hmac", hmac + "\n", true);

  // Only Watchdog (always firing) is routed: one group, one notification each.
  std::string receivers =
      "[[receivers]]\nname = \"untrusted\"\ntype = \"webhook\"\nurl_file = \"" + dir + "/untrusted_url\"\n"
      "group_wait = \"1s\"\nmatch = { alertname = \"Watchdog\" }\n\n"
      "[[receivers]]\nname = \"trusted\"\ntype = \"webhook\"\nurl_file = \"" + dir + "/trusted_url\"\n"
      "ca_file = \"" + ca.cert + "\"\nhmac_secret_file = \"" + dir + "/hmac\"\n"
      "group_wait = \"1s\"\nmatch = { alertname = \"Watchdog\" }\n";
  // A node nobody listens on keeps the rounds (and so the rules) running.
  std::string config = "[exporter]\ninterval = \"1s\"\nstate_dir = \"" + dir + "/state\"\n\n"
                       "[[clusters]]\nname = \"tls\"\n\n[[clusters.nodes]]\nname = \"alpha\"\nrole = \"primary\"\n"
                       "conninfo = \"host=127.0.0.1 port=" + std::to_string(test::free_port()) +
                       " dbname=postgres user=pgwarden\"\n\n" + receivers;
  proc.start(config);

  auto delivered = [&](const std::string& token) {
    size_t n = 0;
    for (const auto& r : sink.requests()) n += r.path == "/hook/" + token;
    return n;
  };
  // The untrusted receiver fails again and again; the trusted one is done.
  ASSERT_TRUE(test::eventually_metrics(proc, "untrusted failed twice and pending, trusted delivered", kReact,
                                       [&](const test::Exposition& e) {
                                         auto fail = e.value("pgwarden_notifications_total",
                                                             {{"receiver", "untrusted"}, {"outcome", "failure"}});
                                         auto pending = e.value("pgwarden_outbox_pending", {{"receiver", "untrusted"}});
                                         auto ok = e.value("pgwarden_notifications_total",
                                                           {{"receiver", "trusted"}, {"outcome", "success"}});
                                         return fail >= 2 && pending == 1 && ok == 1;
                                       }));
  EXPECT_EQ(delivered(untrusted_token), 0u) << "a receiver that does not trust the CA sent something";
  ASSERT_EQ(delivered(trusted_token), 1u);
  auto requests = sink.requests();
  for (const auto& r : requests) {
    if (r.path != "/hook/" + trusted_token) continue;
    EXPECT_NE(r.body.find("\"Watchdog\""), std::string::npos) << r.body;
    EXPECT_EQ(r.signature, signature_header_value(hmac, r.body));
  }
  // The outbox on disk still holds the undelivered one.
  size_t files = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir + "/state"))
    files += e.is_regular_file() && e.path().string().find("untrusted") != std::string::npos;
  EXPECT_GE(files, 1u) << "no outbox entry for the untrusted receiver under " << dir << "/state";

  std::string log = proc.log_text();
  EXPECT_NE(log.find("receiver untrusted attempt"), std::string::npos) << log;
  for (const std::string& secret : {untrusted_token, trusted_token, hmac})
    EXPECT_EQ(log.find(secret), std::string::npos) << log;
}

}  // namespace
}  // namespace pgw
