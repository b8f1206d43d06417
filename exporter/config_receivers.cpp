// [[receivers]]: where notifications go. URLs and keys are secrets: errors
// show at most a URL's scheme and host, never file contents.
#include <filesystem>
#include <fstream>

#include "exporter/config_sections.h"
#include "exporter/config_values.h"

namespace pgw::config_detail {
namespace {

const char* const kPagerDutyEventsUrl = "https://events.pagerduty.com/v2/enqueue";

bool valid_type(const std::string& t) {
  return t == "webhook" || t == "slack" || t == "discord" || t == "pagerduty" ||
         t == "alertmanager";
}

void read_receiver(const toml::table& t, const std::string& path, LoadState& st,
                   ReceiverConfig& rc) {
  TableReader r(t, path, st.sink);
  rc.pos = st.sink.pos(t);
  r.string("name", rc.name, true);
  if (r.string("type", rc.type, true) && !valid_type(rc.type))
    st.sink.add(*t.get("type"), r.key_path("type"),
                show(rc.type) +
                    " is not a receiver type (expected webhook, slack, discord, pagerduty or "
                    "alertmanager)");

  bool has_url = r.get("url") != nullptr;
  bool has_url_file = r.get("url_file") != nullptr;
  if (has_url && has_url_file) {
    st.sink.add(*t.get("url_file"), r.key_path("url_file"),
                "set either url or url_file, not both");
  } else if (has_url) {
    if (r.string("url", rc.url))
      if (auto err = check_http_url(rc.url)) st.sink.add(*t.get("url"), r.key_path("url"), *err);
  } else if (has_url_file) {
    if (read_secret_file(r, "url_file", st.base, rc.url_file, &rc.url) && check_http_url(rc.url))
      st.sink.add(*t.get("url_file"), r.key_path("url_file"),
                  "the contents of " + show(rc.url_file) +
                      " are not an http:// or https:// URL");
  } else if (rc.type == "pagerduty") {
    rc.url = kPagerDutyEventsUrl;  // Events API v2; url only overrides it
  } else {
    st.sink.add(rc.pos, path + ": missing url or url_file (one is required)");
  }

  r.boolean("send_resolved", rc.send_resolved);
  if (r.strings("group_by", rc.group_by)) {
    const auto* arr = t.get("group_by")->as_array();
    for (size_t i = 0; i < rc.group_by.size(); ++i)
      if (auto err = check_label_name(rc.group_by[i]))
        st.sink.add(*arr->get(i), r.key_path("group_by") + "[" + std::to_string(i) + "]", *err);
  }
  r.duration("group_wait", rc.group_wait, true);
  r.duration("group_interval", rc.group_interval);
  r.duration("repeat_interval", rc.repeat_interval);
  r.duration("timeout", rc.timeout);
  r.duration("outbox_max_age", rc.outbox_max_age);
  if (r.string_map("match", rc.match)) {
    const toml::table* m = t.get("match")->as_table();
    for (const auto& [name, value] : rc.match)
      if (auto err = check_label_name(name))
        st.sink.add(*m->get(name), r.key_path("match") + "." + name, *err);
  }
  if (r.get("hmac_secret_file"))
    read_secret_file(r, "hmac_secret_file", st.base, rc.hmac_secret_file, &rc.hmac_secret);
  if (r.get("routing_key_file")) {
    if (rc.type == "pagerduty" || !valid_type(rc.type))
      read_secret_file(r, "routing_key_file", st.base, rc.routing_key_file, &rc.routing_key);
    else
      st.sink.add(*t.get("routing_key_file"), r.key_path("routing_key_file"),
                  "only pagerduty receivers use a routing key");
  } else if (rc.type == "pagerduty") {
    st.sink.add(rc.pos, r.key_path("routing_key_file") +
                            ": missing (pagerduty receivers need the integration key in a file)");
  }
  if (r.string("ca_file", rc.ca_file)) {
    rc.ca_file = st.base.resolve(rc.ca_file);
    std::ifstream probe(rc.ca_file);
    std::error_code ec;
    if (rc.ca_file.empty() || !probe || std::filesystem::is_directory(rc.ca_file, ec))
      st.sink.add(*t.get("ca_file"), r.key_path("ca_file"),
                  "cannot read " + show(rc.ca_file) + " (expected a PEM file of CA certificates)");
  }
  r.finish();
}

}  // namespace

void read_receivers(TableReader& root, LoadState& st, std::vector<ReceiverConfig>& out) {
  auto tables = root.tables("receivers");
  UniqueNames names("receiver");
  for (size_t i = 0; i < tables.size(); ++i) {
    std::string path = "receivers[" + std::to_string(i) + "]";
    ReceiverConfig rc;
    read_receiver(*tables[i], path, st, rc);
    if (!rc.name.empty()) names.add(rc.name, *tables[i]->get("name"), path + ".name", st.sink);
    out.push_back(std::move(rc));
  }
}

}  // namespace pgw::config_detail
