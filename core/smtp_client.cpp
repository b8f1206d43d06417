#include "core/smtp_client.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>

#include <curl/curl.h>

namespace pgw {
namespace {

struct Reader {
  const std::string* data;
  size_t pos = 0;
};

size_t read_cb(char* buf, size_t size, size_t n, void* user) {
  auto* r = static_cast<Reader*>(user);
  size_t len = std::min(size * n, r->data->size() - r->pos);
  std::memcpy(buf, r->data->data() + r->pos, len);
  r->pos += len;
  return len;
}

}  // namespace

SmtpResponse smtp_send(const SmtpRequest& req) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  SmtpResponse resp;
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> c(curl_easy_init(), curl_easy_cleanup);
  if (!c) {
    resp.error = "cannot initialise libcurl";
    return resp;
  }
  CURL* h = c.get();
  curl_slist* rcpt = nullptr;
  for (const auto& t : req.to) rcpt = curl_slist_append(rcpt, ("<" + t + ">").c_str());
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> rcpt_guard(rcpt, curl_slist_free_all);
  Reader reader{&req.message};
  std::string from = "<" + req.from + ">";

  curl_easy_setopt(h, CURLOPT_URL, req.url.c_str());
#if LIBCURL_VERSION_NUM >= 0x075500
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
#endif
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
  curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
  curl_easy_setopt(h, CURLOPT_READDATA, &reader);
  curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(req.message.size()));
  // smtps:// is TLS from the first byte; for smtp:// this makes STARTTLS
  // mandatory (curl fails rather than sending in the clear).
  curl_easy_setopt(h, CURLOPT_USE_SSL, req.require_tls ? CURLUSESSL_ALL : CURLUSESSL_NONE);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!req.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, req.ca_file.c_str());
  if (!req.username.empty()) {
    curl_easy_setopt(h, CURLOPT_USERNAME, req.username.c_str());
    curl_easy_setopt(h, CURLOPT_PASSWORD, req.password.c_str());
  }
  long ms = std::max<long>(1, static_cast<long>(req.timeout.count()));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, ms);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, ms);

  CURLcode rc = curl_easy_perform(h);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp.code);
  if (rc == CURLE_OK) {
    resp.ok = true;
    return resp;
  }
  // curl_easy_strerror names the kind of failure only (no server text, no credentials).
  resp.error = curl_easy_strerror(rc);
  if (resp.code > 0) resp.error = "SMTP " + std::to_string(resp.code) + " (" + resp.error + ")";
  return resp;
}

}  // namespace pgw
