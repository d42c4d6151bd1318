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
#include "testing/fake_types.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace synergai::kube::fake {

struct ServerState;  // testing/fake_state.hpp

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

 private:
  std::shared_ptr<ServerState> state_;
};

}  // namespace synergai::kube::fake
