#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/secret_box.h"
#include "delivery/retry.h"
#include "delivery/ssrf.h"

namespace hookd {

// hookd's settings, from defaults, then hookd.toml, then HOOKD_* environment variables, then
// flags: a later source overrides an earlier one. docs/configuration.md lists every key.
struct Config {
  std::string listen_host = "127.0.0.1";
  uint16_t listen_port = 8071;
  std::string data_dir = "./data";
  // Empty: the SQLite store in data_dir; postgres://...: the PostgreSQL store (cluster mode).
  std::string database_url;
  std::string admin_token;  // empty: generated or read from <data_dir>/admin_token
  int64_t portal_token_ttl_ms = 4 * 3'600'000;  // app portal tokens' default lifetime
  std::string web_root;    // the dashboard's files from this folder (development); empty: built in
  std::string public_url;  // where users reach hookd (portal links); empty: http://listen
  AddressPolicy address_policy;
  RetrySchedule retry = RetrySchedule::standard();
  int64_t request_timeout_ms = 15'000;
  int64_t connect_timeout_ms = 5'000;
  int endpoint_max_in_flight = 32;
  int delivery_max_in_flight = 256;  // per delivery thread
  int endpoint_max_queued = 10'000;  // due deliveries of one endpoint held in memory
  int64_t max_body_bytes = 1 << 20;
  int max_json_depth = 128;  // nesting of JSON from outside (common/json_limits.h)
  int max_connections = 0;   // open API connections; 0: the descriptor limit less a reserve
  int io_threads = 2;
  int delivery_threads = 2;
  bool serve_api = true;
  bool deliver = true;
  std::string log_format = "text";
  std::string log_level = "info";

  // Failure handling (docs/failures.md).
  int disable_after_exhausted = 5;                        // 0: off
  int64_t disable_after_failing_for_ms = 5 * 86'400'000;  // 0: off
  int circuit_window = 20;                                // 0: no circuit breaking
  int circuit_min_attempts = 10;
  double circuit_failure_ratio = 0.5;
  int64_t circuit_cooldown_ms = 30'000;
  int64_t circuit_max_cooldown_ms = 600'000;
  std::string smtp_url;
  bool smtp_require_tls = false;
  std::string smtp_username;
  std::string smtp_password;
  std::string smtp_from = "hookd@localhost";
  int64_t alert_immediate_interval_ms = 60'000;
  int64_t alert_hourly_interval_ms = 3'600'000;
  int64_t alert_daily_interval_ms = 86'400'000;
  std::string operational_app;
  bool https_only = false;
  int64_t max_response_bytes = 1 << 20;
  std::string egress_interface;
  std::string egress_proxy;
  // Seals secrets in the store: from secret_encryption_key and secret_encryption_previous_keys.
  SecretBox secret_box;
  int retention_days = 30;  // 0: keep everything
  int64_t retention_interval_ms = 60'000;
  int inbound_rejection_sample = 1'000;  // rejection rows kept per inbound source (the newest)

  // Cluster mode (docs/cluster.md).
  std::string node_id;               // empty: <hostname>-<random>, kept in <data_dir>/node_id
  int64_t claim_lease_ms = 60'000;   // how long a claimed delivery stays this node's
  int64_t poll_interval_ms = 2'000;  // how often the loader claims (or reads) due deliveries
  int database_pool_size = 4;        // PostgreSQL: reader connections (reads and claims) per node
  int64_t heartbeat_interval_ms = 2'000;  // a delivering node's beat; three missed: it is gone
};

class ConfigError final : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The configurable keys, in the order they are documented.
const std::vector<std::string>& config_keys();

// Builds the Config from raw key -> value settings (already merged by precedence).
// Throws ConfigError naming the key and what is wrong with its value.
Config build_config(const std::map<std::string, std::string>& settings);

// Reads a hookd.toml into key -> value settings. Throws ConfigError on a parse error or an
// unknown key.
std::map<std::string, std::string> read_config_file(const std::string& path);

// HOOKD_<KEY> environment variables into key -> value settings.
std::map<std::string, std::string> read_environment();

}  // namespace hookd
