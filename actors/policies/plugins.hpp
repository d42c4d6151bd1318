// The stock plugins the policies are composed of (framework.hpp). Each is a
// small class with one answer; tests/actors/plugins_test.cpp checks each on
// hand-made snapshots.
#pragma once

#include "actors/policies/framework.hpp"

#include <map>
#include <string>
#include <vector>

namespace synergai::framework {

// --- queue order -----------------------------------------------------------------

// Urgency (reference §5): slack ascending; inevitably late jobs last, oldest
// first. The urgency actor's own snapshot order (more_urgent, policy.hpp).
class UrgencyOrder final : public QueueOrder {
 public:
  bool less(const QueuedJob& a, const QueuedJob& b) const override { return more_urgent(a, b); }
};

// Earliest deadline first: T_remaining ascending; inevitably late jobs last,
// oldest first. Unlike slack it does not let a job that runs long overtake
// one whose deadline comes sooner.
class DeadlineOrder final : public QueueOrder {
 public:
  bool less(const QueuedJob& a, const QueuedJob& b) const override;
};

// First come, first served: arrival order.
class ArrivalOrder final : public QueueOrder {
 public:
  bool less(const QueuedJob& a, const QueuedJob& b) const override { return a.sequence < b.sequence; }
};

// --- configuration ---------------------------------------------------------------

// The dictionary's optimal configuration c* of the engine on the worker.
class OptimalConfig final : public Configure {
 public:
  std::optional<Candidate> on(const QueuedJob& job, const WorkerView& worker, const Round& round) const override;
};

// The worker's predefined baseline configuration (the testbed's baseline_config).
class BaselineConfig final : public Configure {
 public:
  std::optional<Candidate> on(const QueuedJob& job, const WorkerView& worker, const Round& round) const override;
};

// --- filters ---------------------------------------------------------------------

// T_estimated <= T_remaining (Eq. 6.3): the job can still meet its deadline there.
class MeetsDeadline final : public Filter {
 public:
  bool admits(const QueuedJob& job, const WorkerView& worker, const Candidate& candidate,
              const Round& round) const override;
};

// Free in the snapshot and not yet given to an earlier job of the plan.
class FreeNow final : public Filter {
 public:
  bool admits(const QueuedJob& job, const WorkerView& worker, const Candidate& candidate,
              const Round& round) const override;
};

// An on-time job passes up a free worker when a busy one would finish it in
// time, counting when it frees up (its job's start plus estimate), in less
// than `ratio` of the time the free worker would take: it waits for that one,
// and the slow worker stays free for jobs that arrive meanwhile. Busy workers
// and inevitably late jobs always pass.
class WaitForFaster final : public Filter {
 public:
  explicit WaitForFaster(double ratio = 0.5) : ratio_{ratio} {}
  bool admits(const QueuedJob& job, const WorkerView& worker, const Candidate& candidate,
              const Round& round) const override;

 private:
  double ratio_;
};

// SRR: each job is bound on arrival to the next worker of the testbed's cycle
// that can run its engine, and only that worker may take it.
class BoundWorker final : public Filter {
 public:
  explicit BoundWorker(const Performance& performance);
  void on_arrival(const QueuedJob& job, const Snapshot& snapshot) override;
  bool admits(const QueuedJob& job, const WorkerView& worker, const Candidate& candidate,
              const Round& round) const override;

 private:
  const Performance& performance_;
  std::size_t cursor_ = 0;
  std::map<std::string, std::string> bound_;  // job id -> worker
};

// --- scores (lower first) --------------------------------------------------------

// The shortest T_estimated.
class Fastest final : public Score {
 public:
  double score(const QueuedJob&, const WorkerView&, const Candidate& candidate, const Round&) const override {
    return candidate.estimate.count();
  }
};

// Best fit: among the workers that meet the job's deadline, the slowest first,
// so that the fast ones stay free for jobs that need them; a job that meets
// it nowhere, the fastest first.
class BestFit final : public Score {
 public:
  double score(const QueuedJob& job, const WorkerView&, const Candidate& candidate, const Round&) const override {
    return candidate.estimate <= job.remaining ? -candidate.estimate.count() : candidate.estimate.count();
  }
};

// For a job that meets its deadline nowhere (it is a violation already): the
// slowest worker when on-time jobs are expected to arrive while it would run
// on the fastest (observed arrival rate x fastest estimate >= `expected`),
// keeping the fast workers for them; otherwise the fastest, so that it ends
// as early as it can. Other jobs score 0 (left to the next score).
class LateJobLookahead final : public Score {
 public:
  explicit LateJobLookahead(double expected = 0.5) : expected_{expected} {}
  void on_arrival(const QueuedJob& job, const Snapshot& snapshot) override;
  double score(const QueuedJob& job, const WorkerView& worker, const Candidate& candidate,
               const Round& round) const override;
  // Arrivals per second so far (0 before the second arrival).
  double arrival_rate() const;

 private:
  double expected_;
  std::size_t arrivals_ = 0;
  TimePoint first_{}, last_{};
};

// The strongest worker: highest mean baseline QPS over the engines (BE).
class Strongest final : public Score {
 public:
  double score(const QueuedJob&, const WorkerView& worker, const Candidate&, const Round& round) const override {
    return -round.performance.baseline_strength(worker.node);
  }
};

// Idle the longest (LRU: a worker that never ran a job first) or the most
// recently released (MRU: a worker that never ran a job last).
class Recency final : public Score {
 public:
  explicit Recency(bool most_recent) : most_recent_{most_recent} {}
  double score(const QueuedJob&, const WorkerView& worker, const Candidate&, const Round&) const override;

 private:
  bool most_recent_;
};

// RR: the next worker of the testbed's cycle after the one the plan last gave
// a job (skipping workers the filters refuse).
class CycleFromCursor final : public Score {
 public:
  explicit CycleFromCursor(const Performance& performance) : performance_{performance} {}
  double score(const QueuedJob&, const WorkerView& worker, const Candidate&, const Round&) const override;
  void on_assigned(const QueuedJob& job, const Candidate& candidate) override;

 private:
  const Performance& performance_;
  std::size_t cursor_ = 0;
};

}  // namespace synergai::framework
