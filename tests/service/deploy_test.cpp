// deploy/synergai.yaml: the objects an operator applies hold what the service
// needs — one replica that is recreated, never rolled; exactly the RBAC verbs
// docs/kubernetes.md lists; a service configuration the loader accepts.
#include "actors/policies/policy.hpp"
#include "config/service.hpp"
#include "tests/support.hpp"

#include <boost/test/unit_test.hpp>
#include <yaml-cpp/yaml.h>

#include <map>
#include <set>

using namespace synergai;

namespace {

std::map<std::string, YAML::Node> objects_by_kind() {
  std::map<std::string, YAML::Node> out;
  for (const auto& doc : YAML::LoadAllFromFile(test::source_path("deploy/synergai.yaml").string()))
    out[doc["kind"].as<std::string>()] = doc;
  return out;
}

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
  // In the image the shipped files live under /usr/share/synergai/.
  for (std::string::size_type at; (at = text.find("/usr/share/synergai/")) != std::string::npos;)
    text.replace(at, std::string{"/usr/share/synergai/"}.size(), test::source_path("").string() + "/");
  auto cfg = config::read_service_config(config::parse_yaml(text, "service.yaml"), "/", policy_names());
  BOOST_TEST((cfg.executor == config::ExecutorKind::kubernetes));
  BOOST_TEST(!cfg.kubernetes.kubeconfig.has_value());  // in-cluster credentials
  BOOST_TEST(cfg.kubernetes.namespace_name == "synergai");
  BOOST_TEST(cfg.journal.string() == "/var/lib/synergai/journal.jsonl");
}

BOOST_AUTO_TEST_SUITE_END()
