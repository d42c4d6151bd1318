// `synergai kube ...`: Kubernetes helpers.
//   kube manifest: print the batch/v1 Job the bridge would create (dry run).
//   kube version:  connect with the resolved credentials and print /version.
#include "apps/cli.hpp"
#include "config/testbed.hpp"
#include "kube/client.hpp"
#include "kube/kubeconfig.hpp"
#include "kube/manifest.hpp"
#include "support/errors.hpp"

#include <fmt/format.h>

namespace synergai::app {
namespace {

struct ManifestArgs {
  std::string testbed;
  std::string engine;
  std::string node;
  int threads = 1;
  std::optional<int> mode;
  std::string job_id;
  int queries = 100;
  double qos_s = 60;
  std::string namespace_name = "default";
  int ttl = 600;
};

int print_manifest(const ManifestArgs& a) {
  auto tb = config::load_testbed(a.testbed);
  const auto* engine = tb.find_engine(a.engine);
  if (!engine) throw InputError{fmt::format("testbed {} has no engine \"{}\"", tb.name, a.engine)};
  const auto* node = tb.find_node(a.node);
  if (!node) throw InputError{fmt::format("testbed {} has no node \"{}\"", tb.name, a.node)};
  ExecConfig cfg{a.threads, a.mode};
  if (!config::Testbed::supports(*node, cfg))
    throw InputError{fmt::format("node {} cannot run {}", node->name, cfg)};
  JobSpec job{a.job_id, engine->id, a.queries, Seconds{a.qos_s}, {}};
  kube::ManifestOptions opts;
  opts.namespace_name = a.namespace_name;
  if (a.ttl >= 0) opts.ttl_seconds_after_finished = a.ttl;
  else opts.ttl_seconds_after_finished.reset();
  fmt::print("{}\n", kube::job_manifest(job, *engine, *node, cfg, opts).dump(2));
  return 0;
}

struct VersionArgs {
  std::string kubeconfig;
  std::string context;
};

int print_version(const VersionArgs& a) {
  kube::CredentialSource src;
  src.explicit_path = a.kubeconfig;
  src.context = a.context;
  auto creds = kube::resolve_credentials(src);
  kube::Client client{creds};
  auto v = client.version();
  fmt::print("server {} ({}): {}\n", creds.server, creds.origin, v.dump());
  return 0;
}

}  // namespace

void add_kube_command(CLI::App& app) {
  auto* kube = app.add_subcommand("kube", "Kubernetes helpers: Job manifests, API server checks");
  kube->require_subcommand(1);

  static ManifestArgs m;
  auto* man = kube->add_subcommand("manifest", "Print the batch/v1 Job the scheduler would create, as JSON (dry run)");
  man->add_option("--testbed", m.testbed, "Testbed YAML")->required()->check(CLI::ExistingFile);
  man->add_option("--engine", m.engine, "Engine id")->required();
  man->add_option("--node", m.node, "Node name in the testbed")->required();
  man->add_option("--threads", m.threads, "Thread count")->required();
  man->add_option("--mode", m.mode, "Power-mode id (nodes with modes)");
  man->add_option("--job-id", m.job_id, "Job id")->required();
  man->add_option("--queries", m.queries, "Queries the job runs")->capture_default_str()->check(CLI::PositiveNumber);
  man->add_option("--qos", m.qos_s, "QoS target in seconds (annotation only)")->capture_default_str();
  man->add_option("--namespace", m.namespace_name, "Namespace")->capture_default_str();
  man->add_option("--ttl", m.ttl, "ttlSecondsAfterFinished (negative: none)")->capture_default_str();
  set_action(man, [] { return print_manifest(m); });

  static VersionArgs v;
  auto* ver = kube->add_subcommand("version", "Connect to the API server with the resolved credentials; print /version");
  ver->add_option("--kubeconfig", v.kubeconfig, "Kubeconfig file (default: $KUBECONFIG, ~/.kube/config, in-cluster)");
  ver->add_option("--context", v.context, "Context to use (default: current-context)");
  set_action(ver, [] { return print_version(v); });
}

}  // namespace synergai::app
