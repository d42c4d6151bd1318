#include "actors/urgency.hpp"

#include "actors/job.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

namespace synergai {
namespace {

using self_ptr = urgency_actor::stateful_pointer<UrgencyState>;
using Entry = UrgencyState::Entry;

TimePoint now(self_ptr self) { return self->state.config.timeline.at(self->clock().now()); }

// Views and worker handles share the testbed's order.
std::optional<std::size_t> worker_index(self_ptr self, const std::string& node) {
  const auto& views = self->state.views;
  for (std::size_t i = 0; i < views.size(); ++i)
    if (views[i].node == node) return i;
  return std::nullopt;
}

WorkerView* view_of(self_ptr self, const std::string& node) {
  auto i = worker_index(self, node);
  return i ? &self->state.views[*i] : nullptr;
}

Entry* entry_of(self_ptr self, const std::string& job_id) {
  for (auto& e : self->state.queue)
    if (e.spec.id == job_id) return &e;
  return nullptr;
}

void remove_entry(self_ptr self, std::string job_id) {  // by value: it may live in the queue
  auto& q = self->state.queue;
  q.erase(std::remove_if(q.begin(), q.end(), [&](const Entry& e) { return e.spec.id == job_id; }), q.end());
}

QueuedJob evaluate(const Entry& e, TimePoint at) {
  QueuedJob j;
  j.spec = e.spec;
  j.sequence = e.sequence;
  j.remaining = e.spec.qos - (at - e.spec.submitted_at);  // Eq. 6.1
  j.best_estimate = e.best_estimate;
  j.inevitably_late = j.remaining < j.best_estimate;  // W_acceptable is empty (Eq. 6.3)
  return j;
}

Snapshot snapshot(self_ptr self) {
  Snapshot s;
  s.now = now(self);
  for (const auto& e : self->state.queue)
    if (!e.pinned) s.queue.push_back(evaluate(e, s.now));
  std::stable_sort(s.queue.begin(), s.queue.end(), [](const QueuedJob& a, const QueuedJob& b) {
    if (a.inevitably_late != b.inevitably_late) return !a.inevitably_late;
    if (!a.inevitably_late && a.slack() != b.slack()) return a.slack() < b.slack();
    return a.sequence < b.sequence;
  });
  s.workers = self->state.views;
  return s;
}

nlohmann::json order_json(const Snapshot& s) {
  auto order = nlohmann::json::array();
  for (const auto& j : s.queue)
    order.push_back({{"job", j.spec.id}, {"remaining_s", j.remaining.count()}, {"slack_s", j.slack().count()},
                     {"late", j.inevitably_late}});
  return order;
}

void schedule_tick(self_ptr self) {
  auto& s = self->state;
  if (s.ticking || s.queue.empty()) return;  // no ticking while the queue is empty
  s.ticking = true;
  self->delayed_send(self, Timeline::span(s.config.tick), tick_atom::value);
}

void replan(self_ptr self);

void finish_plan(self_ptr self) {
  auto& s = self->state;
  s.planning = false;
  if (s.config.round_times)
    s.config.round_times->push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - s.round_started).count());
  if (s.replan_requested) {
    s.replan_requested = false;
    replan(self);
  }
}

void place(self_ptr self, const Entry& entry, const Candidate& c) {
  auto at = now(self);
  auto* view = view_of(self, c.node);
  view->available = false;
  view->job_id = entry.spec.id;
  view->busy_since = at;
  view->busy_estimate = c.estimate;
  ++view->jobs_run;
  self->send(entry.job, transit_atom::value, Transition{JobState::placed, at, c.node, c.config, {}});
  const auto& worker = self->state.workers[*worker_index(self, c.node)];
  self->send(worker, start_atom::value, Placement{entry.spec, c.config, c.estimate}, entry.job);
  remove_entry(self, entry.spec.id);
}

