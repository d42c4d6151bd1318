// Reading a batch/v1 Job's status: has it started, has it finished, how.
//   started  = status.startTime, or status.active > 0 (time then unknown)
//   finished = condition Complete=True (at completionTime) or Failed=True (at
//              the condition's lastTransitionTime), with reason and message
// Kubernetes timestamps (RFC 3339) become service time: seconds since the
// Unix epoch (note: the API server writes them with one-second resolution).
#pragma once

#include "messages/time.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace synergai::kube {

std::optional<TimePoint> parse_rfc3339(std::string_view text);
std::string format_rfc3339(TimePoint t);

struct JobProgress {
  bool started = false;
  std::optional<TimePoint> started_at;
  enum class Phase { pending, running, succeeded, failed } phase = Phase::pending;
  std::optional<TimePoint> finished_at;
  std::string message;  // why it failed: "<reason>: <message>"
};

JobProgress job_progress(const nlohmann::json& job);

}  // namespace synergai::kube
