// RR and SRR (reference §6), first come first served, baseline configurations.
// - rr: workers in a fixed circular order (the testbed's); each job goes to the
//   next worker of the cycle that is free, skipping busy ones.
// - srr: each job is bound, when it arrives, to the next worker of the cycle
//   and waits for exactly that worker, even while others are idle. By default
//   each worker has its own queue: a job whose worker is busy does not hold
//   back later jobs bound to other workers. With PolicyOptions::srr_global_queue
//   the queue is one strict first-come-first-served line: nothing overtakes a
//   job waiting for its worker.
#include "actors/policies/baseline.hpp"

#include <map>

namespace synergai {
namespace {

std::vector<std::string> cycle_of(const Performance& p) {
  std::vector<std::string> nodes;
  for (const auto& n : p.testbed().nodes) nodes.push_back(n.name);
  return nodes;
}

class RoundRobin final : public Policy {
 public:
  explicit RoundRobin(std::shared_ptr<const Performance> p) : performance_{std::move(p)}, cycle_{cycle_of(*performance_)} {}

  Plan plan(const Snapshot& s) override {
    Plan plan;
    baseline::FreeWorkers free{s};
    for (const auto& job : baseline::fifo(s)) {
      if (free.empty()) break;
      for (std::size_t step = 0; step < cycle_.size(); ++step) {
        const auto& node = cycle_[(cursor_ + step) % cycle_.size()];
        if (!free.is_free(node)) continue;
        auto item = baseline::on_node(*performance_, job, node);
        if (!item) continue;  // this engine was not profiled there
        free.take(node);
        cursor_ = (cursor_ + step + 1) % cycle_.size();
        plan.push_back(std::move(*item));
        break;
      }
    }
    return plan;
  }

 private:
  std::shared_ptr<const Performance> performance_;
  std::vector<std::string> cycle_;
  std::size_t cursor_ = 0;  // the next worker in the cycle
};

class StrictRoundRobin final : public Policy {
 public:
  StrictRoundRobin(std::shared_ptr<const Performance> p, bool global_queue)
      : performance_{std::move(p)}, cycle_{cycle_of(*performance_)}, global_queue_{global_queue} {}

  void on_arrival(const QueuedJob& job, const Snapshot&) override {
    // Bind to the next worker of the cycle that can run the engine at all.
    for (std::size_t step = 0; step < cycle_.size(); ++step) {
      const auto& node = cycle_[(cursor_ + step) % cycle_.size()];
      if (performance_->baseline(job.spec.engine, node, job.spec.queries)) {
        bound_[job.spec.id] = node;
        cursor_ = (cursor_ + step + 1) % cycle_.size();
        return;
      }
    }
  }

  Plan plan(const Snapshot& s) override {
    Plan plan;
    baseline::FreeWorkers free{s};
    for (const auto& job : baseline::fifo(s)) {
      auto it = bound_.find(job.spec.id);
      if (it == bound_.end()) continue;  // no worker runs its engine in the baseline configuration
      if (!free.is_free(it->second)) {
        if (global_queue_) break;  // the head of the one queue waits, and so does everyone behind it
        continue;                  // waits for its worker
      }
      if (auto item = baseline::on_node(*performance_, job, it->second)) {
        free.take(it->second);
        plan.push_back(std::move(*item));
      }
    }
    return plan;
  }

 private:
  std::shared_ptr<const Performance> performance_;
  std::vector<std::string> cycle_;
  std::size_t cursor_ = 0;
  bool global_queue_ = false;
  std::map<std::string, std::string> bound_;  // job id -> worker
};

}  // namespace

std::unique_ptr<Policy> make_rr_policy(const PolicyContext& c) {
  baseline::require_baseline_configs(*c.performance, "rr");
  return std::make_unique<RoundRobin>(c.performance);
}

std::unique_ptr<Policy> make_srr_policy(const PolicyContext& c) {
  baseline::require_baseline_configs(*c.performance, "srr");
  return std::make_unique<StrictRoundRobin>(c.performance, c.options.srr_global_queue);
}

}  // namespace synergai
