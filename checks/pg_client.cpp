// PgSession: libpq driven through its non-blocking API so that every wait is
// a poll() bounded by the caller's deadline. See pg_client.h for the contract.
#include "checks/pg_client.h"
#include "core/mapped_buffers.h"
#include "core/utf8.h"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <thread>
#include <unordered_map>
#include <unordered_set>

namespace pgw {

// ---- PgResult --------------------------------------------------------------

size_t PgResult::column(std::string_view name) const {
  for (size_t i = 0; i < columns.size(); ++i)
    if (columns[i] == name) return i;
  throw PgError("result has no column \"" + std::string(name) + "\"");
}

bool PgResult::is_null(size_t row, std::string_view col) const {
  return !rows.at(row).at(column(col)).has_value();
}

const std::string& PgResult::text(size_t row, std::string_view col) const {
  static const std::string empty;
  const auto& v = rows.at(row).at(column(col));
  return v ? *v : empty;
}

std::optional<double> PgResult::number(size_t row, std::string_view col) const {
  const auto& v = rows.at(row).at(column(col));
  if (!v || v->empty()) return std::nullopt;
  if (*v == "t") return 1.0;
  if (*v == "f") return 0.0;
  char* end = nullptr;
  errno = 0;
  double d = std::strtod(v->c_str(), &end);
  if (end != v->c_str() + v->size() || errno == ERANGE) return std::nullopt;
  return d;
}

// ---- PgSession -------------------------------------------------------------

namespace {

constexpr int kBackstopMarginMs = 1000;
// Prepared statements kept per connection; SQL beyond them runs unprepared.
constexpr size_t kMaxPrepared = 64;

// An error the server reported for the statement; the session stays usable.
class PgSqlError : public PgError {
 public:
  PgSqlError(const std::string& msg, std::string sqlstate) : PgError(msg), sqlstate(std::move(sqlstate)) {}
  std::string sqlstate;
};

// SQLSTATE 26000: the named statement is gone (e.g. a pooler in transaction
// mode sent us to another server connection).
constexpr const char* kNoSuchStatement = "26000";

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

// libpq never echoes the password, but an error must not leak it even if a
// future version (or a server message) did.
std::string scrub(std::string msg, const std::string& secret) {
  if (secret.empty()) return msg;
  for (size_t pos; (pos = msg.find(secret)) != std::string::npos;)
    msg.replace(pos, secret.size(), "***");
  return msg;
}

// Waits until the socket is ready for `events` or the deadline passes.
// Returns false on timeout.
bool wait_socket(int fd, short events, Deadline deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    int ms = deadline.remaining_ms();
    int r = ::poll(&p, 1, ms);
    if (r > 0) return true;
    if (r == 0) return false;
    if (errno != EINTR) return true;  // let libpq report the socket error
  }
}

// Which keywords the user's conninfo sets, so ours do not override them.
struct ConninfoKeys {
  bool application_name = false;
  bool options = false;
};

ConninfoKeys inspect(const std::string& conninfo) {
  ConninfoKeys k;
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(conninfo.c_str(), &err);
  if (err) PQfreemem(err);
  if (!opts) return k;
  for (auto* o = opts; o->keyword; ++o) {
    if (!o->val || !*o->val) continue;
    std::string_view kw = o->keyword;
    if (kw == "application_name") k.application_name = true;
    if (kw == "options") k.options = true;
  }
  PQconninfoFree(opts);
  return k;
}

}  // namespace

struct PgSession::Impl {
  std::string conninfo;
  std::string password;
  PGconn* conn = nullptr;
  int version = 0;
  // Server-side statement_timeout currently in force (0 = unknown). A
  // backstop only: the client-side deadline is what bounds the caller.
  long long backstop_ms = 0;
  // Statements prepared on this connection (SQL text -> name). Monitoring
  // queries repeat every round; a prepared one skips the server's parse and
  // plan. SQL that cannot be prepared (several statements) runs as a simple
  // query. Both are per connection and cleared when it closes.
  std::unordered_map<std::string, std::string> prepared;
  std::unordered_set<std::string> unpreparable;
  unsigned long long next_statement = 0;
  // Set while a background cancel request for this session is running.
  std::shared_ptr<std::atomic<bool>> cancel_in_flight = std::make_shared<std::atomic<bool>>(false);

  std::string error_text(const std::string& what) const {
    std::string msg = conn ? trim(PQerrorMessage(conn)) : std::string();
    if (msg.empty()) msg = what;
    return scrub(msg, password);
  }

  void close() {
    if (conn) PQfinish(conn);
    conn = nullptr;
    version = 0;
    backstop_ms = 0;
    prepared.clear();
    unpreparable.clear();
  }

