// Hand-made snapshots of the small testbed (fixtures.hpp) for the plugin and
// framework tests: jobs and workers as a policy sees them, no actor system.
#pragma once

#include "actors/policies/framework.hpp"
#include "tests/actors/fixtures.hpp"

#include <optional>
#include <string>
#include <vector>

namespace synergai::test {

// A queued job of `queries` with `remaining` seconds to its deadline; its best
// estimate is the engine's fastest c* on the small testbed (e1: fast, 1 s +
// q/40; e2: edge, 2 s + q/10), and it is late when that does not fit.
inline QueuedJob queued(std::string id, int queries, double remaining, std::uint64_t sequence,
                        std::string engine = "e1") {
  QueuedJob j;
  j.spec = JobSpec{std::move(id), engine, queries, Seconds{remaining}, at_seconds(0)};
  j.sequence = sequence;
  j.remaining = Seconds{remaining};
  j.best_estimate = Seconds{engine == "e1" ? 1 + queries / 40.0 : 2 + queries / 10.0};
  j.inevitably_late = j.remaining < j.best_estimate;
  return j;
}

inline WorkerView worker(std::string node, bool available = true, std::optional<double> last_released = std::nullopt) {
  WorkerView w;
  w.node = std::move(node);
  w.available = available;
  if (last_released) w.last_released = at_seconds(*last_released);
  return w;
}

// The small testbed, its performance model, and snapshots over it.
struct HandMadeSnapshots : SmallTestbed {
  std::shared_ptr<const Performance> shared = std::make_shared<Performance>(testbed, dictionary);
  const Performance& performance = *shared;

  static Snapshot snapshot(std::vector<QueuedJob> queue, std::vector<WorkerView> workers) {
    return Snapshot{at_seconds(0), std::move(queue), std::move(workers), {}};
  }
  framework::Round round_of(const Snapshot& s) const { return framework::Round{s, performance, {}}; }
  PolicyContext context(PolicyOptions options = {}) const { return PolicyContext{shared, options}; }
};

// The nodes of each item, in order: a plan as text for comparisons.
inline std::vector<std::string> nodes_of(const Plan& plan) {
  std::vector<std::string> out;
  for (const auto& item : plan) {
    std::string line = item.job_id + ":";
    for (const auto& c : item.candidates) line += " " + c.node;
    out.push_back(line);
  }
  return out;
}

}  // namespace synergai::test
