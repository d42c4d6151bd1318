// The simulated executor: runs a job by waiting (on the actor clock) for its
// modelled duration, pre-processing + q / QPS of the chosen configuration from
// the dictionary, times a log-normal noise factor with median 1 whose draw
// depends only on (seed, job id), so every policy sees the same noise for the
// same job. Optionally fails a job with a given probability, part-way through.
// Power-mode switches take the node's mode_switch_latency.
//
// A node may run slower (or faster) than its profile: `slowdown` multiplies
// the true execution time of every run on that node while the dictionary, and
// so every estimate, stays as profiled (the drift learned profiles correct).
#pragma once

#include "config/performance.hpp"
#include "messages/timeline.hpp"
#include "messages/protocol.hpp"

#include <map>
#include <memory>

namespace synergai {

struct SimulationConfig {
  std::uint64_t seed = 1;
  double noise_sigma = 0.05;
  double failure_probability = 0;
  Timeline timeline;
  double speedup = 1;  // real-time demos: runs and mode switches take 1/speedup of the modelled time
  std::map<std::string, double, std::less<>> slowdown{};  // node -> factor on its true execution time; absent: 1
};

struct SimulatedExecutorState {
  struct Running {
    execution_listener listener;
    std::uint64_t token = 0;
    bool fails = false;
  };
  SimulationConfig config;
  std::shared_ptr<const Performance> performance;
  std::map<std::string, Running> running;
  std::map<std::uint64_t, std::pair<int, caf::typed_response_promise<int>>> mode_switches;
  std::uint64_t next_token = 0;
  static inline const char* name = "simulated-executor";
};

simulated_executor_actor::behavior_type simulated_executor(
    simulated_executor_actor::stateful_pointer<SimulatedExecutorState> self, SimulationConfig config,
    std::shared_ptr<const Performance> performance);

// The modelled execution time of a job in a configuration, noise and the
// node's slowdown included: the profiled time, never a learned estimate.
// Empty when the dictionary has no point for it.
std::optional<Seconds> simulated_duration(const Performance& performance, const SimulationConfig& config,
                                          const RunRequest& request);

}  // namespace synergai
