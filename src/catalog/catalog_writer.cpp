#include "catalog/catalog_writer.h"

#include <stdexcept>
#include <utility>

namespace hookd {

namespace {

bool ok(const WriteResult& result) { return result.status == WriteStatus::kOk; }

}  // namespace

WriteResult CatalogWriter::put(const Application& app) {
  WriteResult result = store_.write_sync(write::PutApplication{app});
  if (ok(result)) catalog_.put_app(app);
  return result;
}

WriteResult CatalogWriter::remove_app(const std::string& app_id) {
  WriteResult result = store_.write_sync(write::DeleteApplication{app_id});
  if (ok(result)) catalog_.remove_app(app_id);
  return result;
}

WriteResult CatalogWriter::put(const EventType& event_type) {
  WriteResult result = store_.write_sync(write::PutEventType{event_type});
  if (ok(result)) catalog_.put_event_type(event_type);
  return result;
}

WriteResult CatalogWriter::remove_event_type(const std::string& name) {
  WriteResult result = store_.write_sync(write::DeleteEventType{name});
  if (ok(result)) catalog_.remove_event_type(name);
  return result;
}

WriteResult CatalogWriter::put(const Endpoint& endpoint) {
  auto compiled = compile_endpoint(endpoint);
  if (!compiled) {
    throw std::invalid_argument("endpoint " + endpoint.id + ": " + compiled.problem().message());
  }
  WriteResult result = store_.write_sync(write::PutEndpoint{endpoint});
  if (ok(result)) catalog_.put_endpoint(std::move(compiled).value());
  return result;
}

WriteResult CatalogWriter::remove_endpoint(const std::string& endpoint_id) {
  WriteResult result = store_.write_sync(write::DeleteEndpoint{endpoint_id});
  if (ok(result)) catalog_.remove_endpoint(endpoint_id);
  return result;
}

WriteResult CatalogWriter::put(const InboundSource& source) {
  WriteResult result = store_.write_sync(write::PutSource{source});
  if (ok(result)) catalog_.put_source(source);
  return result;
}

WriteResult CatalogWriter::remove_source(const std::string& source_id) {
  WriteResult result = store_.write_sync(write::DeleteSource{source_id});
  if (ok(result)) catalog_.remove_source(source_id);
  return result;
}

WriteResult CatalogWriter::put(const ApiToken& token) {
  WriteResult result = store_.write_sync(write::PutToken{token});
  if (ok(result)) catalog_.tokens().put(token);
  return result;
}

}  // namespace hookd
