// A libpq session to one node with hard deadlines. Queries run through the
// non-blocking API and poll(); when the deadline passes the query is
// cancelled in the background and the connection is closed, so a server that
// hangs mid-query (SIGSTOP, a lock) never blocks the caller past its deadline.
#pragma once

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/deadline.h"

namespace pgw {

class PgError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A fully read result: text values, NULL as nullopt.
class PgResult {
 public:
  std::vector<std::string> columns;
  std::vector<std::vector<std::optional<std::string>>> rows;

  size_t size() const { return rows.size(); }
  bool empty() const { return rows.empty(); }
  // Column index by name; throws PgError when missing.
  size_t column(std::string_view name) const;
  bool is_null(size_t row, std::string_view col) const;
  // Text value; "" for NULL.
  const std::string& text(size_t row, std::string_view col) const;
  // Numeric value; nullopt for NULL or non-numeric text. Accepts "t"/"f".
  std::optional<double> number(size_t row, std::string_view col) const;
};

class PgSession {
 public:
  // conninfo must not contain a password; `password` (may be empty) is passed
  // separately and never appears in errors. application_name defaults to
  // "pgwarden".
  PgSession(std::string conninfo, std::string password);
  ~PgSession();
  PgSession(const PgSession&) = delete;
  PgSession& operator=(const PgSession&) = delete;

  // Connects if not connected. Throws PgError on failure or deadline.
  void ensure_connected(Deadline deadline);
  bool connected() const;
  // Runs one statement and returns its result. It is prepared on the
  // connection the first time (extended query protocol) and executed by name
  // afterwards; SQL that cannot be prepared (several statements) and SQL
  // beyond the first 64 distinct statements run as simple queries.
  // Throws PgError on SQL error, connection loss or deadline; after a
  // deadline or a connection loss the session is closed and the next call
  // reconnects.
  PgResult query(std::string_view sql, Deadline deadline);
  // Drops the connection (next call reconnects).
  void close();
  // server_version_num of the connected server (0 when not connected).
  int server_version() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pgw
