#include "actors/runtime.hpp"

#include "actors/arrival.hpp"
#include "actors/policies/policy.hpp"
#include "actors/policy_host.hpp"
#include "actors/simulated_executor.hpp"
#include "actors/worker.hpp"
#include "support/errors.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <thread>

namespace synergai {
namespace {

// Everything a run spawns, so that it can be shut down as a whole.
struct Ensemble {
  urgency_actor urgency;
  policy_actor policy;
  executor_actor executor;
  recorder_actor recorder;
  std::vector<worker_actor> workers;

  void shut_down() {
    for (auto& w : workers) caf::anon_send_exit(w, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(urgency, caf::exit_reason::user_shutdown);  // its unfinished job actors end unreferenced
    caf::anon_send_exit(policy, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(executor, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(recorder, caf::exit_reason::user_shutdown);
  }
};

Ensemble spawn_ensemble(caf::actor_system& sys, const config::Testbed& testbed, const config::Dictionary& dictionary,
                        std::vector<JobSpec> jobs, const RuntimeOptions& options, const Timeline& timeline,
                        std::shared_ptr<RunLog> log, const ExecutorFactory& make_executor) {
  auto performance = std::make_shared<const Performance>(testbed, dictionary);
  auto policy = std::shared_ptr<Policy>{make_policy(options.policy, PolicyContext{performance, options.policy_options})};
  Ensemble e;
  e.recorder = sys.spawn(recorder, std::move(log));
  e.executor = make_executor ? make_executor(sys, performance, timeline)
                             : executor_actor{sys.spawn(simulated_executor,
                                                        SimulationConfig{options.seed, options.noise_sigma,
                                                                         options.failure_probability, timeline},
                                                        performance)};
  UrgencyConfig uc{options.tick, options.late_jobs, options.head_of_line_blocking, timeline, options.round_times,
                   options.plan_by_snapshot ? PlanMode::snapshot : policy->mode()};
  e.policy = sys.spawn(policy_host, std::move(policy));
  e.urgency = sys.spawn(urgency, uc, performance, e.policy, e.recorder, options.trace);
  for (const auto& node : testbed.nodes)
    e.workers.push_back(sys.spawn(worker, WorkerConfig{node, options.reservation_ttl, timeline}, e.executor,
                                  e.urgency, e.recorder, options.trace));
  caf::anon_send(e.urgency, connect_atom::value, e.workers);
  sys.spawn(arrival, std::move(jobs), e.urgency, timeline);
  return e;
}

RunResult collect(RunLog& log) {
  std::lock_guard lock{log.mutex};
  RunResult r;
  for (auto& [_, record] : log.jobs) r.jobs.push_back(record);
  std::stable_sort(r.jobs.begin(), r.jobs.end(), [](const JobRecord& a, const JobRecord& b) {
    return std::tie(a.spec.submitted_at, a.spec.id) < std::tie(b.spec.submitted_at, b.spec.id);
  });
  r.trace = std::move(log.trace);
  r.anomalies = std::move(log.anomalies);
  return r;
}

void quiet(caf::actor_system_config& cfg) {
  cfg.set("logger.verbosity", caf::atom("quiet"));
  cfg.set("logger.console", caf::atom("none"));
}

}  // namespace

void check_jobs(const config::Testbed& testbed, const config::Dictionary& dictionary, const std::vector<JobSpec>& jobs) {
  std::vector<std::string> problems;
  std::set<std::string> ids;
  for (const auto& j : jobs) {
    if (!ids.insert(j.id).second) problems.push_back(fmt::format("job {}: duplicate id", j.id));
    if (!testbed.find_engine(j.engine)) {
      problems.push_back(fmt::format("job {}: unknown engine \"{}\"", j.id, j.engine));
      continue;
    }
    bool profiled = std::any_of(testbed.nodes.begin(), testbed.nodes.end(),
                                [&](const NodeSpec& n) { return dictionary.optimum(j.engine, n.name) != nullptr; });
    if (!profiled) problems.push_back(fmt::format("job {}: engine {} is profiled on no node", j.id, j.engine));
    if (j.queries <= 0) problems.push_back(fmt::format("job {}: queries must be positive, not {}", j.id, j.queries));
    if (j.qos <= Seconds{0}) problems.push_back(fmt::format("job {}: QoS must be positive, not {}", j.id, j.qos.count()));
  }
  if (!problems.empty()) throw InputError{fmt::format("{}", fmt::join(problems, "\n"))};
}

RunResult run_virtual(const config::Testbed& testbed, const config::Dictionary& dictionary, std::vector<JobSpec> jobs,
                      const RuntimeOptions& options) {
  check_jobs(testbed, dictionary, jobs);
  const auto expected = jobs.size();
  caf::actor_system_config cfg;
  cfg.set("scheduler.policy", caf::atom("testing"));
  quiet(cfg);
  caf::actor_system sys{cfg};
  auto& sched = dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler());
  auto& clock = sched.clock();
  Timeline timeline{clock.now(), TimePoint{}};
  auto log = std::make_shared<RunLog>();
  auto ensemble = spawn_ensemble(sys, testbed, dictionary, std::move(jobs), options, timeline, log, {});
  sched.run();
  while (log->terminal < expected) {
    if (!clock.has_pending_timeout()) {
      ensemble.shut_down();
      sched.run();
      auto r = collect(*log);
      std::vector<std::string> open;
      for (const auto& j : r.jobs)
        if (!is_terminal(j.state)) open.push_back(fmt::format("{} {}", j.spec.id, j.state));
      throw RuntimeError{fmt::format("run stalled: {} of {} jobs finished and nothing is pending (open: {}){}",
                                     log->terminal.load(), expected, fmt::join(open, ", "),
                                     r.anomalies.empty() ? "" : fmt::format("; {}", fmt::join(r.anomalies, "; ")))};
    }
    clock.trigger_timeout();
    sched.run();
  }
  ensemble.shut_down();
  sched.run();
  return collect(*log);
}

RunResult run_realtime(const config::Testbed& testbed, const config::Dictionary& dictionary, std::vector<JobSpec> jobs,
                       const RuntimeOptions& options, Seconds time_limit, ExecutorFactory executor) {
  check_jobs(testbed, dictionary, jobs);
  const auto expected = jobs.size();
  caf::actor_system_config cfg;
  quiet(cfg);
  caf::actor_system sys{cfg};
  Timeline timeline{sys.clock().now(), TimePoint{}};
  auto log = std::make_shared<RunLog>();
  auto ensemble = spawn_ensemble(sys, testbed, dictionary, std::move(jobs), options, timeline, log, executor);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::nanoseconds>(time_limit);
  while (log->terminal < expected && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  bool complete = log->terminal >= expected;
  ensemble.shut_down();
  sys.await_all_actors_done();
  if (!complete)
    throw RuntimeError{fmt::format("run did not finish within {} s: {} of {} jobs finished", time_limit.count(),
                                   log->terminal.load(), expected)};
  return collect(*log);
}

nlohmann::json to_json(const TraceEvent& e) {
  nlohmann::json j{{"t", seconds_of(e.at)}, {"source", e.source}, {"kind", e.kind}};
  if (e.data.is_object()) j.update(e.data);
  else if (!e.data.is_null()) j["data"] = e.data;
  return j;
}

}  // namespace synergai
