// Receiver payloads: one renderer per receiver type, each in its own
// payload_<type>.cpp that registers itself, so adding a receiver type touches
// no other payload file.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "alerts/alert.h"
#include "core/time_format.h"
#include "core/config.h"

namespace pgw {

// One notification: a group of alerts for one receiver, as it is due now.
struct Notification {
  std::string receiver;
  std::string group_key;           // "<receiver>:{alertname=\"X\", cluster=\"y\"}"
  Labels group_labels;
  std::vector<Alert> alerts;       // firing (state Firing) and resolved (state Inactive)
  std::string external_url;        // where pgwarden itself answers (may be empty)
  TimePoint now{};
  Duration resend_delay{60000};    // alertmanager receiver: endsAt = now + 4 x this
  bool firing() const;             // any alert still firing
};

// What a receiver's own transport made of one delivery attempt.
struct DeliveryResult {
  enum class Outcome { Delivered, Retry, Drop } outcome = Outcome::Retry;
  std::string detail;  // for the log ("SMTP 451", "connection refused"); never a secret
};

struct PayloadType {
  // Renders the request body (JSON). Must not embed secrets: the body rests
  // in the outbox on disk.
  std::string (*render)(const ReceiverConfig&, const Notification&) = nullptr;
  // Used when the receiver has no url.
  std::string default_url;
  // Optional: adds secrets (e.g. a PagerDuty routing key) just before sending.
  std::string (*prepare_send)(const ReceiverConfig&, const std::string& body) = nullptr;
  // Optional: delivers the rendered body itself (non-HTTP receivers such as
  // email). Without it the notifier POSTs the body to the receiver's url.
  DeliveryResult (*transport)(const ReceiverConfig&, const std::string& body, Duration timeout) = nullptr;
};

void register_payload_type(const std::string& type, PayloadType payload);
// nullptr for an unknown type.
const PayloadType* find_payload_type(const std::string& type);

// Registers a payload type from a payload_<type>.cpp at static-init time.
#define PGW_REGISTER_PAYLOAD(type, ...)                                         \
  namespace {                                                                  \
  const bool pgw_payload_registered_##type = [] {                              \
    ::pgw::register_payload_type(#type, ::pgw::PayloadType{__VA_ARGS__});      \
    return true;                                                               \
  }();                                                                         \
  }

// Helpers shared by the renderers.
nlohmann::json labels_json(const Labels& labels);
nlohmann::json annotations_json(const Alert& alert);
bool alert_is_firing(const Alert& alert);
const char* alert_status(const Alert& alert);          // "firing" | "resolved"
TimePoint alert_starts_at(const Alert& alert);          // fired_at, else active_at
Labels common_labels(const std::vector<Alert>& alerts);
std::map<std::string, std::string> common_annotations(const std::vector<Alert>& alerts);
// "[FIRING:2] PgReplicationLagHigh aya" style title.
std::string notification_title(const Notification& n);
// One line per alert: "[firing] node=alpha: summary".
std::vector<std::string> alert_lines(const Notification& n);
std::string truncate_utf8(const std::string& s, size_t max_bytes);

}  // namespace pgw
