// scripts/package builds pgwarden_<version>_<arch>.deb; installed with dpkg on
// this machine it gives a working `pgwarden`, a valid example config that
// only root and the pgwarden group can read, the state directory, the unit,
// dashboards and rules; `dpkg -r` keeps the config, `dpkg --purge` leaves
// nothing. Needs root and dpkg; skipped when a pgwarden package is already
// installed (it is never replaced). The package is purged at the end, also
// when an assertion fails.
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/fixtures/test_util.h"
#include "tests/fixtures/transcript.h"

namespace pgw::test {
namespace {

namespace fs = std::filesystem;

bool package_installed() {
  return run_command("dpkg-query -W -f='${Status}' pgwarden 2>/dev/null").out.find("installed") !=
         std::string::npos;
}

struct Owner {
  std::string user, group;
  unsigned mode = 0;
};

Owner owner(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  Owner o;
  if (auto* pw = getpwuid(st.st_uid)) o.user = pw->pw_name;
  if (auto* gr = getgrgid(st.st_gid)) o.group = gr->gr_name;
  o.mode = st.st_mode & 07777;
  return o;
}

std::string mode_str(unsigned m) {
  char b[8];
  std::snprintf(b, sizeof b, "%04o", m);
  return b;
}

// Purges the package (if this test installed it) and removes the system
// user postinst created (if it did not exist before), whatever happened.
struct Cleanup {
  bool user_existed = getpwnam("pgwarden") != nullptr;
  std::string dir = make_temp_dir("pgw-deb");
  ~Cleanup() {
    run_command("dpkg --purge pgwarden >/dev/null 2>&1");
    if (!user_existed && getpwnam("pgwarden")) run_command("userdel pgwarden >/dev/null 2>&1");
    remove_tree(dir);
  }
};

TEST(DebPackage, InstallValidateRemovePurge) {
  if (geteuid() != 0) GTEST_SKIP() << "dpkg -i needs root";
  if (run_command("command -v dpkg-deb && command -v dpkg-shlibdeps").exit_code != 0)
    GTEST_SKIP() << "dpkg-dev not installed";
  if (package_installed()) GTEST_SKIP() << "a pgwarden package is already installed; not touching it";
  Cleanup cleanup;

  auto built = run_command(std::string(PGWARDEN_SOURCE_DIR) + "/scripts/package --binary " +
                           shell_quote(PGWARDEN_BINARY) + " --out " + shell_quote(cleanup.dir), true);
  ASSERT_EQ(built.exit_code, 0) << built.out;
  std::string deb = built.out.substr(built.out.find_last_of('\n', built.out.size() - 2) + 1);
  while (!deb.empty() && deb.back() == '\n') deb.pop_back();
  std::string arch = run_command("dpkg --print-architecture").out;
  arch.erase(arch.find_last_not_of('\n') + 1);
  std::string version = run_command(shell_quote(PGWARDEN_BINARY) + " version").out;
  version = version.substr(9, version.find(' ', 9) - 9);  // "pgwarden X (rev)"
  EXPECT_EQ(fs::path(deb).filename().string(), "pgwarden_" + version + "_" + arch + ".deb") << built.out;
  ASSERT_TRUE(fs::exists(deb)) << built.out;
  auto info = run_command("dpkg-deb --info " + shell_quote(deb), true);
  EXPECT_NE(info.out.find("Depends: adduser, "), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("libpq5"), std::string::npos) << info.out;

  auto inst = run_command("dpkg -i " + shell_quote(deb), true);
  record_transcript("command", "dpkg -i\n" + inst.out);
  ASSERT_EQ(inst.exit_code, 0) << inst.out;

  auto ver = run_command("/usr/bin/pgwarden version", true);
  EXPECT_EQ(ver.exit_code, 0) << ver.out;
  EXPECT_EQ(ver.out.rfind("pgwarden " + version + " ", 0), 0u) << ver.out;
  // As the service runs it: the pgwarden user reads the config through its group.
  auto val = run_command("runuser -u pgwarden -- /usr/bin/pgwarden validate -c /etc/pgwarden/pgwarden.toml", true);
  EXPECT_EQ(val.exit_code, 0) << val.out;
  EXPECT_NE(val.out.find(": ok ("), std::string::npos) << val.out;

  struct Expect {
    std::string path, user, group;
    unsigned mode;
  };
  for (const auto& e : std::vector<Expect>{
           {"/usr/bin/pgwarden", "root", "root", 0755},
           {"/etc/pgwarden", "root", "pgwarden", 0750},
           {"/etc/pgwarden/pgwarden.toml", "root", "pgwarden", 0640},
           {"/var/lib/pgwarden", "pgwarden", "pgwarden", 0700},
           {"/lib/systemd/system/pgwarden.service", "root", "root", 0644},
           {"/usr/share/pgwarden/dashboards/pgwarden-overview.json", "root", "root", 0644},
           {"/usr/share/pgwarden/rules/pgwarden-rules.yml", "root", "root", 0644},
       }) {
    Owner o = owner(e.path);
    EXPECT_EQ(o.user + ":" + o.group + " " + mode_str(o.mode), e.user + ":" + e.group + " " + mode_str(e.mode))
        << e.path;
  }
  struct passwd* pw = getpwnam("pgwarden");
  ASSERT_NE(pw, nullptr);
  EXPECT_LT(pw->pw_uid, 1000u) << "a system user";
  EXPECT_EQ(run_command("dpkg-query -W -f='${Conffiles}' pgwarden").out.find("/etc/pgwarden/pgwarden.toml"),
            1u);
  std::string unit = read_file("/lib/systemd/system/pgwarden.service");
  EXPECT_NE(unit.find("ExecStart=/usr/bin/pgwarden serve -c /etc/pgwarden/pgwarden.toml"), std::string::npos);
  if (access("/usr/bin/promtool", X_OK) == 0) {
    auto rules = run_command("promtool check rules /usr/share/pgwarden/rules/pgwarden-rules.yml", true);
    EXPECT_EQ(rules.exit_code, 0) << rules.out;
  }
  if (access("/usr/bin/systemd-analyze", X_OK) == 0) {
    auto v = run_command("systemd-analyze verify /lib/systemd/system/pgwarden.service", true);
    EXPECT_EQ(v.exit_code, 0) << v.out;
  } else {
    std::cout << "[ SKIPPED ] systemd-analyze verify: systemd is not installed here\n";
  }

  auto files = run_command("dpkg-query -L pgwarden").out;
  auto rm = run_command("dpkg -r pgwarden", true);
  ASSERT_EQ(rm.exit_code, 0) << rm.out;
  EXPECT_FALSE(fs::exists("/usr/bin/pgwarden"));
  EXPECT_FALSE(fs::exists("/usr/share/pgwarden"));
  EXPECT_TRUE(fs::exists("/etc/pgwarden/pgwarden.toml")) << "dpkg -r keeps the conffile";

  auto purge = run_command("dpkg --purge pgwarden", true);
  ASSERT_EQ(purge.exit_code, 0) << purge.out;
  EXPECT_FALSE(package_installed());
  std::string left;
  size_t pos = 0;
  while (pos < files.size()) {
    size_t nl = files.find('\n', pos);
    std::string f = files.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? files.size() : nl + 1;
    // Shared directories (/usr, /etc, /lib/systemd/system, ...) stay.
    if (f.empty() || f == "/." || fs::is_directory(f)) continue;
    if (fs::exists(f)) left += f + "\n";
  }
  for (const char* d : {"/etc/pgwarden", "/var/lib/pgwarden", "/usr/share/pgwarden", "/usr/share/doc/pgwarden"})
    if (fs::exists(d)) left += std::string(d) + "\n";
  EXPECT_EQ(left, "") << "left behind after dpkg --purge";
}

}  // namespace
}  // namespace pgw::test
