// A running fake API server and credentials for it (TLS verified against the
// server's CA, bearer token), plus client options that keep tests fast.
#pragma once

#include "config/testbed.hpp"
#include "kube/client.hpp"
#include "testing/fake_apiserver.hpp"
#include "kube/manifest.hpp"
#include "tests/support.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <thread>

namespace synergai::test {

// A Job manifest as the bridge makes it: onnx-mobilenet-op11 of the tiny
// example testbed on its node "server", 10 queries, 2 threads.
inline nlohmann::json sample_job(const std::string& id, const kube::ManifestOptions& options = {}) {
  static const auto tb = config::load_testbed(source_path("config/examples/tiny.yaml"));
  return kube::job_manifest(JobSpec{id, "onnx-mobilenet-op11", 10, Seconds{5}, {}},
                            *tb.find_engine("onnx-mobilenet-op11"), *tb.find_node("server"), ExecConfig{2, {}},
                            options);
}

struct FakeCluster {
  explicit FakeCluster(kube::fake::ServerOptions options = {}) : server{std::move(options)} { server.start(); }

  kube::Credentials credentials() const {
    kube::Credentials c;
    c.server = server.url();
    c.ca_pem = server.ca().cert_pem;
    c.token = server.token();
    c.namespace_name = "default";
    c.origin = "test";
    return c;
  }

  // No rate limit, millisecond backoff: tests do not wait on flow control
  // unless they ask for it.
  static kube::ClientOptions fast_options() {
    kube::ClientOptions o;
    o.rate_limit = {0, 1};
    o.backoff.initial = std::chrono::milliseconds{1};
    o.backoff.max = std::chrono::milliseconds{20};
    o.backoff.max_attempts = 10;
    o.timeouts.connect = std::chrono::milliseconds{2000};
    o.timeouts.read = std::chrono::milliseconds{5000};
    o.watch_timeout = std::chrono::seconds{30};
    return o;
  }

  std::shared_ptr<kube::Client> client(kube::ClientOptions o = fast_options()) const {
    return std::make_shared<kube::Client>(credentials(), std::move(o));
  }

  kube::fake::FakeApiServer server;
};

}  // namespace synergai::test