// Carries out plan item i from candidate k on: ask the workers in order until
// one grants (the thesis's optimal worker availability exploration).
void execute(self_ptr self, std::shared_ptr<const Plan> plan, std::size_t i, std::size_t k) {
  auto& s = self->state;
  for (; i < plan->size(); ++i, k = 0) {
    const auto& item = (*plan)[i];
    if (!entry_of(self, item.job_id)) continue;  // cancelled meanwhile
    // Skip workers this actor already knows to be taken.
    while (k < item.candidates.size()) {
      const auto* v = view_of(self, item.candidates[k].node);
      if (v && v->available) break;
      ++k;
    }
    if (k < item.candidates.size()) break;
    if (s.config.head_of_line_blocking) break;
  }
  if (i >= plan->size() || k >= (*plan)[i].candidates.size()) return finish_plan(self);
  const auto& item = (*plan)[i];
  const auto candidate = item.candidates[k];
  auto worker = s.workers[*worker_index(self, candidate.node)];
  self->request(worker, caf::infinite, reserve_atom::value, item.job_id)
      .then(
          [=](bool granted) {
            self->state.trace(self, now(self), "reserve", [&] {
              return nlohmann::json{{"job", item.job_id}, {"node", candidate.node}, {"granted", granted}};
            });
            const Entry* e = entry_of(self, item.job_id);
            if (granted && e) {
              place(self, *e, candidate);
              return execute(self, plan, i + 1, 0);
            }
            if (!granted) {
              if (auto* v = view_of(self, candidate.node)) v->available = false;
            }
            execute(self, plan, i, k + 1);
          },
          [=](caf::error& err) {
            self->send(self->state.recorder, anomaly_atom::value,
                       fmt::format("urgency: reserve on {} failed: {}", candidate.node, self->system().render(err)));
            execute(self, plan, i, k + 1);
          });
}

void drop_inevitably_late(self_ptr self, const Snapshot& s) {
  for (const auto& j : s.queue) {
    if (!j.inevitably_late) continue;
    if (const Entry* e = entry_of(self, j.spec.id)) {
      self->send(e->job, transit_atom::value,
                 Transition{JobState::cancelled, s.now, {}, std::nullopt, "QoS violation inevitable: dropped"});
      remove_entry(self, j.spec.id);
    }
  }
}

void replan(self_ptr self) {
  auto& s = self->state;
  if (s.planning) {
    s.replan_requested = true;
    return;
  }
  if (s.queue.empty()) return;
  // Dropping late jobs does not wait for a free worker; planning does, and a
  // snapshot (a sort of the whole queue) is only taken when it is needed.
  bool any_free = std::any_of(s.views.begin(), s.views.end(), [](const WorkerView& v) { return v.available; });
  if (s.config.late_jobs == LateJobs::drop) {
    drop_inevitably_late(self, snapshot(self));
    if (s.queue.empty()) return;
  }
  if (!any_free) return;
  if (s.config.round_times) s.round_started = std::chrono::steady_clock::now();
  auto snap = snapshot(self);
  s.planning = true;
  s.trace(self, snap.now, "order", [&] { return nlohmann::json{{"queue", order_json(snap)}}; });
  self->request(s.policy, caf::infinite, plan_atom::value, snap)
      .then(
          [=](Plan& plan) {
            self->state.trace(self, now(self), "plan", [&] {
              auto items = nlohmann::json::array();
              for (const auto& it : plan) {
                auto nodes = nlohmann::json::array();
                for (const auto& c : it.candidates) nodes.push_back(c.node);
                items.push_back({{"job", it.job_id}, {"candidates", nodes}});
              }
              return nlohmann::json{{"items", items}};
            });
            execute(self, std::make_shared<const Plan>(std::move(plan)), 0, 0);
          },
          [=](caf::error& err) {
            self->send(self->state.recorder, anomaly_atom::value,
                       fmt::format("urgency: the policy failed to plan: {}", self->system().render(err)));
            finish_plan(self);
          });
}

// Spawns the job's actor and queues it; false for an id already known.
bool admit(self_ptr self, const JobSpec& spec, bool pinned) {
  auto& s = self->state;
  if (s.jobs.count(spec.id)) {
    self->send(s.recorder, anomaly_atom::value, fmt::format("urgency: job id {} submitted twice", spec.id));
    return false;
  }
  auto job = self->spawn<caf::linked>(synergai::job, spec, s.recorder);
  s.jobs.emplace(spec.id, job);
  s.job_ids.emplace(job.address(), spec.id);
  auto candidates = s.performance->optimal_candidates(spec.engine, spec.queries);
  auto best = candidates.empty() ? Seconds{std::numeric_limits<double>::infinity()} : candidates.front().estimate;
  s.queue.push_back(Entry{spec, job, s.next_sequence++, best, pinned});
  return true;
}

// The policy hears of a job when it becomes plannable.
void announce(self_ptr self, const JobSpec& spec) {
  auto snap = snapshot(self);
  auto it = std::find_if(snap.queue.begin(), snap.queue.end(),
                         [&](const QueuedJob& j) { return j.spec.id == spec.id; });
  self->state.trace(self, snap.now, "arrival", [&] { return nlohmann::json{{"job", spec}}; });
  if (it != snap.queue.end()) self->send(self->state.policy, submit_atom::value, *it, snap);
}

void accept(self_ptr self, const JobSpec& spec) {
  if (!admit(self, spec, false)) return;
  announce(self, spec);
  schedule_tick(self);
  replan(self);
}

