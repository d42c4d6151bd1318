// `synergai serve --config FILE`: the long-running cluster service (the HTTP
// API, the journal, the scheduler and an executor). SIGTERM/SIGINT stop it
// gracefully: no new connections, requests in flight answered, the journal
// fsynced, exit 0; running Kubernetes Jobs are left to be re-adopted.
#include "executors/local/local_executor.hpp"
#include "actors/policies/policy.hpp"
#include "apps/cli.hpp"
#include "config/dictionary.hpp"
#include "config/service.hpp"
#include "config/testbed.hpp"
#include "kube/bridge.hpp"
#include "kube/client.hpp"
#include "profiling/campaign.hpp"
#include "executors/local/local_engine.hpp"
#include "service/http_server.hpp"
#include "service/service.hpp"
#include "support/errors.hpp"
#include "support/files.hpp"
#include "support/log.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <optional>

namespace synergai::app {
namespace {

struct ServeArgs {
  std::string config = "config/service.yaml";
  std::string listen;
  std::string port_file;  // written once listening: {"port": N} (and "probes_port")
  std::string journal;
  std::string executor;
  bool check = false;
  bool accept_journal_damage = false;
};

// The Kubernetes client's clock: the steady clock, except that its waits
// (backoff between retries, the rate limiter) end at once after stop(), so a
// SIGTERM while the API server fails does not wait out the remaining retries.
class StoppableClock : public kube::Clock {
 public:
  time_point now() override { return std::chrono::time_point_cast<duration>(std::chrono::steady_clock::now()); }
  void sleep_for(duration d) override {
    std::unique_lock lock{mutex_};
    cv_.wait_for(lock, d, [&] { return stopped_; });
  }
  void stop() {
    {
      std::lock_guard lock{mutex_};
      stopped_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stopped_ = false;
};

// The Kubernetes executor: credentials, a rate-limited client, the bridge;
// ready once the bridge has listed the Jobs a previous run left behind.
struct KubernetesExecutor {
  ExecutorFactory factory;
  service::ErrorCounter api_errors;
  service::ExecutorReady listed;
  // Set to the service's executor_listed once the service exists.
  std::shared_ptr<std::function<void(const std::vector<kube::JobPlacement>&)>> on_listed;
  std::shared_ptr<StoppableClock> clock;
};

KubernetesExecutor kubernetes_executor(const config::ServiceConfig& c, const config::Testbed& testbed) {
  const auto& k = c.kubernetes;
  auto credentials = k.kubeconfig ? kube::load_kubeconfig({*k.kubeconfig}, k.context)
                                  : kube::load_in_cluster(kube::process_environment(),
                                                          "/var/run/secrets/kubernetes.io/serviceaccount");
  if (!k.namespace_name.empty()) credentials.namespace_name = k.namespace_name;
  KubernetesExecutor out;
  out.clock = std::make_shared<StoppableClock>();
  kube::ClientOptions options;
  options.rate_limit = kube::RateLimit{k.api_qps, k.api_burst};
  options.clock = out.clock;
  log::info("serve", "kubernetes executor",
            {{"server", credentials.server}, {"credentials", credentials.origin}, {"namespace", credentials.namespace_name}});
  auto client = std::make_shared<kube::Client>(credentials, options);
  auto listed = std::make_shared<std::atomic<bool>>(false);
  kube::BridgeOptions bridge;
  bridge.manifest.namespace_name = credentials.namespace_name;
  bridge.manifest.ttl_seconds_after_finished = k.job_ttl_seconds;
  out.on_listed = std::make_shared<std::function<void(const std::vector<kube::JobPlacement>&)>>();
  bridge.on_listed = [listed, forward = out.on_listed](const std::vector<kube::JobPlacement>& jobs) {
    log::info("serve", "kubernetes executor ready: our Jobs listed", {{"jobs", jobs.size()}});
    if (*forward) (*forward)(jobs);
    *listed = true;
  };
  out.factory = [client, testbed, bridge](caf::actor_system& sys, std::shared_ptr<const Performance>,
                                          const Timeline& timeline) {
    return kube::spawn_kube_bridge(sys, client, testbed, timeline, bridge);
  };
  out.api_errors = [client] {
    auto s = client->stats();
    std::uint64_t n = s.transport_errors;
    for (const auto& [status, count] : s.by_status)
      if (status >= 400) n += count;
    return n;
  };
  out.listed = [listed] { return listed->load(); };
  return out;
}

// The local executor's dictionary, measured now: one short campaign run per
// engine x node x thread option on this machine (docs/local.md), its folder
// beside the dictionary, its progress on stderr.
void profile_this_machine(const config::ServiceConfig& c, const config::Testbed& testbed,
                          const std::filesystem::path& models) {
  profiling::PlanOptions plan_options;
  plan_options.repeats = 1;
  auto plan = profiling::make_plan(testbed, nullptr, plan_options);
  profiling::LocalOptions local;
  local.engine = {self_executable(), models, 1};
  local.queries = c.local.profile_queries;
  profiling::LocalExecutor executor{testbed, plan, local};
  auto folder = c.dictionary;
  folder.replace_extension();
  folder += "-campaign";
  log::info("serve", "no measured dictionary: profiling this machine first (about half a minute)",
            {{"dictionary", c.dictionary.string()}, {"runs", plan.size()}, {"queries", local.queries},
             {"campaign", folder.string()}});
  profiling::CampaignOptions options;
  options.out = folder;
  options.resume = std::filesystem::exists(folder / "journal.jsonl");
  options.progress = [](const std::string& line, bool) { log::info("serve", "profiling", {{"progress", line}}); };
  auto r = profiling::run_campaign(testbed, plan, executor, options);
  if (!r.failed.empty())
    throw RuntimeError{fmt::format("profiling this machine failed for {} of {} runs:\n{}", r.failed.size(), r.planned,
                                   profiling::failure_table(r.failed))};
  std::ifstream in{folder / "dictionary.json", std::ios::binary};
  std::string text{std::istreambuf_iterator<char>{in}, {}};
  if (text.empty()) throw RuntimeError{fmt::format("{}: the campaign wrote no dictionary", folder.string())};
  write_file_atomically(c.dictionary, text);
  log::info("serve", "dictionary measured on this machine",
            {{"dictionary", c.dictionary.string()}, {"points", r.dictionary.points().size()}});
}

// Jobs as `synergai engine run` children pinned to their node's CPUs.
ExecutorFactory local_executor_factory(const config::ServiceConfig& c, const config::Testbed& testbed,
                                       const std::filesystem::path& models) {
  LocalExecutorConfig ex;
  ex.engine.program = self_executable();
  ex.engine.models = models;
  ex.timeout_floor = Seconds{c.local.job_timeout_s};
  for (const auto& e : testbed.engines) model_path(e, models);  // InputError if an engine has none
  return [ex](caf::actor_system& sys, std::shared_ptr<const Performance> performance, const Timeline& timeline) {
    auto config = ex;
    config.timeline = timeline;
    return executor_actor{sys.spawn(local_executor, config, std::move(performance))};
  };
}

int serve(const ServeArgs& a) {
  auto config = config::load_service_config(a.config, policy_names());
  if (!a.listen.empty()) {
    auto address = config::parse_listen_address(a.listen);
    if (!address) throw InputError{fmt::format("--listen {}: expected HOST:PORT", a.listen)};
    config.listen = *address;
  }
  if (!a.journal.empty()) config.journal = a.journal;
  config.accept_journal_damage = a.accept_journal_damage;
  if (!a.executor.empty())
    config.executor = a.executor == "simulated"    ? config::ExecutorKind::simulated
                      : a.executor == "kubernetes" ? config::ExecutorKind::kubernetes
                                                   : config::ExecutorKind::local;
  auto testbed = config::load_testbed(config.testbed);
  const auto models = config.local.models ? *config.local.models : default_models_dir();
  if (config.executor == config::ExecutorKind::local && !std::filesystem::exists(config.dictionary)) {
    if (!config.local.profile_if_missing)
      throw InputError{fmt::format("{}: dictionary {} does not exist yet: measure this machine with `synergai profile "
                                   "run --testbed {} --executor local --repeats 1 --queries 10 --out CAMPAIGN` and copy "
                                   "CAMPAIGN/dictionary.json there, or set executor.local.profile_if_missing: true",
                                   a.config, config.dictionary.string(), config.testbed.string())};
    if (!a.check) profile_this_machine(config, testbed, models);
  }
  if (a.check && !std::filesystem::exists(config.dictionary)) {
    fmt::print("{}: service \"{}\": listen {}:{}, policy {}, executor {}, testbed \"{}\", journal {}; dictionary {} "
               "to be measured at start\n", a.config, config.name, config.listen.host, config.listen.port, config.policy,
               config::to_string(config.executor), testbed.name, config.journal.string(), config.dictionary.string());
    return exit_ok;
  }
  auto dictionary = config::load_dictionary(config.dictionary, &testbed);
  if (a.check) {
    fmt::print("{}: service \"{}\": listen {}:{}, policy {}, executor {}, testbed \"{}\", journal {}\n", a.config,
               config.name, config.listen.host, config.listen.port, config.policy, config::to_string(config.executor),
               testbed.name, config.journal.string());
    return exit_ok;
  }

  // A file-size limit (RLIMIT_FSIZE) then fails the journal's write with EFBIG,
  // which the journal handles like a full disk, instead of killing the service.
  std::signal(SIGXFSZ, SIG_IGN);
  // Signals are taken by sigwait below: block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  KubernetesExecutor kubernetes;  // empty with the simulated and local executors
  if (config.executor == config::ExecutorKind::kubernetes) kubernetes = kubernetes_executor(config, testbed);
  auto factory = config.executor == config::ExecutorKind::local ? local_executor_factory(config, testbed, models)
                                                                : kubernetes.factory;  // empty: simulated
  service::Service svc{config, testbed, dictionary, factory, kubernetes.api_errors, kubernetes.listed};
  if (kubernetes.on_listed)
    *kubernetes.on_listed = [&svc](const std::vector<kube::JobPlacement>& jobs) { svc.executor_listed(jobs); };
  svc.start();
  service::HttpServer server{
      svc, {config.listen.host, config.listen.port, config.http_threads, config.max_body_bytes, config.max_connections}};
  server.start();
  std::optional<service::HttpServer> probes;  // /healthz, /readyz, /metrics apart from the API
  if (config.listen_probes) {
    probes.emplace(svc, service::ServerOptions{config.listen_probes->host, config.listen_probes->port, 1,
                                               config.max_body_bytes, 64, true});
    probes->start();
    log::info("serve", "probes and metrics listening",
              {{"address", fmt::format("http://{}:{}", config.listen_probes->host, probes->port())}});
  }
  log::info("serve", "listening",
            {{"address", fmt::format("http://{}:{}", config.listen.host, server.port())},
             {"policy", config.policy},
             {"executor", config::to_string(config.executor)},
             {"journal", config.journal.string()}});
  if (!a.port_file.empty()) {
    // The ports bound (with port 0: chosen by the kernel), for whoever started
    // us; written whole (renamed into place) once both servers accept.
    nlohmann::json ports{{"port", server.port()}};
    if (probes) ports["probes_port"] = probes->port();
    write_file_atomically(a.port_file, ports.dump() + "\n");
  }
  std::fflush(stdout);

  int received = 0;
  sigwait(&signals, &received);
  log::info("serve", "stopping", {{"signal", received == SIGTERM ? "SIGTERM" : "SIGINT"}});
  if (kubernetes.clock) kubernetes.clock->stop();  // API requests give up instead of waiting to retry
  server.stop();
  if (probes) probes->stop();
  if (auto unwritten = svc.stop(); unwritten > 0) {
    log::error("serve", "stopped with transitions the journal could not write: the journal is behind the jobs' "
               "last states", {{"transitions", unwritten}});
    return exit_runtime_failure;
  }
  log::info("serve", "stopped");
  return exit_ok;
}

}  // namespace

void add_serve_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("serve", "Run the scheduler as a service with an HTTP API (docs/operations.md)");
  static ServeArgs a;
  cmd->add_option("--config", a.config, "Service YAML")->check(CLI::ExistingFile)->capture_default_str();
  cmd->add_option("--listen", a.listen, "HOST:PORT to listen on (overrides the file; port 0: any free port)");
  cmd->add_option("--port-file", a.port_file,
                  "Once listening, write the bound ports here as JSON: {\"port\": N} (and \"probes_port\")");
  cmd->add_option("--journal", a.journal, "Journal file (overrides the file)");
  cmd->add_option("--executor", a.executor, "simulated|kubernetes|local (overrides the file)")
      ->check(CLI::IsMember({"simulated", "kubernetes", "local"}));
  cmd->add_flag("--check", a.check, "Validate the configuration, print it and exit");
  cmd->add_flag("--accept-journal-damage", a.accept_journal_damage,
                "Start even if lines before the journal's end are damaged: drop them (kept in JOURNAL.dropped)");
  set_action(cmd, [] { return serve(a); });
}

}  // namespace synergai::app
