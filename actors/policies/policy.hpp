// The policy interface: one narrow call that turns the urgency actor's
// snapshot into a plan, plus two notifications for policies with state. Most
// policies are compositions of small plugins (framework.hpp); a new policy is
// one file in this folder plus one line in registry.cpp.
//
// Plan semantics (executed by the urgency actor): items are tried in order;
// for each, candidates are asked in order to reserve, the first grant wins
// (the thesis's "optimal worker availability exploration"); an item that gets
// no grant stays queued.
#pragma once

#include "config/performance.hpp"
#include "messages/protocol.hpp"

#include <algorithm>
#include <functional>
#include <memory>
#include <set>
#include <string>

namespace synergai {

// How the urgency actor gets a policy's plan.
// - snapshot: each round it sends the ranked queue and every worker, and
//   carries out the returned Plan.
// - deadline_fit: the plan is fixed by one rule — jobs in urgency order, each
//   offered c* on every worker that can still meet its deadline, fastest
//   first, or on every worker when none can (Eq. 6.3, 6.4) — which the urgency
//   actor applies itself, one job at a time, on its own indexes (jobs by
//   latest useful start, free workers by node class), so that a round costs
//   what it places rather than the whole queue times every worker. The policy
//   actor still answers each round (with an empty plan) and hears of every
//   arrival (without the queue) and release.
// - mapped: the policy maps each job once, when it arrives, onto its own
//   per-worker queues (SLO-MAEL) and never needs the urgency actor's queue:
//   snapshots come with the workers and Snapshot::left instead, so that an
//   arrival or a round costs the workers, not the queue.
enum class PlanMode { snapshot, deadline_fit, mapped };

class Policy {
 public:
  virtual ~Policy() = default;
  virtual PlanMode mode() const { return PlanMode::snapshot; }
  virtual Plan plan(const Snapshot& snapshot) = 0;
  // A job joined the queue (it is also in `snapshot.queue`).
  virtual void on_arrival(const QueuedJob& /*job*/, const Snapshot& /*snapshot*/) {}
  // A worker became free again.
  virtual void on_release(const WorkerEvent& /*event*/) {}
};

// The urgency order (reference §5): slack ascending, jobs whose violation is
// inevitable last; ties by arrival. The urgency actor ranks its snapshot by it.
inline bool more_urgent(const QueuedJob& a, const QueuedJob& b) {
  if (a.inevitably_late != b.inevitably_late) return !a.inevitably_late;
  if (!a.inevitably_late && a.slack() != b.slack()) return a.slack() < b.slack();
  return a.sequence < b.sequence;
}

// Seconds from `now` until a busy worker is expected to be free: what is
// left of its job's estimate (0 once overdue, and for a free worker).
inline double expected_free_in(const WorkerView& worker, TimePoint now) {
  if (!worker.busy_since || !worker.busy_estimate) return 0;
  return std::max(0.0, (*worker.busy_since + *worker.busy_estimate - now).count());
}

// Readings of the baselines the thesis leaves open (docs/policies.md).
struct PolicyOptions {
  // SRR: false, one queue per worker (a job waits only for its own worker);
  // true, one strict first-come-first-served queue (a job waiting for its
  // worker also holds back every later job).
  bool srr_global_queue = false;
  // synergai-energy: a configuration is chosen for its energy only when its
  // estimate fits in this share of the job's remaining time (0 < margin <= 1);
  // the rest is slack for estimate errors and the power-mode switch.
  double energy_deadline_margin = 0.8;
};

struct PolicyContext {
  std::shared_ptr<const Performance> performance;
  PolicyOptions options{};
};

using PolicyFactory = std::function<std::unique_ptr<Policy>(const PolicyContext&)>;

// Throws InputError naming the known policies when `name` is unknown, or when
// the testbed lacks what the policy needs (e.g. baseline configurations).
std::unique_ptr<Policy> make_policy(const std::string& name, const PolicyContext& context);
std::set<std::string> policy_names();

}  // namespace synergai
