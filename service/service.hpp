// The cluster service's core, independent of HTTP transport: the job table,
// the journal, the scheduler (actors/scheduler.hpp) and the JSON API's
// request handling (docs/operations.md lists the endpoints). service.cpp holds
// the table and the scheduler's observer, routes.cpp the API's handlers,
// validation.hpp the checks of requests, exposition.hpp what is shown.
//
// Threads: handle_async() runs on the HTTP server's I/O threads (never on
// actor threads) and never waits for another thread's fsync: a submission's
// answer comes from the thread that wrote its batch, this one (when it wrote
// the batch itself) or another, once its line is fsynced (handle() waits);
// the scheduler's observer runs on an actor thread and only takes the table's
// mutex and queues journal lines.
#pragma once

#include "actors/scheduler.hpp"
#include "config/service.hpp"
#include "kube/manifest.hpp"
#include "service/exposition.hpp"
#include "service/journal.hpp"

#include <array>
#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace synergai::service {

struct Request {
  std::string method;  // GET POST DELETE ...
  std::string target;  // path and query: /v1/jobs?state=queued
  std::string authorization;
  std::string body;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// Extra figures for /metrics from the executor (the Kubernetes client's
// request errors); empty for the simulated executor.
using ErrorCounter = std::function<std::uint64_t()>;
// Whether the executor has caught up with the world outside the process (the
// Kubernetes bridge has listed the existing Jobs); empty: nothing to wait for.
// Called from the HTTP threads: it must be thread-safe and quick.
using ExecutorReady = std::function<bool()>;

class Service {
 public:
  Service(config::ServiceConfig config, config::Testbed testbed, config::Dictionary dictionary,
          ExecutorFactory executor = {}, ErrorCounter api_errors = {}, ExecutorReady executor_ready = {});
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Replays the journal, starts the actors and queues the unfinished jobs
  // again with their original submission instants; from then on /v1 answers.
  // /readyz also waits for the executor (ExecutorReady).
  void start();
  // Stops the actors and closes the journal (everything appended is fsynced);
  // running executions are left alone. Idempotent. Returns the journal lines
  // that could not be written (0: the journal holds every transition).
  std::size_t stop();

  // The answer to a request, given to `reply` once: at once on this thread,
  // or, for a submission, on the thread that wrote its journal batch once the
  // line is fsynced (or refused), this one or another. Never throws.
  using Reply = std::function<void(Response)>;
  void handle_async(const Request& request, Reply reply);
  // handle_async(), waiting for the answer.
  Response handle(const Request& request);

  // The executor's first list of the Jobs it finds (the Kubernetes bridge's):
  // a replayed queued job whose Job already exists (made before a crash lost
  // its placement) goes back to that Job's node and configuration instead of
  // being planned again. With an executor that lists (ExecutorReady set),
  // replayed queued jobs wait for this call; without one they are queued at
  // start. Any thread.
  void executor_listed(const std::vector<kube::JobPlacement>& jobs);

  // The journal is replayed (and /v1 is served).
  bool replayed_journal() const { return ready_; }
  // /readyz: the journal is replayed and the executor is ready.
  bool ready() const { return ready_ && (!executor_ready_ || executor_ready_()); }
  std::size_t replayed() const { return replayed_; }
  // The journal's last write failed: submissions are refused until one succeeds.
  bool journal_failing() const { return journal_ && journal_->stats().failing; }

 private:
  // handle_async() without the response count: the answer, or none when
  // submit() took `reply` to answer later.
  std::optional<Response> route(const Request& r, const Reply& reply);
  void submit(const Request& r, const Reply& reply);
  Response list(const std::map<std::string, std::string>& query);
  Response get(const std::string& id);
  Response cancel(const std::string& id);
  Response workers();
  Response metrics();
  void observe(const JobRecord& record);
  std::vector<JobRecord> snapshot() const;

  config::ServiceConfig config_;
  config::Testbed testbed_;
  config::Dictionary dictionary_;
  ExecutorFactory executor_;
  ErrorCounter api_errors_;
  ExecutorReady executor_ready_;
  std::string token_;

  std::unique_ptr<Journal> journal_;
  std::unique_ptr<Scheduler> scheduler_;
  std::atomic<bool> ready_{false};
  std::atomic<bool> stopped_{false};
  std::size_t replayed_ = 0;
  std::size_t replay_invalid_ = 0;  // records the API would refuse, failed on replay
  std::size_t replay_dropped_ = 0;  // damaged lines dropped (--accept-journal-damage)
  std::size_t unwritten_ = 0;       // journal lines left unwritten at stop
  // Replayed queued jobs waiting for the executor's first list, and that list
  // if it came before start() was done with the journal.
  std::optional<std::vector<JobSpec>> held_;
  std::optional<std::vector<kube::JobPlacement>> listed_;
  void place_replayed(const std::vector<JobSpec>& specs, const std::vector<kube::JobPlacement>& jobs);

  // The table and the figures derived from it, under mutex_. Every change of
  // a job goes through track(), which keeps the gauges, counters and indexes
  // below up to date, so that no request scans every job.
  struct Slot {
    JobRecord record;       // the latest
    std::uint64_t seq = 0;  // submission order
    // What the API shows: the latest record whose journal line is in the
    // file, so that no client sees a state that a crash could take back;
    // empty while the submission's own line is not written yet.
    std::optional<JobRecord> shown;
    std::uint64_t line = 0;  // journal sequence of `record`'s line (0: in the file)
  };
  const JobRecord* visible(Slot& slot) const;
  void insert(const JobRecord& record);
  void erase(const std::string& id);
  void track(const JobRecord* before, const JobRecord* after);
  // Forgets finished jobs past the retention; returns how many.
  std::size_t expire(TimePoint now);
  TimePoint now() const;

  mutable std::mutex mutex_;
  std::map<std::string, Slot> jobs_;
  std::map<std::uint64_t, std::string> order_;  // seq -> id
  std::uint64_t next_seq_ = 0;
  std::deque<std::pair<TimePoint, std::string>> finished_;  // retained finished jobs, in order of finishing
  std::map<JobState, std::size_t> by_state_;
  std::map<std::string, std::string> node_job_;  // node -> the job placed, starting or running there
  Histogram waiting_{job_seconds_buckets()}, end_to_end_{job_seconds_buckets()};
  Histogram rounds_{round_seconds_buckets()};  // the urgency actor's planning rounds
  std::map<std::string, std::uint64_t> node_started_;  // node -> jobs started there
  std::uint64_t accepted_ = 0;    // jobs accepted since start, the journal's included
  std::uint64_t violations_ = 0;  // finished jobs that missed their QoS or did not succeed
  std::uint64_t forgotten_ = 0;   // finished jobs forgotten by the retention
  std::map<std::string, int> node_mode_;
  std::map<std::string, NodeEvent> node_last_;
  std::uint64_t decisions_ = 0;
  std::uint64_t next_id_ = 0;
  std::map<int, std::uint64_t> responses_;  // by HTTP status
};

// Error body: {"error": message, "field": field}.
std::string error_body(std::string_view message, std::string_view field);

}  // namespace synergai::service
