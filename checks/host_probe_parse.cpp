#include "checks/host_probe_parse.h"

#include <charconv>
#include <vector>

namespace pgw {
namespace {

std::vector<std::string_view> split_lines(std::string_view s) {
  std::vector<std::string_view> lines;
  while (!s.empty()) {
    size_t nl = s.find('\n');
    std::string_view line = s.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    if (nl == std::string_view::npos) break;
    s.remove_prefix(nl + 1);
  }
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines;
}

std::vector<std::string_view> split_words(std::string_view s) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    size_t start = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t') ++i;
    if (i > start) words.push_back(s.substr(start, i - start));
  }
  return words;
}

// Unsigned decimal, digits only (no sign, no spaces).
std::optional<uint64_t> parse_uint(std::string_view s) {
  if (s.empty() || s.size() > 18) return std::nullopt;  // fits int64_t
  for (char c : s)
    if (c < '0' || c > '9') return std::nullopt;
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

bool is_percent(std::string_view s) {
  return s.size() >= 2 && s.back() == '%' && parse_uint(s.substr(0, s.size() - 1)).has_value();
}

// "key value" with exactly one space.
std::optional<std::string_view> keyed(std::string_view line, std::string_view key) {
  if (line.size() <= key.size() + 1 || line.substr(0, key.size()) != key || line[key.size()] != ' ')
    return std::nullopt;
  return line.substr(key.size() + 1);
}

}  // namespace

std::string sh_single_quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  out += '\'';
  return out;
}

std::optional<std::string> invalid_remote_path(std::string_view path) {
  if (path.empty()) return "path is empty";
  if (path.front() != '/') return "path must be absolute";
  for (unsigned char c : path)
    if (c < 0x20 || c == 0x7f) return "path contains a control character";
  return std::nullopt;
}

std::optional<std::string> invalid_remote_glob(std::string_view glob) {
  if (auto why = invalid_remote_path(glob)) return why;
  for (unsigned char c : glob) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c >= 0x80 || std::string_view("/._-+,@%:=*?[]!").find(static_cast<char>(c)) !=
                               std::string_view::npos;
    if (!ok)
      return std::string("glob may contain only path characters and * ? [ ] !, not '") +
             static_cast<char>(c) + "'";
  }
  return std::nullopt;
}

std::string sh_command(std::string_view script) { return "/bin/sh -c " + sh_single_quote(script); }

std::string filesystem_command(std::string_view path) {
  return sh_command("df -Pk " + sh_single_quote(path));
}

std::optional<FilesystemUsage> parse_filesystem(std::string_view out) {
  auto lines = split_lines(out);
  if (lines.size() != 2 || lines[0].substr(0, 10) != "Filesystem") return std::nullopt;
  // Filesystem and mount point names may contain spaces: anchor on the
  // "blocks used available capacity%" run instead of on word positions.
  auto w = split_words(lines[1]);
  for (size_t i = 4; i + 1 < w.size(); ++i) {
    if (!is_percent(w[i])) continue;
    auto total = parse_uint(w[i - 3]), used = parse_uint(w[i - 2]), avail = parse_uint(w[i - 1]);
    if (!total || !used || !avail) continue;
    return FilesystemUsage{static_cast<double>(*total) * 1024, static_cast<double>(*avail) * 1024};
  }
  return std::nullopt;
}

std::string mode_command(std::string_view path) {
  std::string p = sh_single_quote(path);
  // Detect GNU stat on "/" so that a missing path gives stat's own error,
  // not the other flavour's complaint about its format.
  return sh_command("if stat -c %a / >/dev/null 2>&1; then stat -c %a " + p + "; else stat -f %Lp " + p + "; fi");
}

std::optional<int> parse_mode(std::string_view out) {
  auto lines = split_lines(out);
  if (lines.size() != 1) return std::nullopt;
  std::string_view s = lines[0];
  if (s.empty() || s.size() > 4) return std::nullopt;
  int bits = 0;
  for (char c : s) {
    if (c < '0' || c > '7') return std::nullopt;
    bits = bits * 8 + (c - '0');
  }
  return bits;
}

std::string newest_file_command(std::string_view glob) {
  // The glob stays unquoted so /bin/sh expands it; invalid_remote_glob()
  // guarantees it holds no other shell syntax. Without a match the pattern
  // stays literal and names nothing. GNU stat is detected once rather than
  // tried per file, so a vanished file cannot mix in BSD output.
  std::string script = "set -- " + std::string(glob) +
                       "; now=$(date +%s); m=none; "
                       "if [ -e \"$1\" ] || [ -L \"$1\" ]; then "
                       "if stat -c %Y / >/dev/null 2>&1; then m=$(stat -c %Y -- \"$@\" | sort -n | tail -n 1); "
                       "else m=$(stat -f %m -- \"$@\" | sort -n | tail -n 1); fi; fi; "
                       "echo \"now $now\"; echo \"newest $m\"";
  return sh_command(script);
}

std::optional<NewestFile> parse_newest_file(std::string_view out) {
  auto lines = split_lines(out);
  if (lines.size() != 2) return std::nullopt;
  auto now_text = keyed(lines[0], "now");
  auto newest_text = keyed(lines[1], "newest");
  if (!now_text || !newest_text) return std::nullopt;
  auto now = parse_uint(*now_text);
  if (!now) return std::nullopt;
  NewestFile r;
  r.now = static_cast<int64_t>(*now);
  if (*newest_text == "none") return r;
  auto newest = parse_uint(*newest_text);
  if (!newest) return std::nullopt;
  r.newest_mtime = static_cast<int64_t>(*newest);
  return r;
}

}  // namespace pgw
