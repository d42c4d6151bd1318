#include "executors/local/local_executor.hpp"

#include "support/errors.hpp"

#include <caf/send.hpp>
#include <fmt/format.h>

#include <algorithm>

namespace synergai {

LocalExecutorState::~LocalExecutorState() {
  for (auto& [_, r] : running) r.child->kill();
  for (auto& [_, r] : running)
    if (r.waiter.joinable()) r.waiter.join();
}

local_executor_actor::behavior_type local_executor(local_executor_actor::stateful_pointer<LocalExecutorState> self,
                                                   LocalExecutorConfig config,
                                                   std::shared_ptr<const Performance> performance) {
  self->state.config = std::move(config);
  self->state.performance = std::move(performance);
  auto now = [self] { return self->state.config.timeline.at(self->clock().now()); };
  return {
      // Starts the engine child, pinned to the node's CPUs, with a time limit.
      [=](run_atom, RunRequest r, execution_listener listener) {
        auto& s = self->state;
        self->send(listener, started_atom::value, r.job.id, now());
        auto fail = [&](const std::string& why) {
          self->send(listener, finished_atom::value, ExecutionOutcome{r.job.id, Outcome::failed, now(), why});
        };
        if (s.running.count(r.job.id)) return fail(fmt::format("job {} is already running", r.job.id));
        const auto& testbed = s.performance->testbed();
        const auto* node = testbed.find_node(r.node);
        const auto* engine = testbed.find_engine(r.job.engine);
        if (!node || !engine) return fail(fmt::format("unknown node {} or engine {}", r.node, r.job.engine));
        Seconds limit = s.config.timeout_floor;
        if (auto estimate = s.performance->estimate(r.job.engine, r.node, r.config, r.job.queries))
          limit = std::max(limit, *estimate * s.config.timeout_factor);
        std::shared_ptr<Child> child;
        try {
          auto model = model_path(*engine, s.config.engine.models);
          child = Child::start({engine_argv(s.config.engine, model, r.config.threads, r.job.queries), node->cpu_set});
        } catch (const std::exception& e) {
          return fail(e.what());
        }
        auto handle = caf::actor_cast<local_executor_actor>(self);
        std::thread waiter{[child, limit, handle, id = r.job.id] {
          auto exit = child->wait(limit);
          caf::anon_send(handle, child_exit_atom::value, id, std::move(exit));
        }};
        s.running.emplace(r.job.id,
                          LocalExecutorState::Running{std::move(listener), std::move(child), std::move(waiter), limit});
      },
      // A child ended: its result, or why the job failed.
      [=](child_exit_atom, const std::string& job_id, const ChildExit& exit) {
        auto& s = self->state;
        auto it = s.running.find(job_id);
        if (it == s.running.end()) return;
        auto running = std::move(it->second);
        s.running.erase(it);
        if (running.waiter.joinable()) running.waiter.join();  // it has sent its last message
        ExecutionOutcome outcome{job_id, Outcome::succeeded, now(), {}};
        if (running.cancelled) {
          outcome.outcome = Outcome::cancelled;
          outcome.message = "cancelled by request";
        } else if (auto why = failure_reason(exit, running.limit); !why.empty()) {
          outcome.outcome = Outcome::failed;
          outcome.message = why;
        } else if (!parse_engine_result(exit.out)) {
          outcome.outcome = Outcome::failed;
          outcome.message = "engine printed no result";
        }
        self->send(running.listener, finished_atom::value, std::move(outcome));
      },
      // Local nodes have no power modes: an error.
      [=](mode_atom, const std::string& node, int mode) -> caf::result<int> {
        return caf::make_error(caf::sec::invalid_argument,
                               fmt::format("local node {} has no power modes (asked for mode {})", node, mode));
      },
      // Kills the job's child; the job ends cancelled.
      [=](cancel_atom, const std::string& job_id) {
        auto it = self->state.running.find(job_id);
        if (it == self->state.running.end() || it->second.cancelled) return;
        it->second.cancelled = true;
        it->second.child->kill();  // the waiter then reports the exit, and the job ends cancelled
      },
  };
}

}  // namespace synergai
