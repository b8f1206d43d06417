#include "exporter/config_secrets.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace pgw::config_detail {

std::string PathBase::resolve(const std::string& path) const {
  std::filesystem::path p(path);
  if (path.empty() || p.is_absolute() || dir.empty()) return path;
  return (dir / p).lexically_normal().string();
}

namespace {

std::string octal_mode(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

}  // namespace

std::string others_access_problem(const std::string& path, unsigned mode) {
  if ((mode & 07) == 0) return {};
  return show(path) + " is readable or writable by others (mode " + octal_mode(mode) +
         "); fix it with: chmod o-rwx " + path;
}

bool read_secret_file(TableReader& r, std::string_view key, const PathBase& base,
                      std::string& path_out, std::string* secret_out, SecretUse use) {
  std::string raw;
  if (!r.string(key, raw)) return false;
  const toml::node& node = *r.table().get(key);
  const std::string where = r.key_path(key);
  if (raw.empty()) {
    r.sink().add(node, where, "must not be empty (expected a file path)");
    return false;
  }
  std::string path = base.resolve(raw);
  path_out = path;

  // stat() is POSIX and behaves the same on Linux and macOS.
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    r.sink().add(node, where, "cannot read " + show(path) + ": " + std::strerror(errno));
    return false;
  }
  if (!S_ISREG(st.st_mode)) {
    r.sink().add(node, where, show(path) + " is not a regular file");
    return false;
  }
  if (std::string problem = others_access_problem(path, st.st_mode); !problem.empty()) {
    r.sink().add(node, where, problem);
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    r.sink().add(node, where, "cannot read " + show(path) + ": permission denied");
    return false;
  }
  if (use == SecretUse::CheckAccess) return true;

  std::stringstream ss;
  ss << in.rdbuf();
  std::string content = ss.str();
  while (!content.empty() && (content.back() == '\n' || content.back() == '\r'))
    content.pop_back();
  if (content.empty()) {
    r.sink().add(node, where, show(path) + " is empty");
    return false;
  }
  if (secret_out) *secret_out = std::move(content);
  return true;
}

}  // namespace pgw::config_detail
