#include "config/config.h"

#include <toml++/toml.h>
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <thread>

#include "common/time.h"
#include "common/url.h"

namespace hookd {

namespace {

int64_t parse_int(const std::string& key, const std::string& value, int64_t min, int64_t max) {
  int64_t out = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), out);
  if (ec != std::errc() || end != value.data() + value.size() || out < min || out > max) {
    throw ConfigError(key + ": expected an integer from " + std::to_string(min) + " to " +
                      std::to_string(max) + ", got '" + value + "'");
  }
  return out;
}

int64_t parse_duration(const std::string& key, const std::string& value, bool zero_ok) {
  const auto ms = parse_duration_ms(value);
  if (!ms || *ms < 0 || (*ms == 0 && !zero_ok)) {
    throw ConfigError(key + ": expected a duration like 250ms, 30s, 5m, 2h or 5d, got '" + value +
                      "'");
  }
  return *ms;
}

bool parse_bool(const std::string& key, const std::string& value) {
  if (value == "true" || value == "1" || value == "yes") return true;
  if (value == "false" || value == "0" || value == "no") return false;
  throw ConfigError(key + ": expected true or false, got '" + value + "'");
}

std::vector<std::string> split_list(const std::string& value) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= value.size()) {
    const size_t comma = std::min(value.find(',', start), value.size());
    std::string item = value.substr(start, comma - start);
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    if (!item.empty()) out.push_back(std::move(item));
    start = comma + 1;
  }
  return out;
}

// A fraction read with strtod, or nullopt when `value` is not a number.
std::optional<double> parse_fraction(const std::string& value) {
  char* end = nullptr;
  const double fraction = std::strtod(value.c_str(), &end);
  if (end == value.c_str() || *end != '\0') return std::nullopt;
  return fraction;
}

// "host:port", "[v6]:port" or ":port" (every address).
void apply_listen(Config& c, const std::string& value) {
  const auto colon = value.rfind(':');
  if (colon == std::string::npos) {
    throw ConfigError("listen: expected host:port, got '" + value + "'");
  }
  std::string host = value.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  c.listen_host = host.empty() ? "0.0.0.0" : host;
  c.listen_port = static_cast<uint16_t>(parse_int("listen", value.substr(colon + 1), 0, 65535));
}

// Each apply_*_setting reads one group of settings: it returns false when `key` is not one of
// its group, and throws ConfigError naming the key when the value is wrong.

// The HTTP front end and the process.
bool apply_server_setting(Config& c, const std::string& key, const std::string& value) {
  if (key == "listen") {
    apply_listen(c, value);
  } else if (key == "data_dir") {
    if (value.empty()) throw ConfigError("data_dir: must not be empty");
    c.data_dir = value;
  } else if (key == "database_url") {
    if (!value.empty() && !value.starts_with("postgres://") &&
        !value.starts_with("postgresql://")) {
      throw ConfigError("database_url: must be postgres://... (or empty for SQLite)");
    }
    c.database_url = value;
  } else if (key == "admin_token") {
    if (!value.empty() && value.size() < 16) {
      throw ConfigError("admin_token: must be at least 16 characters");
    }
    c.admin_token = value;
  } else if (key == "max_body_bytes") {
    c.max_body_bytes = parse_int(key, value, 1024, 64 << 20);
  } else if (key == "max_json_depth") {
    c.max_json_depth = static_cast<int>(parse_int(key, value, 2, 1024));
  } else if (key == "max_connections") {
    c.max_connections = static_cast<int>(parse_int(key, value, 1, 1'000'000));
  } else if (key == "io_threads") {
    c.io_threads = static_cast<int>(parse_int(key, value, 1, 256));
  } else if (key == "role") {
    if (value != "all" && value != "api" && value != "worker") {
      throw ConfigError("role: expected all, api or worker, got '" + value + "'");
    }
    c.serve_api = value != "worker";
    c.deliver = value != "api";
  } else {
    return false;
  }
  return true;
}

// The logs.
bool apply_log_setting(Config& c, const std::string& key, const std::string& value) {
  if (key == "log_format") {
    if (value != "text" && value != "json") {
      throw ConfigError("log_format: expected text or json, got '" + value + "'");
    }
    c.log_format = value;
  } else if (key == "log_level") {
    if (value != "debug" && value != "info" && value != "warn" && value != "error") {
      throw ConfigError("log_level: expected debug, info, warn or error, got '" + value + "'");
    }
    c.log_level = value;
  } else {
    return false;
  }
  return true;
}

