#pragma once

#include <vector>

#include "model/application.h"
#include "model/endpoint.h"
#include "model/inbound.h"
#include "model/journey.h"
#include "model/token.h"

// Every catalog object as stored: what the store's load_catalog reads at start and the Catalog
// takes in (Catalog::load). Plain data.
namespace hookd {

struct CatalogSnapshot {
  std::vector<Application> apps;
  std::vector<EventType> event_types;
  std::vector<Endpoint> endpoints;
  std::vector<InboundSource> sources;
  std::vector<ApiToken> tokens;
  std::vector<Journey> journeys;
};

}  // namespace hookd
