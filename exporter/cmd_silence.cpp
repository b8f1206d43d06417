#include "exporter/cmd_silence.h"

#include <cstdlib>
#include <iostream>

#include "alerts/suppression.h"
#include "core/duration.h"
#include "core/time_format.h"
#include "exporter/config_loader.h"

namespace pgw {
namespace {

int add(const SilenceOptions& o, SilenceStore& store) {
  auto now = std::chrono::system_clock::now();
  Silence s;
  for (const auto& text : o.args) {
    std::string error;
    size_t offset = 0;
    auto m = LabelMatcher::parse(text, error, offset);
    if (!m) {
      std::cerr << "pgwarden silence add: bad matcher " << text << ": " << error << "\n";
      return 2;
    }
    s.matchers.push_back(std::move(*m));
  }
  s.starts_at = now;
  if (!o.start.empty()) {
    auto t = parse_rfc3339(o.start);
    if (!t) {
      std::cerr << "pgwarden silence add: --start " << o.start << " is not an RFC 3339 time\n";
      return 2;
    }
    s.starts_at = *t;
  }
  if (!o.end.empty()) {
    auto t = parse_rfc3339(o.end);
    if (!t) {
      std::cerr << "pgwarden silence add: --end " << o.end << " is not an RFC 3339 time\n";
      return 2;
    }
    s.ends_at = *t;
  } else {
    auto d = parse_duration(o.duration);
    if (!d || d->count() <= 0) {
      std::cerr << "pgwarden silence add: --duration " << o.duration << " is not a duration (e.g. 2h)\n";
      return 2;
    }
    s.ends_at = s.starts_at + *d;
  }
  if (o.comment.empty()) {
    std::cerr << "pgwarden silence add: --comment is required (say why)\n";
    return 2;
  }
  s.comment = o.comment;
  s.created_by = o.author;
  if (s.created_by.empty()) {
    const char* user = std::getenv("USER");
    s.created_by = user ? user : "pgwarden";
  }
  std::string id, error;
  auto r = store.upsert(std::move(s), now, id, error);
  if (r != SilenceStore::Result::Ok) {
    std::cerr << "pgwarden silence add: " << error << "\n";
    return r == SilenceStore::Result::Invalid ? 2 : 1;
  }
  std::cout << id << "\n";
  return 0;
}

int list(const SilenceOptions& o, SilenceStore& store) {
  std::vector<LabelMatcher> filter;
  for (const auto& text : o.args) {
    std::string error;
    size_t offset = 0;
    auto m = LabelMatcher::parse(text, error, offset);
    if (!m) {
      std::cerr << "pgwarden silence list: bad matcher " << text << ": " << error << "\n";
      return 2;
    }
    filter.push_back(std::move(*m));
  }
  auto now = std::chrono::system_clock::now();
  if (!o.quiet) std::cout << "ID\tState\tMatchers\tStarts At\tEnds At\tCreated By\tComment\n";
  for (const auto& s : store.list()) {
    if (!o.expired && std::string(s.state(now)) == "expired") continue;
    bool pass = true;
    for (const auto& f : filter) {
      bool found = false;
      for (const auto& m : s.matchers) found |= m.name() == f.name() && f.matches_value(m.value());
      pass &= found;
    }
    if (!pass) continue;
    if (o.quiet) {
      std::cout << s.id << "\n";
      continue;
    }
    std::string ms;
    for (const auto& m : s.matchers) ms += (ms.empty() ? "" : " ") + m.str();
    std::cout << s.id << "\t" << s.state(now) << "\t" << ms << "\t" << rfc3339_ms(s.starts_at) << "\t"
              << rfc3339_ms(s.ends_at) << "\t" << s.created_by << "\t" << s.comment << "\n";
  }
  return 0;
}

int expire(const SilenceOptions& o, SilenceStore& store) {
  if (o.args.empty()) {
    std::cerr << "pgwarden silence expire: name the silence id(s) to expire\n";
    return 2;
  }
  int rc = 0;
  for (const auto& id : o.args) {
    std::string error;
    auto r = store.expire(id, std::chrono::system_clock::now(), error);
    if (r != SilenceStore::Result::Ok) {
      std::cerr << "pgwarden silence expire: " << error << "\n";
      rc = 1;
    }
  }
  return rc;
}

}  // namespace

int run_silence(const SilenceOptions& o) {
  auto loaded = load_config(o.config_path);
  if (!loaded.config) {
    for (const auto& e : loaded.errors) std::cerr << e.str() << "\n";
    return 2;
  }
  SilenceStore store(silences_path(*loaded.config));
  if (!store.load_error().empty()) {
    std::cerr << "pgwarden silence: " << store.load_error() << "\n";
    return 1;
  }
  if (o.action == "add") return add(o, store);
  if (o.action == "list") return list(o, store);
  if (o.action == "expire") return expire(o, store);
  std::cerr << "pgwarden silence: unknown action " << o.action << " (add, list or expire)\n";
  return 2;
}

}  // namespace pgw
