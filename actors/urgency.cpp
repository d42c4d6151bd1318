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

bool fits_deadlines(self_ptr self) { return self->state.config.plan_mode == PlanMode::deadline_fit; }
bool maps_on_arrival(self_ptr self) { return self->state.config.plan_mode == PlanMode::mapped; }

// Views and worker handles share the testbed's order.
std::optional<std::size_t> worker_index(self_ptr self, const std::string& node) {
  const auto& index = self->state.node_index;
  auto it = index.find(node);
  if (it == index.end()) return std::nullopt;
  return it->second;
}

WorkerView* view_of(self_ptr self, const std::string& node) {
  auto i = worker_index(self, node);
  return i ? &self->state.views[*i] : nullptr;
}

// Every change of a view's availability goes through here, so that the count
// and the free workers per class stay true.
void set_available(self_ptr self, std::size_t i, bool available) {
  auto& s = self->state;
  auto& v = s.views[i];
  if (v.available == available) return;
  v.available = available;
  if (available) ++s.available;
  else --s.available;
  auto& free = s.free_by_class[s.performance->class_of(i)];
  if (available) free.insert(i);
  else free.erase(i);
}

Entry* entry_of(self_ptr self, const std::string& job_id) {
  auto& s = self->state;
  auto it = s.queued.find(job_id);
  return it == s.queued.end() ? nullptr : &s.queue.at(it->second);
}

bool indexes_meetable(self_ptr self) {
  return fits_deadlines(self) && !self->state.config.head_of_line_blocking;
}

// Makes the entry plannable: into the urgency index (deadline_fit).
void index_entry(self_ptr self, Entry& e) {
  auto& s = self->state;
  e.plannable_since = ++s.events;
  if (!fits_deadlines(self)) return;
  s.on_time.emplace(e.latest_start, e.sequence);
  if (indexes_meetable(self) && e.engine)
    for (std::size_t c = 0; c < s.meetable_by_class.size(); ++c)
      if (s.performance->optimum(*e.engine, c)) s.meetable_by_class[c].emplace(e.latest_start, e.sequence);
}

void unindex_meetable(self_ptr self, const Entry& e) {
  for (auto& meetable : self->state.meetable_by_class) meetable.erase({e.latest_start, e.sequence});
}

void unindex_entry(self_ptr self, const Entry& e) {
  auto& s = self->state;
  s.on_time.erase({e.latest_start, e.sequence});
  s.late.erase(e.sequence);
  unindex_meetable(self, e);
}

void remove_entry(self_ptr self, std::string job_id) {  // by value: it may live in the queue
  auto& s = self->state;
  auto it = s.queued.find(job_id);
  if (it == s.queued.end()) return;
  unindex_entry(self, s.queue.at(it->second));
  s.queue.erase(it->second);
  s.queued.erase(it);
  if (!fits_deadlines(self)) s.left.push_back(std::move(job_id));
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
  for (const auto& [_, e] : self->state.queue)
    if (!e.pinned) s.queue.push_back(evaluate(e, s.now));
  std::stable_sort(s.queue.begin(), s.queue.end(), more_urgent);
  s.workers = self->state.views;
  return s;
}

// What the policy gets: the snapshot (PlanMode::mapped: the workers alone)
// with the jobs that left the queue since its last one.
Snapshot policy_snapshot(self_ptr self) {
  auto& state = self->state;
  auto s = maps_on_arrival(self) ? Snapshot{now(self), {}, state.views, {}} : snapshot(self);
  s.left = std::move(state.left);
  state.left.clear();
  return s;
}

// Moves the on-time jobs whose violation became inevitable by `at` to the
// late ones: they lead the on-time order, which is by latest useful start.
void move_late(self_ptr self, TimePoint at) {
  auto& s = self->state;
  while (!s.on_time.empty()) {
    auto key = *s.on_time.begin();
    if (!evaluate(s.queue.at(key.second), at).inevitably_late) break;
    s.on_time.erase(s.on_time.begin());
    s.late.insert(key.second);
    unindex_meetable(self, s.queue.at(key.second));
  }
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
    s.config.round_times(std::chrono::duration<double>(std::chrono::steady_clock::now() - s.round_started).count());
  if (s.replan_requested) {
    s.replan_requested = false;
    replan(self);
  }
}

