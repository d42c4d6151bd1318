// The stock plugins (plugins.hpp).
#include "actors/policies/plugins.hpp"

#include <algorithm>
#include <limits>

namespace synergai::framework {

bool DeadlineOrder::less(const QueuedJob& a, const QueuedJob& b) const {
  if (a.inevitably_late != b.inevitably_late) return !a.inevitably_late;
  if (!a.inevitably_late && a.remaining != b.remaining) return a.remaining < b.remaining;
  return a.sequence < b.sequence;
}

std::optional<Candidate> OptimalConfig::on(const QueuedJob& job, const WorkerView& worker, const Round& round) const {
  return round.performance.optimal(job.spec.engine, worker.node, job.spec.queries);
}

std::optional<Candidate> BaselineConfig::on(const QueuedJob& job, const WorkerView& worker, const Round& round) const {
  return round.performance.baseline(job.spec.engine, worker.node, job.spec.queries);
}

bool MeetsDeadline::admits(const QueuedJob& job, const WorkerView&, const Candidate& candidate, const Round&) const {
  return candidate.estimate <= job.remaining;
}

bool WaitForFaster::admits(const QueuedJob& job, const WorkerView& worker, const Candidate& candidate,
                           const Round& round) const {
  if (!worker.available || job.inevitably_late) return true;
  for (const auto& busy : round.snapshot.workers) {
    if (busy.available) continue;
    auto there = round.performance.optimal(job.spec.engine, busy.node, job.spec.queries);
    if (!there) continue;
    const double done = expected_free_in(busy, round.snapshot.now) + there->estimate.count();
    if (done <= job.remaining.count() && done < ratio_ * candidate.estimate.count()) return false;
  }
  return true;
}

bool FreeNow::admits(const QueuedJob&, const WorkerView& worker, const Candidate&, const Round& round) const {
  return worker.available && round.taken.count(worker.node) == 0;
}

BoundWorker::BoundWorker(const Performance& performance) : performance_{performance} {}

void BoundWorker::on_arrival(const QueuedJob& job, const Snapshot&) {
  const auto& nodes = performance_.testbed().nodes;
  for (std::size_t step = 0; step < nodes.size(); ++step) {
    const auto& node = nodes[(cursor_ + step) % nodes.size()].name;
    if (performance_.baseline(job.spec.engine, node, job.spec.queries)) {
      bound_[job.spec.id] = node;
      cursor_ = (cursor_ + step + 1) % nodes.size();
      return;
    }
  }
}

bool BoundWorker::admits(const QueuedJob& job, const WorkerView& worker, const Candidate&, const Round&) const {
  auto it = bound_.find(job.spec.id);
  return it != bound_.end() && it->second == worker.node;
}

double Recency::score(const QueuedJob&, const WorkerView& worker, const Candidate&, const Round&) const {
  constexpr auto never = std::numeric_limits<double>::infinity();
  if (!worker.last_released) return most_recent_ ? never : -never;
  const double at = seconds_of(*worker.last_released);
  return most_recent_ ? -at : at;
}

double CycleFromCursor::score(const QueuedJob&, const WorkerView& worker, const Candidate&, const Round&) const {
  const auto n = performance_.testbed().nodes.size();
  const auto index = *performance_.node_index(worker.node);
  return static_cast<double>((index + n - cursor_) % n);
}

void CycleFromCursor::on_assigned(const QueuedJob&, const Candidate& candidate) {
  cursor_ = (*performance_.node_index(candidate.node) + 1) % performance_.testbed().nodes.size();
}

void LateJobLookahead::on_arrival(const QueuedJob&, const Snapshot& snapshot) {
  if (arrivals_++ == 0) first_ = snapshot.now;
  last_ = snapshot.now;
}

double LateJobLookahead::arrival_rate() const {
  if (arrivals_ < 2 || last_ <= first_) return 0;
  return static_cast<double>(arrivals_ - 1) / seconds_of(last_ - first_);
}

double LateJobLookahead::score(const QueuedJob& job, const WorkerView&, const Candidate& candidate,
                               const Round&) const {
  if (candidate.estimate <= job.remaining) return 0;
  // The job misses its deadline on this worker; Eq. 6.4's fallback offers it
  // every worker, so it misses everywhere.
  const bool expected = arrival_rate() * job.best_estimate.count() >= expected_;
  return expected ? -candidate.estimate.count() : candidate.estimate.count();
}

}  // namespace synergai::framework
