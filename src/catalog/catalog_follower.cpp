#include "catalog/catalog_follower.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <chrono>

namespace hookd {

CatalogFollower::CatalogFollower(CatalogWriter& writer, uint64_t version, int64_t interval_ms)
    : writer_(writer), interval_ms_(interval_ms), version_(version) {}

CatalogFollower::~CatalogFollower() { stop(); }

void CatalogFollower::start() {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "hookd-catalog");
    run();
  });
}

void CatalogFollower::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void CatalogFollower::poke() {
  {
    std::lock_guard lock(mu_);
    poked_ = true;
  }
  cv_.notify_all();
}

void CatalogFollower::run() {
  bool failing = false;
  for (;;) {
    try {
      version_ = writer_.follow(version_);
      if (failing) spdlog::info("catalog: following the store's catalog again");
      failing = false;
    } catch (const std::exception& e) {
      if (!failing) spdlog::warn("catalog: cannot follow the store's catalog: {}", e.what());
      failing = true;
    }
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::milliseconds(interval_ms_),
                 [&] { return stopping_ || poked_; });
    if (stopping_) return;
    poked_ = false;
  }
}

}  // namespace hookd
