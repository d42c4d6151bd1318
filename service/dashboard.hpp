// The service's dashboard: the page served at `/` (service/dashboard.html,
// embedded at build time; inline CSS, JavaScript and SVG, nothing fetched from
// elsewhere) and GET /v1/dashboard, the JSON it polls besides /v1/workers: the
// queue in urgency order with each job's slack, the recent jobs per node for
// the timeline, counters and the placement latency (docs/operations.md).
#pragma once

#include "config/dictionary.hpp"
#include "config/testbed.hpp"
#include "messages/job.hpp"
#include "service/service.hpp"

#include <map>
#include <string>
#include <vector>

namespace synergai::service {

// The page; it holds no data, so it is served without authentication (its
// requests to /v1 carry the bearer token).
Response dashboard_page();

struct DashboardContext {
  const config::Testbed& testbed;
  const config::Dictionary& dictionary;
  std::string service;  // the service file's name
  std::string policy;
  TimePoint now;
};

// GET /v1/dashboard?window=SECONDS: `jobs` in submission order (the queue's
// ties go to the earlier submission, as in the urgency actor). The timeline
// holds the jobs on a node that are unfinished or finished within the window
// (default 600 s, 1 to 86400).
Response dashboard_state(const std::vector<JobRecord>& jobs, const DashboardContext& context,
                         const std::map<std::string, std::string>& query);

}  // namespace synergai::service
