// The kube executor of profiling campaigns (docs/profiling.md, "On a real
// cluster"): each attempt of a run is one batch/v1 Job (kube/manifest.hpp:
// nodeSelector, the engine's thread knob, {queries}) named after the campaign,
// the run and the attempt, so that a resumed campaign adopts the Job it had
// started instead of creating a second one. A power-mode run first requests
// the node's mode and waits for the node agent (kube/power_mode.hpp). The Job
// is followed through a watch (re-listing after drops and 410s), with a
// periodic read of the Job (and of its pod, to give up on one that cannot
// start: image pull errors) as a safety net; then its pod is found by the
// job-name label, the pod's log is saved in the run's folder, split into the
// LoadGen summary and detail logs and parsed. A failed Job, an unparsable
// log or an INVALID result is a failure outcome, which the campaign retries.
//
// It lives in executors/kube/, beside the other backends' executors, because
// it needs both the API client (kube/) and the campaign's Executor interface
// and LoadGen parser (profiling/); neither of those depends on the other.
#pragma once

#include "config/testbed.hpp"
#include "kube/client.hpp"
#include "kube/power_mode.hpp"
#include "kube/watcher.hpp"
#include "profiling/campaign.hpp"

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace synergai::kube {

inline constexpr std::string_view campaign_label = "synergai.io/campaign";

struct ProfilingExecutorOptions {
  std::string campaign;  // names the campaign in Job ids and the campaign label (a label value)
  int queries = 1024;    // LoadGen's query count: the engines' {queries}
  std::string namespace_name;  // empty: the credentials'
  std::optional<int> ttl_seconds_after_finished = 86400;  // for Jobs a crashed campaign leaves behind
  bool keep_jobs = false;  // keep each Job after its outcome is journaled (default: delete it then)
  std::chrono::milliseconds job_timeout{std::chrono::hours{1}};  // creation to finish
  std::chrono::milliseconds poll_interval{std::chrono::seconds{10}};  // read the Job when the watch is silent
  PowerModeWait power_mode;
  BackoffPolicy watch_backoff;
  std::string container_name = "inference";
};

struct ProfilingExecutorStats {
  std::uint64_t created = 0;  // Jobs this executor created
  std::uint64_t adopted = 0;  // Jobs found existing (409) and followed
  std::uint64_t deleted = 0;
  std::uint64_t mode_requests = 0;  // power-mode patches
  std::uint64_t polls = 0;          // reads of a Job while waiting
};

// The two logs a LoadGen run prints to stdout (copy_summary_to_stdout,
// copy_detail_to_stdout): the summary from its banner to its errors line,
// and the :::MLLOG lines. The harness's own lines around them are left out.
struct PodLogParts {
  std::string summary;
  std::string detail;
};
PodLogParts split_pod_log(std::string_view log);

class ProfilingExecutor : public profiling::Executor {
 public:
  // Starts the watch of the campaign's Jobs. Throws InputError for a campaign
  // name that is not a label value or queries < 1.
  ProfilingExecutor(std::shared_ptr<Client> client, const config::Testbed& testbed, ProfilingExecutorOptions options);
  ~ProfilingExecutor() override;
  ProfilingExecutor(const ProfilingExecutor&) = delete;
  ProfilingExecutor& operator=(const ProfilingExecutor&) = delete;

  std::string name() const override { return "kube"; }
  profiling::RunOutcome run(const profiling::PlannedRun& run, int attempt, const std::filesystem::path& dir) override;
  void recorded(const profiling::PlannedRun& run, int attempt) override;

  // "<campaign>/<run id>/a<attempt>"; the Job's name is kube::job_name of it.
  std::string job_id(const profiling::PlannedRun& run, int attempt) const;
  ProfilingExecutorStats stats() const;
  WatcherStats watcher_stats() const { return watcher_.stats(); }

 private:
  struct Waited {
    nlohmann::json job;   // the newest state seen
    bool gone = false;    // deleted before it finished
    std::string failure;  // why it will not finish: its pod cannot start, or the timeout
  };
  // While it lives, what the watch says about the Job `name` is kept.
  class Following {
   public:
    Following(ProfilingExecutor& e, std::string name);
    ~Following();
    Following(const Following&) = delete;
    Following& operator=(const Following&) = delete;

   private:
    ProfilingExecutor& e_;
    std::string name_;
  };
  profiling::RunOutcome attempt(const profiling::PlannedRun& run, int attempt, const std::filesystem::path& dir);
  // Until the Job (being followed) finishes, goes, or will not finish.
  Waited wait_for(const std::string& name);
  // Why the Job's pod will never start (an image that cannot be pulled, a
  // bad container configuration), or "".
  std::string cannot_start(const std::string& name);
  void offer(const nlohmann::json& job, bool deleted);  // from the watch, a read or the creation

  std::shared_ptr<Client> client_;
  const config::Testbed& testbed_;
  ProfilingExecutorOptions options_;
  std::string ns_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::map<std::string, Waited> waiting_;  // by Job name
  ProfilingExecutorStats stats_;
  JobWatcher watcher_;
  std::thread watch_thread_;
};

}  // namespace synergai::kube
