#include "catalog/catalog_writer.h"

#include <spdlog/spdlog.h>

#include <stdexcept>
#include <utility>

namespace hookd {

namespace {

bool ok(const WriteResult& result) { return result.status == WriteStatus::kOk; }

}  // namespace

WriteResult CatalogWriter::put(const Application& app) {
  std::lock_guard publish(publish_mu_);
  WriteResult result = store_.write_sync(write::PutApplication{app});
  if (ok(result)) catalog_.put_app(app);
  return result;
}

WriteResult CatalogWriter::remove_app(const std::string& app_id) {
  std::lock_guard publish(publish_mu_);
  WriteResult result = store_.write_sync(write::DeleteApplication{app_id});
  if (ok(result)) catalog_.remove_app(app_id);
  return result;
}

WriteResult CatalogWriter::put(const EventType& event_type) {
  std::lock_guard publish(publish_mu_);
  WriteResult result = store_.write_sync(write::PutEventType{event_type});
  if (ok(result)) catalog_.put_event_type(event_type);
  return result;
}

WriteResult CatalogWriter::remove_event_type(const std::string& name) {
  std::lock_guard publish(publish_mu_);
  WriteResult result = store_.write_sync(write::DeleteEventType{name});
  if (ok(result)) catalog_.remove_event_type(name);
  return result;
}

WriteResult CatalogWriter::put(const Endpoint& endpoint) {
  std::lock_guard publish(publish_mu_);
  auto compiled = compile_endpoint(endpoint);
  if (!compiled) {
    throw std::invalid_argument("endpoint " + endpoint.id + ": " + compiled.problem().message());
  }
  WriteResult result = store_.write_sync(write::PutEndpoint{endpoint});
  if (ok(result)) catalog_.put_endpoint(std::move(compiled).value());
  return result;
}

WriteResult CatalogWriter::remove_endpoint(const std::string& endpoint_id) {
  std::lock_guard publish(publish_mu_);
  WriteResult result = store_.write_sync(write::DeleteEndpoint{endpoint_id});
  if (ok(result)) catalog_.remove_endpoint(endpoint_id);
  return result;
}

WriteResult CatalogWriter::put(const InboundSource& source) {
  std::lock_guard publish(publish_mu_);
  WriteResult result = store_.write_sync(write::PutSource{source});
  if (ok(result)) catalog_.put_source(source);
  return result;
}

WriteResult CatalogWriter::remove_source(const std::string& source_id) {
  std::lock_guard publish(publish_mu_);
  WriteResult result = store_.write_sync(write::DeleteSource{source_id});
  if (ok(result)) catalog_.remove_source(source_id);
  return result;
}

WriteResult CatalogWriter::put(const ApiToken& token) {
  std::lock_guard publish(publish_mu_);
  WriteResult result = store_.write_sync(write::PutToken{token});
  if (ok(result)) catalog_.tokens().put(token);
  return result;
}

WriteResult CatalogWriter::put(const Journey& journey, bool new_version) {
  std::lock_guard publish(publish_mu_);
  WriteResult result = store_.write_sync(write::PutJourney{journey, new_version});
  if (ok(result)) catalog_.journeys().put(journey);
  return result;
}

WriteResult CatalogWriter::remove_journey(const std::string& journey_id) {
  std::lock_guard publish(publish_mu_);
  WriteResult result = store_.write_sync(write::DeleteJourney{journey_id});
  if (ok(result)) catalog_.journeys().remove(journey_id);
  return result;
}

uint64_t CatalogWriter::follow(uint64_t version) {
  std::lock_guard publish(publish_mu_);
  // Read before the catalog: a change committed in between is in the snapshot and moves the
  // version on again, so the next call reads once more rather than missing it.
  const uint64_t now = store_.catalog_version();
  if (now == version) return version;
  catalog_.sync(store_.load_catalog());
  spdlog::debug("catalog: followed version {} to {}", version, now);
  return now;
}

}  // namespace hookd
