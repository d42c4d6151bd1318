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
#include "actors/policies/baseline.hpp"

#include <algorithm>
#include <deque>
#include <limits>
#include <map>

namespace synergai {
namespace {

class SloMael final : public Policy {
 public:
  explicit SloMael(std::shared_ptr<const Performance> p) : performance_{std::move(p)} {
    for (const auto& n : performance_->testbed().nodes) queues_[n.name];
  }

  void on_arrival(const QueuedJob& job, const Snapshot& s) override {
    prune(s);
    struct Option {
      std::string node;
      double completion = 0;
      double average = 0;
      bool meets = false;
    };
    // Latencies of everything already queued do not depend on the choice.
    double queued_latency = 0;
    std::size_t queued = 0;
    std::map<std::string, double> backlog;
    for (const auto& w : s.workers) {
      double t = running_remainder(w, s.now);
      for (const auto& q : queues_[w.node]) {
        t += q.estimate;
        queued_latency += seconds_of(s.now) - seconds_of(q.submitted_at) + t;
        ++queued;
      }
      backlog[w.node] = t;
    }
    std::vector<Option> options;
    double waited = job.spec.qos.count() - job.remaining.count();
    for (const auto& w : s.workers) {
      auto c = performance_->baseline(job.spec.engine, w.node, job.spec.queries);
      if (!c) continue;
      Option o{w.node, backlog[w.node] + c->estimate.count(), 0, false};
      o.average = (queued_latency + waited + o.completion) / static_cast<double>(queued + 1);
      o.meets = o.completion <= job.remaining.count();
      options.push_back(o);
    }
    const Option* best = nullptr;
    for (const auto& o : options) {
      bool better = !best || (o.meets && !best->meets) || (o.meets == best->meets && o.average < best->average);
      if (better) best = &o;
    }
    if (!best) return;  // no worker can run this engine: it stays unmapped
    auto estimate = performance_->baseline(job.spec.engine, best->node, job.spec.queries)->estimate.count();
    queues_[best->node].push_back(Mapped{job.spec.id, job.spec.submitted_at, estimate});
  }

  Plan plan(const Snapshot& s) override {
    prune(s);
    std::map<std::string, const QueuedJob*> by_id;
    for (const auto& j : s.queue) by_id[j.spec.id] = &j;
    std::vector<std::pair<std::uint64_t, PlanItem>> items;
    for (const auto& w : s.workers) {
      auto& q = queues_[w.node];
      if (!w.available || q.empty()) continue;
      const QueuedJob* job = by_id.at(q.front().id);
      if (auto item = baseline::on_node(*performance_, *job, w.node)) items.emplace_back(job->sequence, std::move(*item));
    }
    std::sort(items.begin(), items.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    Plan plan;
    for (auto& [_, item] : items) plan.push_back(std::move(item));
    return plan;
  }

 private:
  struct Mapped {
    std::string id;
    TimePoint submitted_at;
    double estimate = 0;
  };

  static double running_remainder(const WorkerView& w, TimePoint now) {
    if (!w.busy_since || !w.busy_estimate) return 0;
    return std::max(0.0, (*w.busy_since + *w.busy_estimate - now).count());
  }

  // Forget jobs that left the queue (placed or cancelled).
  void prune(const Snapshot& s) {
    std::set<std::string> queued;
    for (const auto& j : s.queue) queued.insert(j.spec.id);
    for (auto& [_, q] : queues_)
      q.erase(std::remove_if(q.begin(), q.end(), [&](const Mapped& m) { return !queued.count(m.id); }), q.end());
  }

  std::shared_ptr<const Performance> performance_;
  std::map<std::string, std::deque<Mapped>> queues_;
};

}  // namespace

std::unique_ptr<Policy> make_slo_mael_policy(const PolicyContext& c) {
  baseline::require_baseline_configs(*c.performance, "slo-mael");
  return std::make_unique<SloMael>(c.performance);
}

}  // namespace synergai
