#pragma once

#include <cstdint>
#include <string>

#include "alerts/alerts.h"

// One email over SMTP (or SMTPS) with libcurl: the RFC 5322 message and the blocking send.
// Called by the alert thread, or by Alerter::flush_due()'s caller; any thread, one call at a
// time per email.
namespace hookd::alerts {

// Sends `email` from `settings.from` to its recipients within `timeout_ms`; returns the error,
// empty on success.
std::string send_smtp(const SmtpSettings& settings, const Email& email, int64_t now_ms,
                      int64_t timeout_ms);

}  // namespace hookd::alerts
