#include "actors/runtime.hpp"

#include "actors/arrival.hpp"
#include "support/errors.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace synergai {
namespace {

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
  Ensemble ensemble{sys, testbed, dictionary, options, timeline, log};
  sys.spawn(arrival, std::move(jobs), ensemble.urgency(), timeline);
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
  Ensemble ensemble{sys, testbed, dictionary, options, timeline, log, executor};
  sys.spawn(arrival, std::move(jobs), ensemble.urgency(), timeline);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::nanoseconds>(time_limit);
  bool complete = log->wait_terminal(expected, deadline);
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
