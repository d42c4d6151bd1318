// Composition::plan, the one walk every composed policy shares
// (framework.hpp).
#include "actors/policies/framework.hpp"

#include <algorithm>

namespace synergai::framework {

Composition::Composition(std::shared_ptr<const Performance> performance, std::unique_ptr<QueueOrder> order,
                         std::unique_ptr<Configure> configure)
    : performance_{std::move(performance)}, order_{std::move(order)}, configure_{std::move(configure)} {}

Composition& Composition::require(std::unique_ptr<Filter> filter) {
  required_.push_back(std::move(filter));
  return *this;
}

Composition& Composition::prefer(std::unique_ptr<Filter> filter) {
  preferred_.push_back(std::move(filter));
  return *this;
}

Composition& Composition::score(std::unique_ptr<Score> score) {
  scores_.push_back(std::move(score));
  return *this;
}

Composition& Composition::no_fit(NoFit rule) {
  no_fit_ = rule;
  return *this;
}

Composition& Composition::assignment(Assignment rule) {
  assignment_ = rule;
  return *this;
}

Composition& Composition::fits_deadlines() {
  mode_ = PlanMode::deadline_fit;
  return *this;
}

std::vector<Plugin*> Composition::plugins() const {
  std::vector<Plugin*> all{order_.get(), configure_.get()};
  for (const auto& f : required_) all.push_back(f.get());
  for (const auto& f : preferred_) all.push_back(f.get());
  for (const auto& s : scores_) all.push_back(s.get());
  return all;
}

void Composition::on_arrival(const QueuedJob& job, const Snapshot& snapshot) {
  for (auto* p : plugins()) p->on_arrival(job, snapshot);
}

void Composition::on_release(const WorkerEvent& event) {
  for (auto* p : plugins()) p->on_release(event);
}

Plan Composition::plan(const Snapshot& snapshot) {
  Round round{snapshot, *performance_, {}};
  std::vector<const QueuedJob*> queue;
  queue.reserve(snapshot.queue.size());
  for (const auto& j : snapshot.queue) queue.push_back(&j);
  std::stable_sort(queue.begin(), queue.end(),
                   [&](const QueuedJob* a, const QueuedJob* b) { return order_->less(*a, *b); });

  struct Option {
    const WorkerView* worker;
    Candidate candidate;
    std::vector<double> scores;
  };
  // The first `count` of `filters` admit the option.
  auto passes = [&](const std::vector<std::unique_ptr<Filter>>& filters, std::size_t count, const QueuedJob& job,
                    const Option& o) {
    return std::all_of(filters.begin(), filters.begin() + static_cast<std::ptrdiff_t>(count),
                       [&](const auto& f) { return f->admits(job, *o.worker, o.candidate, round); });
  };

  Plan plan;
  for (const auto* job : queue) {
    std::vector<Option> options;
    bool runnable = false;  // some worker could run it at all
    for (const auto& w : snapshot.workers) {
      auto c = configure_->on(*job, w, round);
      if (!c) continue;
      runnable = true;
      Option o{&w, std::move(*c), {}};
      if (passes(required_, required_.size(), *job, o)) options.push_back(std::move(o));
    }
    if (options.empty()) {
      // A job nothing can run waits without holding others back.
      if (runnable && no_fit_ == NoFit::stop) break;
      // Offered to nobody, it keeps its place in the plan: a run with
      // head-of-line blocking (RuntimeOptions) stops there.
      if (assignment_ == Assignment::offer_all) plan.push_back(PlanItem{job->spec.id, {}});
      continue;
    }
    // Every preference if someone meets them all; else the weakest (the
    // last added) is dropped first; with none met, every admitted worker.
    for (auto tier = preferred_.size(); tier > 0; --tier) {
      std::vector<Option> preferred;
      for (const auto& o : options)
        if (passes(preferred_, tier, *job, o)) preferred.push_back(o);
      if (!preferred.empty()) {
        options = std::move(preferred);
        break;
      }
    }
    for (auto& o : options)
      for (const auto& s : scores_) o.scores.push_back(s->score(*job, *o.worker, o.candidate, round));
    std::stable_sort(options.begin(), options.end(),
                     [](const Option& a, const Option& b) { return a.scores < b.scores; });
    PlanItem item{job->spec.id, {}};
    if (assignment_ == Assignment::one_worker) {
      const auto& best = options.front();
      round.taken.insert(best.worker->node);
      for (auto* p : plugins()) p->on_assigned(*job, best.candidate);
      item.candidates.push_back(best.candidate);
    } else {
      for (auto& o : options) item.candidates.push_back(std::move(o.candidate));
    }
    plan.push_back(std::move(item));
  }
  return plan;
}

}  // namespace synergai::framework
