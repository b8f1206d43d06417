// Basic auth on every endpoint of `pgwarden serve` ([exporter]
// basic_auth_file): no or wrong credentials get 401 with a challenge, the
// right ones 200; the password shows up nowhere; a credentials file others
// can read is refused at startup; SIGHUP picks up new credentials.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>
#include <vector>

#include "core/http_client.h"
#include "tests/fixtures/pgwarden_process.h"
#include "tests/fixtures/test_util.h"
#include "tests/fixtures/transcript.h"

namespace pgw {
namespace {

using namespace std::chrono_literals;
using test::PgwardenProcess;

const std::vector<std::string> kEndpoints = {"/metrics", "/alerts", "/healthz", "/"};

// GET with an optional Authorization header; the answer joins the transcript.
HttpResponse get(const PgwardenProcess& p, const std::string& path, const std::string& authorization) {
  HttpRequest req;
  req.url = p.base_url() + path;
  req.timeout = Duration(5000);
  if (!authorization.empty()) req.headers.emplace_back("Authorization", authorization);
  HttpResponse r = http_request(req);
  test::record_transcript("http", "GET " + path + " -> " + std::to_string(r.status) + "\n" + r.body);
  return r;
}

std::string header(const HttpResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return "";
}

class BasicAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    password_ = test::random_secret("pw-");
    other_password_ = test::random_secret("pw2-");
    auth_file_ = proc_.dir() + "/web-users";
    test::write_file(auth_file_, "# users of /metrics\nprometheus:" + password_ + "\n\nops:" +
                                     other_password_ + "\n", true);
  }

  std::string config(const std::string& auth_file) const {
    return "[exporter]\ninterval = \"1s\"\nstate_dir = \"" + proc_.dir() + "/state\"\nbasic_auth_file = \"" +
           auth_file + "\"\n";
  }

  PgwardenProcess proc_;
  std::string password_, other_password_, auth_file_;
};

TEST_F(BasicAuthTest, EveryEndpointNeedsTheRightCredentials) {
  proc_.set_basic_auth("prometheus:" + password_);
  proc_.start(config(auth_file_));

  for (const auto& path : kEndpoints) {
    SCOPED_TRACE(path);
    HttpResponse none = get(proc_, path, "");
    EXPECT_EQ(none.status, 401);
    EXPECT_EQ(header(none, "www-authenticate"), "Basic realm=\"pgwarden\"");

    EXPECT_EQ(get(proc_, path, test::basic_auth_header("prometheus:wrong-" + password_)).status, 401);
    EXPECT_EQ(get(proc_, path, test::basic_auth_header("prometheus:" + other_password_)).status, 401)
        << "another user's password must not do";
    EXPECT_EQ(get(proc_, path, test::basic_auth_header("nobody:" + password_)).status, 401);
    EXPECT_EQ(get(proc_, path, "Basic !!not-base64!!").status, 401);
    EXPECT_EQ(get(proc_, path, "Bearer " + password_).status, 401);

    HttpResponse ok = get(proc_, path, test::basic_auth_header("prometheus:" + password_));
    EXPECT_EQ(ok.status, 200) << ok.error << ok.body;
    EXPECT_EQ(ok.body.find(password_), std::string::npos);
    EXPECT_EQ(get(proc_, path, test::basic_auth_header("ops:" + other_password_)).status, 200);
  }
  EXPECT_NE(proc_.scrape("/metrics").find("pgwarden_build_info"), std::string::npos);

  proc_.stop();
  std::string log = proc_.log_text();
  EXPECT_EQ(log.find(password_), std::string::npos) << log;
  EXPECT_EQ(log.find(other_password_), std::string::npos) << log;
}

TEST_F(BasicAuthTest, ReloadReplacesTheCredentials) {
  proc_.set_basic_auth("prometheus:" + password_);
  proc_.start(config(auth_file_));
  std::string fresh = test::random_secret("pw3-");
  test::write_file(auth_file_, "prometheus:" + fresh + "\n", true);
  proc_.reload();
  ASSERT_TRUE(test::poll_until(
      [&] { return get(proc_, "/healthz", test::basic_auth_header("prometheus:" + fresh)).status == 200; }, 30s))
      << proc_.log_text();
  EXPECT_EQ(get(proc_, "/healthz", test::basic_auth_header("prometheus:" + password_)).status, 401);
}

TEST_F(BasicAuthTest, CredentialsFileOthersCanReadIsRefusedAtStartup) {
  ASSERT_EQ(::chmod(auth_file_.c_str(), 0644), 0);
  test::write_file(proc_.config_path(), config(auth_file_), true);
  for (const std::string cmd : {"serve", "validate"}) {
    SCOPED_TRACE(cmd);
    auto r = test::run_pgwarden(cmd + " -c " + test::shell_quote(proc_.config_path()) +
                                (cmd == "serve" ? " --listen 127.0.0.1:" + std::to_string(test::free_port()) : ""));
    EXPECT_EQ(r.exit_code, 2) << r.out;
    EXPECT_NE(r.out.find("exporter.basic_auth_file: \"" + auth_file_ +
                         "\" is readable or writable by others (mode 0644); fix it with: chmod o-rwx " +
                         auth_file_),
              std::string::npos)
        << r.out;
    EXPECT_EQ(r.out.find(password_), std::string::npos) << r.out;
  }
  // Group-readable is fine (root:pgwarden 0640 under systemd).
  ASSERT_EQ(::chmod(auth_file_.c_str(), 0640), 0);
  auto ok = test::run_pgwarden("validate -c " + test::shell_quote(proc_.config_path()));
  EXPECT_EQ(ok.exit_code, 0) << ok.out;
}

TEST_F(BasicAuthTest, MalformedCredentialsFileIsRefusedWithoutShowingIt) {
  std::string secret_line = test::random_secret("no-colon-");
  test::write_file(auth_file_, "prometheus:" + password_ + "\n" + secret_line + "\n", true);
  test::write_file(proc_.config_path(), config(auth_file_), true);
  auto r = test::run_pgwarden("validate -c " + test::shell_quote(proc_.config_path()));
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_NE(r.out.find("line 2 is not \"user:password\""), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find(secret_line), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find(password_), std::string::npos) << r.out;
}

}  // namespace
}  // namespace pgw
