#include "executors/simulated/simulated_executor.hpp"

#include "support/random.hpp"

#include <fmt/format.h>

namespace synergai {

std::optional<Seconds> simulated_duration(const Performance& performance, const SimulationConfig& config,
                                          const RunRequest& r) {
  auto base = performance.profiled_estimate(r.job.engine, r.node, r.config, r.job.queries);
  if (!base) return std::nullopt;
  Random noise{derive_seed(config.seed, "noise:" + r.job.id)};
  auto duration = *base * noise.lognormal_factor(config.noise_sigma);
  if (auto it = config.slowdown.find(r.node); it != config.slowdown.end()) duration *= it->second;
  return duration;
}

simulated_executor_actor::behavior_type simulated_executor(
    simulated_executor_actor::stateful_pointer<SimulatedExecutorState> self, SimulationConfig config,
    std::shared_ptr<const Performance> performance) {
  self->state.config = config;
  self->state.performance = std::move(performance);
  auto now = [self] { return self->state.config.timeline.at(self->clock().now()); };
  return {
      // Starts the run at once and ends it after its modelled, noisy duration.
      [=](run_atom, RunRequest r, execution_listener listener) {
        auto& s = self->state;
        auto at = now();
        auto duration = simulated_duration(*s.performance, s.config, r);
        self->send(listener, started_atom::value, r.job.id, at);
        if (!duration) {
          self->send(listener, finished_atom::value,
                     ExecutionOutcome{r.job.id, Outcome::failed, at,
                                      fmt::format("no profile of {} on {} ({})", r.job.engine, r.node, r.config)});
          return;
        }
        Random fate{derive_seed(s.config.seed, "failure:" + r.job.id)};
        bool fails = fate.uniform() < s.config.failure_probability;
        if (fails) *duration *= fate.uniform();  // fails part-way through
        auto token = ++s.next_token;
        s.running[r.job.id] = SimulatedExecutorState::Running{std::move(listener), token, fails};
        self->delayed_send(self, Timeline::span(*duration / s.config.speedup), run_done_atom::value, r.job.id, token);
      },
      // The run's modelled time is up: it succeeds, or fails if it was drawn to.
      [=](run_done_atom, const std::string& job_id, std::uint64_t token) {
        auto& s = self->state;
        auto it = s.running.find(job_id);
        if (it == s.running.end() || it->second.token != token) return;  // cancelled meanwhile
        auto outcome = it->second.fails
                           ? ExecutionOutcome{job_id, Outcome::failed, now(), "simulated execution failure"}
                           : ExecutionOutcome{job_id, Outcome::succeeded, now(), {}};
        self->send(it->second.listener, finished_atom::value, std::move(outcome));
        s.running.erase(it);
      },
      // Applies a power mode after the node's switch latency.
      [=](mode_atom, const std::string& node, int mode) -> caf::result<int> {
        const auto* n = self->state.performance->testbed().find_node(node);
        if (!n || !n->find_mode(mode)) return caf::make_error(caf::sec::invalid_argument, fmt::format("node {} has no power mode {}", node, mode));
        auto rp = self->make_response_promise<int>();
        auto token = ++self->state.next_token;
        self->state.mode_switches.emplace(token, std::pair{mode, rp});
        self->delayed_send(self, Timeline::span(n->mode_switch_latency / self->state.config.speedup), switch_done_atom::value,
                           token);
        return rp;
      },
      // A mode switch's latency passed: the mode is applied.
      [=](switch_done_atom, std::uint64_t token) {
        auto it = self->state.mode_switches.find(token);
        if (it == self->state.mode_switches.end()) return;
        it->second.second.deliver(it->second.first);
        self->state.mode_switches.erase(it);
      },
      // Ends a running job's run as cancelled now.
      [=](cancel_atom, const std::string& job_id) {
        auto& s = self->state;
        auto it = s.running.find(job_id);
        if (it == s.running.end()) return;
        self->send(it->second.listener, finished_atom::value,
                   ExecutionOutcome{job_id, Outcome::cancelled, now(), "cancelled by request"});
        s.running.erase(it);
      },
  };
}

}  // namespace synergai
