// The urgency actor owns the queue. On every arrival, every release of a
// worker and every tick (only while jobs wait) it re-evaluates each queued job
// (Eq. 6.1-6.3 against the dictionary's optimal configurations), orders the
// queue by urgency, asks the policy for a plan and carries it out by asking
// workers to reserve, in each job's candidate order.
//
// Urgency order: slack = T_remaining - min_w T_estimated(j, w) ascending (the
// job closest to missing its deadline on its best worker first); jobs whose
// acceptable set is empty (violation inevitable) go to the end, oldest first.
//
// With a deadline_fit policy (SynergAI) the round works on indexes instead of
// a snapshot: on-time jobs by latest useful start (slack + now, fixed for a
// job), late ones by sequence, free workers per node class; it walks the jobs
// in that order and stops when no worker is free (docs/architecture.md).
#pragma once

#include "config/performance.hpp"
#include "actors/policies/policy.hpp"
#include "actors/recorder.hpp"
#include "messages/timeline.hpp"
#include "messages/protocol.hpp"

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <unordered_map>
#include <vector>

namespace synergai {

enum class LateJobs { run, drop };  // what to do with inevitably late jobs

// Called with the wall-clock seconds of each planning round (snapshot, the
// policy's plan and the reservations it leads to), on the urgency actor's
// thread: `synergai bench-scheduler` collects them, the service's /metrics
// keeps a histogram. It must not block.
using RoundTimes = std::function<void(double seconds)>;

struct UrgencyConfig {
  Seconds tick{1};
  LateJobs late_jobs = LateJobs::run;
  bool head_of_line_blocking = false;  // an unplaceable job stops the plan
  Timeline timeline;
  RoundTimes round_times{};  // null: not measured
  PlanMode plan_mode = PlanMode::snapshot;  // the policy's (actors/policies/policy.hpp)
};

struct UrgencyState {
  struct Entry {
    JobSpec spec;
    job_actor job;
    std::uint64_t sequence = 0;
    // min over workers of T_estimated: fixed for a job (the dictionary does
    // not change), so computed once rather than at every re-evaluation.
    Seconds best_estimate{};
    // Latest useful start, submitted + QoS - best estimate: slack at any
    // instant t is this minus t, so it orders the on-time jobs for good.
    double latest_start = 0;
    std::optional<std::size_t> engine;  // Performance::engine_index
    // When the job became plannable (an event count): a round plans only the
    // jobs plannable when it began, as a snapshot would.
    std::uint64_t plannable_since = 0;
    // Resumed on its node after a restart: not planned while the reservation
    // of that node is under way.
    bool pinned = false;
  };
  // The round under way (deadline_fit): its instant, the event count when it
  // began, and where in the urgency order it is.
  struct Round {
    TimePoint at{};
    std::uint64_t began = 0;
    bool in_late = false;                            // past the on-time jobs
    std::optional<std::pair<double, std::uint64_t>> after;  // last on-time key visited
    std::optional<std::uint64_t> after_late;         // last late sequence visited
  };
  UrgencyConfig config;
  std::shared_ptr<const Performance> performance;
  policy_actor policy;
  recorder_actor recorder;
  Tracer trace;
  std::vector<worker_actor> workers;  // testbed order, as views
  std::vector<WorkerView> views;
  // PlanMode::mapped: jobs that left the queue since the policy's last snapshot.
  std::vector<std::string> left;
  std::unordered_map<std::string, std::size_t> node_index;  // node name -> views/workers index
  std::size_t available = 0;                                // views with available set
  std::map<std::uint64_t, Entry> queue;                     // by sequence: arrival order
  std::unordered_map<std::string, std::uint64_t> queued;    // job id -> sequence
  // deadline_fit: the plannable (not pinned) jobs in urgency order — on time
  // by (latest useful start, sequence), then the inevitably late by sequence —
  // and the available workers of each node class, in testbed order.
  std::set<std::pair<double, std::uint64_t>> on_time;
  std::set<std::uint64_t> late;
  // deadline_fit without head-of-line blocking: per node class, the on-time
  // jobs (same keys) whose engine has a c* there and that could still meet
  // their deadline on it when last looked at. A round goes straight to the
  // first job some free class can take instead of walking past the others
  // (with a deep queue and only slow workers free, most of the queue). A job
  // leaves a class's set for good once it can no longer meet its deadline
  // there: time only passes.
  std::vector<std::set<std::pair<double, std::uint64_t>>> meetable_by_class;
  std::vector<std::set<std::size_t>> free_by_class;
  Round round;
  std::uint64_t events = 0;
  // Resumed jobs waiting for the worker they belong on (worker index -> job
  // ids and where), served first when it is released.
  std::map<std::size_t, std::deque<std::pair<std::string, Candidate>>> awaiting;
  // The job actors of unfinished jobs, by job id and by address: holding
  // them keeps each alive until its job is terminal; it then ends by itself
  // and its down message (this actor monitors it) removes it here. Monitors,
  // not links: a link is kept on both sides, and CAF unlinks in time linear
  // in an actor's links. At shutdown they end unreferenced with this actor.
  std::unordered_map<std::string, job_actor> jobs;
  std::unordered_map<caf::actor_addr, std::string> job_ids;
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
