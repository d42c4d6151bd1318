// synergai-energy: SynergAI's urgency order and deadline rule, run in the
// configuration with the lowest energy bound that still meets the deadline
// with a margin.
//
// Jobs are taken in the urgency actor's order (SynergAI's). For each job, on
// every free worker (not yet given to an earlier job of this plan) it looks at
// every configuration the dictionary profiled for the engine — all thread
// counts and power modes, not only c* — and keeps those whose estimate fits
// in margin x T_remaining (PolicyOptions::energy_deadline_margin, 0.8 unless
// set). Each such worker is offered in its lowest-energy fitting configuration
// (energy = power cap x estimate, config/energy.hpp), workers by that energy,
// lowest first. A configuration without a known cap (MAXN, an unstated cap,
// a node without power modes) cannot be shown to save anything: it ranks
// after every known one, fastest first. When no free worker has a fitting
// configuration the job is planned exactly as SynergAI plans it: c* on the
// workers that meet its deadline, fastest first, or on every worker when
// none can.
#include "actors/policies/policy.hpp"
#include "config/energy.hpp"
#include "support/errors.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace synergai {
namespace {

class SynergaiEnergy final : public Policy {
 public:
  SynergaiEnergy(const PolicyContext& context, double margin)
      : performance_{context.performance}, margin_{margin}, synergai_{make_policy("synergai", context)} {}

  Plan plan(const Snapshot& snapshot) override {
    Plan plan;
    std::set<std::string> taken;  // free workers an earlier item of this plan will get
    for (const auto& job : snapshot.queue) {
      auto candidates = frugal(job, snapshot, taken);
      if (candidates.empty()) candidates = synergai_candidates(job, snapshot);
      for (const auto& c : candidates)
        if (is_free(snapshot, c.node) && !taken.contains(c.node)) {
          taken.insert(c.node);
          break;
        }
      plan.push_back(PlanItem{job.spec.id, std::move(candidates)});
    }
    return plan;
  }

 private:
  struct Option {
    Candidate candidate;
    std::optional<double> joules;
  };

  static bool is_free(const Snapshot& s, const std::string& node) {
    auto it = std::find_if(s.workers.begin(), s.workers.end(), [&](const WorkerView& w) { return w.node == node; });
    return it != s.workers.end() && it->available;
  }

  // The free workers that can run the job in time with the margin, each in its
  // lowest-energy fitting configuration, lowest energy first.
  std::vector<Candidate> frugal(const QueuedJob& job, const Snapshot& snapshot,
                                const std::set<std::string>& taken) const {
    const Seconds allowed = margin_ * job.remaining;
    std::vector<Option> options;
    for (const auto& w : snapshot.workers) {
      if (!w.available || taken.contains(w.node)) continue;
      // Ranked lowest known energy first, then the unknown ones fastest first:
      // the first that fits is this worker's choice.
      for (const auto& c : configuration_energies(*performance_, job.spec.engine, w.node, job.spec.queries))
        if (c.estimate <= allowed) {
          options.push_back({Candidate{w.node, c.config, c.estimate}, c.joules});
          break;
        }
    }
    std::stable_sort(options.begin(), options.end(), [](const Option& a, const Option& b) {
      if (a.joules.has_value() != b.joules.has_value()) return a.joules.has_value();
      if (a.joules && *a.joules != *b.joules) return *a.joules < *b.joules;
      return a.candidate.estimate < b.candidate.estimate;
    });
    std::vector<Candidate> out;
    for (auto& o : options) out.push_back(std::move(o.candidate));
    return out;
  }

  // SynergAI's rule (Eq. 6.3, 6.4), from SynergAI's own policy: c* where the
  // deadline can be met, fastest first; every worker when it cannot be met.
  std::vector<Candidate> synergai_candidates(const QueuedJob& job, const Snapshot& snapshot) const {
    return synergai_->plan(Snapshot{snapshot.now, {job}, snapshot.workers, {}}).front().candidates;
  }

  std::shared_ptr<const Performance> performance_;
  double margin_;
  std::unique_ptr<Policy> synergai_;
};

}  // namespace

std::unique_ptr<Policy> make_synergai_energy_policy(const PolicyContext& context) {
  double margin = context.options.energy_deadline_margin;
  if (!(margin > 0 && margin <= 1))
    throw InputError{fmt::format("synergai-energy: the deadline margin must be in (0, 1], got {}", margin)};
  return std::make_unique<SynergaiEnergy>(context, margin);
}

}  // namespace synergai
