// SLO-MAEL, the state of the art the thesis compares with: Seo et al.,
// "SLO-aware inference scheduler for heterogeneous processors in edge
// platforms", ACM TACO 18(4), 2021 — here without model slicing, as in the
// thesis. It decides once, when a job arrives, and never re-maps or re-orders:
// - each worker has a FIFO queue of the jobs mapped to it;
// - for the arriving job and each worker w, the job's expected completion is
//   w's backlog (the rest of its running job plus every job queued on it,
//   from the dictionary) plus the job's execution time on w, in w's baseline
//   configuration (SLO-MAEL ignores per-worker optimal configurations);
// - a mapping's score is the average expected latency over all queued jobs
//   after the mapping, a job's latency being its waiting so far plus its
//   expected completion;
// - it prefers workers where the new job meets its QoS and, among them, the
//   lowest average; if none meets it, the lowest average overall (ties:
//   testbed order). docs/policies.md works an example.
//
// Mapping the new job at the end of one FIFO queue leaves every queued job's
// latency as it was, so the lowest average is the new job's lowest expected
// completion: an arrival costs the workers, not the queue. The policy keeps
// its queues itself (PlanMode::mapped) and each worker's queued estimate as a
// running sum.
#include "actors/policies/baseline.hpp"

#include <algorithm>
#include <deque>
#include <optional>
#include <unordered_map>
#include <vector>

namespace synergai {
namespace {

class SloMael final : public Policy {
 public:
  explicit SloMael(std::shared_ptr<const Performance> p)
      : performance_{std::move(p)}, queues_(performance_->testbed().nodes.size()) {}

  PlanMode mode() const override { return PlanMode::mapped; }

  void on_arrival(const QueuedJob& job, const Snapshot& s) override {
    forget(s);
    auto engine = performance_->engine_index(job.spec.engine);
    if (!engine) return;  // no worker can run this engine: it stays unmapped
    std::optional<std::size_t> best;
    double best_completion = 0;
    bool best_meets = false;
    double best_estimate = 0;
    for (std::size_t n = 0; n < s.workers.size(); ++n) {  // testbed order, as the queues
      auto estimate = performance_->baseline_estimate(*engine, n, job.spec.queries);
      if (!estimate) continue;
      const double completion = expected_free_in(s.workers[n], s.now) + queues_[n].queued_estimate + estimate->count();
      const bool meets = completion <= job.remaining.count();
      if (!best || (meets && !best_meets) || (meets == best_meets && completion < best_completion)) {
        best = n;
        best_completion = completion;
        best_meets = meets;
        best_estimate = estimate->count();
      }
    }
    if (!best) return;
    auto& q = queues_[*best];
    q.jobs.push_back(Mapped{job, best_estimate});
    q.queued_estimate += best_estimate;
    worker_of_[job.spec.id] = *best;
  }

  Plan plan(const Snapshot& s) override {
    forget(s);
    std::vector<std::pair<std::uint64_t, PlanItem>> items;
    for (std::size_t n = 0; n < s.workers.size(); ++n) {
      const auto& w = s.workers[n];
      const auto& q = queues_[n];
      if (!w.available || q.jobs.empty()) continue;
      const auto& head = q.jobs.front().job;
      if (auto item = baseline::on_node(*performance_, head, w.node)) items.emplace_back(head.sequence, std::move(*item));
    }
    std::sort(items.begin(), items.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    Plan plan;
    for (auto& [_, item] : items) plan.push_back(std::move(item));
    return plan;
  }

 private:
  struct Mapped {
    QueuedJob job;  // as it arrived (engine, queries, sequence)
    double estimate = 0;
  };
  struct WorkerQueue {
    std::deque<Mapped> jobs;
    double queued_estimate = 0;  // sum of jobs' estimates
  };

  // Forget the jobs that left the queue (placed or cancelled); a placed job
  // is its worker's head.
  void forget(const Snapshot& s) {
    for (const auto& id : s.left) {
      auto at = worker_of_.find(id);
      if (at == worker_of_.end()) continue;
      auto& q = queues_[at->second];
      auto it = std::find_if(q.jobs.begin(), q.jobs.end(), [&](const Mapped& m) { return m.job.spec.id == id; });
      if (it != q.jobs.end()) {
        q.queued_estimate -= it->estimate;
        q.jobs.erase(it);
      }
      if (q.jobs.empty()) q.queued_estimate = 0;  // no drift left behind by the running sum
      worker_of_.erase(at);
    }
  }

  std::shared_ptr<const Performance> performance_;
  std::vector<WorkerQueue> queues_;                         // testbed order
  std::unordered_map<std::string, std::size_t> worker_of_;  // mapped job -> its worker's position
};

}  // namespace

std::unique_ptr<Policy> make_slo_mael_policy(const PolicyContext& c) {
  baseline::require_baseline_configs(*c.performance, "slo-mael");
  return std::make_unique<SloMael>(c.performance);
}

}  // namespace synergai