void place(self_ptr self, const Entry& entry, const Candidate& c) {
  auto at = now(self);
  auto index = *worker_index(self, c.node);
  set_available(self, index, false);
  auto* view = &self->state.views[index];
  view->job_id = entry.spec.id;
  view->busy_since = at;
  view->busy_estimate = c.estimate;
  ++view->jobs_run;
  self->send(entry.job, transit_atom::value, Transition{JobState::placed, at, c.node, c.config, {}});
  const auto& worker = self->state.workers[index];
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
            if (!granted)
              if (auto index = worker_index(self, candidate.node)) set_available(self, *index, false);
            execute(self, plan, i, k + 1);
          },
          [=](caf::error& err) {
            self->send(self->state.recorder, anomaly_atom::value,
                       fmt::format("urgency: reserve on {} failed: {}", candidate.node, self->system().render(err)));
            execute(self, plan, i, k + 1);
          });
}

// Eq. 6.2 against Eq. 6.1 at the round's instant: can the job still meet its
// deadline on class c? (What W_acceptable holds, for first_available and the
// meetable index alike.)
bool meets_on(self_ptr self, const Entry& e, std::size_t c) {
  const auto* o = self->state.performance->optimum(*e.engine, c);
  return o && o->estimate(e.spec.queries) <= e.spec.qos - (self->state.round.at - e.spec.submitted_at);
}

// The next on-time job of the round, after the round's cursor, that a class
// with a free worker can take in time; none: no further on-time job can get a
// worker now. Jobs found unable to meet their deadline on a class leave its set.
std::optional<std::pair<double, std::uint64_t>> first_meetable(self_ptr self) {
  auto& s = self->state;
  const auto& after = s.round.after;
  std::optional<std::pair<double, std::uint64_t>> best;
  for (std::size_t c = 0; c < s.meetable_by_class.size(); ++c) {
    if (s.free_by_class[c].empty()) continue;
    auto& meetable = s.meetable_by_class[c];
    auto it = after ? meetable.upper_bound(*after) : meetable.begin();
    while (it != meetable.end() && !meets_on(self, s.queue.at(it->second), c)) it = meetable.erase(it);
    if (it != meetable.end() && (!best || *it < *best)) best = *it;
  }
  return best;
}

// deadline_fit: the next job of the round in urgency order (on time by latest
// useful start, then late by sequence), skipping jobs that became plannable
// after the round began; null at the end. Without head-of-line blocking the
// on-time jobs no free worker can take in time are passed over at once (they
// would get no offer from first_available).
Entry* next_of_round(self_ptr self) {
  auto& s = self->state;
  auto& r = s.round;
  if (!r.in_late && indexes_meetable(self)) {
    while (auto key = first_meetable(self)) {
      r.after = *key;
      auto& e = s.queue.at(key->second);
      if (e.plannable_since <= r.began) return &e;
    }
    r.in_late = true;
  }
  if (!r.in_late) {
    for (auto it = r.after ? s.on_time.upper_bound(*r.after) : s.on_time.begin(); it != s.on_time.end(); ++it) {
      r.after = *it;
      auto& e = s.queue.at(it->second);
      if (e.plannable_since <= r.began) return &e;
    }
    r.in_late = true;
  }
  for (auto it = r.after_late ? s.late.upper_bound(*r.after_late) : s.late.begin(); it != s.late.end(); ++it) {
    r.after_late = *it;
    auto& e = s.queue.at(*it);
    if (e.plannable_since <= r.began) return &e;
  }
  return nullptr;
}

// A worker offered to a job, as (estimate, worker index): the order of the
// job's candidate list (fastest first, ties in testbed order).
using Offer = std::pair<Seconds, std::size_t>;

// deadline_fit: the first available worker in the job's candidate list after
// `after` — c* on the workers that meet the deadline at the round's instant,
// or on every worker when none does — found per node class.
std::optional<Offer> first_available(self_ptr self, const Entry& e, const std::optional<Offer>& after) {
  const auto& s = self->state;
  const auto& performance = *s.performance;
  if (!e.engine) return std::nullopt;
  bool any_acceptable = false;
  for (std::size_t c = 0; c < performance.class_count() && !any_acceptable; ++c) any_acceptable = meets_on(self, e, c);
  std::optional<Offer> best;
  for (std::size_t c = 0; c < performance.class_count(); ++c) {
    const auto* o = performance.optimum(*e.engine, c);
    const auto& free = s.free_by_class[c];
    if (!o || free.empty()) continue;
    const auto estimate = o->estimate(e.spec.queries);
    if (any_acceptable && !meets_on(self, e, c)) continue;
    auto it = free.begin();
    if (after) {
      if (estimate < after->first) continue;
      if (estimate == after->first) it = free.upper_bound(after->second);
    }
    if (it == free.end()) continue;
    Offer offer{estimate, *it};
    if (!best || offer < *best) best = offer;
  }
  return best;
}

