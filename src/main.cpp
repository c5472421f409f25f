// hookd: a self-hosted webhook platform. `hookd serve` runs the API, the dispatcher and the
// store in one process.
#include <curl/curl.h>
#include <fcntl.h>
#include <signal.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <thread>

#include "alerts/alerts.h"
#include "api/api.h"
#include "api/http_server.h"
#include "catalog/catalog.h"
#include "catalog/catalog_follower.h"
#include "catalog/catalog_writer.h"
#include "cli/listen.h"
#include "common/json_limits.h"
#include "common/random.h"
#include "common/version.h"
#include "config/config.h"
#include "delivery/dispatcher.h"
#include "health/monitor.h"
#include "health/service_health.h"
#include "journey_engine/engine.h"
#include "metrics/metrics.h"
#include "store/postgres/postgres_store.h"
#include "store/sqlite/sqlite_store.h"

namespace {

using namespace hookd;

// SIGINT and SIGTERM write their number to a pipe that main() waits on. A handler (rather than
// sigwait with a blocked mask) also works when a runtime started threads before main().
int stop_pipe[2] = {-1, -1};

void on_stop_signal(int signo) {
  const unsigned char byte = static_cast<unsigned char>(signo);
  [[maybe_unused]] auto n = ::write(stop_pipe[1], &byte, 1);
}

void install_stop_handlers() {
  if (pipe2(stop_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

int wait_for_stop_signal() {
  unsigned char byte = 0;
  while (::read(stop_pipe[0], &byte, 1) != 1) {
  }
  return byte;
}

void setup_logging(const Config& config) {
  auto logger = spdlog::stderr_logger_mt("hookd");
  if (config.log_format == "json") {
    logger->set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","msg":"%v"})",
                        spdlog::pattern_time_type::utc);
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  }
  logger->set_level(spdlog::level::from_str(config.log_level));
  spdlog::set_default_logger(logger);
}

// The admin token: configured, or kept in <data_dir>/admin_token, or generated on first start.
// The first line of `path`, or, when there is none, `make()`'s value written there (0600).
// `created` tells which.
std::string read_or_create(const std::filesystem::path& path, const std::string& key,
                           const std::function<std::string()>& make, bool& created) {
  created = false;
  if (std::ifstream in(path); in) {
    std::string value;
    std::getline(in, value);
    if (!value.empty()) return value;
  }
  const std::string value = make();
  {
    std::ofstream out(path, std::ios::trunc);
    out << value << "\n";
    if (!out) throw ConfigError(key + ": cannot write " + path.string());
  }
  chmod(path.c_str(), 0600);
  created = true;
  return value;
}

std::string resolve_admin_token(const Config& config) {
  if (!config.admin_token.empty()) return config.admin_token;
  const auto path = std::filesystem::path(config.data_dir) / "admin_token";
  bool created = false;
  const std::string token = read_or_create(
      path, "admin_token", [] { return "hk_" + random_hex(24); }, created);
  if (created) {
    std::cerr << "hookd: generated admin token (kept in " << path.string() << "):\n"
              << token << "\n";
  }
  return token;
}

// Cluster mode: the node's name, <hostname>-<random> kept in the data directory unless
// node_id is set, so that a node restarted on its data directory takes back its own claims.
std::string resolve_node_id(const Config& config) {
  if (!config.node_id.empty()) return config.node_id;
  bool created = false;
  return read_or_create(
      std::filesystem::path(config.data_dir) / "node_id", "node_id",
      [] {
        char host[256] = {};
        if (gethostname(host, sizeof host - 1) != 0 || !host[0]) {
          std::snprintf(host, sizeof host, "hookd");
        }
        return std::string(host) + "-" + random_hex(3);
      },
      created);
}

// Raises the soft descriptor limit to the hard one; returns the limit now in force.
int64_t raise_descriptor_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return limit.rlim_cur == RLIM_INFINITY ? int64_t{1} << 20 : static_cast<int64_t>(limit.rlim_cur);
}

// max_connections, or by default the descriptor limit less 256 for the store, the delivery
// threads' connections and alerts (at least 64).
int connection_cap(const Config& config, int64_t descriptors) {
  if (config.max_connections > 0) return config.max_connections;
  return static_cast<int>(std::clamp<int64_t>(descriptors - 256, 64, 1'000'000));
}

// The data directory holds every secret hookd keeps: it is created 0700, and every file hookd
// makes in it is 0600 (a umask of 077 for the process: SQLite creates the -wal and -shm files
// later, with the database file's mode). Files an earlier version left readable are made 0600;
// a directory the operator made is left as it is, with a warning when others may enter it.
void prepare_data_dir(const std::filesystem::path& dir) {
  umask(077);
  std::error_code ec;
  if (!std::filesystem::exists(dir)) {
    std::filesystem::create_directories(dir);
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);
  } else if (struct stat st{}; stat(dir.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
    spdlog::warn("data_dir {} is open to other users (mode {:o}); 0700 keeps its secrets private",
                 dir.string(), st.st_mode & 0777);
  }
  for (const char* name : {"hookd.db", "hookd.db-wal", "hookd.db-shm", "admin_token"}) {
    if (std::filesystem::exists(dir / name, ec)) chmod((dir / name).c_str(), 0600);
  }
}

std::unique_ptr<alerts::Alerter> make_alerter(const Config& config) {
  alerts::SmtpSettings smtp;
  smtp.url = config.smtp_url;
  smtp.require_tls = config.smtp_require_tls;
  smtp.username = config.smtp_username;
  smtp.password = config.smtp_password;
  smtp.from = config.smtp_from;
  alerts::Intervals intervals;
  intervals.immediate_ms = config.alert_immediate_interval_ms;
  intervals.hourly_ms = config.alert_hourly_interval_ms;
  intervals.daily_ms = config.alert_daily_interval_ms;
  return std::make_unique<alerts::Alerter>(smtp, intervals);
}

HealthOptions health_options(const Config& config) {
  HealthOptions options;
  options.disable_after_exhausted = config.disable_after_exhausted;
  options.disable_after_failing_for_ms = config.disable_after_failing_for_ms;
  options.operational_app = config.operational_app;
  options.retention_days = config.retention_days;
  options.retention_interval_ms = config.retention_interval_ms;
  return options;
}

DispatcherOptions dispatcher_options(const Config& config) {
  DispatcherOptions options;
  options.threads = config.delivery_threads;
  options.retry = config.retry;
  options.request_timeout_ms = config.request_timeout_ms;
  options.connect_timeout_ms = config.connect_timeout_ms;
  options.endpoint_max_in_flight = config.endpoint_max_in_flight;
  options.worker_max_in_flight = config.delivery_max_in_flight;
  options.endpoint_max_queued = static_cast<size_t>(config.endpoint_max_queued);
  options.address_policy = config.address_policy;
  options.user_agent = std::string("hookd/") + kVersion;
  options.https_only = config.https_only;
  options.max_response_bytes = static_cast<size_t>(config.max_response_bytes);
  options.egress_interface = config.egress_interface;
  options.egress_proxy = config.egress_proxy;
  options.circuit_window = config.circuit_window;
  options.circuit_min_attempts = config.circuit_min_attempts;
  options.circuit_failure_ratio = config.circuit_failure_ratio;
  options.circuit_cooldown_ms = config.circuit_cooldown_ms;
  options.circuit_max_cooldown_ms = config.circuit_max_cooldown_ms;
  options.rescan_interval_ms = config.poll_interval_ms;
  return options;
}

// http://host:port of the listening socket, for links when public_url is not set.
std::string listen_url(const Config& config) {
  const bool v6 = config.listen_host.find(':') != std::string::npos;
  const std::string host = v6 ? "[" + config.listen_host + "]" : config.listen_host;
  return "http://" + host + ":" + std::to_string(config.listen_port);
}

// The PostgreSQL store when database_url is set, otherwise SQLite in the data directory.
std::unique_ptr<Store> open_store(const Config& config) {
  if (!config.database_url.empty()) {
    PostgresOptions options;
    options.url = config.database_url;
    options.rejection_sample = config.inbound_rejection_sample;
    options.secrets = config.secret_box;
    options.node_id = resolve_node_id(config);
    options.claim_lease_ms = config.claim_lease_ms;
    options.claim_new_deliveries = config.deliver;
    options.heartbeat_ms = config.heartbeat_interval_ms;
    options.reader_connections = config.database_pool_size;
    return open_postgres_store(options);
  }
  SqliteOptions options;
  options.path = (std::filesystem::path(config.data_dir) / "hookd.db").string();
  options.rejection_sample = config.inbound_rejection_sample;
  options.secrets = config.secret_box;
  return open_sqlite_store(options);
}

int serve(const Config& config) {
  setup_logging(config);
  set_max_json_depth(config.max_json_depth);
  const int64_t descriptors = raise_descriptor_limit();
  prepare_data_dir(config.data_dir);
  const std::string token = resolve_admin_token(config);

  auto store = open_store(config);
  Catalog catalog;
  const uint64_t catalog_version = store->catalog_version();
  catalog.load(store->load_catalog());
  CatalogWriter writer(*store, catalog);
  // Cluster mode: changes other nodes make reach this node's catalog within a second.
  std::unique_ptr<CatalogFollower> follower;
  if (store->shared()) {
    follower = std::make_unique<CatalogFollower>(writer, catalog_version);
    follower->start();
  }
  Metrics metrics;
  ServiceHealth service_health;

  std::unique_ptr<alerts::Alerter> alerter;
  std::unique_ptr<HealthMonitor> health;
  std::unique_ptr<Dispatcher> dispatcher;
  if (config.deliver) {
    alerter = make_alerter(config);
    if (alerter->enabled()) alerter->start();

    health = std::make_unique<HealthMonitor>(health_options(config), catalog, *store, writer,
                                             alerter.get());

    dispatcher = std::make_unique<Dispatcher>(dispatcher_options(config), catalog, *store, metrics,
                                              health.get());
    health->set_dispatcher(dispatcher.get());
    dispatcher->set_service_health(&service_health);
    health->start();
    dispatcher->start();  // its loader's first pass recovers what the last run left pending
  }
  // The journey engine moves runs on a delivering node; its webhooks go to this dispatcher.
  std::unique_ptr<JourneyEngine> journeys;
  if (dispatcher) {
    journeys = std::make_unique<JourneyEngine>(
        JourneyEngineOptions{}, catalog, *store, metrics,
        [d = dispatcher.get()](const MessagePtr& message, const std::vector<std::string>& endpoints,
                               const WriteResult& result) {
          d->enqueue_new(message, endpoints, result.claimed);
        });
    journeys->start();
  }
  store->set_wakeups(
      [d = dispatcher.get()] {
        if (d) d->wake_loader();
      },
      [f = follower.get()] {
        if (f) f->poke();
      });

  // Declared before the Api so that it is destroyed after it: API workers still finishing a
  // request post their answer to the server's (stopped but living) I/O contexts.
  std::unique_ptr<api::HttpServer> server;
  api::ApiOptions api_options;
  api_options.admin_token = token;
  api_options.address_policy = config.address_policy;
  api_options.max_body_bytes = config.max_body_bytes;
  api_options.https_only = config.https_only;
  api_options.portal_token_ttl_s = config.portal_token_ttl_ms / 1000;
  api_options.public_url = config.public_url.empty() ? listen_url(config) : config.public_url;
  api_options.web_root = config.web_root;
  if (journeys) api_options.activities_stored = [j = journeys.get()] { j->poke(); };
  api::Api api(api_options, catalog, *store, writer, dispatcher.get(), metrics, health.get(),
               &service_health);
  if (config.serve_api) {
    api::HttpServerOptions http;
    http.host = config.listen_host;
    http.port = config.listen_port;
    http.threads = config.io_threads;
    http.max_body_bytes = static_cast<size_t>(config.max_body_bytes);
    http.max_connections = connection_cap(config, descriptors);
    http.metrics = &metrics;
    server = std::make_unique<api::HttpServer>(http, api);
    server->start();
    spdlog::info("hookd {} listening on {}:{} (data in {})", kVersion, config.listen_host,
                 config.listen_port, config.data_dir);
  }

  const int received = wait_for_stop_signal();
  spdlog::info("stopping on signal {}", received);

  if (server) server->stop();  // no new requests; answers still queued are dropped
  store->set_wakeups({}, {});
  if (journeys) journeys->stop();
  if (dispatcher) dispatcher->stop();
  if (health) health->stop();
  if (follower) follower->stop();
  if (alerter) alerter->stop();  // sends what is due
  store->close();                // commits what is queued
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  install_stop_handlers();
  signal(SIGPIPE, SIG_IGN);
  curl_global_init(CURL_GLOBAL_DEFAULT);

  CLI::App app{"hookd: a self-hosted webhook platform"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("hookd ") + kVersion);
  CLI::App* serve_cmd = app.add_subcommand("serve", "Run the API, the dispatcher and the store");
  std::string config_file;
  serve_cmd->add_option("--config", config_file, "hookd.toml to read");
  std::map<std::string, std::string> flags;
  for (const auto& key : config_keys()) {
    std::string flag = "--" + key;
    std::replace(flag.begin(), flag.end(), '_', '-');
    serve_cmd->add_option_function<std::string>(
        flag, [&flags, key](const std::string& v) { flags[key] = v; }, "see docs/configuration.md");
  }
  serve_cmd->add_flag_callback(
      "--api", [&flags] { flags["role"] = "api"; }, "accept messages but do not deliver");
  serve_cmd->add_flag_callback(
      "--worker", [&flags] { flags["role"] = "worker"; }, "deliver but serve no API");
  cli::ListenOptions listen;
  CLI::App* listen_cmd = app.add_subcommand(
      "listen", "Print every webhook received, and whether its signature verifies");
  listen_cmd->add_option("--port", listen.port, "port to listen on")->required();
  listen_cmd->add_option("--host", listen.host, "IPv4 address to listen on (default 127.0.0.1)");
  listen_cmd->add_option("--secret", listen.secret, "the endpoint's whsec_ secret");
  listen_cmd->add_option("--status", listen.status, "status to answer (default 200)")
      ->check(CLI::Range(100, 599));
  listen_cmd->add_option("--save", listen.save_dir, "directory to save each raw request in");
  std::string verify_secret, verify_file;
  CLI::App* verify_cmd = app.add_subcommand(
      "verify", "Check the signature of one saved request (hookd listen --save)");
  verify_cmd->add_option("--secret", verify_secret, "the endpoint's whsec_ secret")->required();
  verify_cmd->add_option("request", verify_file, "the saved request file")->required();
  CLI11_PARSE(app, argc, argv);
  if (listen_cmd->parsed()) {
    signal(SIGINT, SIG_DFL);  // the stop handlers are for serve; Ctrl-C ends a listener at once
    signal(SIGTERM, SIG_DFL);
    return cli::listen_and_print(listen);
  }
  if (verify_cmd->parsed()) return cli::verify_saved(verify_secret, verify_file);

  try {
    std::map<std::string, std::string> settings;
    const auto env = read_environment();
    if (config_file.empty()) {
      const auto dir = flags.count("data_dir") ? flags["data_dir"]
                       : env.count("data_dir") ? env.at("data_dir")
                                               : std::string("./data");
      const auto candidate = std::filesystem::path(dir) / "hookd.toml";
      if (std::filesystem::exists(candidate)) config_file = candidate.string();
    }
    if (!config_file.empty()) settings = read_config_file(config_file);
    for (const auto& [k, v] : env) settings[k] = v;
    for (const auto& [k, v] : flags) settings[k] = v;
    return serve(build_config(settings));
  } catch (const ConfigError& e) {
    std::cerr << "hookd: configuration error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "hookd: " << e.what() << "\n";
    return 1;
  }
}
