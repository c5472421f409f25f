#include "metrics/metrics.h"

#include <gtest/gtest.h>

#include <string>

namespace hookd {
namespace {

TEST(Histogram, RendersCumulativeBucketsSumAndCount) {
  Metrics metrics;
  metrics.claim_duration.observe(0.0004);  // first bucket
  metrics.claim_duration.observe(0.003);   // le 0.005
  metrics.claim_duration.observe(9.0);     // past the last bound: +Inf only
  std::string out;
  metrics.claim_duration.render(out, "x_seconds", "help");
  EXPECT_NE(out.find("# TYPE x_seconds histogram\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_seconds_bucket{le=\"0.0005\"} 1\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_seconds_bucket{le=\"0.0025\"} 1\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_seconds_bucket{le=\"0.005\"} 2\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_seconds_bucket{le=\"2.5\"} 2\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_seconds_bucket{le=\"+Inf\"} 3\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_seconds_sum 9.0034\n"), std::string::npos) << out;
  EXPECT_NE(out.find("x_seconds_count 3\n"), std::string::npos) << out;
}

TEST(Metrics, ExportsBothHistograms) {
  Metrics metrics;
  metrics.delivery_latency.observe(0.02);
  const std::string out = metrics.render_prometheus({});
  EXPECT_NE(out.find("hookd_delivery_latency_seconds_bucket{le=\"0.025\"} 1\n"), std::string::npos);
  EXPECT_NE(out.find("hookd_claim_duration_seconds_count 0\n"), std::string::npos);
  EXPECT_NE(out.find("hookd_deliveries_claimed_total 0\n"), std::string::npos);
}

}  // namespace
}  // namespace hookd
