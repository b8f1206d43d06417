// libpq TLS settings in a node's conninfo are honoured, pgwarden adds none of
// its own: against a real PostgreSQL with ssl = on (a test CA and a server
// certificate for 127.0.0.1 made with openssl), verify-full with the right
// CA connects over TLS; with another CA the node is down and the log says
// why (without the password); require against a server without TLS is down;
// disable really connects without TLS.
#include <gtest/gtest.h>

#include <string>

#include "tests/fixtures/e2e_support.h"
#include "tests/fixtures/pg_tls.h"
#include "tests/fixtures/test_util.h"

namespace pgw {
namespace {

using namespace std::chrono_literals;
using test::PgCluster;

constexpr auto kReact = 60s;

std::string node(const std::string& name, const std::string& role, const std::string& conninfo,
                 const std::string& password_file) {
  return "[[clusters.nodes]]\nname = \"" + name + "\"\nrole = \"" + role + "\"\nconninfo = \"" + conninfo +
         "\"\npassword_file = \"" + password_file + "\"\n\n";
}

// How many of pgwarden's sessions with `application_name` use TLS (ssl) or not.
std::string ssl_sessions(const PgCluster& pg, const std::string& application_name, bool ssl) {
  return pg.psql(PgCluster::kPrimary,
                 "SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) "
                 "WHERE a.application_name = '" + application_name + "' AND s.ssl = " +
                     (ssl ? "true" : "false"));
}

TEST(PgTlsTest, SslModeAndRootCertAreHonoured) {
  PgCluster pg;  // primary + one standby; TLS only on the primary
  test::PgwardenProcess proc;
  const std::string& dir = proc.dir();
  test::TestCa ca = test::make_test_ca(dir, "right");
  test::TestCa other = test::make_test_ca(dir, "other");
  test::ServerCert cert = test::make_server_cert(ca, dir, "primary");
  test::enable_pg_ssl(pg, PgCluster::kPrimary, cert);

  std::string primary = pg.conninfo(PgCluster::kPrimary);
  std::string config =
      "[exporter]\ninterval = \"1s\"\ntimeout = \"3s\"\nstate_dir = \"" + dir + "/state\"\n\n"
      "[[clusters]]\nname = \"tls\"\n\n" +
      node("verified", "primary",
           primary + " application_name=pgw_verified sslmode=verify-full sslrootcert=" + ca.cert,
           pg.password_file()) +
      node("wrong_ca", "primary",
           primary + " application_name=pgw_wrong_ca sslmode=verify-full sslrootcert=" + other.cert,
           pg.password_file()) +
      node("plain", "primary", primary + " application_name=pgw_plain sslmode=disable", pg.password_file()) +
      node("no_tls_server", "standby", pg.conninfo(1) + " application_name=pgw_require sslmode=require",
           pg.password_file());
  proc.start(config);

  auto up = [](const test::Exposition& e, const std::string& n) {
    return e.value("pgwarden_node_up", {{"cluster", "tls"}, {"node", n}});
  };
  auto recovery_ok = [](const test::Exposition& e, const std::string& n) {
    return e.value("pgwarden_check_success", {{"cluster", "tls"}, {"node", n}, {"check", "recovery"}});
  };
  EXPECT_TRUE(test::eventually_metrics(proc, "verified up, wrong_ca and no_tls_server down, plain up", kReact,
                                       [&](const test::Exposition& e) {
                                         return up(e, "verified") == 1 && recovery_ok(e, "verified") == 1 &&
                                                up(e, "wrong_ca") == 0 && recovery_ok(e, "wrong_ca") == 0 &&
                                                up(e, "no_tls_server") == 0 &&
                                                recovery_ok(e, "no_tls_server") == 0 && up(e, "plain") == 1;
                                       }));

  // The server's view: pgwarden's verify-full session is encrypted, the
  // sslmode=disable one is not (pgwarden did not override either).
  EXPECT_TRUE(test::poll_until([&] { return ssl_sessions(pg, "pgw_verified", true) != "0"; }, kReact))
      << "no TLS session from pgwarden with sslmode=verify-full";
  EXPECT_EQ(ssl_sessions(pg, "pgw_verified", false), "0");
  EXPECT_TRUE(test::poll_until([&] { return ssl_sessions(pg, "pgw_plain", false) != "0"; }, kReact))
      << "sslmode=disable should connect without TLS";
  EXPECT_EQ(ssl_sessions(pg, "pgw_plain", true), "0");
  EXPECT_EQ(ssl_sessions(pg, "pgw_wrong_ca", true), "0");

  // Why the others are down, in the log, and never the password.
  ASSERT_TRUE(test::poll_until(
      [&] {
        std::string log = proc.log_text();
        return log.find("certificate verify failed") != std::string::npos &&
               log.find("server does not support SSL") != std::string::npos;
      },
      kReact))
      << proc.log_text();
  proc.stop();
  std::string log = proc.log_text();
  EXPECT_EQ(log.find(pg.password()), std::string::npos) << log;
}

}  // namespace
}  // namespace pgw
