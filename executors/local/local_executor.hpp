// The local executor: runs each job as a child process of this machine,
// `synergai engine run` with the job's model, threads and query count, pinned
// with sched_setaffinity to the CPUs of the job's node (a testbed node's
// `cpu_set`), so one machine can be split into several workers.
//
// - No shell: fork + execv of an argument vector (support/process.hpp).
// - Blocking waits (pipe reads, waitpid) run on one thread per child, never on
//   CAF's scheduler threads; the thread reports the exit as a message.
// - A job that outlives its time limit is killed (SIGKILL) and fails; a child
//   that crashes, exits non-zero or prints no result fails with the reason;
//   cancel kills the child and the job ends cancelled. `started` and
//   `finished` go to the listener exactly once each.
// - Local nodes have no power modes: a mode request is answered with an error.
#pragma once

#include "config/performance.hpp"
#include "messages/timeline.hpp"
#include "messages/protocol.hpp"
#include "executors/local/local_engine.hpp"

#include <caf/actor_system.hpp>

#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace synergai {

struct LocalExecutorConfig {
  EngineCommand engine;  // the engine the children run (executors/local/local_engine.hpp)
  // A job's time limit: max(floor, factor x its estimate from the dictionary).
  Seconds timeout_floor{30};
  double timeout_factor = 3;
  Timeline timeline;
};

struct LocalExecutorState {
  struct Running {
    execution_listener listener;
    std::shared_ptr<Child> child;
    std::thread waiter;
    Seconds limit{};
    bool cancelled = false;
  };
  LocalExecutorConfig config;
  std::shared_ptr<const Performance> performance;
  std::map<std::string, Running> running;
  ~LocalExecutorState();  // kills what still runs and joins the waiters
  static inline const char* name = "local-executor";
};

local_executor_actor::behavior_type local_executor(local_executor_actor::stateful_pointer<LocalExecutorState> self,
                                                   LocalExecutorConfig config,
                                                   std::shared_ptr<const Performance> performance);

}  // namespace synergai

