#include "exporter/discover.h"

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>

#include <libpq-fe.h>
#include <nlohmann/json.hpp>

#include "checks/pg_client.h"
#include "core/http_client.h"
#include "core/time_format.h"

namespace pgw {
namespace {

// Conninfo keywords kept from the user's conninfo for every node (TLS and
// timeouts apply cluster-wide); host, port, dbname and user are per node or
// set explicitly, and a password is never kept.
const std::set<std::string> kKeptKeywords = {"sslmode", "sslrootcert", "sslcert", "sslkey",
                                             "sslcrl", "connect_timeout", "gssencmode",
                                             "target_session_attrs", "channel_binding"};

struct ParsedConninfo {
  std::string host, port, dbname, user, extra;
};

std::string conninfo_value(const std::string& v) {
  if (!v.empty() && v.find_first_of(" '\\") == std::string::npos) return v;
  std::string o = "'";
  for (char c : v) {
    if (c == '\'' || c == '\\') o += '\\';
    o += c;
  }
  return o + "'";
}

ParsedConninfo parse_conninfo(const std::string& conninfo) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(conninfo.c_str(), &err);
  if (!opts) {
    std::string msg = err ? err : "cannot parse the conninfo";
    if (err) PQfreemem(err);
    throw std::runtime_error("conninfo: " + msg);
  }
  std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> guard(opts, PQconninfoFree);
  ParsedConninfo p;
  for (auto* o = opts; o->keyword; ++o) {
    if (!o->val) continue;
    std::string k = o->keyword, v = o->val;
    if (k == "host") p.host = v;
    else if (k == "port") p.port = v;
    else if (k == "dbname") p.dbname = v;
    else if (k == "user") p.user = v;
    else if (kKeptKeywords.count(k)) p.extra += (p.extra.empty() ? "" : " ") + k + "=" + conninfo_value(v);
  }
  return p;
}

// One keyword's value from a conninfo as pg_stat_wal_receiver shows it.
std::string conninfo_keyword(const std::string& conninfo, const std::string& keyword) {
  try {
    char* err = nullptr;
    PQconninfoOption* opts = PQconninfoParse(conninfo.c_str(), &err);
    if (err) PQfreemem(err);
    if (!opts) return "";
    std::string value;
    for (auto* o = opts; o->keyword; ++o)
      if (o->val && keyword == o->keyword) value = o->val;
    PQconninfoFree(opts);
    return value;
  } catch (...) {
    return "";
  }
}

std::string node_conninfo(const DiscoveredCluster& c, const std::string& host, int port) {
  std::string s = "host=" + conninfo_value(host) + " port=" + std::to_string(port);
  if (!c.dbname.empty()) s += " dbname=" + conninfo_value(c.dbname);
  if (!c.user.empty()) s += " user=" + conninfo_value(c.user);
  if (!c.conninfo_extra.empty()) s += " " + c.conninfo_extra;
  return s;
}

struct ServerFacts {
  bool in_recovery = false;
  std::string user, dbname, server_addr, cluster_name;
  int port = 0;
};

ServerFacts node_facts(PgSession& s, Deadline d) {
  auto r = s.query(
      "SELECT current_user AS u, current_database() AS db, host(inet_server_addr()) AS addr, "
      "current_setting('port') AS port, pg_is_in_recovery() AS rec, "
      "current_setting('cluster_name') AS cluster_name", d);
  ServerFacts f;
  f.user = r.text(0, "u");
  f.dbname = r.text(0, "db");
  f.server_addr = r.text(0, "addr");
  f.port = std::atoi(r.text(0, "port").c_str());
  f.in_recovery = r.text(0, "rec") == "t";
  f.cluster_name = r.text(0, "cluster_name");
  return f;
}

struct SeenStandby {
  std::string application_name, host, state, sync_state;
};

// The primary's view: standbys (pg_stat_replication) and physical slots.
void read_primary(PgSession& s, Deadline d, const std::string& primary_host,
                  std::vector<SeenStandby>& standbys, DiscoveredCluster& c) {
  auto r = s.query(
      "SELECT application_name, host(client_addr) AS addr, client_hostname, state, sync_state "
      "FROM pg_stat_replication ORDER BY application_name", d);
  for (size_t i = 0; i < r.size(); ++i) {
    SeenStandby sb;
    sb.application_name = r.text(i, "application_name");
    sb.host = !r.text(i, "client_hostname").empty() ? r.text(i, "client_hostname") : r.text(i, "addr");
    if (sb.host.empty()) sb.host = primary_host;  // over the unix socket: the same machine
    sb.state = r.text(i, "state");
    sb.sync_state = r.text(i, "sync_state");
    standbys.push_back(sb);
    if (sb.application_name.empty()) continue;
    c.expected_standbys.push_back(sb.application_name);
    if (sb.sync_state == "sync" || sb.sync_state == "quorum") c.sync_standbys.push_back(sb.application_name);
  }
  auto slots = s.query(
      "SELECT slot_name, active FROM pg_replication_slots WHERE slot_type = 'physical' "
      "ORDER BY slot_name", d);
  for (size_t i = 0; i < slots.size(); ++i) {
    c.expected_slots.push_back(slots.text(i, "slot_name"));
    if (slots.text(i, "active") != "t")
      c.notes.push_back("slot " + slots.text(i, "slot_name") +
                        " exists but is not active now: drop it from expected_slots if it is unused");
  }
  for (const auto& sb : standbys)
    if (sb.application_name == "walreceiver")
      c.notes.push_back("a standby connects as application_name \"walreceiver\" (the default): set "
                        "application_name in its primary_conninfo so each standby has its own name");
}

bool is_ip_or_path(const std::string& host) {
  if (host.empty() || host[0] == '/') return true;
  return host.find_first_not_of("0123456789.") == std::string::npos || host.find(':') != std::string::npos;
}

// A node name from its host: the first DNS label, or "node-<port>" for an
// address or socket directory.
std::string name_from_host(const std::string& host, int port) {
  if (is_ip_or_path(host)) return "node-" + std::to_string(port);
  return host.substr(0, host.find('.'));
}

void unique_names(std::vector<DiscoveredNode>& nodes) {
  std::set<std::string> seen;
  for (auto& n : nodes) {
    std::string base = n.name;
    if (seen.count(n.name)) n.name = base + "-" + std::to_string(n.port);
    for (int i = 2; seen.count(n.name); ++i) n.name = base + "-" + std::to_string(i);
    seen.insert(n.name);
  }
}

std::string http_host(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

void probe_embedders(DiscoveredCluster& c, const DiscoverOptions& o) {
  for (auto& n : c.nodes) {
    if (n.host.empty() || n.host[0] == '/') continue;
    std::string url = "http://" + http_host(n.host) + ":" + std::to_string(o.embedder_port);
    auto r = http_get(url + "/health", std::min(o.timeout, Duration(2000)), 64 * 1024);
    if (r.status == 200) n.embedder_url = url;
  }
}

// Starting from one node's conninfo: that node, its primary (from
// pg_stat_wal_receiver when it is a standby) and the primary's standbys.
void discover_from_conninfo(const DiscoverOptions& o, DiscoveredCluster& c) {
  ParsedConninfo p = parse_conninfo(o.conninfo);
  c.conninfo_extra = p.extra;
  PgSession entry(o.conninfo, "");
  Deadline d = Deadline::in(std::chrono::milliseconds(o.timeout.count()));
  ServerFacts f;
  try {
    entry.ensure_connected(d);
    f = node_facts(entry, d);
  } catch (const PgError& e) {
    throw std::runtime_error(std::string("cannot connect: ") + e.what());
  }
  c.dbname = f.dbname;
  c.user = f.user;
  if (!f.cluster_name.empty()) c.name = f.cluster_name;
  std::string entry_host = !p.host.empty() ? p.host : (!f.server_addr.empty() ? f.server_addr : "/var/run/postgresql");
  if (entry_host.find(',') != std::string::npos) entry_host = entry_host.substr(0, entry_host.find(','));
  c.source = "host=" + entry_host + " port=" + std::to_string(f.port);

  DiscoveredNode me;
  me.host = entry_host;
  me.port = f.port;
  me.role = f.in_recovery ? "standby" : "primary";
  std::string my_application_name;

  std::unique_ptr<PgSession> primary_session;
  PgSession* primary = f.in_recovery ? nullptr : &entry;
  std::string primary_host = f.in_recovery ? "" : entry_host;
  int primary_port = f.port;
  if (f.in_recovery) {
    auto wr = entry.query("SELECT status, sender_host, sender_port, conninfo FROM pg_stat_wal_receiver", d);
    if (wr.empty() || wr.text(0, "sender_host").empty()) {
      c.notes.push_back("the standby " + c.source + " is not receiving WAL now: its primary is unknown");
    } else {
      primary_host = wr.text(0, "sender_host");
      primary_port = std::atoi(wr.text(0, "sender_port").c_str());
      // primary_conninfo as shown is password-free; only application_name is read.
      my_application_name = conninfo_keyword(wr.text(0, "conninfo"), "application_name");
      primary_session = std::make_unique<PgSession>(node_conninfo(c, primary_host, primary_port), "");
      try {
        primary_session->ensure_connected(d);
        if (node_facts(*primary_session, d).in_recovery)
          c.notes.push_back("the upstream " + primary_host + ":" + std::to_string(primary_port) +
                            " is itself a standby (cascading); only it and this node were looked at");
        else
          primary = primary_session.get();
      } catch (const PgError& e) {
        c.notes.push_back("the primary " + primary_host + ":" + std::to_string(primary_port) +
                          " did not answer: " + e.what());
      }
    }
  }
  me.name = !my_application_name.empty() && my_application_name != "walreceiver"
                ? my_application_name
                : name_from_host(entry_host, f.port);
  if (f.in_recovery) {
    if (!primary_host.empty()) {
      DiscoveredNode pn;
      pn.host = primary_host;
      pn.port = primary_port;
      pn.role = "primary";
      pn.name = name_from_host(primary_host, primary_port);
      pn.verified = primary != nullptr;
      if (!pn.verified) pn.notes.push_back("TODO: pgwarden could not connect to this node");
      c.nodes.push_back(pn);
    }
    c.nodes.push_back(me);
  } else {
    c.nodes.push_back(me);
  }

  if (!primary) return;
  std::vector<SeenStandby> standbys;
  read_primary(*primary, d, primary_host, standbys, c);
  for (const auto& sb : standbys) {
    if (!my_application_name.empty() && sb.application_name == my_application_name) continue;
    DiscoveredNode n;
    n.host = sb.host;
    n.role = "standby";
    n.name = !sb.application_name.empty() && sb.application_name != "walreceiver"
                 ? sb.application_name
                 : name_from_host(sb.host, primary_port);
    // The primary sees the standby's address, not the port it listens on:
    // the primary's port is assumed, and checked.
    n.port = primary_port;
    bool ok = false;
    try {
      PgSession s(node_conninfo(c, n.host, n.port), "");
      s.ensure_connected(d);
      ok = node_facts(s, d).in_recovery;
    } catch (const PgError&) {
    }
    if (!ok) {
      n.verified = false;
      n.notes.push_back("TODO: the primary sees standby " + n.name + " at " + n.host +
                        ", but no standby answers on port " + std::to_string(n.port) +
                        " there: set its port (or run discover with its conninfo)");
    }
    if (sb.state != "streaming") n.notes.push_back("its WAL sender was in state \"" + sb.state + "\"");
    c.nodes.push_back(n);
  }
}

std::string strip_slashes(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

// From Patroni's REST API: every member (role auto), its REST URL, the
// leader's replication state, etcd on the default port of member hosts.
void discover_from_patroni(const DiscoverOptions& o, DiscoveredCluster& c) {
  std::string base = strip_slashes(o.patroni_url);
  c.source = "Patroni " + base;
  auto cl = http_get(base + "/cluster", o.timeout);
  if (cl.status != 200) throw std::runtime_error("Patroni " + base + "/cluster: " +
                                                 (cl.status ? "HTTP " + std::to_string(cl.status) : cl.error));
  auto j = nlohmann::json::parse(cl.body, nullptr, false);
  if (j.is_discarded() || !j.contains("members") || !j["members"].is_array())
    throw std::runtime_error("Patroni " + base + "/cluster: not a Patroni cluster document");
  if (j.contains("scope") && j["scope"].is_string()) c.name = j["scope"].get<std::string>();
  auto st = http_get(base + "/patroni", o.timeout);
  if (auto sj = nlohmann::json::parse(st.body, nullptr, false);
      !sj.is_discarded() && sj.contains("patroni") && sj["patroni"].is_object() && sj["patroni"].contains("scope") &&
      sj["patroni"]["scope"].is_string())
    c.name = sj["patroni"]["scope"].get<std::string>();

  const char* user = std::getenv("PGUSER");
  const char* db = std::getenv("PGDATABASE");
  c.user = user && *user ? user : "pgwarden";
  c.dbname = db && *db ? db : "postgres";

  std::string leader_host;
  int leader_port = 0;
  for (const auto& m : j["members"]) {
    if (!m.is_object()) continue;
    DiscoveredNode n;
    n.name = m.value("name", "");
    n.host = m.value("host", "");
    n.port = m.contains("port") && m["port"].is_number_integer() ? m["port"].get<int>() : 5432;
    n.role = "auto";
    std::string api = m.value("api_url", "");
    if (auto pos = api.rfind("/patroni"); pos != std::string::npos && pos + 8 == api.size()) api.resize(pos);
    n.patroni_url = strip_slashes(api);
    std::string role = m.value("role", ""), state = m.value("state", "");
    if (role == "leader" || role == "master" || role == "primary" || role == "standby_leader") {
      leader_host = n.host;
      leader_port = n.port;
    }
    if (state != "running" && state != "streaming")
      n.notes.push_back("Patroni reported this member as \"" + state + "\"");
    if (!n.name.empty()) c.nodes.push_back(n);
  }
  if (c.nodes.empty()) throw std::runtime_error("Patroni " + base + "/cluster lists no members");

  if (leader_host.empty()) {
    c.notes.push_back("Patroni reports no leader now: expected standbys and slots are not known");
  } else {
    Deadline d = Deadline::in(std::chrono::milliseconds(o.timeout.count()));
    try {
      PgSession s(node_conninfo(c, leader_host, leader_port), "");
      s.ensure_connected(d);
      std::vector<SeenStandby> standbys;
      read_primary(s, d, leader_host, standbys, c);
    } catch (const PgError& e) {
      c.notes.push_back("the leader " + leader_host + ":" + std::to_string(leader_port) +
                        " did not answer as " + c.user + ": " + e.what() +
                        " (set PGUSER/PGPASSFILE for the monitoring role)");
    }
  }

  std::set<std::string> hosts;
  for (const auto& n : c.nodes)
    if (!n.host.empty() && n.host[0] != '/') hosts.insert(n.host);
  for (const auto& h : hosts) {
    std::string url = "http://" + http_host(h) + ":" + std::to_string(o.etcd_port);
    if (http_get(url + "/health", std::min(o.timeout, Duration(2000)), 64 * 1024).status == 200)
      c.etcd.push_back(url);
  }
  if (c.etcd.empty())
    c.notes.push_back("no etcd answered on port " + std::to_string(o.etcd_port) +
                      " of the members' hosts: add [[clusters.etcd]] with the endpoints from "
                      "Patroni's etcd/etcd3 hosts setting");
}

// TOML basic string.
std::string q(const std::string& s) {
  std::string o = "\"";
  for (unsigned char ch : s) {
    if (ch == '"' || ch == '\\') {
      o += '\\';
      o += static_cast<char>(ch);
    } else if (ch < 0x20 || ch == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", ch);
      o += buf;
    } else {
      o += static_cast<char>(ch);
    }
  }
  return o + "\"";
}

std::string list(const std::vector<std::string>& v) {
  std::string o = "[";
  for (size_t i = 0; i < v.size(); ++i) o += (i ? ", " : "") + q(v[i]);
  return o + "]";
}

std::string comment(const std::string& text) {
  std::string o;
  for (char ch : text) o += (ch == '\n' || ch == '\r') ? ' ' : ch;
  return "# " + o + "\n";
}

}  // namespace

DiscoveredCluster discover_cluster(const DiscoverOptions& o) {
  DiscoveredCluster c;
  if (!o.patroni_url.empty()) discover_from_patroni(o, c);
  else discover_from_conninfo(o, c);
  unique_names(c.nodes);
  probe_embedders(c, o);
  return c;
}

std::string render_discovered_config(const DiscoveredCluster& c) {
  std::string t;
  t += "# pgwarden configuration discovered by `pgwarden discover` from " + c.source + "\n";
  t += "# at " + rfc3339_ms(std::chrono::system_clock::now()) + ". Review every line before use.\n";
  t += "#\n";
  t += "# No secret is written here. Give the monitoring role's password in a libpq\n";
  t += "# passfile (PGPASSFILE; the systemd unit uses /etc/pgwarden/pgpass) or in a\n";
  t += "# password_file per node (0600, or 0640 root:pgwarden). Keep this file 0640\n";
  t += "# root:pgwarden: pgwarden refuses a config others can read.\n";
  t += "# Check it with: pgwarden validate -c FILE\n";
  for (const auto& n : c.notes) t += comment("NOTE: " + n);
  t += "\n[exporter]\n";
  t += "listen = \"127.0.0.1:9847\"\n";
  t += "interval = \"15s\"\n";
  t += "timeout = \"5s\"\n";
  t += "state_dir = \"/var/lib/pgwarden\"\n";
  t += "# external_url = \"https://pgwarden.example.com\"   # links to the status page in notifications\n";
  t += "\n[[clusters]]\n";
  t += "name = " + q(c.name) + "\n";
  t += "# The cluster as it is now, checked on whichever node is the primary:\n";
  t += "expected_standbys = " + list(c.expected_standbys) + "   # application_name values streaming now\n";
  t += "expected_slots = " + list(c.expected_slots) + "   # physical replication slots\n";
  t += "sync_standbys = " + list(c.sync_standbys) + "   # sync_state sync or quorum now\n";
  for (const auto& n : c.nodes) {
    t += "\n";
    for (const auto& note : n.notes) t += comment(note);
    std::string prefix = n.verified ? "" : "# ";
    t += prefix + "[[clusters.nodes]]\n";
    t += prefix + "name = " + q(n.name) + "\n";
    std::string role_note = n.role == "auto" ? "   # Patroni decides; no PgRoleMismatch"
                                             : "   # as now; use \"auto\" if a failover manager moves it";
    t += prefix + "role = " + q(n.role) + role_note + "\n";
    t += prefix + "conninfo = " + q(node_conninfo(c, n.host, n.port)) + "\n";
    t += prefix + "# password_file = \"/etc/pgwarden/pgwarden_password\"   # or PGPASSFILE\n";
    if (!n.patroni_url.empty()) t += prefix + "patroni = { url = " + q(n.patroni_url) + " }\n";
    if (!n.embedder_url.empty())
      t += prefix + "embedder = { url = " + q(n.embedder_url) + " }   # TODO: dimension = <vector length>\n";
    else
      t += prefix + "# embedder = { url = \"http://HOST:8765\", dimension = 768 }   # none answered on " +
           (n.host.empty() || n.host[0] == '/' ? std::string("this node") : n.host + ":8765") + "\n";
    t += prefix + "# TODO ssh: host checks (free disk, data directory mode, backup age) need SSH:\n";
    t += prefix + "# ssh = { host = " + q(n.host.empty() || n.host[0] == '/' ? "HOST" : n.host) +
         ", user = \"monitor\", key_file = \"/etc/pgwarden/id_ed25519\", known_hosts = \"/etc/pgwarden/known_hosts\" }\n";
    t += prefix + "# disk_paths = [\"/var/lib/postgresql\"]\n";
    t += prefix + "# TODO backups: backup_glob = \"/path/to/backups/*.dump\"   # BackupTooOld watches the newest\n";
  }
  if (!c.etcd.empty()) {
    for (const auto& e : c.etcd) t += "\n[[clusters.etcd]]\nurl = " + q(e) + "\n";
  } else {
    t += "\n# TODO etcd: [[clusters.etcd]] url = \"http://HOST:2379\" for each etcd endpoint\n";
  }
  t += "\n# TODO receivers: where alerts go (webhook, slack, discord, pagerduty, alertmanager, email).\n";
  t += "# [[receivers]]\n";
  t += "# name = \"oncall\"\n";
  t += "# type = \"email\"\n";
  t += "# url = \"smtp://mail.example.com:587\"\n";
  t += "# from = \"pgwarden@example.com\"\n";
  t += "# to = [\"oncall@example.com\"]\n";
  t += "# username = \"pgwarden@example.com\"\n";
  t += "# password_file = \"/etc/pgwarden/smtp_password\"\n";
  t += "# match = { severity = \"critical\" }\n";
  return t;
}

}  // namespace pgw
