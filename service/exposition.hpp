// What the service shows of its state: a job as the API's JSON, the answers'
// JSON and error bodies, a worker of /v1/workers, and /metrics in the
// Prometheus text format (docs/operations.md, "Metrics"). Pure functions of
// figures the core (service.cpp) gathers under its lock.
#pragma once

#include "messages/job.hpp"
#include "messages/node.hpp"
#include "service/journal.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace synergai::service {

struct Response;

// Text from clients may be anything: a byte that is not UTF-8 is replaced
// rather than making the answer itself fail.
std::string dump(const nlohmann::json& body);
Response json_response(int status, const nlohmann::json& body);
// {"error": message, "field": field or null}
Response error_response(int status, std::string_view message, std::string_view field);

nlohmann::json job_json(const JobRecord& record);

// A node's latest job transition.
struct NodeEvent {
  TimePoint at{};
  std::string job;
  JobState to = JobState::queued;
};
// One entry of /v1/workers; `current` is the job placed, starting or running there.
nlohmann::json worker_json(const NodeSpec& node, const JobRecord* current, std::optional<int> power_mode,
                           const NodeEvent* last);

// A Prometheus histogram: counts per bucket (not cumulative), with the upper
// bounds it was made with.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double value);
  const std::vector<double>& bounds() const { return bounds_; }
  const std::vector<std::uint64_t>& counts() const { return counts_; }
  double sum() const { return sum_; }
  std::uint64_t count() const { return count_; }

 private:
  std::vector<double> bounds_;
  std::vector<std::uint64_t> counts_;
  double sum_ = 0;
  std::uint64_t count_ = 0;
};
// Job waiting and end-to-end times (seconds to half an hour).
std::vector<double> job_seconds_buckets();
// Scheduling rounds (10 µs to a second).
std::vector<double> round_seconds_buckets();

// Everything /metrics shows, copied out of the service at one instant.
struct MetricsFigures {
  struct Node {
    std::string name;
    bool busy = false;  // a job is placed, starting or running there
    std::optional<int> power_mode;
    std::uint64_t jobs_started = 0;
  };
  std::map<JobState, std::size_t> by_state;  // every state, zeros included
  std::uint64_t accepted = 0, violations = 0, forgotten = 0, decisions = 0;
  Histogram waiting{job_seconds_buckets()}, end_to_end{job_seconds_buckets()}, rounds{round_seconds_buckets()};
  std::vector<Node> nodes;
  std::map<int, std::uint64_t> responses;  // by HTTP status
  std::optional<std::uint64_t> api_errors;  // the Kubernetes executor's
  std::optional<JournalStats> journal;
  std::size_t replay_refused = 0, replay_dropped = 0;
};
std::string metrics_text(const MetricsFigures& figures);

}  // namespace synergai::service
