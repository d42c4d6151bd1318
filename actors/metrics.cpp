#include "actors/metrics.hpp"

#include <nlohmann/json.hpp>

namespace synergai {
namespace {

Metrics metrics_of(std::span<const JobRecord> jobs, const Performance* performance) {
  Metrics m;
  m.jobs = jobs.size();
  std::vector<double> waiting, e2e, excess, excess_violating;
  for (const auto& r : jobs) {
    const bool violation = is_violation(r);
    const bool unmeetable = performance && unmeetable_at_submission(*performance, r.spec);
    if (violation) ++m.violations;
    if (unmeetable) ++m.unmeetable;
    if (violation && !unmeetable) ++m.violations_net;
    if (r.state == JobState::succeeded) ++m.succeeded;
    if (r.state == JobState::failed) ++m.failed;
    if (r.state == JobState::cancelled) {
      ++m.cancelled;
      continue;  // a dropped job has no waiting, e2e or excess time
    }
    if (auto w = r.waiting()) waiting.push_back(w->count());
    if (auto d = r.end_to_end()) {
      e2e.push_back(d->count());
      excess.push_back(r.excess()->count());
      if (violation) excess_violating.push_back(r.excess()->count());
    }
  }
  m.waiting = stats::summarize(waiting);
  m.end_to_end = stats::summarize(e2e);
  m.excess_mean_all = stats::mean(excess);
  m.excess_mean_violating = stats::mean(excess_violating);
  return m;
}

}  // namespace

bool is_violation(const JobRecord& r) {
  if (r.state != JobState::succeeded) return true;
  return !r.finished_at || *r.finished_at - r.spec.submitted_at > r.spec.qos;
}

std::optional<Seconds> fastest_estimate(const Performance& performance, const JobSpec& job) {
  std::optional<Seconds> best;
  for (const auto& node : performance.testbed().nodes)
    for (const auto* p : performance.dictionary().points_for(job.engine, node.name)) {
      auto e = p->preprocessing + Seconds{job.queries / p->qps};
      if (!best || e < *best) best = e;
    }
  return best;
}

bool unmeetable_at_submission(const Performance& performance, const JobSpec& job) {
  auto fastest = fastest_estimate(performance, job);
  return !fastest || job.qos < *fastest;
}

Metrics compute_metrics(std::span<const JobRecord> jobs) { return metrics_of(jobs, nullptr); }

Metrics compute_metrics(std::span<const JobRecord> jobs, const Performance& performance) {
  return metrics_of(jobs, &performance);
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
                     {"unmeetable", m.unmeetable},
                     {"violations_net", m.violations_net},
                     {"waiting_s", summary_json(m.waiting)},
                     {"e2e_s", summary_json(m.end_to_end)},
                     {"excess_s", {{"mean_all", m.excess_mean_all}, {"mean_violating", m.excess_mean_violating}}}};
}

}  // namespace synergai