// Delivery: retries, timeouts, caps and threads.
bool apply_delivery_setting(Config& c, const std::string& key, const std::string& value) {
  if (key == "retry_schedule") {
    auto schedule = RetrySchedule::parse(value);
    if (!schedule) {
      throw ConfigError("retry_schedule: expected delays like 5s,5m,30m,2h, got '" + value + "'");
    }
    c.retry.delays_ms = schedule->delays_ms;
  } else if (key == "retry_jitter") {
    const auto jitter = parse_fraction(value);
    if (!jitter || *jitter < 0 || *jitter > 1) {
      throw ConfigError("retry_jitter: expected a fraction from 0 to 1, got '" + value + "'");
    }
    c.retry.jitter = *jitter;
  } else if (key == "request_timeout_ms") {
    c.request_timeout_ms = parse_int(key, value, 100, 600'000);
  } else if (key == "connect_timeout_ms") {
    c.connect_timeout_ms = parse_int(key, value, 100, 600'000);
  } else if (key == "endpoint_max_in_flight") {
    c.endpoint_max_in_flight = static_cast<int>(parse_int(key, value, 1, 10'000));
  } else if (key == "delivery_max_in_flight") {
    c.delivery_max_in_flight = static_cast<int>(parse_int(key, value, 1, 100'000));
  } else if (key == "endpoint_max_queued") {
    c.endpoint_max_queued = static_cast<int>(parse_int(key, value, 1, 1'000'000));
  } else if (key == "delivery_threads") {
    c.delivery_threads = static_cast<int>(parse_int(key, value, 1, 256));
  } else {
    return false;
  }
  return true;
}

// Where deliveries may go and how they leave: the SSRF policy, TLS, the response cap, the
// outgoing interface and proxy.
bool apply_egress_setting(Config& c, const std::string& key, const std::string& value) {
  if (key == "ssrf_allow") {
    auto policy = AddressPolicy::from_allow_list(value);
    if (!policy) throw ConfigError(policy.problem().under(key).message());
    c.address_policy = *policy;
  } else if (key == "https_only") {
    c.https_only = parse_bool(key, value);
  } else if (key == "max_response_bytes") {
    c.max_response_bytes = parse_int(key, value, 4096, 1LL << 30);
  } else if (key == "egress_interface") {
    c.egress_interface = value;
  } else if (key == "egress_proxy") {
    if (!value.empty() && !value.starts_with("http://") && !value.starts_with("https://") &&
        !value.starts_with("socks5://")) {
      throw ConfigError("egress_proxy: expected an http://, https:// or socks5:// URL, got '" +
                        redact_url(value) + "'");
    }
    c.egress_proxy = value;
  } else {
    return false;
  }
  return true;
}

// Failing endpoints: auto-disable, the circuit breaker, the operational events' application.
bool apply_failure_setting(Config& c, const std::string& key, const std::string& value) {
  if (key == "disable_after_exhausted") {
    c.disable_after_exhausted = static_cast<int>(parse_int(key, value, 0, 1'000'000));
  } else if (key == "disable_after_failing_for") {
    c.disable_after_failing_for_ms = parse_duration(key, value, true);
  } else if (key == "circuit_window") {
    c.circuit_window = static_cast<int>(parse_int(key, value, 0, 1000));
  } else if (key == "circuit_min_attempts") {
    c.circuit_min_attempts = static_cast<int>(parse_int(key, value, 1, 1000));
  } else if (key == "circuit_failure_ratio") {
    const auto ratio = parse_fraction(value);
    if (!ratio || *ratio <= 0 || *ratio > 1) {
      throw ConfigError("circuit_failure_ratio: expected a fraction above 0, at most 1, got '" +
                        value + "'");
    }
    c.circuit_failure_ratio = *ratio;
  } else if (key == "circuit_cooldown") {
    c.circuit_cooldown_ms = parse_duration(key, value, false);
  } else if (key == "circuit_max_cooldown") {
    c.circuit_max_cooldown_ms = parse_duration(key, value, false);
  } else if (key == "operational_app") {
    c.operational_app = value;
  } else {
    return false;
  }
  return true;
}

// Failure alerts: the SMTP server and the grouping intervals.
bool apply_alert_setting(Config& c, const std::string& key, const std::string& value) {
  if (key == "smtp_url") {
    if (!value.empty() && !value.starts_with("smtp://") && !value.starts_with("smtps://")) {
      throw ConfigError("smtp_url: expected smtp://host:port or smtps://host:port, got '" +
                        redact_url(value) + "'");
    }
    c.smtp_url = value;
  } else if (key == "smtp_require_tls") {
    c.smtp_require_tls = parse_bool(key, value);
  } else if (key == "smtp_username") {
    c.smtp_username = value;
  } else if (key == "smtp_password") {
    c.smtp_password = value;
  } else if (key == "smtp_from") {
    if (value.empty() || value.find_first_of("\r\n<>") != std::string::npos ||
        value.find('@') == std::string::npos) {
      throw ConfigError("smtp_from: expected an email address, got '" + value + "'");
    }
    c.smtp_from = value;
  } else if (key == "alert_immediate_interval") {
    c.alert_immediate_interval_ms = parse_duration(key, value, false);
  } else if (key == "alert_hourly_interval") {
    c.alert_hourly_interval_ms = parse_duration(key, value, false);
  } else if (key == "alert_daily_interval") {
    c.alert_daily_interval_ms = parse_duration(key, value, false);
  } else {
    return false;
  }
  return true;
}

// App portal tokens (their default lifetime, the address their links point at) and where the
// dashboard's files come from.
bool apply_access_setting(Config& c, const std::string& key, const std::string& value) {
  if (key == "portal_token_ttl") {
    c.portal_token_ttl_ms = parse_duration(key, value, false);
    if (c.portal_token_ttl_ms < 60'000 || c.portal_token_ttl_ms > 7 * 86'400'000LL) {
      throw ConfigError("portal_token_ttl: must be from 1m to 7d, got '" + value + "'");
    }
  } else if (key == "public_url") {
    if (!value.starts_with("http://") && !value.starts_with("https://")) {
      throw ConfigError("public_url: must start with http:// or https://, got '" + value + "'");
    }
    c.public_url = value;
    while (c.public_url.ends_with('/')) c.public_url.pop_back();
  } else if (key == "web_root") {
    std::error_code error;
    if (!std::filesystem::is_regular_file(std::filesystem::path(value) / "index.html", error)) {
      throw ConfigError("web_root: '" + value + "' is not a folder with an index.html");
    }
    c.web_root = value;
  } else {
    return false;
  }
  return true;
}

// What is kept, and for how long.
bool apply_retention_setting(Config& c, const std::string& key, const std::string& value) {
  if (key == "retention_days") {
    c.retention_days = static_cast<int>(parse_int(key, value, 0, 36'500));
  } else if (key == "retention_interval") {
    c.retention_interval_ms = parse_duration(key, value, false);
  } else if (key == "inbound_rejection_sample") {
    c.inbound_rejection_sample = static_cast<int>(parse_int(key, value, 1, 1'000'000));
  } else {
    return false;
  }
  return true;
}

// Cluster mode (docs/cluster.md).
bool apply_cluster_setting(Config& c, const std::string& key, const std::string& value) {
  if (key == "node_id") {
    if (value.size() > 200) throw ConfigError("node_id: at most 200 characters");
    c.node_id = value;
  } else if (key == "claim_lease") {
    c.claim_lease_ms = parse_duration(key, value, false);
  } else if (key == "poll_interval") {
    c.poll_interval_ms = parse_duration(key, value, false);
  } else if (key == "database_pool_size") {
    c.database_pool_size = static_cast<int>(parse_int(key, value, 1, 64));
  } else if (key == "heartbeat_interval") {
    c.heartbeat_interval_ms = parse_duration(key, value, false);
  } else {
    return false;
  }
  return true;
}

// Settings that must agree with each other.
void check_config(const Config& c) {
  // A claimed delivery is sent only while its request can end before the claim's lease does.
  constexpr int64_t kLeaseRoomMs = 5'000;
  if (!c.database_url.empty() && c.claim_lease_ms < c.request_timeout_ms + kLeaseRoomMs) {
    throw ConfigError("claim_lease: must be at least request_timeout_ms + 5 s (" +
                      std::to_string(c.request_timeout_ms + kLeaseRoomMs) + " ms)");
  }
}

// The keys that seal secrets in the store; a key that is not base64 of 32 bytes is an error
// naming its setting (the key itself is never repeated).
SecretBox secret_box_from(const std::map<std::string, std::string>& settings) {
  const auto current = settings.find("secret_encryption_key");
  const auto previous = settings.find("secret_encryption_previous_keys");
  const std::vector<std::string> old_keys =
      previous == settings.end() ? std::vector<std::string>{} : split_list(previous->second);
  if (current == settings.end() || current->second.empty()) {
    if (!old_keys.empty()) {
      throw ConfigError("secret_encryption_previous_keys: set secret_encryption_key too");
    }
    return SecretBox();
  }
  try {
    SecretBox::from_keys(current->second, {});
  } catch (const std::invalid_argument& e) {
    throw ConfigError(std::string("secret_encryption_key: ") + e.what());
  }
  try {
    return SecretBox::from_keys(current->second, old_keys);
  } catch (const std::invalid_argument& e) {
    throw ConfigError(std::string("secret_encryption_previous_keys: ") + e.what());
  }
}

}  // namespace

const std::vector<std::string>& config_keys() {
  static const std::vector<std::string> keys = {"listen",
                                                "data_dir",
                                                "database_url",
                                                "admin_token",
                                                "portal_token_ttl",
                                                "public_url",
                                                "web_root",
                                                "ssrf_allow",
                                                "retry_schedule",
                                                "retry_jitter",
                                                "request_timeout_ms",
                                                "connect_timeout_ms",
                                                "endpoint_max_in_flight",
                                                "delivery_max_in_flight",
                                                "endpoint_max_queued",
                                                "max_body_bytes",
                                                "max_json_depth",
                                                "max_connections",
                                                "io_threads",
                                                "delivery_threads",
                                                "role",
                                                "log_format",
                                                "log_level",
                                                "disable_after_exhausted",
                                                "disable_after_failing_for",
                                                "circuit_window",
                                                "circuit_min_attempts",
                                                "circuit_failure_ratio",
                                                "circuit_cooldown",
                                                "circuit_max_cooldown",
                                                "smtp_url",
                                                "smtp_require_tls",
                                                "smtp_username",
                                                "smtp_password",
                                                "smtp_from",
                                                "alert_immediate_interval",
                                                "alert_hourly_interval",
                                                "alert_daily_interval",
                                                "operational_app",
                                                "https_only",
                                                "max_response_bytes",
                                                "egress_interface",
                                                "egress_proxy",
                                                "retention_days",
                                                "inbound_rejection_sample",
                                                "retention_interval",
                                                "secret_encryption_key",
                                                "secret_encryption_previous_keys",
                                                "node_id",
                                                "claim_lease",
                                                "poll_interval",
                                                "heartbeat_interval",
                                                "database_pool_size"};
  return keys;
}

Config build_config(const std::map<std::string, std::string>& settings) {
  Config c;
  c.io_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (const auto& [key, value] : settings) {
    const bool known =
        apply_server_setting(c, key, value) || apply_log_setting(c, key, value) ||
        apply_delivery_setting(c, key, value) || apply_egress_setting(c, key, value) ||
        apply_failure_setting(c, key, value) || apply_alert_setting(c, key, value) ||
        apply_retention_setting(c, key, value) || apply_access_setting(c, key, value) ||
        apply_cluster_setting(c, key, value) || key == "secret_encryption_key" ||
        key == "secret_encryption_previous_keys";
    if (!known) throw ConfigError(key + ": unknown setting");
  }
  c.secret_box = secret_box_from(settings);  // both keys at once: the old ones need the current
  check_config(c);
  return c;
}

std::map<std::string, std::string> read_config_file(const std::string& path) {
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    throw ConfigError(path + ": " + std::string(e.description()));
  }
  std::map<std::string, std::string> out;
  for (const auto& [key, node] : table) {
    const std::string name(key.str());
    if (std::find(config_keys().begin(), config_keys().end(), name) == config_keys().end()) {
      throw ConfigError(path + ": " + name + ": unknown setting");
    }
    if (auto s = node.value<std::string>()) {
      out[name] = *s;
    } else if (auto i = node.value<int64_t>()) {
      out[name] = std::to_string(*i);
    } else if (auto d = node.value<double>()) {
      out[name] = std::to_string(*d);
    } else if (auto b = node.value<bool>()) {
      out[name] = *b ? "true" : "false";
    } else if (const auto* arr = node.as_array()) {
      std::string joined;
      for (const auto& item : *arr) {
        if (!joined.empty()) joined += ',';
        joined += item.value<std::string>().value_or("");
      }
      out[name] = joined;
    } else {
      throw ConfigError(path + ": " + name + ": unsupported value type");
    }
  }
  return out;
}

std::map<std::string, std::string> read_environment() {
  std::map<std::string, std::string> out;
  for (const auto& key : config_keys()) {
    std::string env = "HOOKD_";
    for (char c : key)
      env.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    if (const char* value = std::getenv(env.c_str())) out[key] = value;
  }
  return out;
}

}  // namespace hookd
