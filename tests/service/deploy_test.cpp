// deploy/synergai.yaml: the objects an operator applies hold what the service
// needs — one replica that is recreated, never rolled; exactly the RBAC verbs
// docs/kubernetes.md lists; a service configuration the loader accepts, with
// the API token on. Both it and deploy/agent.yaml are hardened (non-root but
// for the documented agent, read-only, no capabilities, seccomp, limits) and
// valid against the official Kubernetes schemas (deploy_schema_check.py).
#include "actors/policies/policy.hpp"
#include "config/service.hpp"
#include "tests/support.hpp"

#include <boost/test/unit_test.hpp>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <map>
#include <set>
#include <vector>

using namespace synergai;

namespace {

std::map<std::string, YAML::Node> objects_by_kind() {
  std::map<std::string, YAML::Node> out;
  for (const auto& doc : YAML::LoadAllFromFile(test::source_path("deploy/synergai.yaml").string()))
    out[doc["kind"].as<std::string>()] = doc;
  return out;
}

std::vector<YAML::Node> objects_of(const std::string& file, const std::string& kind) {
  std::vector<YAML::Node> out;
  for (const auto& doc : YAML::LoadAllFromFile(test::source_path(file).string()))
    if (doc["kind"].as<std::string>() == kind) out.push_back(doc);
  return out;
}

// The schema check on `files` (paths as given to the shell).
test::ProgramResult schema_check(const std::string& files) {
  return test::run_shell("/usr/bin/python3 '" + test::source_path("tests/service/deploy_schema_check.py").string() +
                         "' " + files);
}

bool has(const YAML::Node& n) { return n.IsDefined() && !n.IsNull(); }

std::set<std::string> verbs(const YAML::Node& role) {
  std::set<std::string> out;
  for (const auto& rule : role["rules"])
    for (const auto& v : rule["verbs"]) out.insert(v.as<std::string>());
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(deploy)

BOOST_AUTO_TEST_CASE(holds_every_object_the_service_needs) {
  auto objects = objects_by_kind();
  for (auto kind : {"Namespace", "ServiceAccount", "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding",
                    "ConfigMap", "PersistentVolumeClaim", "Deployment", "Service"})
    BOOST_TEST(objects.count(kind) == 1u, kind);
}

BOOST_AUTO_TEST_CASE(one_replica_recreated_with_its_journal_volume) {
  auto d = objects_by_kind().at("Deployment");
  BOOST_TEST(d["spec"]["replicas"].as<int>() == 1);
  BOOST_TEST(d["spec"]["strategy"]["type"].as<std::string>() == "Recreate");
  auto pod = d["spec"]["template"]["spec"];
  BOOST_TEST(pod["serviceAccountName"].as<std::string>() == "synergai");
  bool journal = false;
  for (const auto& v : pod["volumes"]) journal = journal || v["persistentVolumeClaim"].IsDefined();
  BOOST_TEST(journal);
}

BOOST_AUTO_TEST_CASE(rbac_grants_exactly_the_documented_verbs) {
  auto objects = objects_by_kind();
  auto jobs = objects.at("Role");
  BOOST_TEST(jobs["rules"][0]["apiGroups"][0].as<std::string>() == "batch");
  BOOST_TEST(jobs["rules"][0]["resources"][0].as<std::string>() == "jobs");
  BOOST_TEST(verbs(jobs) == (std::set<std::string>{"create", "get", "list", "watch", "delete"}),
             boost::test_tools::per_element());
  auto nodes = objects.at("ClusterRole");
  BOOST_TEST(nodes["rules"][0]["resources"][0].as<std::string>() == "nodes");
  BOOST_TEST(verbs(nodes) == (std::set<std::string>{"get", "list", "patch"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(the_configured_service_is_valid) {
  auto text = objects_by_kind().at("ConfigMap")["data"]["service.yaml"].as<std::string>();
  auto replace_all = [&text](const std::string& from, const std::string& to) {
    for (std::string::size_type at; (at = text.find(from)) != std::string::npos;) text.replace(at, from.size(), to);
  };
  // In the image the shipped files live under /usr/share/synergai/; the token
  // is the Secret's file under /etc/synergai/auth/.
  replace_all("/usr/share/synergai/", test::source_path("").string() + "/");
  test::TempDir auth{"deploy-auth"};
  { std::ofstream{auth / "token"} << "a-token\n"; }
  replace_all("/etc/synergai/auth/", auth.string() + "/");
  auto cfg = config::read_service_config(config::parse_yaml(text, "service.yaml"), "/", policy_names());
  BOOST_TEST((cfg.executor == config::ExecutorKind::kubernetes));
  BOOST_TEST(!cfg.kubernetes.kubeconfig.has_value());  // in-cluster credentials
  BOOST_TEST(cfg.kubernetes.namespace_name == "synergai");
  BOOST_TEST(cfg.journal.string() == "/var/lib/synergai/journal.jsonl");
  BOOST_TEST_REQUIRE(cfg.token_file.has_value());  // the token is on by default
  BOOST_TEST(cfg.token_file->string() == (auth / "token").string());
  std::filesystem::remove_all(auth);
}

BOOST_AUTO_TEST_CASE(the_token_comes_from_a_secret_the_pod_cannot_start_without) {
  auto pod = objects_by_kind().at("Deployment")["spec"]["template"]["spec"];
  std::string volume;
  for (const auto& m : pod["containers"][0]["volumeMounts"])
    if (m["mountPath"].as<std::string>() == "/etc/synergai/auth") volume = m["name"].as<std::string>();
  BOOST_TEST_REQUIRE(!volume.empty());
  for (const auto& v : pod["volumes"])
    if (v["name"].as<std::string>() == volume) {
      BOOST_TEST(v["secret"]["secretName"].as<std::string>() == "synergai-api-token");
      BOOST_TEST(!(has(v["secret"]["optional"]) && v["secret"]["optional"].as<bool>()));
    }
}

BOOST_AUTO_TEST_CASE(the_service_pod_is_hardened) {
  auto pod = objects_by_kind().at("Deployment")["spec"]["template"]["spec"];
  BOOST_TEST(pod["securityContext"]["runAsNonRoot"].as<bool>());
  BOOST_TEST(pod["securityContext"]["runAsUser"].as<int>() == 65532);
  BOOST_TEST(pod["securityContext"]["seccompProfile"]["type"].as<std::string>() == "RuntimeDefault");
  for (const auto& c : pod["containers"]) {
    auto sc = c["securityContext"];
    BOOST_TEST(!sc["allowPrivilegeEscalation"].as<bool>());
    BOOST_TEST(sc["readOnlyRootFilesystem"].as<bool>());
    BOOST_TEST(sc["capabilities"]["drop"][0].as<std::string>() == "ALL");
    BOOST_TEST(!has(sc["capabilities"]["add"]));
    for (auto kind : {"requests", "limits"})
      for (auto resource : {"cpu", "memory"}) BOOST_TEST(has(c["resources"][kind][resource]), kind << " " << resource);
  }
}

// The agent's one exception, root, is for writing root's sysfs files; the rest
// is as closed as the service's, with each host path it mounts named here.
BOOST_AUTO_TEST_CASE(the_agent_has_the_narrowest_rbac_and_only_its_host_paths) {
  auto roles = objects_of("deploy/agent.yaml", "ClusterRole");
  BOOST_TEST_REQUIRE(roles.size() == 1u);
  BOOST_TEST(roles[0]["rules"].size() == 1u);
  BOOST_TEST(roles[0]["rules"][0]["resources"][0].as<std::string>() == "nodes");
  BOOST_TEST(roles[0]["rules"][0]["resources"].size() == 1u);
  BOOST_TEST(verbs(roles[0]) == (std::set<std::string>{"get", "watch", "patch"}), boost::test_tools::per_element());

  const std::map<std::string, std::set<std::string>> allowed_host_paths{
      {"synergai-agent-sysfs", {"/sys/devices/system/cpu"}},
      {"synergai-agent-nvpmodel", {"/usr/sbin/nvpmodel", "/etc/nvpmodel.conf", "/var/lib/nvpmodel", "/sys"}}};
  auto daemonsets = objects_of("deploy/agent.yaml", "DaemonSet");
  BOOST_TEST_REQUIRE(daemonsets.size() == allowed_host_paths.size());
  for (const auto& ds : daemonsets) {
    auto name = ds["metadata"]["name"].as<std::string>();
    BOOST_TEST_CONTEXT("DaemonSet " << name) {
      auto pod = ds["spec"]["template"]["spec"];
      for (auto host : {"hostNetwork", "hostPID", "hostIPC"}) BOOST_TEST(!(has(pod[host]) && pod[host].as<bool>()));
      BOOST_TEST(pod["securityContext"]["seccompProfile"]["type"].as<std::string>() == "RuntimeDefault");
      BOOST_TEST(has(pod["nodeSelector"]["synergai.io/power-driver"]));
      std::set<std::string> host_paths;
      for (const auto& v : pod["volumes"]) {
        BOOST_TEST(has(v["hostPath"]), v["name"].as<std::string>() << " is not a host path");
        if (has(v["hostPath"])) host_paths.insert(v["hostPath"]["path"].as<std::string>());
      }
      BOOST_TEST(host_paths == allowed_host_paths.at(name), boost::test_tools::per_element());
      auto c = pod["containers"][0];
      BOOST_TEST(!c["securityContext"]["allowPrivilegeEscalation"].as<bool>());
      BOOST_TEST(!(has(c["securityContext"]["privileged"]) && c["securityContext"]["privileged"].as<bool>()));
      BOOST_TEST(c["securityContext"]["readOnlyRootFilesystem"].as<bool>());
      BOOST_TEST(c["securityContext"]["capabilities"]["drop"][0].as<std::string>() == "ALL");
      BOOST_TEST(!has(c["securityContext"]["capabilities"]["add"]));
      BOOST_TEST(has(c["resources"]["limits"]["cpu"]));
      BOOST_TEST(has(c["resources"]["limits"]["memory"]));
      bool node_from_downward_api = false;
      for (const auto& e : c["env"])
        node_from_downward_api = node_from_downward_api || (e["name"].as<std::string>() == "NODE_NAME" &&
                                                            e["valueFrom"]["fieldRef"]["fieldPath"].as<std::string>() ==
                                                                "spec.nodeName");
      BOOST_TEST(node_from_downward_api);
      BOOST_TEST(c["ports"][0]["containerPort"].as<int>() == 9101);
    }
  }
}

BOOST_AUTO_TEST_CASE(every_manifest_is_valid_against_the_kubernetes_schemas) {
  auto r = schema_check("'" + test::source_path("deploy/synergai.yaml").string() + "' '" +
                        test::source_path("deploy/agent.yaml").string() + "'");
  BOOST_TEST(r.exit_code == 0, r.output);
  BOOST_TEST(r.output.find("valid: ") != std::string::npos, r.output);
}

// The check fails where a cluster would refuse: each broken object is reported
// with its field.
BOOST_AUTO_TEST_CASE(the_schema_check_rejects_broken_manifests) {
  test::TempDir dir{"deploy-schema"};
  const std::vector<std::pair<std::string, std::string>> cases{
      {"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a, namespace: n}\nspec:\n"
       "  replicas: one\n  selector: {matchLabels: {a: b}}\n  template: {spec: {containers: [{name: c}]}}\n",
       "spec.replicas: expected an integer"},
      {"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a, namespace: n}\nspec:\n"
       "  selector: {matchLabels: {a: b}}\n  template:\n    spec:\n      containers:\n"
       "        - {name: c, securityContext: {runAsNonroot: true}}\n",
       "containers[0].securityContext.runAsNonroot: unknown field"},
      {"apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: a, namespace: n}\nspec:\n"
       "  selector: {matchLabels: {a: b}}\n  template: {spec: {containers: [{image: x}]}}\n",
       "containers[0].name: required field missing"},
      {"apiVersion: v1\nkind: ClusterRole\nmetadata: {name: a}\n", "kind 'ClusterRole' is not served by 'v1'"},
      {"apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a}\n", "ServiceAccount is namespaced"},
  };
  int i = 0;
  for (const auto& [manifest, expected] : cases) {
    auto file = dir / ("broken-" + std::to_string(i++) + ".yaml");
    { std::ofstream{file} << manifest; }
    auto r = schema_check("'" + file.string() + "'");
    BOOST_TEST(r.exit_code == 1, expected << ": " << r.output);
    BOOST_TEST(r.output.find(expected) != std::string::npos, r.output);
  }
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_SUITE_END()
