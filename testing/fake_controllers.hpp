// The fake API server's controllers: what the cluster does by itself after a
// request. The Job controller gives each new Job one pod (Pending, its
// container waiting) and then, as the Job's rule planned (JobPlan), moves Job
// and pod to active/Running and to Complete/Succeeded or Failed/Failed, and
// deletes both ttlSecondsAfterFinished later. The node agent answers a
// power-mode request (synergai.io/power-mode on a Node) after its delay, as
// the Jetson agent of kube/power_mode.hpp does. Both are timers run by one
// thread, under the server's lock.
#pragma once

#include "testing/fake_store.hpp"
#include "testing/fake_types.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <queue>
#include <random>
#include <string>
#include <vector>

namespace synergai::kube::fake {

class Controllers {
 public:
  // `rng` names the pods; `changed` wakes the controller thread for a new timer.
  Controllers(Store& store, std::mt19937_64& rng, std::condition_variable& changed)
      : store_{store}, rng_{rng}, changed_{changed} {}

  JobRule rule = annotation_rule;  // what becomes of each new Job
  NodeAgent agent;

  // Under the lock: the Job `job` of `ns` was stored, and `plan` is what its
  // rule said. Its pod is made unless the Job was deleted meanwhile, and its
  // start is timed.
  void job_created(const std::string& ns, const nlohmann::json& job, const JobPlan& plan);
  // Under the lock: the Node `name` was patched with `patch` and is now
  // `node` (with metadata.annotations, possibly null). A requested power mode
  // is answered after the agent's delay.
  void node_patched(const std::string& name, const nlohmann::json& patch, const nlohmann::json& node);

  // The controller thread: carries out the timers as they fall due until
  // `stopping`, waiting on `changed` with `lock` (the server's lock, held).
  void run(std::unique_lock<std::mutex>& lock, const bool& stopping);

 private:
  struct Timer {
    std::chrono::steady_clock::time_point at;
    std::uint64_t seq = 0;
    std::string uid;  // the Job's; for apply_mode, the node's name
    enum class Action { start, finish, expire, apply_mode } action = Action::start;
    JobPlan plan;
    std::string mode;  // apply_mode: the requested mode
    bool operator>(const Timer& o) const { return at != o.at ? at > o.at : seq > o.seq; }
  };

  void create_pod(const std::string& ns, const nlohmann::json& job, const JobPlan& plan);
  void move_pod(const std::string& uid, const std::string& phase, const std::string& now);
  void apply_mode(const std::string& node, const std::string& mode);

  Store& store_;
  std::mt19937_64& rng_;
  std::condition_variable& changed_;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers_;
  std::uint64_t timer_seq_ = 0;
};

}  // namespace synergai::kube::fake
