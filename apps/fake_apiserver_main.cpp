// synergai-fake-apiserver: the in-process fake Kubernetes API server of the
// tests as a stand-alone program, for demos of the Kubernetes executor without
// a cluster. It writes a kubeconfig (CA data + bearer token) that `synergai`
// and kubectl can use, registers the testbed's nodes, runs every Job for a
// fixed time, and serves until SIGINT or SIGTERM. With --loadgen-logs the
// pods' logs are LoadGen output and --node-agent-ms answers power-mode
// requests, so that `synergai profile run --executor kube` runs against it.
// --watch-drop-rate and --watch-gone-rate inject the watch faults (cut streams,
// 410 on resume) and --request-log writes every request it answered at stop,
// for fault-injection runs (tests/soak/soak.py).
#include "config/testbed.hpp"
#include "testing/fake_apiserver.hpp"
#include "kube/job_status.hpp"
#include "kube/kubeconfig.hpp"
#include "profiling/campaign.hpp"
#include "support/errors.hpp"
#include "support/log.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <random>

namespace {

// A LoadGen SingleStream run as the pod of `job` would print it: QPS 10 per
// thread (times the power-mode id's tenth for modes), pre-processing 1 s.
std::string loadgen_log(const nlohmann::json& job, const nlohmann::json& pod) {
  auto annotation = [&](const char* key, const std::string& otherwise) {
    auto ptr = nlohmann::json::json_pointer{std::string{"/metadata/annotations/"} + key};
    return job.contains(ptr) && job.at(ptr).is_string() ? job.at(ptr).get<std::string>() : otherwise;
  };
  const auto& state = pod["status"]["containerStatuses"][0]["state"];
  const auto& s = state.contains("running") ? state["running"] : state["terminated"];
  double started = synergai::seconds_of(synergai::kube::parse_rfc3339(s.value("startedAt", "")).value());
  synergai::profiling::SyntheticRun run;
  run.sut_name = "synergai-fake-apiserver";
  run.loadgen_version = "synergai-fake";
  run.qps = 10.0 * std::stoi(annotation("synergai.io~1threads", "1")) *
            (1 + std::stoi(annotation("synergai.io~1power-mode", "0")) / 10.0);
  run.queries = std::stoi(annotation("synergai.io~1queries", "100"));
  run.first_entry_ms = (started + 1.0) * 1000.0;
  return synergai::profiling::synthetic_summary(run) + synergai::profiling::synthetic_detail(run);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace synergai;
  CLI::App app{"synergai-fake-apiserver: a fake Kubernetes API server (batch/v1 Jobs, their Pods, v1 Nodes) over TLS"};
  int port = 0;
  std::string token = "synergai-demo-token";
  std::string kubeconfig = "fake-kubeconfig.yaml";
  std::string testbed;
  std::string ns = "default";
  int duration_ms = 2000;
  double fail_rate = 0;
  double error_rate = 0;
  std::uint64_t seed = 1;
  bool loadgen_logs = false;
  int node_agent_ms = -1;
  double watch_drop_rate = 0;
  double watch_gone_rate = 0;
  bool watch_gone_as_http = false;
  std::string request_log;
  app.add_option("--port", port, "Port on 127.0.0.1 (0: any free port)")->capture_default_str();
  app.add_option("--token", token, "Bearer token clients must send")->capture_default_str();
  app.add_option("--write-kubeconfig", kubeconfig, "Where to write a kubeconfig for this server")->capture_default_str();
  app.add_option("--testbed", testbed, "Register the testbed's nodes (kubernetes_node names)")->check(CLI::ExistingFile);
  app.add_option("--namespace", ns, "Namespace written into the kubeconfig context")->capture_default_str();
  app.add_option("--job-duration-ms", duration_ms, "How long each Job runs (unless its annotations say otherwise)")
      ->capture_default_str();
  app.add_option("--job-failure-rate", fail_rate, "Probability that a Job fails")->capture_default_str();
  app.add_option("--error-rate", error_rate, "Probability of an injected 503 on every endpoint")->capture_default_str();
  app.add_option("--seed", seed, "Seed of the fault and failure draws")->capture_default_str();
  app.add_flag("--loadgen-logs", loadgen_logs,
               "Pods' logs are LoadGen SingleStream output: 10 QPS per thread (x 1 + mode/10), 1 s pre-processing");
  app.add_option("--node-agent-ms", node_agent_ms,
                 "Answer synergai.io/power-mode requests with synergai.io/power-mode-applied after this many ms "
                 "(negative: no node agent)")
      ->capture_default_str();
  app.add_option("--watch-drop-rate", watch_drop_rate,
                 "Per watch event, probability of cutting the stream before writing it (Job and Node watches)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_option("--watch-gone-rate", watch_gone_rate,
                 "Probability that a watch resumed from a resourceVersion answers 410 (an ERROR event, Expired)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app.add_flag("--watch-gone-as-http", watch_gone_as_http, "Answer those 410s as the HTTP status (reason Gone)");
  app.add_option("--request-log", request_log,
                 "At stop, write every request answered as a JSON line: seq, endpoint, method, target, status "
                 "(0: connection reset), injected");
  CLI11_PARSE(app, argc, argv);
  log::configure(log::Level::info, log::Format::text);

  // Every thread inherits the blocked signals; main waits for them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  try {
    kube::fake::ServerOptions opts;
    opts.port = static_cast<std::uint16_t>(port);
    opts.token = token;
    opts.seed = seed;
    kube::fake::FakeApiServer server{opts};
    if (!testbed.empty())
      for (const auto& n : config::load_testbed(testbed).nodes) server.add_node(n.kubernetes_node);
    auto rng = std::make_shared<std::mt19937_64>(seed);
    auto rng_mutex = std::make_shared<std::mutex>();
    server.set_job_rule([=](const nlohmann::json& job) {
      auto plan = kube::fake::annotation_rule(job);
      if (!job.contains("/metadata/annotations/fake.synergai.io~1duration-ms"_json_pointer))
        plan.run_for = std::chrono::milliseconds{duration_ms};
      std::lock_guard lock{*rng_mutex};
      if (fail_rate > 0 && std::uniform_real_distribution<double>{0, 1}(*rng) < fail_rate) plan.succeeds = false;
      if (loadgen_logs) plan.log_of = loadgen_log;
      return plan;
    });
    if (node_agent_ms >= 0) {
      kube::fake::NodeAgent agent;
      agent.enabled = true;
      agent.delay = std::chrono::milliseconds{node_agent_ms};
      server.set_node_agent(agent);
    }
    if (error_rate > 0)
      for (auto ep : {kube::fake::Endpoint::create_job, kube::fake::Endpoint::get_job, kube::fake::Endpoint::list_jobs,
                      kube::fake::Endpoint::delete_job, kube::fake::Endpoint::get_node, kube::fake::Endpoint::patch_node,
                      kube::fake::Endpoint::list_pods, kube::fake::Endpoint::pod_log})
        server.set_faults(ep, kube::fake::Faults{{{503, error_rate}}, 1, {}, 0, 0, 0, 0, 0, false});
    if (watch_drop_rate > 0 || watch_gone_rate > 0)
      for (auto ep : {kube::fake::Endpoint::watch_jobs, kube::fake::Endpoint::watch_nodes}) {
        kube::fake::Faults f;
        f.drop_rate = watch_drop_rate;
        f.gone_on_resume_rate = watch_gone_rate;
        f.gone_as_http = watch_gone_as_http;
        server.set_faults(ep, f);
      }
    server.start();
    {
      std::ofstream out{kubeconfig};
      out << server.kubeconfig(ns);
      if (!out) throw RuntimeError{fmt::format("cannot write {}", kubeconfig)};
    }
    fmt::print("synergai-fake-apiserver: serving {} (kubeconfig: {})\n", server.url(), kubeconfig);
    std::fflush(stdout);
    int sig = 0;
    sigwait(&set, &sig);
    fmt::print("synergai-fake-apiserver: stopping ({} requests served)\n", server.requests().size());
    server.stop();
    if (!request_log.empty()) {
      std::ofstream out{request_log};
      for (const auto& r : server.requests())
        out << nlohmann::json{{"seq", r.seq},       {"endpoint", kube::fake::to_string(r.endpoint)},
                              {"method", r.method}, {"target", r.target},
                              {"status", r.status}, {"injected", r.injected}}
                   .dump()
            << '\n';
      if (!out) throw RuntimeError{fmt::format("cannot write {}", request_log)};
    }
    return exit_ok;
  } catch (const InputError& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return exit_invalid_input;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "synergai-fake-apiserver: %s\n", e.what());
    return exit_runtime_failure;
  }
}
