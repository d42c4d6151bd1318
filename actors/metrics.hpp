// The thesis's metrics (reference §6) over a run's job records:
// (a) QoS violations: jobs that finished after their deadline, or failed;
// (b) waiting time, submission -> start, over jobs that started;
// (c) end-to-end time, submission -> finish, over jobs that finished
//     (succeeded or failed), with min / mean / p50 / p99 / max;
// (d) excess time max(0, e2e - T_QoS): its mean over all finished jobs and
//     over the violating ones (the thesis is ambiguous; both are reported).
// Cancelled jobs count in `cancelled` and nowhere else.
#pragma once

#include "messages/job.hpp"
#include "support/statistics.hpp"

#include <nlohmann/json_fwd.hpp>

#include <span>

namespace synergai {

struct Metrics {
  std::size_t jobs = 0;
  std::size_t succeeded = 0;
  std::size_t failed = 0;
  std::size_t cancelled = 0;
  std::size_t violations = 0;
  stats::Summary waiting;
  stats::Summary end_to_end;
  double excess_mean_all = 0;
  double excess_mean_violating = 0;
};

Metrics compute_metrics(std::span<const JobRecord> jobs);
void to_json(nlohmann::json& j, const Metrics& m);
nlohmann::json summary_json(const stats::Summary& s);

}  // namespace synergai