// A job placed or running before a restart goes back to its node in its
// configuration, ahead of any plan: with the Kubernetes executor its Job is
// still there and the bridge adopts it. The node's view is taken at once so
// no plan offers it to another job; if the worker refuses after all (or the
// node is gone), the job is queued like any other.
void resume(self_ptr self, const JobSpec& spec, Candidate where) {
  auto& s = self->state;
  auto index = worker_index(self, where.node);
  auto estimate = s.performance->estimate(spec.engine, where.node, where.config, spec.queries);
  if (!index || !estimate || !s.views[*index].available) {
    self->send(s.recorder, anomaly_atom::value,
               fmt::format("urgency: job {} cannot resume on {} ({}): queued again", spec.id, where.node, where.config));
    return accept(self, spec);
  }
  if (!admit(self, spec, true)) return;
  where.estimate = *estimate;
  s.views[*index].available = false;
  auto unpin = [self, id = spec.id] {
    auto* e = entry_of(self, id);
    if (!e) return;
    e->pinned = false;
    announce(self, e->spec);
    schedule_tick(self);
    replan(self);
  };
  self->request(s.workers[*index], caf::infinite, reserve_atom::value, spec.id)
      .then(
          [=](bool granted) {
            self->state.trace(self, now(self), "resume", [&] {
              return nlohmann::json{{"job", spec.id}, {"node", where.node}, {"granted", granted}};
            });
            const Entry* e = entry_of(self, spec.id);
            if (granted && e) return place(self, *e, where);
            unpin();
          },
          [=](caf::error& err) {
            self->send(self->state.recorder, anomaly_atom::value,
                       fmt::format("urgency: reserve on {} failed: {}", where.node, self->system().render(err)));
            unpin();
          });
}

}  // namespace

urgency_actor::behavior_type urgency(urgency_actor::stateful_pointer<UrgencyState> self, UrgencyConfig config,
                                     std::shared_ptr<const Performance> performance, policy_actor policy,
                                     recorder_actor recorder, bool tracing) {
  auto& s = self->state;
  s.config = config;
  s.performance = std::move(performance);
  s.policy = std::move(policy);
  s.recorder = recorder;
  s.trace = Tracer{recorder, tracing, "urgency"};
  // A job's actor ends normally with its job: forget it. Any other exit
  // (a shutdown, a crashed job actor) ends this actor, as by default.
  self->set_exit_handler([=](caf::exit_msg& m) {
    auto& st = self->state;
    if (auto it = st.job_ids.find(m.source); it != st.job_ids.end()) {
      st.jobs.erase(it->second);
      st.job_ids.erase(it);
    }
    if (m.reason) self->quit(m.reason);
  });
  for (const auto& n : s.performance->testbed().nodes) {
    WorkerView v;
    v.node = n.name;
    s.views.push_back(std::move(v));
  }
  return {
      [=](connect_atom, std::vector<worker_actor> workers) {
        if (workers.size() != self->state.views.size()) {
          self->send(self->state.recorder, anomaly_atom::value,
                     fmt::format("urgency: {} workers connected for {} nodes", workers.size(), self->state.views.size()));
          return;
        }
        self->state.workers = std::move(workers);
      },
      [=](submit_atom, JobSpec spec) {
        // A job is submitted when the queue receives it; stamping it with this
        // actor's clock keeps every instant of a job on one clock.
        spec.submitted_at = now(self);
        accept(self, spec);
      },
      [=](resubmit_atom, const JobSpec& spec) { accept(self, spec); },
      [=](resume_atom, const JobSpec& spec, const Candidate& where) { resume(self, spec, where); },
      [=](tick_atom) {
        self->state.ticking = false;
        if (self->state.queue.empty()) return;
        self->state.trace(self, now(self), "tick", [&] { return nlohmann::json{{"queued", self->state.queue.size()}}; });
        replan(self);
        schedule_tick(self);
      },
      [=](released_atom, WorkerEvent e) {
        if (auto* v = view_of(self, e.node)) {
          v->available = true;
          v->job_id.clear();
          v->busy_since.reset();
          v->busy_estimate.reset();
          if (e.ran) v->last_released = e.at;
        }
        self->send(self->state.policy, released_atom::value, e);
        replan(self);
      },
      [=](cancel_atom, const std::string& job_id) {
        if (const Entry* e = entry_of(self, job_id)) {
          self->send(e->job, transit_atom::value,
                     Transition{JobState::cancelled, now(self), {}, std::nullopt, "cancelled by request"});
          remove_entry(self, job_id);
        }
      },
  };
}

}  // namespace synergai
