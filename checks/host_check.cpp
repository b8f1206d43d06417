// "host" module: facts about a node's machine over SSH (see ssh_client.h for
// the host key policy). Runs without PostgreSQL. A failed SSH session is a
// measurement (ssh_up 0), not a failed check; a probe that fails (a missing
// path, unparsable output) omits only its own metric and logs why.
#include <functional>
#include <mutex>

#include <spdlog/spdlog.h>

#include "checks/check.h"
#include "checks/host_probe_parse.h"
#include "checks/ssh_client.h"
#include "core/metric_catalog.h"

namespace pgw {
namespace {

// Logs a problem as a warning when it is new for this node, else at debug
// level, so a persistent problem does not flood the log every round.
void note_problem(CheckContext& ctx, const std::string& key, const std::string& message) {
  double tag = static_cast<double>(std::hash<std::string>{}(message) % (1ULL << 52));
  if (ctx.memory) {
    auto it = ctx.memory->find("problem:" + key);
    if (it != ctx.memory->end() && it->second == tag) {
      spdlog::debug("{}", message);
      return;
    }
    (*ctx.memory)["problem:" + key] = tag;
  }
  spdlog::warn("{}", message);
}

void note_ok(CheckContext& ctx, const std::string& key) {
  if (ctx.memory) ctx.memory->erase("problem:" + key);
}

class HostCheck : public Check {
 public:
  bool applies_to(const NodeConfig& node) const override { return node.ssh.has_value(); }
  bool uses_postgres() const override { return false; }
  // Disk space, backups and permissions change slowly, and every round is a
  // login in the node's auth log; several remote commands need more than
  // the default 3s. [checks.host] overrides both.
  std::optional<Duration> interval() const override { return Duration(30'000); }
  std::optional<Duration> timeout() const override { return Duration(10'000); }

  void collect(CheckContext& ctx, SampleSink& out) override {
    const NodeConfig& node = *ctx.node;
    const std::string who = "host check on node " + node.name + ": ";
    SshSession ssh(*node.ssh);
    try {
      ssh.open(ctx.deadline);
      note_ok(ctx, "ssh");
    } catch (const SshError& e) {
      note_problem(ctx, "ssh", who + e.what());
      out.add("pgwarden_ssh_up", {}, 0);
      // Without a key exchange (host down) nothing is known about the key.
      // A verified key with a failed login still counts as verified.
      if (ssh.host_key_status() != HostKeyStatus::NotChecked)
        out.add("pgwarden_ssh_host_key_verified", {},
                ssh.host_key_status() == HostKeyStatus::Verified ? 1 : 0);
      return;
    }
    out.add("pgwarden_ssh_up", {}, 1);
    out.add("pgwarden_ssh_host_key_verified", {}, 1);

    for (const auto& path : node.disk_paths) probe_filesystem(ctx, ssh, path, out);
    if (!node.backup_glob.empty()) probe_newest_file(ctx, ssh, node.backup_glob, out);
    std::string data_dir = node.data_dir.empty() ? data_directory(ctx) : node.data_dir;
    if (!data_dir.empty()) probe_mode(ctx, ssh, data_dir, out);
  }

 private:
  // Runs a probe command; returns its stdout, or nullopt after logging.
  std::optional<std::string> run_probe(CheckContext& ctx, SshSession& ssh, const std::string& key,
                                       const std::string& command) {
    const std::string who = "host check on node " + ctx.node->name + ": " + key + ": ";
    try {
      auto r = ssh.run(command, ctx.deadline);
      if (r.exit_status != 0) {
        std::string err = r.err.substr(0, r.err.find('\n'));
        note_problem(ctx, key, who + "remote command exited with status " +
                                   std::to_string(r.exit_status) + (err.empty() ? "" : ": " + err));
        return std::nullopt;
      }
      return r.out;
    } catch (const SshError& e) {
      note_problem(ctx, key, who + e.what());
      return std::nullopt;
    }
  }

  void probe_filesystem(CheckContext& ctx, SshSession& ssh, const std::string& path, SampleSink& out) {
    const std::string key = "disk_paths " + path;
    if (auto why = invalid_remote_path(path)) {
      note_problem(ctx, key, "host check on node " + ctx.node->name + ": " + key + ": " + *why);
      return;
    }
    auto text = run_probe(ctx, ssh, key, filesystem_command(path));
    if (!text) return;
    auto fs = parse_filesystem(*text);
    if (!fs) {
      note_problem(ctx, key, "host check on node " + ctx.node->name + ": " + key + ": unexpected df output");
      return;
    }
    note_ok(ctx, key);
    out.add("pgwarden_host_filesystem_size_bytes", {{"path", path}}, fs->size_bytes);
    out.add("pgwarden_host_filesystem_free_bytes", {{"path", path}}, fs->free_bytes);
  }

  void probe_newest_file(CheckContext& ctx, SshSession& ssh, const std::string& glob, SampleSink& out) {
    const std::string key = "backup_glob " + glob;
    const std::string who = "host check on node " + ctx.node->name + ": " + key + ": ";
    if (auto why = invalid_remote_glob(glob)) {
      note_problem(ctx, key, who + *why + "; not run");
      return;
    }
    auto text = run_probe(ctx, ssh, key, newest_file_command(glob));
    if (!text) return;
    auto newest = parse_newest_file(*text);
    if (!newest) {
      note_problem(ctx, key, who + "unexpected output of the remote stat");
      return;
    }
    if (!newest->newest_mtime) {
      // No file at all: there is no age to export; BackupTooOld-style rules
      // see the series vanish (absent()).
      note_problem(ctx, key, who + "no file matches");
      return;
    }
    note_ok(ctx, key);
    // Both times come from the remote clock, so clock skew does not count.
    double age = static_cast<double>(std::max<int64_t>(0, newest->now - *newest->newest_mtime));
    out.add("pgwarden_host_newest_file_age_seconds", {{"glob", glob}}, age);
  }

  void probe_mode(CheckContext& ctx, SshSession& ssh, const std::string& path, SampleSink& out) {
    const std::string key = "data_dir " + path;
    if (auto why = invalid_remote_path(path)) {
      note_problem(ctx, key, "host check on node " + ctx.node->name + ": " + key + ": " + *why);
      return;
    }
    auto text = run_probe(ctx, ssh, key, mode_command(path));
    if (!text) return;
    auto mode = parse_mode(*text);
    if (!mode) {
      note_problem(ctx, key, "host check on node " + ctx.node->name + ": " + key + ": unexpected stat output");
      return;
    }
    note_ok(ctx, key);
    out.add("pgwarden_host_path_mode", {{"path", path}}, *mode);
  }

  // The node's `SHOW data_directory`, asked once over a short session of our
  // own (the scheduler gives this check no PostgreSQL session, so that it
  // runs while PostgreSQL is down) and remembered; "" while never reachable.
  std::string data_directory(CheckContext& ctx) {
    const NodeConfig& node = *ctx.node;
    if (node.conninfo.empty()) return "";
    const std::string cache_key = (ctx.cluster ? ctx.cluster->name : "") + "/" + node.name + "/" + node.conninfo;
    {
      std::lock_guard lock(mu_);
      auto it = data_dirs_.find(cache_key);
      if (it != data_dirs_.end()) return it->second;
    }
    try {
      PgSession pg(node.conninfo, node.password);
      auto r = pg.query("SHOW data_directory", ctx.deadline.earlier(Deadline::in(std::chrono::seconds(3))));
      if (r.empty() || r.is_null(0, "data_directory")) return "";
      std::string dir = r.text(0, "data_directory");
      std::lock_guard lock(mu_);
      data_dirs_[cache_key] = dir;
      return dir;
    } catch (const std::exception& e) {
      spdlog::debug("host check on node {}: data_directory unknown (PostgreSQL unreachable?): {}",
                    node.name, e.what());
      return "";
    }
  }

  std::mutex mu_;  // collect() runs concurrently for different nodes
  std::map<std::string, std::string> data_dirs_;
};

PGW_DESCRIBE_METRICS({
    {"pgwarden_ssh_up", MetricType::Gauge,
     "1 when an SSH session to the node could be opened and authenticated."},
    {"pgwarden_ssh_host_key_verified", MetricType::Gauge,
     "1 when the node's SSH host key matched known_hosts."},
    {"pgwarden_host_filesystem_free_bytes", MetricType::Gauge,
     "Free bytes on the filesystem holding the path (available to non-root)."},
    {"pgwarden_host_filesystem_size_bytes", MetricType::Gauge,
     "Size in bytes of the filesystem holding the path."},
    {"pgwarden_host_newest_file_age_seconds", MetricType::Gauge,
     "Age of the newest file matching the glob."},
    {"pgwarden_host_path_mode", MetricType::Gauge,
     "Permission bits of the path (e.g. 448 = 0700)."},
});

PGW_REGISTER_CHECK("host", HostCheck);

}  // namespace
}  // namespace pgw
