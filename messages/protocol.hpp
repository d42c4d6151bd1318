// The online phase's actor protocol: who sends what to whom.
//
//   arrival --(submit_atom, JobSpec)--> urgency
//   urgency spawns one job actor per submission; every state change of a job
//   goes through it: (transition_atom, Transition) --> job --(record)--> recorder
//   urgency --(plan_atom, Snapshot)--> policy            reply: Plan
//   urgency --(reserve_atom, job id)--> worker           reply: granted?
//   urgency --(start_atom, Placement, job)--> worker     (after a grant)
//   worker  --(mode_atom / run_atom)--> executor         (messages/execution.hpp)
//   worker  --(released_atom, WorkerEvent)--> urgency    when it is free again
//   anyone  --(trace_atom, TraceEvent)--> recorder       decision log (optional)
//
// The types never leave the process (see messages/execution.hpp).
#pragma once

#include "messages/execution.hpp"
#include "messages/job.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace synergai {

using submit_atom = caf::atom_constant<caf::atom("submit")>;
using tick_atom = caf::atom_constant<caf::atom("tick")>;
using plan_atom = caf::atom_constant<caf::atom("plan")>;
using reserve_atom = caf::atom_constant<caf::atom("reserve")>;
using start_atom = caf::atom_constant<caf::atom("start")>;
using expire_atom = caf::atom_constant<caf::atom("expire")>;
using released_atom = caf::atom_constant<caf::atom("released")>;
using transit_atom = caf::atom_constant<caf::atom("transit")>;
using record_atom = caf::atom_constant<caf::atom("record")>;
using anomaly_atom = caf::atom_constant<caf::atom("anomaly")>;
using trace_atom = caf::atom_constant<caf::atom("trace")>;
using get_atom = caf::atom_constant<caf::atom("get")>;
using connect_atom = caf::atom_constant<caf::atom("connect")>;
// Like submit, but the job keeps its submission instant (the service stamps it
// when it accepts the job, and a replayed journal keeps the original one).
using resubmit_atom = caf::atom_constant<caf::atom("resubmit")>;
// A job that was placed or running before a restart, back to its node and
// configuration (Candidate's estimate is recomputed by the receiver).
using resume_atom = caf::atom_constant<caf::atom("resume")>;

// A requested change of a job's state; illegal ones are reported as anomalies.
struct Transition {
  JobState to = JobState::queued;
  TimePoint at{};
  std::string node;                 // set with `placed`
  std::optional<ExecConfig> config; // set with `placed`
  std::string message;              // with failed / cancelled / back to queued
};

// One candidate for a job: a worker and the configuration it would run in,
// with the estimated execution time T_estimated (Eq. 6.2).
struct Candidate {
  std::string node;
  ExecConfig config;
  Seconds estimate{};
};

// A queued job as the urgency actor evaluated it at `Snapshot::now`.
struct QueuedJob {
  JobSpec spec;
  std::uint64_t sequence = 0;   // arrival order
  Seconds remaining{};          // T_remaining = T_QoS - T_waiting (Eq. 6.1)
  Seconds best_estimate{};      // min over workers of T_estimated with c*
  bool inevitably_late = false; // W_acceptable is empty (Eq. 6.3)
  Seconds slack() const { return remaining - best_estimate; }
};

// A worker as the urgency actor knows it.
struct WorkerView {
  std::string node;
  bool available = true;                 // neither reserved nor running
  std::string job_id;                    // running (or reserved) job
  std::optional<TimePoint> busy_since;
  std::optional<Seconds> busy_estimate;  // estimated execution time of that job
  std::optional<TimePoint> last_released;
  std::uint64_t jobs_run = 0;
};

struct Snapshot {
  TimePoint now{};
  std::vector<QueuedJob> queue;     // urgency order: most at risk first, inevitably late last
  std::vector<WorkerView> workers;  // testbed order
};

// The jobs to try now, in order, each with its workers in preference order.
struct PlanItem {
  std::string job_id;
  std::vector<Candidate> candidates;
};
using Plan = std::vector<PlanItem>;

// What the urgency actor asks a worker to run after a grant.
struct Placement {
  JobSpec job;
  ExecConfig config;
  Seconds estimate{};
};

// A worker finished (or gave up) its job or reservation.
struct WorkerEvent {
  std::string node;
  std::string job_id;
  TimePoint at{};
  bool ran = false;  // false: a reservation expired without a start
};

// One line of the decision log.
struct TraceEvent {
  TimePoint at{};
  std::string source;  // urgency, worker:x86, executor, ...
  std::string kind;    // tick, plan, reserve, mode_switch, ...
  nlohmann::json data;
};

using recorder_actor = caf::typed_actor<caf::reacts_to<record_atom, JobRecord>,
                                        caf::reacts_to<anomaly_atom, std::string>,
                                        caf::reacts_to<trace_atom, TraceEvent>>;

using job_actor = caf::typed_actor<caf::reacts_to<transit_atom, Transition>,
                                   caf::replies_to<get_atom>::with<JobRecord>>;

using policy_actor = caf::typed_actor<caf::replies_to<plan_atom, Snapshot>::with<Plan>,
                                      caf::reacts_to<submit_atom, QueuedJob, Snapshot>,
                                      caf::reacts_to<released_atom, WorkerEvent>>;

using worker_actor = caf::typed_actor<caf::replies_to<reserve_atom, std::string>::with<bool>,
                                      caf::reacts_to<start_atom, Placement, job_actor>,
                                      caf::reacts_to<expire_atom, std::uint64_t>,
                                      caf::reacts_to<started_atom, std::string, TimePoint>,
                                      caf::reacts_to<finished_atom, ExecutionOutcome>>;

// Set-up: workers are spawned after the urgency actor (they need its handle)
// and then connected to it, in testbed order.
using urgency_actor = caf::typed_actor<caf::reacts_to<connect_atom, std::vector<worker_actor>>,
                                       caf::reacts_to<submit_atom, JobSpec>,
                                       caf::reacts_to<resubmit_atom, JobSpec>,
                                       caf::reacts_to<resume_atom, JobSpec, Candidate>,
                                       caf::reacts_to<tick_atom>,
                                       caf::reacts_to<released_atom, WorkerEvent>,
                                       caf::reacts_to<cancel_atom, std::string>>;

}  // namespace synergai

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(synergai::Transition)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(synergai::JobRecord)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(synergai::QueuedJob)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(synergai::Snapshot)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(synergai::Plan)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(synergai::Candidate)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(synergai::Placement)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(synergai::WorkerEvent)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(synergai::TraceEvent)
