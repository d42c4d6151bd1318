#include "actors/metrics.hpp"

#include <nlohmann/json.hpp>

namespace synergai {

Metrics compute_metrics(std::span<const JobRecord> jobs) {
  Metrics m;
  m.jobs = jobs.size();
  std::vector<double> waiting, e2e, excess, excess_violating;
  for (const auto& r : jobs) {
    if (r.state == JobState::succeeded) ++m.succeeded;
    if (r.state == JobState::failed) ++m.failed;
    if (r.state == JobState::cancelled) {
      ++m.cancelled;
      continue;
    }
    if (r.violated()) ++m.violations;
    if (auto w = r.waiting()) waiting.push_back(w->count());
    if (auto d = r.end_to_end()) {
      e2e.push_back(d->count());
      excess.push_back(r.excess()->count());
      if (r.violated()) excess_violating.push_back(r.excess()->count());
    }
  }
  m.waiting = stats::summarize(waiting);
  m.end_to_end = stats::summarize(e2e);
  m.excess_mean_all = stats::mean(excess);
  m.excess_mean_violating = stats::mean(excess_violating);
  return m;
}

nlohmann::json summary_json(const stats::Summary& s) {
  return nlohmann::json{{"min", s.min}, {"mean", s.mean}, {"p50", s.p50}, {"p99", s.p99}, {"max", s.max}};
}

void to_json(nlohmann::json& j, const Metrics& m) {
  j = nlohmann::json{{"jobs", m.jobs},
                     {"succeeded", m.succeeded},
                     {"failed", m.failed},
                     {"cancelled", m.cancelled},
                     {"violations", m.violations},
                     {"waiting_s", summary_json(m.waiting)},
                     {"e2e_s", summary_json(m.end_to_end)},
                     {"excess_s", {{"mean_all", m.excess_mean_all}, {"mean_violating", m.excess_mean_violating}}}};
}

}  // namespace synergai
