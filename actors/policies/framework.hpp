// The scheduling framework: a policy as a composition of small plugins, each
// answering one question, in the manner of Kubernetes' scheduler framework.
//
//   queue order   which queued job is planned first              QueueOrder::less
//   configure     in what configuration would a worker run it    Configure::on
//   require       may this worker take it (hard)                 Filter::admits
//   prefer        should it (soft: dropped when nobody passes)   Filter::admits
//   score         which of the admitted workers first            Score::score, lower first
//   no fit        a job no worker may take: wait, or stop        NoFit
//   assignment    offer every admitted worker, or give one       Assignment
//
// Composition::plan walks the queue in queue order; for each job it asks
// `configure` on every worker (testbed order), keeps the workers that pass
// every `require` filter, then those that pass every `prefer` filter if any
// do — else the last preference added is dropped, then the one before, until
// someone passes or none is left (SynergAI's fallback, Eq. 6.4: a job no
// worker can finish in time may run anywhere) — and orders them by `score`
// (ties: testbed order). A policy is
// `compose(...)` in its own file plus one line in registry.cpp
// (docs/policies.md, "Writing a policy"). Policies that need the whole queue
// at once (SLO-MAEL) implement Policy::plan directly.
#pragma once

#include "actors/policies/policy.hpp"

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace synergai::framework {

// One planning round: the snapshot, the performance model, and what the plan
// decided so far.
struct Round {
  const Snapshot& snapshot;
  const Performance& performance;
  std::set<std::string> taken;  // workers given to an earlier job (Assignment::one_worker)
};

// State across rounds hears of arrivals, releases and the plan's own choices.
class Plugin {
 public:
  virtual ~Plugin() = default;
  virtual void on_arrival(const QueuedJob& /*job*/, const Snapshot& /*snapshot*/) {}
  virtual void on_release(const WorkerEvent& /*event*/) {}
  // Assignment::one_worker gave `candidate` to `job` in the plan.
  virtual void on_assigned(const QueuedJob& /*job*/, const Candidate& /*candidate*/) {}
};

class QueueOrder : public Plugin {
 public:
  // True when `a` is planned before `b` (a strict weak order; ties keep the
  // urgency actor's order).
  virtual bool less(const QueuedJob& a, const QueuedJob& b) const = 0;
};

class Configure : public Plugin {
 public:
  // The configuration `worker` would run `job` in, with its estimate; empty:
  // it cannot run the job at all (never profiled).
  virtual std::optional<Candidate> on(const QueuedJob& job, const WorkerView& worker, const Round& round) const = 0;
};

class Filter : public Plugin {
 public:
  virtual bool admits(const QueuedJob& job, const WorkerView& worker, const Candidate& candidate,
                      const Round& round) const = 0;
};

class Score : public Plugin {
 public:
  // Lower is preferred.
  virtual double score(const QueuedJob& job, const WorkerView& worker, const Candidate& candidate,
                       const Round& round) const = 0;
};

// A job that some worker could run but no worker passes the `require` filters.
enum class NoFit {
  wait,  // it stays queued; the plan goes on with the next job
  stop,  // it stays queued and so does every job after it (one strict line)
};

enum class Assignment {
  offer_all,   // the item lists every admitted worker; the first to grant takes the job
  one_worker,  // the plan gives the job its best worker, which no later job of the plan is offered
};

class Composition final : public Policy {
 public:
  Composition(std::shared_ptr<const Performance> performance, std::unique_ptr<QueueOrder> order,
              std::unique_ptr<Configure> configure);

  Composition& require(std::unique_ptr<Filter> filter);
  Composition& prefer(std::unique_ptr<Filter> filter);  // strongest first: the last is dropped first
  Composition& score(std::unique_ptr<Score> score);  // several: compared in the order added
  Composition& no_fit(NoFit rule);
  Composition& assignment(Assignment rule);
  // Declares that the urgency actor may carry the plan out by rule on its own
  // indexes (PlanMode::deadline_fit); only for a composition equal to that
  // rule, which tests/actors/framework_test.cpp checks for SynergAI.
  Composition& fits_deadlines();

  PlanMode mode() const override { return mode_; }
  Plan plan(const Snapshot& snapshot) override;
  void on_arrival(const QueuedJob& job, const Snapshot& snapshot) override;
  void on_release(const WorkerEvent& event) override;

 private:
  std::vector<Plugin*> plugins() const;

  std::shared_ptr<const Performance> performance_;
  std::unique_ptr<QueueOrder> order_;
  std::unique_ptr<Configure> configure_;
  std::vector<std::unique_ptr<Filter>> required_;
  std::vector<std::unique_ptr<Filter>> preferred_;
  std::vector<std::unique_ptr<Score>> scores_;
  NoFit no_fit_ = NoFit::wait;
  Assignment assignment_ = Assignment::offer_all;
  PlanMode mode_ = PlanMode::snapshot;
};

// Starts a composition: compose<Order, Configure>(context) then chain
// require/prefer/score/... and return it as the policy.
template <class Order, class Config, class... ConfigArgs>
std::unique_ptr<Composition> compose(const PolicyContext& context, ConfigArgs&&... config_args) {
  return std::make_unique<Composition>(context.performance, std::make_unique<Order>(),
                                       std::make_unique<Config>(std::forward<ConfigArgs>(config_args)...));
}

}  // namespace synergai::framework
