// Real clients against the fake API server, with the kubeconfig it writes:
// kubectl (discovery, get, create, wait, watch, delete with each cascade, 410)
// and the official Python client (tests/kube/python_client_probe.py). Both are
// Debian packages that scripts/install-deps installs; a missing client fails
// the test, it never passes without having run.
#include "testing/fake_apiserver.hpp"
#include "tests/support.hpp"

#include <boost/test/unit_test.hpp>
#include <fmt/format.h>

#include <chrono>
#include <fstream>
#include <thread>

using namespace synergai;
using kube::fake::Endpoint;

namespace {

// Debian's interpreter: python3-kubernetes is installed for it, not for
// another python3 that may come first on PATH.
constexpr const char* debian_python = "/usr/bin/python3";

void write(const std::filesystem::path& p, const std::string& text) {
  std::ofstream out{p};
  out << text;
}

std::string job_yaml(const std::string& name, const std::string& app, int duration_ms, bool with_containers = true) {
  return fmt::format(R"(apiVersion: batch/v1
kind: Job
metadata:
  name: {0}
  labels:
    app: {1}
  annotations:
    fake.synergai.io/duration-ms: "{2}"
spec:
  backoffLimit: 0
  template:
    metadata:
      labels:
        app: {1}
    spec:
      restartPolicy: Never
{3})",
                     name, app, duration_ms,
                     with_containers ? "      containers:\n      - name: engine\n        image: synergai-engine:probe\n"
                                     : "      containers: []\n");
}

struct Cluster {
  Cluster() : dir{"real-clients"} {
    server.start();
    server.add_node("x86-1", {{"synergai.io/arch", "amd64"}});
    server.add_node("agx-1", {{"synergai.io/arch", "arm64"}});
    write(dir / "kubeconfig", server.kubeconfig());
    std::string wrong = server.kubeconfig();
    wrong.replace(wrong.find(server.token()), server.token().size(), "not-the-token");
    write(dir / "wrong-kubeconfig", wrong);
  }
  ~Cluster() { server.stop(); }

  test::ProgramResult kubectl(const std::string& args) const {
    return test::run_shell(fmt::format("cd '{}' && kubectl --kubeconfig='{}' {}", dir.string(),
                                       (dir / "kubeconfig").string(), args));
  }

  kube::fake::FakeApiServer server;
  test::TempDir dir;
};

