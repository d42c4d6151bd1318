// One actor per submitted job: the single owner of its state machine and
// timestamps (messages/job.hpp). Every accepted transition is sent to the
// recorder; an illegal one is reported as an anomaly and ignored. The actor
// ends (normally) once its job is terminal: nothing changes a finished job, and
// a long-running service must not keep one actor per job it ever saw.
#pragma once

#include "messages/protocol.hpp"

namespace synergai {

struct JobActorState {
  JobRecord record;
  recorder_actor recorder;
  static inline const char* name = "job";
};

job_actor::behavior_type job(job_actor::stateful_pointer<JobActorState> self, JobSpec spec,
                             recorder_actor recorder);

}  // namespace synergai