  [[noreturn]] void fail(const std::string& what) {
    std::string msg = error_text(what);
    close();
    throw PgError(msg);
  }

  // Asks the server to cancel the running query without making the caller
  // wait: PQcancel opens a new connection and blocks, which can hang forever
  // on a stopped server. The thread owns everything it touches (the PGcancel
  // copy and a shared flag), so it may outlive this session; at most one runs
  // per session, so a frozen server costs at most one blocked thread.
  void cancel_in_background() {
    if (!conn || cancel_in_flight->exchange(true)) return;
    PGcancel* cancel = PQgetCancel(conn);
    if (!cancel) {
      cancel_in_flight->store(false);
      return;
    }
    std::shared_ptr<std::atomic<bool>> flag = cancel_in_flight;
    try {
      std::thread([cancel, flag] {
        char errbuf[256];
        PQcancel(cancel, errbuf, sizeof errbuf);
        PQfreeCancel(cancel);
        flag->store(false);
      }).detach();
    } catch (const std::system_error&) {
      PQfreeCancel(cancel);
      cancel_in_flight->store(false);
    }
  }

  void connect(Deadline deadline) {
    auto started = Deadline::Clock::now();
    ConninfoKeys keys = inspect(conninfo);
    std::vector<const char*> kw{"dbname"};
    std::vector<const char*> val{conninfo.c_str()};
    if (!keys.application_name) {
      kw.push_back("application_name");
      val.push_back("pgwarden");
    }
    // Server-side backstop slightly beyond this deadline; query() raises it
    // when a later call has a longer deadline.
    long long backstop = deadline.remaining_ms() + kBackstopMarginMs;
    std::string options = "-c statement_timeout=" + std::to_string(backstop);
    if (!keys.options) {
      kw.push_back("options");
      val.push_back(options.c_str());
    }
    if (!password.empty()) {
      kw.push_back("password");
      val.push_back(password.c_str());
    }
    kw.push_back(nullptr);
    val.push_back(nullptr);

    // Known limit: libpq resolves a host name with a blocking getaddrinfo()
    // inside PQconnectPoll, so a hanging DNS server is not bounded by the
    // deadline; hostaddr= (or an IP in host=) avoids the lookup.
    {
      MappedBuffers mapped;  // the session's 16 kB buffers hold only the pages they touch
      conn = PQconnectStartParams(kw.data(), val.data(), /*expand_dbname=*/1);
    }
    if (!conn) throw PgError("out of memory creating a PostgreSQL connection");
    if (PQstatus(conn) == CONNECTION_BAD) fail("invalid connection options");

    PostgresPollingStatusType st = PGRES_POLLING_WRITING;
    for (;;) {
      if (st == PGRES_POLLING_OK) break;
      if (st == PGRES_POLLING_FAILED) fail("connection failed");
      short ev = st == PGRES_POLLING_READING ? POLLIN : POLLOUT;
      if (!wait_socket(PQsocket(conn), ev, deadline)) {
        close();
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      Deadline::Clock::now() - started).count();
        throw PgError("connection timed out after " + std::to_string(ms) + " ms");
      }
      st = PQconnectPoll(conn);
    }
    if (PQsetnonblocking(conn, 1) != 0) fail("cannot switch the connection to non-blocking mode");
    version = PQserverVersion(conn);
    backstop_ms = keys.options ? 0 : backstop;
  }

  // Runs `sql` with the simple query protocol.
  PgResult run(std::string_view sql, Deadline deadline) {
    std::string text(sql);
    return exchange(deadline, [&] { return PQsendQuery(conn, text.c_str()); });
  }

  // Runs `sql` as a statement prepared on this connection (preparing it the
  // first time), or as a simple query when it cannot be prepared.
  PgResult run_prepared(std::string_view sql, Deadline deadline) {
    std::string text(sql);
    if (unpreparable.count(text)) return run(sql, deadline);
    auto it = prepared.find(text);
    if (it == prepared.end()) {
      if (prepared.size() >= kMaxPrepared) return run(sql, deadline);
      std::string name = "pgwarden_" + std::to_string(++next_statement);
      try {
        exchange(deadline, [&] { return PQsendPrepare(conn, name.c_str(), text.c_str(), 0, nullptr); });
      } catch (const PgSqlError&) {
        // Either a real error, which the simple query reports the same way,
        // or SQL that only the simple protocol accepts (several statements).
        PgResult r = run(sql, deadline);
        unpreparable.insert(text);
        return r;
      }
      it = prepared.emplace(text, name).first;
    }
    const std::string name = it->second;
    try {
      return exchange(deadline, [&] {
        return PQsendQueryPrepared(conn, name.c_str(), 0, nullptr, nullptr, nullptr, 0);
      });
    } catch (const PgSqlError& e) {
      prepared.erase(text);
      if (e.sqlstate == kNoSuchStatement) {
        unpreparable.insert(text);
        return run(sql, deadline);
      }
      // E.g. a custom query's table changed shape: prepare afresh next time.
      try {
        run("DEALLOCATE " + name, deadline);
      } catch (const PgError&) {
      }
      throw;
    }
  }

  // Sends one request with `send` and reads every result, bounded by the
  // deadline. An SQL error leaves the session usable and throws PgSqlError.
  template <class Send>
  PgResult exchange(Deadline deadline, Send send) {
    auto started = Deadline::Clock::now();
    auto timed_out = [&]() {
      cancel_in_background();
      close();
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    Deadline::Clock::now() - started).count();
      throw PgError("query timed out after " + std::to_string(ms) + " ms");
    };

    if (!send()) fail("cannot send query");
    for (;;) {
      int r = PQflush(conn);
      if (r == 0) break;
      if (r < 0) fail("connection lost while sending query");
      if (!wait_socket(PQsocket(conn), POLLIN | POLLOUT, deadline)) timed_out();
      // Reading may be needed to unblock the server's side of the socket.
      if (!PQconsumeInput(conn)) fail("connection lost");
    }

    PgResult out;
    std::optional<std::string> sql_error;
    std::string sqlstate;
    for (;;) {
      while (!PQisBusy(conn)) {
        PGresult* res = PQgetResult(conn);
        if (!res) {
          if (sql_error) {
            if (PQstatus(conn) == CONNECTION_BAD) fail(*sql_error);
            throw PgSqlError(scrub(*sql_error, password), sqlstate);
          }
          return out;
        }
        ExecStatusType s = PQresultStatus(res);
        if (s == PGRES_TUPLES_OK || s == PGRES_COMMAND_OK) {
          out = PgResult{};
          int nf = PQnfields(res), nt = PQntuples(res);
          // Text from the database (an SQL_ASCII cluster holds any bytes) is
          // made valid UTF-8 here, where it enters.
          for (int c = 0; c < nf; ++c) out.columns.emplace_back(to_valid_utf8(PQfname(res, c)));
          out.rows.reserve(nt);
          for (int i = 0; i < nt; ++i) {
            auto& row = out.rows.emplace_back();
            row.reserve(nf);
            for (int c = 0; c < nf; ++c) {
              if (PQgetisnull(res, i, c)) row.emplace_back(std::nullopt);
              else row.emplace_back(to_valid_utf8(std::string_view(PQgetvalue(res, i, c), PQgetlength(res, i, c))));
            }
          }
        } else if (s == PGRES_COPY_IN || s == PGRES_COPY_OUT || s == PGRES_COPY_BOTH) {
          PQclear(res);
          close();
          throw PgError("COPY is not supported in monitoring queries");
        } else if (s == PGRES_FATAL_ERROR || s == PGRES_BAD_RESPONSE || s == PGRES_NONFATAL_ERROR) {
          if (!sql_error) {
            const char* primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
            sql_error = primary ? std::string(primary) : trim(PQresultErrorMessage(res));
            if (sql_error->empty()) sql_error = "query failed";
            const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
            sqlstate = state ? state : "";
          }
        }
        PQclear(res);
      }
      if (!wait_socket(PQsocket(conn), POLLIN, deadline)) timed_out();
      if (!PQconsumeInput(conn)) fail("connection lost");
    }
  }
};