// kubectl before 1.25 validates manifests on the client with the server's
// OpenAPI v2 document in protobuf, which this server does not serve (it
// serves OpenAPI v3 and validates fields itself, as kubectl 1.25+ asks).
std::string create_flags() {
  auto r = test::run_shell("kubectl version --client -o json");
  try {
    const auto v = nlohmann::json::parse(r.output.substr(r.output.find('{')));
    const int minor = std::stoi(v["clientVersion"]["minor"].get<std::string>());
    if (minor < 25) {
      BOOST_TEST_MESSAGE("kubectl 1." << minor << ": creating with --validate=false (no OpenAPI v2 here)");
      return " --validate=false";
    }
  } catch (const std::exception& e) {
    BOOST_TEST_MESSAGE("kubectl version not read (" << e.what() << "): " << r.output);
  }
  return "";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(real_clients)

BOOST_AUTO_TEST_CASE(kubectl_discovers_creates_waits_watches_and_deletes,
                     *test::requires_tool("kubectl", "kubernetes-client")) {
  Cluster c;
  const std::string create = "create" + create_flags();

  auto version = c.kubectl("version -o json");
  BOOST_TEST(version.exit_code == 0, version.output);
  BOOST_TEST(version.output.find("v1.30.0-synergai-fake") != std::string::npos, version.output);

  auto resources = c.kubectl("api-resources --no-headers");
  BOOST_TEST(resources.exit_code == 0, resources.output);
  for (const char* r : {"jobs", "nodes", "pods"}) BOOST_TEST(resources.output.find(r) != std::string::npos, r);

  auto nodes = c.kubectl("get nodes -o name");
  BOOST_TEST(nodes.exit_code == 0, nodes.output);
  BOOST_TEST(nodes.output == "node/agx-1\nnode/x86-1\n");
  auto arm = c.kubectl("get nodes -l 'synergai.io/arch in (arm64)' -o name");
  BOOST_TEST(arm.output == "node/agx-1\n", arm.output);
  auto node_watch = c.kubectl("get pods --watch --request-timeout=5s");  // not served: a Status, not a list
  BOOST_TEST(node_watch.exit_code != 0);
  BOOST_TEST(node_watch.output.find("MethodNotAllowed") != std::string::npos, node_watch.output);

  write(c.dir / "probe.yaml", job_yaml("probe", "kubectl", 200));
  auto created = c.kubectl(create + " -f probe.yaml");
  BOOST_TEST(created.exit_code == 0, created.output);
  BOOST_TEST(created.output.find("job.batch/probe created") != std::string::npos, created.output);
  auto again = c.kubectl(create + " -f probe.yaml");
  BOOST_TEST(again.exit_code != 0);
  BOOST_TEST(again.output.find("AlreadyExists") != std::string::npos, again.output);

  write(c.dir / "invalid.yaml", job_yaml("invalid", "kubectl", 200, false));
  auto invalid = c.kubectl(create + " -f invalid.yaml");
  BOOST_TEST(invalid.exit_code != 0);
  BOOST_TEST(invalid.output.find("is invalid") != std::string::npos, invalid.output);
  BOOST_TEST(!c.server.job("default", "invalid"));

  auto listed = c.kubectl("get jobs -l app=kubectl -o name");
  BOOST_TEST(listed.output == "job.batch/probe\n", listed.output);
  auto table = c.kubectl("get jobs");
  BOOST_TEST(table.exit_code == 0, table.output);
  BOOST_TEST(table.output.find("probe") != std::string::npos, table.output);

  auto waited = c.kubectl("wait --for=condition=complete job/probe --timeout=30s");
  BOOST_TEST(waited.exit_code == 0, waited.output);
  BOOST_TEST(waited.output.find("condition met") != std::string::npos, waited.output);

  // A Job that runs 2 s, created before the watch starts: its completion can
  // only reach the output through the watch stream.
  write(c.dir / "watched.yaml", job_yaml("watched", "watched", 2000));
  auto watched = c.kubectl(
      create + " -f watched.yaml >/dev/null && "
      "{ kubectl --kubeconfig=kubeconfig get jobs -l app=watched --watch -o json > watch.json 2> watch.err & w=$!; "
      "  kubectl --kubeconfig=kubeconfig wait --for=condition=complete job/watched --timeout=30s; sleep 1; "
      "  kill $w; }");
  BOOST_TEST(watched.exit_code == 0, watched.output);
  const std::string stream = test::read_text(c.dir / "watch.json");
  BOOST_TEST(stream.find("\"Complete\"") != std::string::npos, stream << test::read_text(c.dir / "watch.err"));
  BOOST_TEST(c.server.count(Endpoint::watch_jobs, 200) >= 1u);

  auto pods = c.kubectl("get pods -l app=watched -o name");
  BOOST_TEST(pods.exit_code == 0, pods.output);
  BOOST_TEST(pods.output.rfind("pod/watched-", 0) == 0, pods.output);

  auto deleted = c.kubectl("delete job probe");
  BOOST_TEST(deleted.exit_code == 0, deleted.output);
  BOOST_TEST(deleted.output.find("job.batch \"probe\" deleted") != std::string::npos, deleted.output);
  BOOST_TEST(!c.server.job("default", "probe"));
  // Foreground propagation takes the pod with the Job; orphaning leaves it.
  auto foreground = c.kubectl("delete job watched --cascade=foreground");
  BOOST_TEST(foreground.exit_code == 0, foreground.output);
  BOOST_TEST(c.kubectl("get pods -l app=watched -o name").output.empty());
  write(c.dir / "orphan.yaml", job_yaml("orphan", "orphan", 50));
  BOOST_TEST(c.kubectl(create + " -f orphan.yaml").exit_code == 0);
  BOOST_TEST(c.kubectl("delete job orphan --cascade=orphan").exit_code == 0);
  BOOST_TEST(c.kubectl("get pods -l app=orphan -o name").output.rfind("pod/orphan-", 0) == 0u);

  // A watch from a compacted resourceVersion ends with 410 Expired.
  c.server.compact();
  auto gone = c.kubectl("get --raw '/apis/batch/v1/namespaces/default/jobs?watch=true&resourceVersion=1'");
  BOOST_TEST(gone.output.find("\"code\":410") != std::string::npos, gone.output);
  BOOST_TEST(gone.output.find("Expired") != std::string::npos, gone.output);

  auto unauthorized = test::run_shell(
      fmt::format("kubectl --kubeconfig='{}' get jobs", (c.dir / "wrong-kubeconfig").string()));
  BOOST_TEST(unauthorized.exit_code != 0);
  BOOST_TEST((unauthorized.output.find("Unauthorized") != std::string::npos ||
              unauthorized.output.find("must be logged in") != std::string::npos),
             unauthorized.output);
}

BOOST_AUTO_TEST_CASE(the_official_python_client_passes_its_probes,
                     *test::requires_command(fmt::format("{} -c 'import kubernetes'", debian_python),
                                             "the Kubernetes Python client (Debian package python3-kubernetes)")) {
  Cluster c;
  // A compaction before the script: its watch from resourceVersion 1 must be
  // answered 410, while watches from fresh versions still work.
  c.server.add_node("filler");
  c.server.compact();
  auto r = test::run_shell(fmt::format("{} '{}' '{}' '{}'", debian_python,
                                       test::source_path("tests/kube/python_client_probe.py").string(),
                                       (c.dir / "kubeconfig").string(), (c.dir / "wrong-kubeconfig").string()));
  BOOST_TEST(r.exit_code == 0, r.output);
  for (const char* probe : {"create", "get", "list-label-selector", "watch-until-complete", "list-pages",
                            "list-field-selector", "conflict-409", "invalid-422", "unauthorized-401",
                            "delete-propagation", "gone-410"})
    BOOST_TEST(r.output.find(std::string{"ok "} + probe + "\n") != std::string::npos, probe << ": " << r.output);
  // The client's watch=True reached the watch endpoint, not the list.
  BOOST_TEST(c.server.count(Endpoint::watch_jobs) >= 2u);
}

BOOST_AUTO_TEST_SUITE_END()