// deadline_fit: carries the round on from the job `job_id` (its candidates
// after `after`) or from the next job: ask one worker at a time, as execute()
// does with a plan.
void plan_next(self_ptr self, std::optional<std::string> job_id, std::optional<Offer> after) {
  auto& s = self->state;
  for (;;) {
    if (s.available == 0) return finish_plan(self);  // no item could get a worker
    Entry* e = job_id ? entry_of(self, *job_id) : next_of_round(self);
    if (!e) {
      if (!job_id) return finish_plan(self);
      job_id.reset();  // placed or cancelled meanwhile
      after.reset();
      continue;
    }
    auto offer = first_available(self, *e, after);
    if (!offer) {
      if (s.config.head_of_line_blocking) return finish_plan(self);
      job_id.reset();
      after.reset();
      continue;
    }
    const auto& node = s.performance->testbed().nodes[offer->second];
    const Candidate candidate{node.name,
                              s.performance->optimum(*e->engine, s.performance->class_of(offer->second))->config,
                              offer->first};
    const auto id = e->spec.id;
    self->request(s.workers[offer->second], caf::infinite, reserve_atom::value, id)
        .then(
            [=](bool granted) {
              self->state.trace(self, now(self), "reserve", [&] {
                return nlohmann::json{{"job", id}, {"node", candidate.node}, {"granted", granted}};
              });
              const Entry* placed = entry_of(self, id);
              if (granted && placed) {
                place(self, *placed, candidate);
                return plan_next(self, std::nullopt, std::nullopt);
              }
              if (!granted) set_available(self, offer->second, false);
              plan_next(self, id, offer);
            },
            [=](caf::error& err) {
              self->send(self->state.recorder, anomaly_atom::value,
                         fmt::format("urgency: reserve on {} failed: {}", candidate.node, self->system().render(err)));
              plan_next(self, id, offer);
            });
    return;
  }
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

// deadline_fit: the urgency order as a snapshot would rank it at the round's
// instant, and the round itself, which the policy actor acknowledges first.
void replan_fit(self_ptr self) {
  auto& s = self->state;
  const auto at = now(self);
  move_late(self, at);
  if (s.config.late_jobs == LateJobs::drop) {
    std::vector<std::uint64_t> late{s.late.begin(), s.late.end()};
    for (auto seq : late) {
      const auto& e = s.queue.at(seq);
      self->send(e.job, transit_atom::value,
                 Transition{JobState::cancelled, at, {}, std::nullopt, "QoS violation inevitable: dropped"});
      remove_entry(self, std::string{e.spec.id});
    }
    if (s.queue.empty()) return;
  }
  if (s.available == 0) return;
  if (s.config.round_times) s.round_started = std::chrono::steady_clock::now();
  s.round = UrgencyState::Round{at, s.events, false, std::nullopt, std::nullopt};
  s.planning = true;
  s.trace(self, at, "order", [&] { return nlohmann::json{{"queue", order_json(snapshot(self))}}; });
  self->request(s.policy, caf::infinite, plan_atom::value, Snapshot{at, {}, {}, {}})
      .then([=](const Plan&) { plan_next(self, std::nullopt, std::nullopt); },
            [=](caf::error& err) {
              self->send(self->state.recorder, anomaly_atom::value,
                         fmt::format("urgency: the policy failed to plan: {}", self->system().render(err)));
              finish_plan(self);
            });
}

void replan(self_ptr self) {
  auto& s = self->state;
  if (s.planning) {
    s.replan_requested = true;
    return;
  }
  if (s.queue.empty()) return;
  if (fits_deadlines(self)) return replan_fit(self);
  // Dropping late jobs does not wait for a free worker; planning does, and a
  // snapshot (a sort of the whole queue) is only taken when it is needed.
  bool any_free = s.available > 0;
  if (s.config.late_jobs == LateJobs::drop) {
    drop_inevitably_late(self, snapshot(self));
    if (s.queue.empty()) return;
  }
  if (!any_free) return;
  if (s.config.round_times) s.round_started = std::chrono::steady_clock::now();
  auto snap = policy_snapshot(self);
  s.planning = true;
  s.trace(self, snap.now, "order", [&] {
    return nlohmann::json{{"queue", order_json(maps_on_arrival(self) ? snapshot(self) : snap)}};
  });
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
  auto job = self->spawn(synergai::job, spec, s.recorder);
  self->monitor(job);
  s.jobs.emplace(spec.id, job);
  s.job_ids.emplace(job.address(), spec.id);
  Entry e;
  e.spec = spec;
  e.job = job;
  e.sequence = s.next_sequence++;
  e.engine = s.performance->engine_index(spec.engine);
  e.best_estimate = Seconds{std::numeric_limits<double>::infinity()};
  if (e.engine)
    for (std::size_t c = 0; c < s.performance->class_count(); ++c)
      if (const auto* o = s.performance->optimum(*e.engine, c))
        e.best_estimate = std::min(e.best_estimate, o->estimate(spec.queries));
  e.latest_start = seconds_of(spec.submitted_at) + spec.qos.count() - e.best_estimate.count();
  e.pinned = pinned;
  auto& stored = s.queue.emplace(e.sequence, std::move(e)).first->second;
  s.queued.emplace(spec.id, stored.sequence);
  if (!pinned) index_entry(self, stored);
  return true;
}

// The policy hears of a job when it becomes plannable (a deadline_fit policy
// without the queue: it plans by rule).
void announce(self_ptr self, const JobSpec& spec) {
  if (fits_deadlines(self)) {
    const auto at = now(self);
    self->state.trace(self, at, "arrival", [&] { return nlohmann::json{{"job", spec}}; });
    if (const Entry* e = entry_of(self, spec.id); e && !e->pinned)
      self->send(self->state.policy, enqueued_atom::value, evaluate(*e, at), Snapshot{at, {}, {}, {}});
    return;
  }
  auto snap = policy_snapshot(self);
  self->state.trace(self, snap.now, "arrival", [&] { return nlohmann::json{{"job", spec}}; });
  if (const Entry* e = entry_of(self, spec.id); e && !e->pinned)
    self->send(self->state.policy, enqueued_atom::value, evaluate(*e, snap.now), std::move(snap));
}

void accept(self_ptr self, const JobSpec& spec) {
  if (!admit(self, spec, false)) return;
  announce(self, spec);
  schedule_tick(self);
  replan(self);
}

void reserve_to_resume(self_ptr self, const std::string& id, std::size_t index, const Candidate& where);

// Another job holds the node a resumed job belongs on (another replayed job,
// or one placed since): the job waits for that node rather than run a second
// time elsewhere — with the Kubernetes executor its Job is on that node.
void wait_for_node(self_ptr self, const std::string& id, std::size_t index, const Candidate& where) {
  self->state.trace(self, now(self), "resume-wait", [&] { return nlohmann::json{{"job", id}, {"node", where.node}}; });
  self->state.awaiting[index].emplace_back(id, where);
}

// A released worker goes first to a job waiting to resume on it.
bool resume_waiting(self_ptr self, std::size_t index) {
  auto& s = self->state;
  auto it = s.awaiting.find(index);
  while (it != s.awaiting.end() && !it->second.empty()) {
    auto [id, where] = it->second.front();
    it->second.pop_front();
    if (!entry_of(self, id)) continue;  // cancelled while it waited
    if (it->second.empty()) s.awaiting.erase(it);
    reserve_to_resume(self, id, index, where);
    return true;
  }
  if (it != s.awaiting.end()) s.awaiting.erase(it);
  return false;
}

void reserve_to_resume(self_ptr self, const std::string& id, std::size_t index, const Candidate& where) {
  auto& s = self->state;
  if (!s.views[index].available) return wait_for_node(self, id, index, where);
  set_available(self, index, false);
  auto unpin = [self, id] {
    auto* e = entry_of(self, id);
    if (!e) return;
    e->pinned = false;
    index_entry(self, *e);
    announce(self, e->spec);
    schedule_tick(self);
    replan(self);
  };
  self->request(s.workers[index], caf::infinite, reserve_atom::value, id)
      .then(
          [=](bool granted) {
            self->state.trace(self, now(self), "resume", [&] {
              return nlohmann::json{{"job", id}, {"node", where.node}, {"granted", granted}};
            });
            const Entry* e = entry_of(self, id);
            if (!e) return;  // cancelled meanwhile; a grant expires unused
            if (granted) return place(self, *e, where);
            wait_for_node(self, id, index, where);  // the worker is busy after all: it releases later
          },
          [=](caf::error& err) {
            self->send(self->state.recorder, anomaly_atom::value,
                       fmt::format("urgency: reserve on {} failed: {}", where.node, self->system().render(err)));
            unpin();
          });
}

// A job placed or running before a restart goes back to its node in its
// configuration, ahead of any plan: with the Kubernetes executor its Job is
// still there and the bridge adopts it. The node's view is taken at once so
// no plan offers it to another job; while another job holds the node, the
// job waits for it (pinned: never planned elsewhere). A node the testbed no
// longer has, or a configuration not profiled there, queues the job like any
// other.
void resume(self_ptr self, const JobSpec& spec, Candidate where) {
  auto& s = self->state;
  auto index = worker_index(self, where.node);
  auto estimate = s.performance->estimate(spec.engine, where.node, where.config, spec.queries);
  if (!index || !estimate) {
    self->send(s.recorder, anomaly_atom::value,
               fmt::format("urgency: job {} cannot resume on {} ({}): queued again", spec.id, where.node, where.config));
    return accept(self, spec);
  }
  if (!admit(self, spec, true)) return;
  where.estimate = *estimate;
  reserve_to_resume(self, spec.id, *index, where);
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
  // A job's actor ends normally with its job: forget it; any other end of
  // one is an anomaly.
  self->set_down_handler([=](caf::down_msg& m) {
    auto& st = self->state;
    auto it = st.job_ids.find(m.source);
    if (it == st.job_ids.end()) return;
    if (m.reason)
      self->send(st.recorder, anomaly_atom::value,
                 fmt::format("urgency: the actor of job {} ended: {}", it->second, self->system().render(m.reason)));
    st.jobs.erase(it->second);
    st.job_ids.erase(it);
  });
  s.free_by_class.resize(s.performance->class_count());
  s.meetable_by_class.resize(s.performance->class_count());
  for (const auto& n : s.performance->testbed().nodes) {
    WorkerView v;
    v.node = n.name;
    s.node_index.emplace(n.name, s.views.size());
    s.free_by_class[s.performance->class_of(s.views.size())].insert(s.views.size());
    s.views.push_back(std::move(v));
  }
  s.available = s.views.size();
  return {
      // The workers, once, in testbed order.
      [=](connect_atom, std::vector<worker_actor> workers) {
        if (workers.size() != self->state.views.size()) {
          self->send(self->state.recorder, anomaly_atom::value,
                     fmt::format("urgency: {} workers connected for {} nodes", workers.size(), self->state.views.size()));
          return;
        }
        self->state.workers = std::move(workers);
      },
      // A new job joins the queue and a round follows.
      [=](submit_atom, const JobSpec& spec) { accept(self, spec); },
      // A job placed or running before a restart goes back to its node.
      [=](resume_atom, const JobSpec& spec, const Candidate& where) { resume(self, spec, where); },
      // The periodic re-evaluation, scheduled only while jobs wait.
      [=](tick_atom) {
        self->state.ticking = false;
        if (self->state.queue.empty()) return;
        self->state.trace(self, now(self), "tick", [&] { return nlohmann::json{{"queued", self->state.queue.size()}}; });
        replan(self);
        schedule_tick(self);
      },
      // A worker is free: a job waiting to resume on it goes first, then a round.
      [=](released_atom, WorkerEvent e) {
        if (auto index = worker_index(self, e.node)) {
          set_available(self, *index, true);
          auto* v = &self->state.views[*index];
          v->job_id.clear();
          v->busy_since.reset();
          v->busy_estimate.reset();
          if (e.ran) v->last_released = e.at;
        }
        self->send(self->state.policy, released_atom::value, e);
        if (auto index = worker_index(self, e.node)) resume_waiting(self, *index);
        replan(self);
      },
      // The job's owner cancels it: this actor while it is queued (or waits to
      // resume), its worker once placed. A job no one holds has ended already.
      [=](cancel_atom, const std::string& job_id) {
        auto& s = self->state;
        if (const Entry* e = entry_of(self, job_id)) {
          self->send(e->job, transit_atom::value,
                     Transition{JobState::cancelled, now(self), {}, std::nullopt, "cancelled by request"});
          remove_entry(self, job_id);
          return;
        }
        for (std::size_t i = 0; i < s.views.size(); ++i)
          if (s.views[i].job_id == job_id) return self->send(s.workers[i], cancel_atom::value, job_id);
      },
  };
}

}  // namespace synergai
