#include "kube/bridge.hpp"

#include "kube/job_status.hpp"
#include "kube/watcher.hpp"
#include "support/log.hpp"

#include <caf/actor_cast.hpp>
#include <caf/all.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

namespace synergai::kube {
namespace {


std::uint64_t rv_of(const nlohmann::json& obj) {
  if (!obj.is_object()) return 0;
  auto s = obj.value("/metadata/resourceVersion"_json_pointer, std::string{});
  try {
    return s.empty() ? 0 : std::stoull(s);
  } catch (const std::exception&) {
    return 0;
  }
}

std::string name_of(const nlohmann::json& obj) {
  if (!obj.is_object()) return {};
  return obj.value("/metadata/name"_json_pointer, std::string{});
}

// --- the request workers: detached actors doing blocking API calls ------------

api_request_actor::behavior_type request_worker(api_request_actor::pointer self, std::shared_ptr<Client> client,
                                                PowerModeWait mode_wait) {
  (void)self;
  return {
      // Creates the Job, or adopts ours of that name; `replace` deletes it first.
      [=](create_job_atom, const CreateJob& m) -> CreatedJobReply {
        CreatedJobReply r;
        try {
          const auto name = name_of(m.manifest);
          const auto ns = m.manifest.value("/metadata/namespace"_json_pointer, client->namespace_name());
          // Deletes the Job of this name and creates ours; the old one may take
          // a moment to go (finalizers).
          auto replace = [&]() -> nlohmann::json {
            try {
              client->delete_job(name, ns);
            } catch (const ApiError& e) {
              if (!e.is_not_found()) throw;
            }
            for (int i = 0;; ++i) {
              try {
                return client->create_job(m.manifest);
              } catch (const ApiError& e) {
                if (!e.is_already_exists() || i >= 20) throw;
                std::this_thread::sleep_for(std::chrono::milliseconds{100 * (i + 1)});
              }
            }
          };
          if (m.replace) {
            r.job = replace();
          } else {
            auto created = client->create_or_adopt_job(m.manifest, m.job_id);
            // A Job of this job that runs elsewhere or otherwise (made before a
            // crash lost its placement) is not adopted: the job's record would
            // name a node the Job does not run on. The planned one replaces it.
            if (const auto found = placement_of(created.job);
                created.adopted && found != placement_of(m.manifest)) {
              log::warn("kube", "existing Job placed elsewhere; replacing it with the planned one",
                        {{"job", m.job_id}, {"kube_job", name},
                         {"found_node", found ? found->node : std::string{"-"}},
                         {"found_config", found ? fmt::format("{}", found->config)
                                                : std::string{"no placement annotations"}}});
              created = CreatedJob{replace(), false};
            }
            r.job = std::move(created.job);
            r.adopted = created.adopted;
          }
          r.ok = true;
        } catch (const std::exception& e) {
          r.error = e.what();
        }
        return r;
      },
      // Deletes a Job; one already gone is success.
      [=](delete_job_atom, const std::string& name, const std::string& ns) -> std::string {
        try {
          client->delete_job(name, ns);
        } catch (const ApiError& e) {
          if (!e.is_not_found()) return e.what();
        } catch (const std::exception& e) {
          return e.what();
        }
        return {};
      },
      // Requests the mode and waits for the node agent's report: a job starts
      // only in the mode it was planned for.
      [=](patch_mode_atom, const std::string& node, int mode) -> std::string {
        try {
          auto r = request_power_mode(*client, node, mode, mode_wait);
          if (!r.applied) return r.error;
          if (r.requested)
            log::info("kube", "power mode reported", {{"node", node}, {"mode", mode}, {"waited_s", r.waited_s}});
        } catch (const std::exception& e) {
          return e.what();
        }
        return {};
      },
  };
}

// --- the watch thread ---------------------------------------------------------

class WatchThread {
 public:
  WatchThread(std::shared_ptr<Client> client, std::string ns, BackoffPolicy backoff, caf::weak_actor_ptr bridge)
      : client_{std::move(client)} {
    JobWatcher::Handlers h;
    h.on_list = [bridge](const std::vector<nlohmann::json>& items, const std::string& rv) {
      if (auto b = caf::actor_cast<bridge_actor>(bridge)) {
        std::uint64_t v = 0;
        try {
          v = rv.empty() ? 0 : std::stoull(rv);
        } catch (const std::exception&) {
        }
        caf::anon_send(b, job_list_atom::value, JobList{items, v});
      }
    };
    h.on_event = [bridge](const WatchEvent& ev) {
      if (auto b = caf::actor_cast<bridge_actor>(bridge))
        caf::anon_send(b, job_event_atom::value, JobWatchEvent{ev.type, ev.object});
    };
    watcher_ = std::make_unique<JobWatcher>(*client_, managed_selector(), ns, std::move(h), backoff);
    thread_ = std::thread{[this] { run(); }};
  }
  ~WatchThread() { stop(); }
  void stop() {
    {
      std::lock_guard lock{mutex_};
      stopped_ = true;
    }
    cv_.notify_all();
    watcher_->stop();
    if (thread_.joinable()) thread_.join();
  }

