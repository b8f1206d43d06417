// PgSession: libpq driven through its non-blocking API so that every wait is
// a poll() bounded by the caller's deadline. See pg_client.h for the contract.
#include "checks/pg_client.h"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <thread>

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
    conn = PQconnectStartParams(kw.data(), val.data(), /*expand_dbname=*/1);
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

  // Sends the query and reads every result, bounded by the deadline.
  PgResult run(std::string_view sql, Deadline deadline) {
    auto started = Deadline::Clock::now();
    auto timed_out = [&]() {
      cancel_in_background();
      close();
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    Deadline::Clock::now() - started).count();
      throw PgError("query timed out after " + std::to_string(ms) + " ms");
    };

    std::string text(sql);
    if (!PQsendQuery(conn, text.c_str())) fail("cannot send query");
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
    for (;;) {
      while (!PQisBusy(conn)) {
        PGresult* res = PQgetResult(conn);
        if (!res) {
          if (sql_error) {
            if (PQstatus(conn) == CONNECTION_BAD) fail(*sql_error);
            throw PgError(scrub(*sql_error, password));
          }
          return out;
        }
        ExecStatusType s = PQresultStatus(res);
        if (s == PGRES_TUPLES_OK || s == PGRES_COMMAND_OK) {
          out = PgResult{};
          int nf = PQnfields(res), nt = PQntuples(res);
          for (int c = 0; c < nf; ++c) out.columns.emplace_back(PQfname(res, c));
          out.rows.reserve(nt);
          for (int i = 0; i < nt; ++i) {
            auto& row = out.rows.emplace_back();
            row.reserve(nf);
            for (int c = 0; c < nf; ++c) {
              if (PQgetisnull(res, i, c)) row.emplace_back(std::nullopt);
              else row.emplace_back(std::string(PQgetvalue(res, i, c), PQgetlength(res, i, c)));
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
  return impl_->run(sql, deadline);
}

void PgSession::close() { impl_->close(); }

int PgSession::server_version() const { return impl_->conn ? impl_->version : 0; }

}  // namespace pgw
