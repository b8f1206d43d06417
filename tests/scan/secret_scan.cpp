// The last test of the suite: every secret the fixtures recorded must be
// absent from every transcript they recorded (see tests/fixtures/transcript.h).
//
//   secret_scan DIR [--min-bytes N]
//
// Fails (exit 1) on any hit, and when the transcripts look too thin to mean
// anything: no secret, no pgwarden log, no HTTP response, or fewer than N
// bytes in all (a broken hook would otherwise pass silently).
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The "==== test" header above `pos`, so a hit names the test that made it.
std::string test_at(const std::string& text, size_t pos) {
  size_t h = text.rfind("==== ", pos);
  if (h == std::string::npos) return "?";
  size_t end = text.find('\n', h);
  return text.substr(h + 5, end - h - 5);
}

// Enough of a secret to find it in the fixtures, not the whole of it.
std::string hint(const std::string& secret) { return secret.substr(0, 8) + "..."; }

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: secret_scan DIR [--min-bytes N]\n";
    return 2;
  }
  fs::path dir = argv[1];
  uintmax_t min_bytes = 1024;
  for (int i = 2; i + 1 < argc; i += 2)
    if (std::strcmp(argv[i], "--min-bytes") == 0) min_bytes = std::strtoull(argv[i + 1], nullptr, 10);

  std::map<std::string, std::string> secrets;  // secret -> the kind it may appear in
  std::error_code ec;
  if (fs::is_directory(dir / "secrets", ec))
    for (const auto& e : fs::directory_iterator(dir / "secrets")) {
      std::istringstream lines(read_all(e.path()));
      for (std::string line; std::getline(lines, line);) {
        if (line.empty()) continue;
        auto tab = line.find('\t');
        secrets[line.substr(0, tab)] = tab == std::string::npos ? "" : line.substr(tab + 1);
      }
    }

  std::map<std::string, int> files_per_kind;  // "log" -> files
  uintmax_t files = 0, bytes = 0;
  int hits = 0;
  if (fs::is_directory(dir / "text", ec))
    for (const auto& e : fs::directory_iterator(dir / "text")) {
      if (!e.is_regular_file()) continue;
      std::string name = e.path().filename().string();
      std::string kind = fs::path(e.path().stem()).extension().string();  // ".log"
      if (!kind.empty()) kind = kind.substr(1);
      ++files_per_kind[kind];
      std::string text = read_all(e.path());
      ++files;
      bytes += text.size();
      for (const auto& [s, allowed_in] : secrets) {
        if (!allowed_in.empty() && allowed_in == kind) continue;
        for (size_t pos = text.find(s); pos != std::string::npos; pos = text.find(s, pos + 1)) {
          std::cerr << "LEAK: secret " << hint(s) << " in " << name << " (test " << test_at(text, pos)
                    << ")\n";
          ++hits;
        }
      }
    }

  std::cout << "secret scan: " << secrets.size() << " secret(s), " << files << " transcript file(s), "
            << bytes << " bytes";
  for (const auto& [kind, n] : files_per_kind) std::cout << "; " << kind << ": " << n;
  std::cout << "\n";

  std::vector<std::string> thin;
  if (secrets.empty()) thin.push_back("no secret was recorded");
  if (!files_per_kind.count("log")) thin.push_back("no pgwarden log was recorded");
  if (!files_per_kind.count("http")) thin.push_back("no HTTP response was recorded");
  if (bytes < min_bytes) thin.push_back("fewer than " + std::to_string(min_bytes) + " bytes recorded");
  for (const auto& t : thin) std::cerr << "too little to scan: " << t << "\n";
  if (!thin.empty())
    std::cerr << "(running a subset of tests that starts no pgwarden? exclude the scan with "
                 "ctest -FA '.*')\n";
  if (hits) std::cerr << hits << " leak(s)\n";
  return hits || !thin.empty() ? 1 : 0;
}
