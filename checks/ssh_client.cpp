#include "checks/ssh_client.h"
#include "core/utf8.h"

#include <algorithm>

#include <libssh/libssh.h>

namespace pgw {
namespace {

struct KeyFree {
  void operator()(ssh_key k) const { ssh_key_free(k); }
};
struct ChannelFree {
  void operator()(ssh_channel c) const {
    if (ssh_channel_is_open(c)) ssh_channel_close(c);
    ssh_channel_free(c);
  }
};
using KeyPtr = std::unique_ptr<std::remove_pointer_t<ssh_key>, KeyFree>;
using ChannelPtr = std::unique_ptr<std::remove_pointer_t<ssh_channel>, ChannelFree>;

constexpr size_t kMaxStderr = 4096;

}  // namespace

struct SshSession::Impl {
  ssh_session s = nullptr;
  bool connected = false;
  ~Impl() {
    if (!s) return;
    if (connected) ssh_disconnect(s);
    ssh_free(s);
  }
};

const char* host_key_status_name(HostKeyStatus s) {
  switch (s) {
    case HostKeyStatus::NotChecked: return "not checked";
    case HostKeyStatus::Verified: return "verified";
    case HostKeyStatus::Unknown: return "unknown";
    case HostKeyStatus::Changed: return "changed";
    case HostKeyStatus::OtherType: return "other type";
    case HostKeyStatus::Error: return "error";
  }
  return "error";
}

SshSession::SshSession(SshConfig config) : config_(std::move(config)), impl_(std::make_unique<Impl>()) {}
SshSession::~SshSession() = default;

std::string SshSession::where() const {
  return config_.user + "@" + config_.host + ":" + std::to_string(config_.port);
}

void SshSession::set_timeout(Deadline deadline) {
  long usec = std::max(1, deadline.remaining_ms()) * 1000L;
  ssh_options_set(impl_->s, SSH_OPTIONS_TIMEOUT_USEC, &usec);
}

void SshSession::open(Deadline deadline) {
  if (open_) return;
  deadline = deadline.earlier(Deadline::in(config_.timeout));
  if (config_.known_hosts.empty()) {
    host_key_ = HostKeyStatus::Unknown;  // nothing to verify against: unverified
    throw SshError("ssh to " + where() + ": no known_hosts file configured; refusing to connect");
  }
  impl_->s = ssh_new();
  if (!impl_->s) throw SshError("ssh to " + where() + ": cannot allocate a session");
  ssh_session s = impl_->s;
  unsigned int port = static_cast<unsigned int>(config_.port);
  int no = 0;
  ssh_options_set(s, SSH_OPTIONS_HOST, config_.host.c_str());
  ssh_options_set(s, SSH_OPTIONS_PORT, &port);
  ssh_options_set(s, SSH_OPTIONS_USER, config_.user.c_str());
  // Only the configured file counts: the global file is pointed at it too,
  // and ~/.ssh/config (which could redirect the host) is not read.
  ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, config_.known_hosts.c_str());
  ssh_options_set(s, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, config_.known_hosts.c_str());
  ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &no);
  set_timeout(deadline);

  if (ssh_connect(s) != SSH_OK)
    throw SshError("ssh to " + where() + ": connection failed: " + ssh_get_error(s));
  impl_->connected = true;

  switch (ssh_session_is_known_server(s)) {
    case SSH_KNOWN_HOSTS_OK: host_key_ = HostKeyStatus::Verified; break;
    case SSH_KNOWN_HOSTS_CHANGED: host_key_ = HostKeyStatus::Changed; break;
    case SSH_KNOWN_HOSTS_OTHER: host_key_ = HostKeyStatus::OtherType; break;
    case SSH_KNOWN_HOSTS_UNKNOWN:
    case SSH_KNOWN_HOSTS_NOT_FOUND: host_key_ = HostKeyStatus::Unknown; break;
    default: host_key_ = HostKeyStatus::Error; break;
  }
  if (host_key_ != HostKeyStatus::Verified) {
    std::string why;
    switch (host_key_) {
      case HostKeyStatus::Changed: why = "host key CHANGED: does not match the key in "; break;
      case HostKeyStatus::OtherType: why = "host key type not in "; break;
      case HostKeyStatus::Unknown: why = "host key unknown: host not found in "; break;
      default: why = "host key could not be checked against "; break;
    }
    throw SshError("ssh to " + where() + ": " + why + config_.known_hosts +
                   "; not authenticating, no command run");
  }

  ssh_key raw = nullptr;
  if (ssh_pki_import_privkey_file(config_.key_file.c_str(), nullptr, nullptr, nullptr, &raw) != SSH_OK)
    throw SshError("ssh to " + where() + ": cannot load the private key from " + config_.key_file +
                   " (missing, unreadable, passphrase-protected or not a key)");
  KeyPtr key(raw);
  set_timeout(deadline);
  int rc = ssh_userauth_publickey(s, nullptr, key.get());
  if (rc != SSH_AUTH_SUCCESS) {
    std::string why = rc == SSH_AUTH_ERROR ? std::string(ssh_get_error(s)) : "key not accepted";
    throw SshError("ssh to " + where() + ": public key authentication with " + config_.key_file +
                   " failed: " + why);
  }
  open_ = true;
}

SshCommandResult SshSession::run(std::string_view command, Deadline deadline, size_t max_output) {
  if (!open_) throw SshError("ssh to " + where() + ": session is not open; command not run");
  ssh_session s = impl_->s;
  auto fail = [&](const std::string& what) {
    return SshError("ssh to " + where() + ": " + what);
  };
  set_timeout(deadline);
  ChannelPtr ch(ssh_channel_new(s));
  if (!ch) throw fail("cannot create a channel");
  if (ssh_channel_open_session(ch.get()) != SSH_OK)
    throw fail(std::string("cannot open a channel: ") + ssh_get_error(s));
  std::string cmd(command);
  if (ssh_channel_request_exec(ch.get(), cmd.c_str()) != SSH_OK)
    throw fail(std::string("cannot start the command: ") + ssh_get_error(s));

  SshCommandResult r;
  char buf[4096];
  auto drain_stderr = [&] {
    int n;
    while ((n = ssh_channel_read_nonblocking(ch.get(), buf, sizeof buf, 1)) > 0)
      if (r.err.size() < kMaxStderr)
        r.err.append(buf, std::min<size_t>(static_cast<size_t>(n), kMaxStderr - r.err.size()));
  };
  for (;;) {
    int left = deadline.remaining_ms();
    if (left == 0) throw fail("command timed out");
    // Short slices so the deadline is honoured and stderr keeps draining.
    int n = ssh_channel_read_timeout(ch.get(), buf, sizeof buf, 0, std::min(left, 100));
    if (n == SSH_ERROR) throw fail(std::string("reading command output failed: ") + ssh_get_error(s));
    if (n > 0) {
      if (r.out.size() + static_cast<size_t>(n) > max_output)
        throw fail("command output exceeds " + std::to_string(max_output) + " bytes");
      r.out.append(buf, static_cast<size_t>(n));
      continue;
    }
    drain_stderr();
    if (ssh_channel_is_eof(ch.get())) break;
  }
  drain_stderr();
  set_timeout(deadline);
  r.exit_status = ssh_channel_get_exit_status(ch.get());
  make_valid_utf8(r.out);  // remote paths and globs enter as valid UTF-8
  make_valid_utf8(r.err);
  return r;
}

}  // namespace pgw