PgSession::PgSession(std::string conninfo, std::string password) : impl_(std::make_unique<Impl>()) {
  impl_->conninfo = std::move(conninfo);
  impl_->password = std::move(password);
}

PgSession::~PgSession() { impl_->close(); }

void PgSession::ensure_connected(Deadline deadline) {
  if (impl_->conn && PQstatus(impl_->conn) != CONNECTION_OK) impl_->close();
  if (!impl_->conn) impl_->connect(deadline);
}

bool PgSession::connected() const { return impl_->conn && PQstatus(impl_->conn) == CONNECTION_OK; }

PgResult PgSession::query(std::string_view sql, Deadline deadline) {
  ensure_connected(deadline);
  // Keep the server-side backstop above this call's deadline.
  long long wanted = deadline.remaining_ms() + kBackstopMarginMs;
  if (impl_->backstop_ms < wanted) {
    // Doubling avoids a SET before most calls; statement_timeout is an int.
    long long value = std::min<long long>(wanted * 2, 2147483647LL);
    impl_->run("SET statement_timeout = " + std::to_string(value), deadline);
    impl_->backstop_ms = value;
  }
  return impl_->run_prepared(sql, deadline);
}

void PgSession::close() { impl_->close(); }

int PgSession::server_version() const { return impl_->conn ? impl_->version : 0; }

}  // namespace pgw
