// An in-process Kubernetes API server for tests and demos. It serves, over
// TLS with a certificate made at start (signed by its own throw-away CA), with
// bearer-token or client-certificate authentication:
//   /version
//   /apis/batch/v1/namespaces/{ns}/jobs[/{name}]  create, get, list, watch, delete,
//                                                  patch (labels, annotations)
//   /api/v1/nodes[/{name}]                         list, watch, get, patch (labels, annotations)
//   /api/v1/namespaces/{ns}/pods                   list (the pods of its Jobs)
//   /api/v1/namespaces/{ns}/pods/{name}/log        get (text/plain; the rule's log text)
// with the real API's Status errors (AlreadyExists 409, NotFound 404, Invalid
// 422 with causes, Unauthorized 401, Expired/Gone 410 ...), monotonically
// increasing resourceVersions, equality label selectors, chunked watch streams
// with bookmarks, and a simulated job controller that gives each Job one pod
// and moves both to active/Running and then Complete/Succeeded or
// Failed/Failed as a rule decides; the rule also says what the pod's log
// holds. An optional node agent answers the power-mode annotation
// (synergai.io/power-mode -> synergai.io/power-mode-applied, or
// synergai.io/power-mode-error) after a delay. Faults are injected per
// endpoint: error rates by code (with Retry-After), latency, connection
// resets, dropped watch connections and 410 on watch resume.
//
// One thread accepts, one thread serves each connection (blocking I/O), one
// thread runs the job controller and the node agent. Everything is reached
// through this class; inside, its parts are the store (testing/fake_store.hpp),
// the controllers (testing/fake_controllers.hpp), the fault reactors
// (testing/fake_faults.hpp) and the routes (testing/fake_routes.hpp). It is a
// test tool: the synergai program does not link it.
#pragma once

#include "kube/tls_cert.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
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

class FakeApiServer {
 public:
  explicit FakeApiServer(ServerOptions options = {});
  ~FakeApiServer();
  FakeApiServer(const FakeApiServer&) = delete;
  FakeApiServer& operator=(const FakeApiServer&) = delete;

  void start();  // binds and starts serving; throws RuntimeError
  void stop();   // closes everything; idempotent

  std::uint16_t port() const;
  std::string url() const;  // https://127.0.0.1:PORT
  const KeyPair& ca() const;
  const std::string& token() const;
  // A kubeconfig for this server (its CA, the bearer token, `ns` as the
  // context's namespace) that synergai, kubectl and client libraries accept.
  std::string kubeconfig(const std::string& ns = "default") const;
  // A client certificate the server accepts (CN = user, O = group).
  KeyPair issue_client_certificate(const std::string& user, const std::string& group = "system:masters") const;

  // State.
  void add_node(const std::string& name, const std::map<std::string, std::string>& labels = {});
  std::optional<nlohmann::json> job(const std::string& ns, const std::string& name) const;
  std::vector<nlohmann::json> jobs(const std::string& ns = "") const;
  std::optional<nlohmann::json> node(const std::string& name) const;
  std::uint64_t resource_version() const;

  // The pods of the Jobs in `ns` (all namespaces when empty), as served.
  std::vector<nlohmann::json> pods(const std::string& ns = "") const;

  // Behaviour.
  void set_job_rule(JobRule rule);
  void set_node_agent(NodeAgent agent);
  void set_faults(Endpoint endpoint, Faults faults);
  void clear_faults();
  void compact();       // forget the event history: resuming from an older resourceVersion gets 410
  void drop_watches();  // cut every open watch stream now

  // What happened.
  std::vector<RequestRecord> requests() const;
  std::size_t count(Endpoint endpoint, std::optional<int> status = std::nullopt) const;
  std::size_t open_watches() const;

  struct State;  // internal

 private:
  std::shared_ptr<State> state_;
};

}  // namespace synergai::kube::fake