 private:
  // The watcher retries the API's errors itself; anything else it throws (a
  // system error: out of descriptors, creating a connection's io_context
  // fails with EMFILE) would end the process from this thread. It starts
  // again, with a fresh list, after a pause instead.
  void run() {
    for (;;) {
      try {
        watcher_->run();
        return;  // stopped
      } catch (const std::exception& e) {
        log::error("kube", "job watcher failed; starting it again in 1 s", {{"error", e.what()}});
      }
      std::unique_lock lock{mutex_};
      if (cv_.wait_for(lock, std::chrono::seconds{1}, [&] { return stopped_; })) return;
    }
  }

  std::shared_ptr<Client> client_;
  std::unique_ptr<JobWatcher> watcher_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopped_ = false;
  std::thread thread_;
};

// --- the bridge ---------------------------------------------------------------

struct Tracked {
  std::string job_id;
  std::string name;
  execution_listener listener;
  bool create_done = false;
  bool started = false;
  bool cancel_requested = false;
  std::uint64_t created_rv = 0;
  // Kubernetes instants have one-second resolution: none is reported before
  // `not_before` (the run request for a Job made here, the job's submission
  // for an adopted one), and no finish before the start.
  TimePoint submitted_at{};
  TimePoint not_before{};
  TimePoint started_at{};
};

struct BridgeState {
  std::shared_ptr<Client> client;
  config::Testbed testbed;
  BridgeOptions options;
  Timeline timeline;  // instants of the scheduler's run (Unix seconds in the service)
  std::vector<api_request_actor> workers;
  std::size_t next_worker = 0;
  std::map<std::string, Tracked> jobs;        // by Job name
  std::map<std::string, std::string> names;   // job id -> Job name
  std::map<std::string, nlohmann::json> known;  // Job name -> latest object seen
  std::set<std::string> reported;             // Job names finished in this process
  std::shared_ptr<WatchThread> watch;
  bool listed = false;  // the first list has been taken in
  static inline const char* name = "kube-bridge";
};

using bridge_pointer = bridge_actor::stateful_pointer<BridgeState>;

TimePoint now(bridge_pointer self) { return self->state.timeline.at(self->clock().now()); }

api_request_actor next_worker(bridge_pointer self) {
  auto& st = self->state;
  return st.workers[st.next_worker++ % st.workers.size()];
}

void finish(bridge_pointer self, const std::string& name, Outcome outcome, TimePoint at, std::string message) {
  auto& st = self->state;
  auto it = st.jobs.find(name);
  if (it == st.jobs.end()) return;
  Tracked t = std::move(it->second);
  st.jobs.erase(it);
  at = std::max(at, t.started ? t.started_at : t.not_before);
  st.names.erase(t.job_id);
  st.reported.insert(name);
  log::debug("kube", "job finished",
             {{"job", t.job_id}, {"kube_job", name},
              {"outcome", outcome == Outcome::succeeded ? "succeeded" : outcome == Outcome::failed ? "failed" : "cancelled"},
              {"detail", message}});
  self->send(t.listener, finished_atom::value, ExecutionOutcome{t.job_id, outcome, at, std::move(message)});
}

void mark_started(bridge_pointer self, Tracked& t, TimePoint at) {
  if (t.started) return;
  t.started = true;
  t.started_at = std::max(at, t.not_before);
  self->send(t.listener, started_atom::value, t.job_id, t.started_at);
}

// When a transition happened. Kubernetes stamps Job transitions to the
// second (the true instant lies in [stamp, stamp + 1 s)): one seen within
// that second is dated when it was seen, which is closer; one seen later (a
// Job found after a restart) keeps its stamp; none: when it was seen.
TimePoint dated(std::optional<TimePoint> stamp, TimePoint seen) {
  if (!stamp) return seen;
  const auto lag = seen - *stamp;
  return lag >= Seconds{0} && lag < Seconds{1} ? seen : *stamp;
}

// Moves a tracked job forward to what `obj` says; never backwards.
void evaluate(bridge_pointer self, const std::string& name, const nlohmann::json& obj) {
  auto it = self->state.jobs.find(name);
  if (it == self->state.jobs.end()) return;
  Tracked& t = it->second;
  if (!is_our_job(obj, t.job_id)) return;
  auto p = job_progress(obj);
  const auto seen = now(self);
  if (p.started) mark_started(self, t, dated(p.started_at, seen));
  if (p.phase == JobProgress::Phase::succeeded) {
    mark_started(self, t, dated(p.started_at ? p.started_at : p.finished_at, seen));
    finish(self, name, Outcome::succeeded, dated(p.finished_at, seen), "");
  } else if (p.phase == JobProgress::Phase::failed) {
    finish(self, name, Outcome::failed, dated(p.finished_at, seen), p.message);
  }
}

void delete_then_cancel(bridge_pointer self, const std::string& name) {
  const auto ns = self->state.options.manifest.namespace_name;
  self->request(next_worker(self), caf::infinite, delete_job_atom::value, name, ns)
      .then(
          [=](const std::string& error) {
            if (!error.empty()) log::warn("kube", "deleting a Job failed", {{"kube_job", name}, {"error", error}});
            finish(self, name, Outcome::cancelled, now(self),
                   error.empty() ? "cancelled" : fmt::format("cancelled; deleting the Job failed: {}", error));
          },
          [=](caf::error& e) {
            finish(self, name, Outcome::cancelled, now(self),
                   fmt::format("cancelled; deleting the Job failed: {}", self->system().render(e)));
          });
}

void on_created(bridge_pointer self, const std::string& name, const CreatedJobReply& r) {
  auto& st = self->state;
  auto it = st.jobs.find(name);
  if (it == st.jobs.end()) return;
  Tracked& t = it->second;
  if (!r.ok) {
    finish(self, name, t.cancel_requested ? Outcome::cancelled : Outcome::failed, now(self),
           t.cancel_requested ? "cancelled" : fmt::format("creating the Job failed: {}", r.error));
    return;
  }
  t.create_done = true;
  t.created_rv = rv_of(r.job);
  if (r.adopted) {
    log::info("kube", "adopted the existing Job", {{"job", t.job_id}, {"kube_job", name}});
    t.not_before = t.submitted_at;
  }
  if (t.cancel_requested) {
    delete_then_cancel(self, name);
    return;
  }
  const auto created_rv = t.created_rv;
  evaluate(self, name, r.job);  // may finish the job: `t` is gone then
  if (!st.jobs.count(name)) return;
  if (auto k = st.known.find(name); k != st.known.end() && rv_of(k->second) > created_rv)
    evaluate(self, name, k->second);
}

bridge_actor::behavior_type bridge(bridge_pointer self, std::shared_ptr<Client> client, config::Testbed testbed,
                                   Timeline timeline, BridgeOptions options) {
  auto& st = self->state;
  if (options.manifest.namespace_name.empty() || options.manifest.namespace_name == "default")
    options.manifest.namespace_name = client->namespace_name();
  st.client = client;
  st.testbed = std::move(testbed);
  st.options = options;
  st.timeline = timeline;
  for (int i = 0; i < std::max(options.request_workers, 1); ++i)
    st.workers.push_back(self->spawn<caf::detached + caf::linked>(request_worker, client, options.mode_wait));
  st.watch = std::make_shared<WatchThread>(client, options.manifest.namespace_name, options.watch_backoff,
                                           caf::actor_cast<caf::weak_actor_ptr>(self));
  self->attach_functor([w = st.watch] { w->stop(); });

  return {
      // Creates the job's Job (or adopts the one a restart left) and follows it.
      [=](run_atom, const RunRequest& req, const execution_listener& listener) {
        auto& st = self->state;
        auto fail_now = [&](const std::string& msg) {
          self->send(listener, finished_atom::value, ExecutionOutcome{req.job.id, Outcome::failed, now(self), msg});
        };
        const auto* node = st.testbed.find_node(req.node);
        if (!node) return fail_now(fmt::format("the testbed has no node \"{}\"", req.node));
        const auto* engine = st.testbed.find_engine(req.job.engine);
        if (!engine) return fail_now(fmt::format("the testbed has no engine \"{}\"", req.job.engine));
        nlohmann::json manifest;
        try {
          manifest = job_manifest(req.job, *engine, *node, req.config, st.options.manifest);
        } catch (const std::exception& e) {
          return fail_now(e.what());
        }
        const auto name = name_of(manifest);
        if (st.jobs.count(name)) return fail_now(fmt::format("job {} is already running as Job {}", req.job.id, name));
        Tracked tracked{req.job.id, name, listener};
        tracked.submitted_at = req.job.submitted_at;
        tracked.not_before = std::max(now(self), req.job.submitted_at);
        st.jobs[name] = std::move(tracked);
        st.names[req.job.id] = name;
        bool replace = st.reported.erase(name) > 0;  // a retry
        if (!replace) {
          if (auto k = st.known.find(name); k != st.known.end() && is_our_job(k->second, req.job.id)) {
            if (placement_of(k->second) == placement_of(manifest)) {
              log::info("kube", "following the existing Job", {{"job", req.job.id}, {"kube_job", name}});
              st.jobs[name].create_done = true;
              st.jobs[name].not_before = req.job.submitted_at;
              evaluate(self, name, k->second);
              return;
            }
            // Made for another node or configuration: following it would make
            // the job's record name a node the Job does not run on.
            log::warn("kube", "existing Job made for another node or configuration; replacing it with the planned one",
                      {{"job", req.job.id}, {"kube_job", name}});
            replace = true;
          }
        }
        self->request(next_worker(self), caf::infinite, create_job_atom::value, CreateJob{req.job.id, manifest, replace})
            .then([=](const CreatedJobReply& r) { on_created(self, name, r); },
                  [=](caf::error& e) {
                    on_created(self, name, CreatedJobReply{false, false, nullptr, self->system().render(e)});
                  });
      },
      // Requests the node's power mode; answers once the node agent applied it.
      [=](mode_atom, const std::string& node_name, int mode) -> caf::result<int> {
        const auto* node = self->state.testbed.find_node(node_name);
        if (!node) return caf::make_error(caf::sec::invalid_argument, "unknown node " + node_name);
        if (!node->find_mode(mode))
          return caf::make_error(caf::sec::invalid_argument, fmt::format("node {} has no mode {}", node_name, mode));
        auto rp = self->make_response_promise<int>();
        self->request(next_worker(self), caf::infinite, patch_mode_atom::value, node->kubernetes_node, mode)
            .then(
                [=](const std::string& error) mutable {
                  if (error.empty()) rp.deliver(mode);
                  else rp.deliver(caf::make_error(caf::sec::runtime_error, error));
                },
                [=](caf::error& e) mutable { rp.deliver(std::move(e)); });
        return rp;
      },
      // Deletes the job's Job and reports the run cancelled.
      [=](cancel_atom, const std::string& job_id) {
        auto& st = self->state;
        auto n = st.names.find(job_id);
        if (n == st.names.end()) return;
        auto& t = st.jobs.at(n->second);
        if (t.cancel_requested) return;
        t.cancel_requested = true;
        if (t.create_done) delete_then_cancel(self, n->second);
        // otherwise on_created deletes it once the create request returns
      },
      // One watch event: a Job of ours moved on, or was deleted.
      [=](job_event_atom, const JobWatchEvent& ev) {
        auto& st = self->state;
        const auto name = name_of(ev.object);
        if (ev.type == "DELETED") {
          st.known.erase(name);
          auto it = st.jobs.find(name);
          if (it != st.jobs.end() && it->second.create_done && rv_of(ev.object) >= it->second.created_rv) {
            evaluate(self, name, ev.object);  // it may have finished just before
            if (st.jobs.count(name)) {
              if (it->second.cancel_requested) finish(self, name, Outcome::cancelled, now(self), "cancelled");
              else finish(self, name, Outcome::failed, now(self), "the Job was deleted");
            }
          }
          return;
        }
        auto& slot = st.known[name];
        if (rv_of(ev.object) >= rv_of(slot)) slot = ev.object;
        evaluate(self, name, ev.object);
      },
      // The watch (re)listed our Jobs: follow them, finish the vanished ones.
      [=](job_list_atom, const JobList& list) {
        auto& st = self->state;
        std::set<std::string> present;
        std::size_t unknown = 0;
        for (const auto& obj : list.items) {
          const auto name = name_of(obj);
          present.insert(name);
          if (!st.known.count(name) && !st.jobs.count(name)) ++unknown;
          st.known[name] = obj;
          evaluate(self, name, obj);
        }
        for (auto it = st.known.begin(); it != st.known.end();)
          it = present.count(it->first) ? std::next(it) : st.known.erase(it);
        if (unknown > 0) log::info("kube", "found Jobs made by synergai earlier; following them", {{"jobs", unknown}});
        // Tracked Jobs that vanished while the watch was down.
        std::vector<std::string> gone;
        for (const auto& [name, t] : st.jobs)
          if (t.create_done && t.created_rv > 0 && t.created_rv <= list.resource_version && !present.count(name))
            gone.push_back(name);
        for (const auto& name : gone)
          finish(self, name, st.jobs.at(name).cancel_requested ? Outcome::cancelled : Outcome::failed, now(self),
                 "the Job was deleted");
        if (!st.listed) {
          st.listed = true;
          if (st.options.on_listed) {
            std::vector<JobPlacement> placements;
            for (const auto& obj : list.items)
              if (auto p = placement_of(obj)) placements.push_back(std::move(*p));
            st.options.on_listed(placements);
          }
        }
      },
  };
}

}  // namespace

executor_actor spawn_kube_bridge(caf::actor_system& system, std::shared_ptr<Client> client, config::Testbed testbed,
                                 const Timeline& timeline, BridgeOptions options) {
  bridge_actor b = system.spawn(bridge, std::move(client), std::move(testbed), timeline, std::move(options));
  return b;
}

}  // namespace synergai::kube
