// The executor protocol: how a worker actor has a job executed, whatever runs
// it (the simulated executor, the Kubernetes bridge, a local child process).
//
//   worker --(mode_atom, node, mode id)--> executor   reply: the mode id, once applied
//   worker --(run_atom, RunRequest, listener)--> executor
//   executor --(started_atom, job id, at)--> listener        exactly once
//   executor --(finished_atom, ExecutionOutcome)--> listener exactly once
//   anyone --(cancel_atom, job id)--> executor   finishes the job as cancelled
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
#include <caf/typed_actor.hpp>

#include <string>

namespace synergai {

using run_atom = caf::atom_constant<caf::atom("run")>;
using mode_atom = caf::atom_constant<caf::atom("mode")>;
using cancel_atom = caf::atom_constant<caf::atom("cancel")>;
using started_atom = caf::atom_constant<caf::atom("started")>;
using finished_atom = caf::atom_constant<caf::atom("finished")>;

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

using execution_listener = caf::typed_actor<caf::reacts_to<started_atom, std::string, TimePoint>,
                                            caf::reacts_to<finished_atom, ExecutionOutcome>>;

using executor_actor = caf::typed_actor<caf::reacts_to<run_atom, RunRequest, execution_listener>,
                                        // Replies with the applied mode id. (Not unit_t: CAF 0.17
                                        // delivers unit as an empty message, which a typed
                                        // request's handler never matches.)
                                        caf::replies_to<mode_atom, std::string, int>::with<int>,
                                        caf::reacts_to<cancel_atom, std::string>>;

}  // namespace synergai

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(synergai::RunRequest)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(synergai::ExecutionOutcome)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(synergai::TimePoint)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(synergai::JobSpec)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(synergai::ExecConfig)
