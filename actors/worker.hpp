// One actor per worker node. It runs at most one job at a time, negotiates
// availability (a reservation is granted only when idle and expires unless a
// start follows), switches the node's power mode through the executor when
// the job's configuration needs another one, and reports the job's progress
// to the job actor and its own release to the urgency actor.
#pragma once

#include "actors/recorder.hpp"
#include "config/performance.hpp"
#include "messages/timeline.hpp"
#include "messages/node.hpp"
#include "messages/protocol.hpp"

#include <optional>

namespace synergai {

struct WorkerConfig {
  NodeSpec node;
  Seconds reservation_ttl{5};
  Timeline timeline;
  // Learning: each successful run's time (started to finished, times
  // `time_scale`) is observed here (Performance::observe). Null: not observed.
  std::shared_ptr<const Performance> learning{};
  double time_scale = 1;
};

struct WorkerState {
  enum class Phase { idle, reserved, busy };
  WorkerConfig config;
  executor_actor executor;
  urgency_actor urgency;
  recorder_actor recorder;
  Tracer trace;
  std::optional<int> current_mode;
  Phase phase = Phase::idle;
  std::string job_id;
  std::uint64_t reservation = 0;  // token of the latest reservation
  bool executing = false;         // the run request went to the executor
  bool cancel_requested = false;  // cancel the held job before it runs
  job_actor job;
  std::optional<Placement> placement;  // the held job as started (learning)
  std::optional<TimePoint> started_at; // when its run began (learning)
  static inline const char* name = "worker";
};

worker_actor::behavior_type worker(worker_actor::stateful_pointer<WorkerState> self, WorkerConfig config,
                                   executor_actor executor, urgency_actor urgency, recorder_actor recorder,
                                   bool tracing);

}  // namespace synergai
