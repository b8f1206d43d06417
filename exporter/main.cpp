// pgwarden command line: serve (default), check, discover, silence, validate, rules export|test,
// version.
#include <iostream>

#include <CLI/CLI.hpp>

#include "alerts/rule_engine.h"
#include "alerts/rules_export.h"
#include "exporter/build_info.h"
#include "exporter/cmd_check.h"
#include "exporter/cmd_discover.h"
#include "exporter/cmd_rules_test.h"
#include "exporter/config_loader.h"
#include "exporter/heap_trim.h"
#include "exporter/logging.h"
#include "exporter/cmd_serve.h"
#include "exporter/cmd_silence.h"

namespace {

int validate(const std::string& path) {
  auto r = pgw::load_config(path);
  if (!r.config) {
    for (const auto& e : r.errors) std::cerr << e.str() << "\n";
    return 2;
  }
  std::cout << path << ": ok (" << r.config->clusters.size() << " cluster(s), "
            << pgw::rule_definitions(*r.config).size() << " rule(s), " << r.config->receivers.size()
            << " receiver(s))\n";
  return 0;
}

int export_rules(const std::string& path) {
  auto r = pgw::load_config(path);
  if (!r.config) {
    for (const auto& e : r.errors) std::cerr << e.str() << "\n";
    return 2;
  }
  std::cout << pgw::export_rules_yaml(*r.config);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  pgw::tune_allocator();
  pgw::setup_logging("info");
  CLI::App app{"pgwarden: monitoring and alerting for PostgreSQL HA clusters"};
  app.require_subcommand(0, 1);

  pgw::ServeOptions serve_opts;
  auto* serve = app.add_subcommand("serve", "run the exporter (default)");
  serve->add_option("-c,--config", serve_opts.config_path, "config file (default: libpq environment)");
  serve->add_option("--listen", serve_opts.listen_override, "listen address (default 127.0.0.1:9847)");

  pgw::CheckOptions check_opts;
  auto* check = app.add_subcommand("check", "run every check once; Nagios exit codes");
  check->add_option("-c,--config", check_opts.config_path, "config file (default: libpq environment)");
  check->add_option("--format", check_opts.format, "nagios | json | prometheus | text")
      ->check(CLI::IsMember({"nagios", "json", "prometheus", "text"}));
  check->add_option("--output", check_opts.output, "write to FILE atomically instead of stdout");
  check->add_option("--state-file", check_opts.state_file, "keep for-timers and dedup across runs");
  check->add_flag("--notify", check_opts.notify, "send notifications through the receivers");
  check->add_option("--push", check_opts.push_url, "send the run's samples to a Pushgateway at URL");

  pgw::DiscoverCommandOptions discover_opts;
  auto* discover = app.add_subcommand("discover", "print a starting config for a live cluster");
  discover->add_option("--patroni", discover_opts.patroni_url, "a Patroni REST API URL");
  discover->add_option("conninfo", discover_opts.conninfo, "libpq conninfo of any node (default: libpq environment)");

  std::string validate_path;
  auto* val = app.add_subcommand("validate", "check a config file; exit 0 or 2");
  val->add_option("-c,--config", validate_path, "config file")->required();

  std::string rules_path;
  auto* rules = app.add_subcommand("rules", "alert rules");
  rules->require_subcommand(1);
  auto* rexport = rules->add_subcommand("export", "Prometheus rules YAML on stdout");
  rexport->add_option("-c,--config", rules_path, "config file")->required();
  std::vector<std::string> test_files;
  auto* rtest = rules->add_subcommand("test", "run promtool-format rule unit tests");
  rtest->add_option("files", test_files, "test files")->required();

  pgw::SilenceOptions silence_opts;
  auto* silence = app.add_subcommand("silence", "silences for `check` runs (serve has the API v2)");
  silence->require_subcommand(1);
  auto* sadd = silence->add_subcommand("add", "add a silence; prints its id");
  sadd->add_option("matchers", silence_opts.args, "matchers, e.g. alertname=PgNodeDown 'node=~\"a.*\"'")->required();
  sadd->add_option("-d,--duration", silence_opts.duration, "how long (default 1h)");
  sadd->add_option("--start", silence_opts.start, "RFC 3339 start (default now)");
  sadd->add_option("--end", silence_opts.end, "RFC 3339 end (instead of --duration)");
  sadd->add_option("-a,--author", silence_opts.author, "createdBy (default $USER)");
  sadd->add_option("--comment", silence_opts.comment, "why (required)");
  auto* slist = silence->add_subcommand("list", "list silences (filter by matchers)");
  slist->add_option("matchers", silence_opts.args, "only silences with these matchers");
  slist->add_flag("--expired", silence_opts.expired, "include expired silences");
  auto* sexpire = silence->add_subcommand("expire", "expire silences by id");
  sexpire->add_option("ids", silence_opts.args, "silence ids")->required();
  for (auto* sub : {sadd, slist, sexpire}) {
    sub->add_option("-c,--config", silence_opts.config_path, "config file (its state_dir holds the silences)");
    sub->add_flag("-q,--quiet", silence_opts.quiet, "ids only");
  }

  app.add_subcommand("version", "print the version");

  // Bare options belong to serve: `pgwarden -c FILE` serves.
  app.add_option("-c,--config", serve_opts.config_path, "config file (serve)");
  app.add_option("--listen", serve_opts.listen_override, "listen address (serve)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : (check->parsed() ? pgw::kUnknown : 2);
  }

  if (app.got_subcommand("version")) {
    std::cout << "pgwarden " << pgw::version_string() << " (" << pgw::revision_string() << ")\n";
    return 0;
  }
  if (*val) return validate(validate_path);
  if (*rexport) return export_rules(rules_path);
  if (*rtest) return pgw::run_rules_test(test_files);
  if (*check) return pgw::run_check(check_opts);
  if (*discover) return pgw::run_discover(discover_opts);
  if (*silence) {
    silence_opts.action = *sadd ? "add" : *slist ? "list" : "expire";
    return pgw::run_silence(silence_opts);
  }
  return pgw::run_serve(serve_opts);
}
