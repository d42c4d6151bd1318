// The urgency actor owns the queue. On every arrival, every release of a
// worker and every tick (only while jobs wait) it re-evaluates each queued job
// (Eq. 6.1-6.3 against the dictionary's optimal configurations), orders the
// queue by urgency, asks the policy for a plan and carries it out by asking
// workers to reserve, in each job's candidate order.
//
// Urgency order: slack = T_remaining - min_w T_estimated(j, w) ascending (the
// job closest to missing its deadline on its best worker first); jobs whose
// acceptable set is empty (violation inevitable) go to the end, oldest first.
#pragma once

#include "actors/performance.hpp"
#include "actors/recorder.hpp"
#include "actors/timeline.hpp"
#include "messages/runtime.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <vector>

namespace synergai {

enum class LateJobs { run, drop };  // what to do with inevitably late jobs

// Wall-clock seconds of each planning round (snapshot, the policy's plan and
// the reservations it leads to): what `synergai bench-scheduler` reports.
using RoundTimes = std::shared_ptr<std::vector<double>>;

struct UrgencyConfig {
  Seconds tick{1};
  LateJobs late_jobs = LateJobs::run;
  bool head_of_line_blocking = false;  // an unplaceable job stops the plan
  Timeline timeline;
  RoundTimes round_times{};  // null: not measured
};

struct UrgencyState {
  struct Entry {
    JobSpec spec;
    job_actor job;
    std::uint64_t sequence = 0;
    // min over workers of T_estimated: fixed for a job (the dictionary does
    // not change), so computed once rather than at every re-evaluation.
    Seconds best_estimate{};
    // Resumed on its node after a restart: not planned while the reservation
    // of that node is under way.
    bool pinned = false;
  };
  UrgencyConfig config;
  std::shared_ptr<const Performance> performance;
  policy_actor policy;
  recorder_actor recorder;
  Tracer trace;
  std::vector<worker_actor> workers;  // testbed order, as views
  std::vector<WorkerView> views;
  std::vector<Entry> queue;           // arrival order
  // The job actors of unfinished jobs, by job id and by address. They are
  // linked to this actor (they end with it); one ends by itself once its job
  // is terminal, and its exit message removes it here. Holding them keeps an
  // unfinished job's actor alive: an actor nobody references exits as
  // "unreachable", which would take this actor down with it.
  std::map<std::string, job_actor> jobs;
  std::map<caf::actor_addr, std::string> job_ids;
  std::uint64_t next_sequence = 0;
  bool ticking = false;
  bool planning = false;
  bool replan_requested = false;
  std::chrono::steady_clock::time_point round_started{};
  static inline const char* name = "urgency";
};

urgency_actor::behavior_type urgency(urgency_actor::stateful_pointer<UrgencyState> self, UrgencyConfig config,
                                     std::shared_ptr<const Performance> performance, policy_actor policy,
                                     recorder_actor recorder, bool tracing);

}  // namespace synergai
