// The fake API server's vocabulary, shared by its public interface
// (testing/fake_apiserver.hpp, which includes this file) and its parts: the
// endpoints it tells apart, the faults injected per endpoint, what the Job
// controller does with a Job (JobPlan, from a JobRule), the node agent's
// behaviour, the server's options, and the record of one request.
#pragma once

#include "kube/tls_cert.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace synergai::kube::fake {

enum class Endpoint {
  version, discovery, create_job, get_job, list_jobs, watch_jobs, delete_job, patch_job, list_nodes, watch_nodes, get_node, patch_node,
  list_pods, pod_log, other
};
std::string to_string(Endpoint e);

struct Faults {
  std::map<int, double> error_rates;   // HTTP status -> probability per request, e.g. {{503, 0.2}}
  std::optional<int> retry_after_s;    // Retry-After on injected 429 and 503 answers
  std::chrono::milliseconds latency{0};  // added before answering
  double reset_rate = 0;                 // probability of resetting the connection instead of answering
  // Watches only.
  double drop_rate = 0;            // per event, probability of cutting the stream before writing it
  int drop_after_events = 0;       // cut every stream after this many events (0: never)
  double gone_on_resume_rate = 0;  // a watch from a resourceVersion answers 410 with this probability
  int gone_on_resume_next = 0;     // the next N watches from a resourceVersion answer 410
  bool gone_as_http = false;       // 410 as HTTP status (reason Gone), not as an ERROR event (Expired)
};

// What the simulated job controller does with a new Job.
struct JobPlan {
  bool starts = true;  // false: stays pending (e.g. unschedulable)
  std::chrono::milliseconds start_after{5};
  std::chrono::milliseconds run_for{30};
  bool succeeds = true;
  std::string failure_message = "Job has reached the specified backoff limit";
  // What `pods/{name}/log` answers once the container has started: `log_of`
  // when set (called at each read with the Job as created and the pod as it
  // is then, so the text can use the container's start time), else `log`.
  std::string log{};
  std::function<std::string(const nlohmann::json& job, const nlohmann::json& pod)> log_of{};
  // The pod's container waits with this reason (and message) until it starts;
  // with starts = false, e.g. ImagePullBackOff, for good.
  std::string waiting_reason = "ContainerCreating";
  std::string waiting_message{};
};
using JobRule = std::function<JobPlan(const nlohmann::json& job)>;

// Reads the Job's annotations: fake.synergai.io/start-ms, fake.synergai.io/duration-ms,
// fake.synergai.io/outcome (succeed | fail | pending), fake.synergai.io/log (the pod's log).
JobPlan annotation_rule(const nlohmann::json& job);

// Emulates the Jetson node agent of the power-mode contract (docs/kubernetes.md):
// `delay` after a patch sets a node's synergai.io/power-mode to M, it writes
// synergai.io/power-mode-applied=M and removes synergai.io/power-mode-error;
// for a mode in `refused` it writes synergai.io/power-mode-error="M: <reason>"
// instead. A request superseded before the delay ends is not applied.
struct NodeAgent {
  bool enabled = false;
  std::chrono::milliseconds delay{20};
  std::vector<std::string> refused;
  std::string refusal = "nvpmodel refused the mode";
};

struct ServerOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;  // 0: an ephemeral port
  std::string token = "synergai-test-token";  // empty: bearer tokens are not accepted
  bool accept_client_certificates = true;     // certificates signed by the server's CA
  std::chrono::milliseconds bookmark_interval{1000};
  std::uint64_t seed = 1;
  std::size_t event_history = 100000;  // watch events kept for resuming
  std::optional<KeyPair> ca;           // the CA signing the serving certificate; empty: a new one
};

struct RequestRecord {
  std::uint64_t seq = 0;
  Endpoint endpoint = Endpoint::other;
  std::string method;
  std::string target;
  int status = 0;  // 0: the connection was reset
  bool injected = false;
  std::string user;  // authenticated user; empty if none
};

}  // namespace synergai::kube::fake
