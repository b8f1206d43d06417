#include "core/http_client.h"
#include "core/utf8.h"

#include <curl/curl.h>

#include <cctype>
#include <chrono>
#include <mutex>

namespace pgw {
namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Body {
  std::string* out;
  size_t cap;
  bool overflow = false;
};

size_t on_data(char* ptr, size_t size, size_t nmemb, void* userdata) {
  auto* b = static_cast<Body*>(userdata);
  size_t n = size * nmemb;
  if (b->out->size() + n > b->cap) {
    b->overflow = true;
    return 0;  // aborts the transfer with CURLE_WRITE_ERROR
  }
  b->out->append(ptr, n);
  return n;
}

// Collects "Name: value" header lines; a redirect or 100-continue starts a
// new header block, so keep only the last one.
size_t on_header(char* ptr, size_t size, size_t nitems, void* userdata) {
  auto* headers = static_cast<std::vector<std::pair<std::string, std::string>>*>(userdata);
  std::string line(ptr, size * nitems);
  if (line.rfind("HTTP/", 0) == 0) {
    headers->clear();
    return size * nitems;
  }
  auto colon = line.find(':');
  if (colon == std::string::npos) return size * nitems;
  auto trim = [](std::string s) {
    const char* ws = " \t\r\n";
    s.erase(0, s.find_first_not_of(ws));
    s.erase(s.find_last_not_of(ws) + 1);
    return s;
  };
  std::string name = trim(line.substr(0, colon));
  for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  headers->emplace_back(name, trim(line.substr(colon + 1)));
  return size * nitems;
}

}  // namespace

HttpResponse http_request(const HttpRequest& req) {
  global_init();
  HttpResponse resp;
  CURL* curl = curl_easy_init();
  if (!curl) {
    resp.error = "cannot initialise libcurl";
    return resp;
  }
  Body body{&resp.body, req.max_response_bytes};
  curl_slist* headers = nullptr;
  for (const auto& [k, v] : req.headers) headers = curl_slist_append(headers, (k + ": " + v).c_str());

  curl_easy_setopt(curl, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // thread-safe timeouts
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(req.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(req.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
#if LIBCURL_VERSION_NUM >= 0x075500
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
#else
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS, CURLPROTO_HTTP | CURLPROTO_HTTPS);
#endif
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "pgwarden/" PGWARDEN_VERSION);
  curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(req.max_response_bytes));
  if (!req.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, req.ca_file.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &resp.headers);
  if (headers) curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  if (req.method == "POST" || req.method == "PUT") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, req.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
  } else if (req.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  }

  auto start = std::chrono::steady_clock::now();
  CURLcode rc = curl_easy_perform(curl);
  resp.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &resp.status);
  if (body.overflow || rc == CURLE_FILESIZE_EXCEEDED) {
    resp.error = "response larger than " + std::to_string(req.max_response_bytes) + " bytes";
    resp.body.clear();
  } else if (rc != CURLE_OK) {
    // curl_easy_strerror is generic and never includes the URL.
    resp.error = curl_easy_strerror(rc);
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  make_valid_utf8(resp.body);  // bodies from outside enter as valid UTF-8
  for (auto& [k, v] : resp.headers) make_valid_utf8(v);
  return resp;
}

HttpResponse http_get(const std::string& url, Duration timeout, size_t max_bytes) {
  HttpRequest r;
  r.url = url;
  r.timeout = timeout;
  r.max_response_bytes = max_bytes;
  return http_request(r);
}

}  // namespace pgw
