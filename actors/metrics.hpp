// The thesis's metrics (reference §6) over a run's job records:
// (a) QoS violations: every job that did not finish successfully within its
//     QoS target: finished late, failed, or cancelled (with `--late drop` the
//     jobs dropped as inevitably late are cancelled: they are violations too,
//     and also counted in `cancelled`);
// (b) waiting time, submission -> start, over jobs that started;
// (c) end-to-end time, submission -> finish, over jobs that finished
//     (succeeded or failed), with min / mean / p50 / p99 / max;
// (d) excess time max(0, e2e - T_QoS): its mean over all finished jobs and
//     over the violating finished ones (the thesis is ambiguous; both are reported).
// With the run's Performance, also the jobs unmeetable at submission (their
// QoS target is below the fastest estimate of any configuration on any worker,
// pre-processing included: no scheduler can meet it unless the execution-time
// noise happens to help) and the violations among the other jobs.
#pragma once

#include "config/performance.hpp"
#include "messages/job.hpp"
#include "support/statistics.hpp"

#include <nlohmann/json_fwd.hpp>

#include <optional>
#include <span>

namespace synergai {

struct Metrics {
  std::size_t jobs = 0;
  std::size_t succeeded = 0;
  std::size_t failed = 0;
  std::size_t cancelled = 0;       // dropped or cancelled: also violations
  std::size_t violations = 0;      // late + failed + cancelled
  std::size_t unmeetable = 0;      // jobs unmeetable at submission (0 without a Performance)
  std::size_t violations_net = 0;  // violations among the jobs that were not unmeetable
  stats::Summary waiting;
  stats::Summary end_to_end;
  double excess_mean_all = 0;
  double excess_mean_violating = 0;
};

// True unless the job succeeded and finished within its QoS target. Unlike
// JobRecord::violated(), a cancelled (dropped) job is a violation.
bool is_violation(const JobRecord& r);

// The fastest estimate (pre-processing + q / QPS) of the job's engine over
// every profiled configuration of every worker; empty if none is profiled.
std::optional<Seconds> fastest_estimate(const Performance& performance, const JobSpec& job);
// The job's QoS target is below its fastest estimate (or it has none).
bool unmeetable_at_submission(const Performance& performance, const JobSpec& job);

Metrics compute_metrics(std::span<const JobRecord> jobs);
Metrics compute_metrics(std::span<const JobRecord> jobs, const Performance& performance);
void to_json(nlohmann::json& j, const Metrics& m);
nlohmann::json summary_json(const stats::Summary& s);

}  // namespace synergai
