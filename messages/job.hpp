// Jobs: what a client asks for (JobSpec), where a job is in its life (JobState)
// and everything known about it once placed and run (JobRecord).
#pragma once

#include "messages/exec_config.hpp"
#include "messages/format.hpp"
#include "messages/time.hpp"

#include <nlohmann/json_fwd.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace synergai {

struct JobSpec {
  std::string id;
  std::string engine;
  int queries = 0;
  Seconds qos{};          // T_QoS: allowed time from submission to completion
  TimePoint submitted_at{};

  TimePoint deadline() const { return submitted_at + qos; }
  friend bool operator==(const JobSpec&, const JobSpec&) = default;
};

// queued -> placed -> starting -> running -> succeeded | failed;
// cancelled from any non-terminal state; placed -> queued when a start fails.
enum class JobState { queued, placed, starting, running, succeeded, failed, cancelled };

std::string_view to_string(JobState s);
std::optional<JobState> parse_job_state(std::string_view s);
bool is_terminal(JobState s);
bool is_legal_transition(JobState from, JobState to);

struct JobRecord {
  JobSpec spec;
  JobState state = JobState::queued;
  std::string node;                 // empty until placed
  std::optional<ExecConfig> config; // empty until placed
  std::optional<TimePoint> placed_at;
  std::optional<TimePoint> started_at;
  std::optional<TimePoint> finished_at;
  std::string message;              // why it failed or was cancelled

  // Derived figures; empty until the job has started / finished.
  std::optional<Seconds> waiting() const;
  std::optional<Seconds> end_to_end() const;
  std::optional<Seconds> excess() const;  // max(0, e2e - qos)
  bool violated() const;                  // finished late, or never finished successfully

  friend bool operator==(const JobRecord&, const JobRecord&) = default;
};

std::string describe(JobState s);
std::string describe(const JobSpec& j);
std::string describe(const JobRecord& r);
void to_json(nlohmann::json& j, JobState s);
void from_json(const nlohmann::json& j, JobState& s);
void to_json(nlohmann::json& j, const JobSpec& s);
void from_json(const nlohmann::json& j, JobSpec& s);
void to_json(nlohmann::json& j, const JobRecord& r);
void from_json(const nlohmann::json& j, JobRecord& r);

}  // namespace synergai
