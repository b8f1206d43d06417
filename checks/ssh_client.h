// A libssh client session for the host check. The server's host key is
// verified against the configured known_hosts file only (never the user's or
// the system's, never trust-on-first-use, never written): with an unknown or
// changed key the session is closed before authentication, so no command
// can run. Authentication is by the private key in key_file only.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "core/deadline.h"
#include "core/config.h"

namespace pgw {

// Messages never contain key material, only paths, host and user names.
class SshError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class HostKeyStatus {
  NotChecked,   // no key exchange happened (connection failed first)
  Verified,     // matches known_hosts
  Unknown,      // host not in known_hosts (or the file does not exist)
  Changed,      // known_hosts holds a different key of the same type
  OtherType,    // known_hosts holds only keys of other types for this host
  Error,        // known_hosts unreadable or the check itself failed
};
const char* host_key_status_name(HostKeyStatus s);

struct SshCommandResult {
  int exit_status = -1;  // -1 when the server did not report one
  std::string out;       // stdout, at most max_output bytes
  std::string err;       // start of stderr, for error messages
};

class SshSession {
 public:
  explicit SshSession(SshConfig config);
  ~SshSession();
  SshSession(const SshSession&) = delete;
  SshSession& operator=(const SshSession&) = delete;

  // Connects, verifies the host key and authenticates, all by `deadline`
  // (and config.timeout). Throws SshError saying which step failed.
  void open(Deadline deadline);
  HostKeyStatus host_key_status() const { return host_key_; }
  bool is_open() const { return open_; }

  // Runs one command on an opened session. Throws SshError when the session
  // is not open, on channel errors, at the deadline, or when stdout exceeds
  // max_output bytes.
  SshCommandResult run(std::string_view command, Deadline deadline,
                       size_t max_output = 64 * 1024);

 private:
  void set_timeout(Deadline deadline);
  std::string where() const;  // "user@host:port" for messages

  SshConfig config_;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  HostKeyStatus host_key_ = HostKeyStatus::NotChecked;
  bool open_ = false;
};

}  // namespace pgw
