// Remote shell commands of the host check and pure parsers of their output.
// The commands run under the remote /bin/sh on GNU/Linux and BSD/macOS
// userlands alike; the parsers accept only the exact shapes the commands
// print and reject anything else (nullopt), never crashing on garbage.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pgw {

// Quotes `s` as one word for a POSIX shell ('...' with ' written as '\'').
std::string sh_single_quote(std::string_view s);

// A path the host check may pass to the remote shell (quoted): absolute,
// no control characters. Returns why not, or nullopt when acceptable.
std::optional<std::string> invalid_remote_path(std::string_view path);
// A glob the remote shell must expand itself, so it cannot be quoted: only
// path characters and the wildcards * ? [ ] ! are allowed. Returns why not,
// or nullopt when acceptable.
std::optional<std::string> invalid_remote_glob(std::string_view glob);

// Wraps a script so it runs under /bin/sh whatever the login shell is
// (zsh on macOS would otherwise abort on a glob without matches).
std::string sh_command(std::string_view script);

// `df -Pk PATH`: POSIX format in 1024-byte blocks on both userlands.
std::string filesystem_command(std::string_view path);
struct FilesystemUsage {
  double size_bytes = 0;
  double free_bytes = 0;  // available to unprivileged users
};
std::optional<FilesystemUsage> parse_filesystem(std::string_view out);

// Permission bits via GNU `stat -c %a`, falling back to BSD `stat -f %Lp`.
std::string mode_command(std::string_view path);
// Octal permission text ("700", "2755") -> bits (448, 1517).
std::optional<int> parse_mode(std::string_view out);

// Prints "now <epoch>" (the remote clock) and "newest <epoch>|none" for the
// newest mtime among the files the glob matches.
std::string newest_file_command(std::string_view glob);
struct NewestFile {
  int64_t now = 0;
  std::optional<int64_t> newest_mtime;  // nullopt: nothing matched
};
std::optional<NewestFile> parse_newest_file(std::string_view out);

}  // namespace pgw
