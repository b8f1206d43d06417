#include "core/durable_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace pgw {

std::string write_file_atomically(const std::string& path, const std::string& content,
                                  unsigned mode) {
  auto slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash);
  std::string tmpl = path + ".tmp.XXXXXX";
  std::vector<char> name(tmpl.begin(), tmpl.end());
  name.push_back('\0');
  int fd = mkstemp(name.data());
  if (fd < 0) return "cannot create a temporary file next to " + path + ": " + std::strerror(errno);
  fcntl(fd, F_SETFD, FD_CLOEXEC);  // not inherited by a probe's child process
  auto fail = [&](const char* what) {
    std::string err = std::string(what) + " " + path + ": " + std::strerror(errno);
    close(fd);
    unlink(name.data());
    return err;
  };
  size_t off = 0;
  while (off < content.size()) {
    ssize_t n = write(fd, content.data() + off, content.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("cannot write");
    }
    off += static_cast<size_t>(n);
  }
  if (fchmod(fd, static_cast<mode_t>(mode)) != 0) return fail("cannot chmod");
  if (fsync(fd) != 0) return fail("cannot fsync");
  if (close(fd) != 0) {
    unlink(name.data());
    return "cannot close " + path + ": " + std::strerror(errno);
  }
  if (rename(name.data(), path.c_str()) != 0) {
    std::string err = "cannot rename into " + path + ": " + std::strerror(errno);
    unlink(name.data());
    return err;
  }
  int dfd = open(dir.c_str(), O_RDONLY);
  if (dfd >= 0) {
    fsync(dfd);  // makes the rename durable; failure here is not fatal
    close(dfd);
  }
  return "";
}

bool is_temporary_file_name(const std::string& name) {
  auto ends_with = [&](const std::string& suffix) {
    return name.size() >= suffix.size() &&
           name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (ends_with(".tmp")) return true;
  // NAME.tmp.XXXXXX, as made by mkstemp above.
  auto pos = name.rfind(".tmp.");
  return pos != std::string::npos && name.size() - pos == 5 + 6;
}

int remove_temporary_files(const std::string& dir) {
  std::error_code ec;
  int n = 0;
  for (const auto& de : std::filesystem::directory_iterator(dir, ec)) {
    std::error_code fec;
    if (!de.is_regular_file(fec) || !is_temporary_file_name(de.path().filename().string())) continue;
    if (std::filesystem::remove(de.path(), fec)) ++n;
  }
  return n;
}

std::string unsafe_directory_reason(const std::string& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return "";
  if (!S_ISDIR(st.st_mode)) return "is not a directory";
  if (st.st_mode & S_IWOTH) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return std::string("is writable by every user (mode ") + mode +
           "): another user could plant or replace its files; chmod o-w it or choose another directory";
  }
  return "";
}

bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return !in.bad();
}

}  // namespace pgw
