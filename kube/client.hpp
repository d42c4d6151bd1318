// The Kubernetes API client: typed operations on batch/v1 Jobs, v1 Nodes and
// Pods (list, log) over HTTPS, with bearer-token or client-certificate
// authentication, a client-side rate limiter, and retries (exponential
// backoff with jitter, honouring Retry-After) on 429, 5xx and connection
// failures. Failures are
// ApiErrors parsed from the server's Status objects. Thread-safe: requests
// from several threads share a small pool of kept-alive connections.
#pragma once

#include "kube/api_error.hpp"
#include "kube/http.hpp"
#include "kube/kubeconfig.hpp"
#include "kube/rate_limiter.hpp"

#include <nlohmann/json.hpp>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace synergai::kube {

struct ClientOptions {
  RateLimit rate_limit;  // 5 QPS, burst 10
  BackoffPolicy backoff;
  http::Timeouts timeouts;
  std::shared_ptr<Clock> clock = system_clock();  // rate limiter and backoff waits
  std::chrono::seconds watch_timeout{300};          // timeoutSeconds asked for on watches
  std::size_t max_idle_connections = 4;
};

struct ClientStats {
  std::uint64_t attempts = 0;          // requests sent (retries included), watches opened
  std::uint64_t retries = 0;           // attempts after a retryable failure
  std::uint64_t transport_errors = 0;  // attempts without an HTTP answer
  std::uint64_t throttled = 0;         // attempts the rate limiter delayed
  std::uint64_t connections = 0;       // connections opened
  std::map<int, std::uint64_t> by_status;
};

struct ObjectList {
  std::vector<nlohmann::json> items;
  std::string resource_version;
};

struct WatchEvent {
  std::string type;  // ADDED MODIFIED DELETED BOOKMARK ERROR
  nlohmann::json object;
};

// An open watch stream. next() blocks for the next event; nullopt when the
// server ended the stream (its timeout). Throws ApiError (transport) if the
// connection is cut or idle too long. cancel() may be called from any thread.
class WatchStream {
 public:
  explicit WatchStream(std::unique_ptr<http::Connection> connection);
  std::optional<WatchEvent> next();
  void cancel();

 private:
  std::unique_ptr<http::Connection> connection_;
};

// The outcome of create-or-adopt.
struct CreatedJob {
  nlohmann::json job;
  bool adopted = false;  // it existed already (409) and carries our labels
};

class Client {
 public:
  explicit Client(Credentials credentials, ClientOptions options = {});
  ~Client();

  const Credentials& credentials() const { return credentials_; }
  const std::string& namespace_name() const { return credentials_.namespace_name; }

  nlohmann::json version();

  // Jobs (namespace: the job's metadata.namespace, or the credentials').
  nlohmann::json create_job(const nlohmann::json& job);
  // Creates the Job of `job_id`; a 409 AlreadyExists for a Job carrying our
  // labels for the same id is adopted, otherwise it is an error.
  CreatedJob create_or_adopt_job(const nlohmann::json& job, const std::string& job_id);
  nlohmann::json get_job(const std::string& name, const std::string& ns = "");
  ObjectList list_jobs(const std::string& label_selector, const std::string& ns = "");
  // propagationPolicy=Background: the Job goes now, its pods are collected.
  void delete_job(const std::string& name, const std::string& ns = "");
  std::unique_ptr<WatchStream> watch_jobs(const std::string& label_selector, const std::string& resource_version,
                                          const std::string& ns = "", bool bookmarks = true);

  // Nodes.
  ObjectList list_nodes(const std::string& label_selector = "");
  nlohmann::json get_node(const std::string& name);
  // A JSON merge patch (application/merge-patch+json).
  nlohmann::json patch_node(const std::string& name, const nlohmann::json& merge_patch);
  // The events of one Node (fieldSelector metadata.name), from `resource_version`.
  std::unique_ptr<WatchStream> watch_node(const std::string& name, const std::string& resource_version);

  // Pods (namespace: the credentials' when empty).
  ObjectList list_pods(const std::string& label_selector, const std::string& ns = "");
  // The container's log as text (`container` empty: the pod's only container).
  std::string pod_log(const std::string& pod, const std::string& container = "", const std::string& ns = "");

  // Any request: retried and rate-limited; returns the parsed body.
  nlohmann::json request(const std::string& method, const std::string& target, const std::string& body = "",
                         const std::string& content_type = "");
  // The same, returning the body as it came (text/plain answers such as logs).
  std::string request_text(const std::string& method, const std::string& target, const std::string& body = "",
                           const std::string& content_type = "");

  ClientStats stats() const;

 private:
  // `target` already holds "?watch=1" and the selectors.
  std::unique_ptr<WatchStream> open_watch(std::string target, const std::string& resource_version, bool bookmarks);
  std::unique_ptr<http::Connection> take_connection();
  void give_back(std::unique_ptr<http::Connection> c);
  std::vector<std::pair<std::string, std::string>> auth_headers();
  std::string jobs_path(const std::string& ns) const;
  void count_status(int status);

  Credentials credentials_;
  ClientOptions options_;
  http::Endpoint endpoint_;
  std::shared_ptr<http::TlsContext> tls_;
  RateLimiter limiter_;
  Backoff backoff_;
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<http::Connection>> idle_;
  ClientStats stats_;
  std::string token_;
  std::chrono::steady_clock::time_point token_read_{};
};

// Percent-encodes a query parameter value.
std::string url_encode(const std::string& s);

}  // namespace synergai::kube
