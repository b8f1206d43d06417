// A small blocking SMTP client on libcurl for the email receiver: one
// message to several recipients, time-bounded, TLS verified. STARTTLS is
// required unless the caller explicitly allows plain SMTP. Errors never
// contain the password.
#pragma once

#include <string>
#include <vector>

#include "core/duration.h"

namespace pgw {

struct SmtpRequest {
  std::string url;                  // smtp://host:port or smtps://host:port
  bool require_tls = true;          // smtp://: STARTTLS or fail; false: plain SMTP
  std::string from;                 // envelope sender
  std::vector<std::string> to;      // envelope recipients
  std::string username, password;   // AUTH when username is set
  std::string message;              // RFC 5322 message, CRLF line ends
  std::string ca_file;              // PEM CAs instead of the system bundle
  Duration timeout = Duration(10000);
};

struct SmtpResponse {
  bool ok = false;
  long code = 0;                    // last SMTP reply code (0: none, e.g. no connection)
  std::string error;                // what failed; never the password
};

SmtpResponse smtp_send(const SmtpRequest& request);

}  // namespace pgw
