// The online phase's actor protocol, whole: every actor interface, every atom
// (each with one meaning) and every message type. Start reading here.
//
//   arrival, service ──submit──▶ urgency (owns the queue) ──enqueued, plan, released──▶ policy
//   service ──resume, cancel───▶    │  ▲  spawns one job actor per job
//                    reserve, start,│  │released
//                    cancel         ▼  │
//                                worker × N ──mode, run, cancel──▶ executor
//                                   ▲                               │ (simulated | local | kube bridge)
//                                   └────────started, finished──────┘
//   urgency, worker ──transit──▶ job ──record──▶ recorder ◀──anomaly, trace── any actor
//
// Set-up: the runtime connects the workers to the urgency actor (they are
// spawned after it, since they need its handle). Timers are messages to self:
// tick (urgency), expire (worker). The Kubernetes bridge's own helpers (a Job
// watch thread, request workers doing blocking API calls) speak the last
// section's messages.
//
// Messages never leave the process, so their types are allowed as "unsafe"
// (not serializable) message types; files and HTTP carry them as JSON.
#pragma once

#include "messages/exec_config.hpp"
#include "messages/job.hpp"
#include "messages/time.hpp"

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/replies_to.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace synergai {

struct ChildExit;  // support/process.hpp: how an engine child process ended

// --- atoms: one meaning each ---------------------------------------------------

using connect_atom = caf::atom_constant<caf::atom("connect")>;    // the workers, to the urgency actor
using submit_atom = caf::atom_constant<caf::atom("submit")>;      // a new job, to the urgency actor
using resume_atom = caf::atom_constant<caf::atom("resume")>;      // a job back on its node after a restart
using tick_atom = caf::atom_constant<caf::atom("tick")>;          // the urgency actor's periodic re-evaluation
using cancel_atom = caf::atom_constant<caf::atom("cancel")>;      // cancel this job, to whoever holds it now
using enqueued_atom = caf::atom_constant<caf::atom("enqueued")>;  // a job joined the queue, to the policy
using plan_atom = caf::atom_constant<caf::atom("plan")>;          // which jobs to try where, asked of the policy
using released_atom = caf::atom_constant<caf::atom("released")>;  // a worker is free again
using reserve_atom = caf::atom_constant<caf::atom("reserve")>;    // hold this worker for a job
using start_atom = caf::atom_constant<caf::atom("start")>;        // run the job the worker holds
using expire_atom = caf::atom_constant<caf::atom("expire")>;      // a reservation's time is up
using transit_atom = caf::atom_constant<caf::atom("transit")>;    // a job's state changes
using record_atom = caf::atom_constant<caf::atom("record")>;      // a job's record after a change
using anomaly_atom = caf::atom_constant<caf::atom("anomaly")>;    // a protocol violation
using trace_atom = caf::atom_constant<caf::atom("trace")>;        // one decision-log event
using mode_atom = caf::atom_constant<caf::atom("mode")>;          // apply a power mode on a node
using run_atom = caf::atom_constant<caf::atom("run")>;            // execute a job
using started_atom = caf::atom_constant<caf::atom("started")>;    // an execution began
using finished_atom = caf::atom_constant<caf::atom("finished")>;  // an execution ended

// --- message types -------------------------------------------------------------

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
  // For a policy that keeps its own queues (PlanMode::mapped), sent without
  // `queue`: the jobs that left the queue (placed or cancelled) since the
  // previous snapshot it got.
  std::vector<std::string> left;
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

// Run `job` on `node` (the testbed's node name) in `config`. The power mode,
// if any, has already been applied through mode_atom.
struct RunRequest {
  JobSpec job;
  std::string node;
  ExecConfig config;
};

enum class Outcome { succeeded, failed, cancelled };

struct ExecutionOutcome {
  std::string job_id;
  Outcome outcome = Outcome::succeeded;
  TimePoint finished_at{};
  std::string message;  // why it failed or was cancelled
};

// --- actor interfaces ----------------------------------------------------------

// Keeps every job's latest record, the anomalies and the decision log (RunLog).
using recorder_actor =
    caf::typed_actor<caf::reacts_to<record_atom, JobRecord>,    // a job's record after an accepted transition
                     caf::reacts_to<anomaly_atom, std::string>,  // a protocol violation, logged and kept
                     caf::reacts_to<trace_atom, TraceEvent>>;    // a decision-log event (--trace)

// One per job: its state machine. It ends once its job is terminal.
using job_actor = caf::typed_actor<caf::reacts_to<transit_atom, Transition>>;  // apply a change, or report it illegal

// Hosts one Policy plug-in (actors/policies/).
using policy_actor =
    caf::typed_actor<caf::replies_to<plan_atom, Snapshot>::with<Plan>,  // the jobs to try now and where
                     caf::reacts_to<enqueued_atom, QueuedJob, Snapshot>,  // a job became plannable
                     caf::reacts_to<released_atom, WorkerEvent>>;         // a worker is free again

// Where a worker hears how its job's execution goes: exactly once each per run.
using execution_listener =
    caf::typed_actor<caf::reacts_to<started_atom, std::string, TimePoint>,  // job id, when it began
                     caf::reacts_to<finished_atom, ExecutionOutcome>>;       // how and when it ended

// Runs jobs: the simulated executor, the local one (child processes) or the
// Kubernetes bridge.
using executor_actor =
    caf::typed_actor<caf::reacts_to<run_atom, RunRequest, execution_listener>,  // execute; report to the listener
                     // Apply a power mode on a node; the reply is the applied mode id, once
                     // applied. (Not unit_t: CAF 0.17 delivers unit as an empty message,
                     // which a typed request's handler never matches.)
                     caf::replies_to<mode_atom, std::string, int>::with<int>,
                     caf::reacts_to<cancel_atom, std::string>>;  // end that job's execution as cancelled

// One per node: runs at most one job at a time.
using worker_actor =
    caf::typed_actor<caf::replies_to<reserve_atom, std::string>::with<bool>,  // granted only when idle
                     caf::reacts_to<start_atom, Placement, job_actor>,         // run the reserved job
                     caf::reacts_to<expire_atom, std::uint64_t>,               // to self: a grant with no start ends
                     caf::reacts_to<cancel_atom, std::string>,                 // cancel the job it holds
                     caf::reacts_to<started_atom, std::string, TimePoint>,     // from the executor
                     caf::reacts_to<finished_atom, ExecutionOutcome>>;         // from the executor

// Owns the queue and the job actors; plans with the policy, places through
// the workers.
using urgency_actor =
    caf::typed_actor<caf::reacts_to<connect_atom, std::vector<worker_actor>>,  // the workers, in testbed order
                     // A new job; it keeps spec.submitted_at, set by the sender (the
                     // arrival actor: its scheduled instant; the service: when it accepted it).
                     caf::reacts_to<submit_atom, JobSpec>,
                     caf::reacts_to<resume_atom, JobSpec, Candidate>,  // back on its node and configuration
                     caf::reacts_to<tick_atom>,                        // to self: re-evaluate while jobs wait
                     caf::reacts_to<released_atom, WorkerEvent>,       // a worker is free again
                     caf::reacts_to<cancel_atom, std::string>>;        // cancel a job: here if queued, else its worker

// --- the executors' messages to themselves ---------------------------------------

using run_done_atom = caf::atom_constant<caf::atom("rundone")>;      // simulated: a run's modelled time is up
using switch_done_atom = caf::atom_constant<caf::atom("switched")>;  // simulated: a mode switch's latency passed
using child_exit_atom = caf::atom_constant<caf::atom("childexit")>;  // local: an engine child process ended

// executors/simulated: runs and mode switches are timers on the actor clock.
using simulated_executor_actor =
    executor_actor::extend<caf::reacts_to<run_done_atom, std::string, std::uint64_t>,  // job id, run token
                           caf::reacts_to<switch_done_atom, std::uint64_t>>;           // switch token

// executors/local: a thread per child waits for it and reports its exit.
using local_executor_actor = executor_actor::extend<caf::reacts_to<child_exit_atom, std::string, ChildExit>>;

// --- the Kubernetes bridge's helpers (kube/bridge.cpp) -------------------------

namespace kube {

using job_list_atom = caf::atom_constant<caf::atom("kjoblist")>;    // the watch's (re)list of our Jobs
using job_event_atom = caf::atom_constant<caf::atom("kjobevent")>;  // one watch event on one of our Jobs
using create_job_atom = caf::atom_constant<caf::atom("kcreate")>;   // create (or adopt) a Job
using delete_job_atom = caf::atom_constant<caf::atom("kdelete")>;   // delete a Job
using patch_mode_atom = caf::atom_constant<caf::atom("kpatch")>;    // request a node's power mode and wait

struct JobWatchEvent {
  std::string type;  // ADDED, MODIFIED, DELETED
  nlohmann::json object;
};
struct JobList {
  std::vector<nlohmann::json> items;
  std::uint64_t resource_version = 0;
};
struct CreateJob {
  std::string job_id;
  nlohmann::json manifest;
  bool replace = false;  // delete an earlier Job of the same name first (a retry)
};
struct CreatedJobReply {
  bool ok = false;
  bool adopted = false;
  nlohmann::json job;
  std::string error;
};

// The bridge: an executor that also hears from its watch thread.
using bridge_actor = executor_actor::extend<caf::reacts_to<job_list_atom, JobList>,          // from the watch
                                            caf::reacts_to<job_event_atom, JobWatchEvent>>;  // from the watch

// A detached actor doing one blocking API call at a time for the bridge; an
// empty string is success, otherwise the error.
using api_request_actor =
    caf::typed_actor<caf::replies_to<create_job_atom, CreateJob>::with<CreatedJobReply>,
                     caf::replies_to<delete_job_atom, std::string, std::string>::with<std::string>,  // name, namespace
                     caf::replies_to<patch_mode_atom, std::string, int>::with<std::string>>;  // node, mode id

}  // namespace kube

}  // namespace synergai

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(synergai::TimePoint)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(synergai::JobSpec)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(synergai::ExecConfig)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(synergai::Transition)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(synergai::JobRecord)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(synergai::QueuedJob)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(synergai::Snapshot)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(synergai::Plan)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(synergai::Candidate)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(synergai::Placement)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(synergai::WorkerEvent)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(synergai::TraceEvent)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(synergai::RunRequest)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(synergai::ExecutionOutcome)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(synergai::ChildExit)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(synergai::kube::JobWatchEvent)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(synergai::kube::JobList)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(synergai::kube::CreateJob)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(synergai::kube::CreatedJobReply)
