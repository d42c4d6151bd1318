// `synergai serve` with the Kubernetes executor, end to end: the real program
// as a child process, the fake API server in this process (TLS, bearer token,
// its simulated job controller), credentials in a kubeconfig written for it.
//   - /readyz waits for the bridge's first list of Jobs, not only the journal;
//   - 200 jobs over HTTP, 5 % of the create requests answered 503: the job
//     list, /metrics and the fake server's Jobs agree;
//   - DELETE of running jobs deletes their Jobs;
//   - kill -9 with jobs queued and running, restart against the same journal
//     and the same server: every job finishes, no Job is created twice.
#include "config/testbed.hpp"
#include "kube/client.hpp"
#include "testing/fake_apiserver.hpp"
#include "kube/kubeconfig.hpp"
#include "kube/manifest.hpp"
#include "service/http_client.hpp"
#include "service/journal.hpp"
#include "tests/service/service_fixture.hpp"
#include "tests/support.hpp"

#include <boost/test/unit_test.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

using namespace synergai;
using nlohmann::json;
using namespace std::chrono_literals;
using test::body_of;
using test::Child;
using test::wait_all_terminal;
using test::wait_ready;
using kube::fake::Endpoint;

namespace {

constexpr const char* job_namespace = "ml-jobs";

// The fake API server with the tiny testbed's nodes, a kubeconfig for it and
// a service file whose executor section points there. The file says
// `kind: simulated`: the tests choose the Kubernetes executor with the flag.
struct KubeFixture {
  test::TempDir dir;
  kube::fake::FakeApiServer server;
  std::filesystem::path config;

  explicit KubeFixture(const std::string& name) : dir{name} {
    server.add_node("server-1", {{"kubernetes.io/hostname", "server-1"}});
    server.add_node("jetson-nx-1", {{"kubernetes.io/hostname", "jetson-nx-1"}});
    kube::fake::NodeAgent agent;  // the node agent's reports, emulated (node_agent_test has the real one)
    agent.enabled = true;
    agent.delay = std::chrono::milliseconds{20};
    server.set_node_agent(agent);
    server.start();
    auto kubeconfig = dir / "kubeconfig.yaml";
    std::ofstream{kubeconfig} << fmt::format(
        "apiVersion: v1\nkind: Config\ncurrent-context: fake\n"
        "clusters:\n- name: fake\n  cluster:\n    server: {}\n    certificate-authority-data: {}\n"
        "users:\n- name: tester\n  user:\n    token: {}\n"
        "contexts:\n- name: fake\n  context:\n    cluster: fake\n    user: tester\n    namespace: default\n",
        server.url(), kube::base64_encode(server.ca().cert_pem), server.token());
    config = dir / "service.yaml";
    std::ofstream{config} << fmt::format(
        "service: kube-test\nlisten: 127.0.0.1:0\npolicy: synergai\ntick_s: 0.05\n"
        "testbed: {}\ndictionary: {}\n"
        "executor:\n  kind: simulated\n"
        "  kubernetes: {{kubeconfig: {}, namespace: {}, job_ttl_s: 3600, api_qps: 1000, api_burst: 1000}}\n"
        "journal:\n  path: unused.jsonl\n",
        test::source_path("config/examples/tiny.yaml").string(),
        test::source_path("tests/data/valid/tiny-dictionary.json").string(), kubeconfig.string(), job_namespace);
  }

  // For each start of the service: on a port of its own (the last start's is forgotten).
  std::vector<std::string> args() const {
    return test::on_any_port({"serve", "--config", config.string(), "--journal", (dir / "journal.jsonl").string(),
                              "--executor", "kubernetes"},
                             dir / "ports.json");
  }
  service::Url url() const { return {"127.0.0.1", test::bound_port(dir / "ports.json")}; }
  std::filesystem::path log() const { return dir / "serve.log"; }
  std::string log_text() const {
    std::ifstream in{log()};
    return std::string{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
  }

  // Our Jobs in the fake server, by name.
  std::map<std::string, json> jobs() const {
    std::map<std::string, json> out;
    for (auto& j : server.jobs(job_namespace)) out[j["metadata"]["name"].get<std::string>()] = j;
    return out;
  }
};

std::string submit(service::HttpClient& c, const std::string& id, int queries) {
  auto r = c.request("POST", "/v1/jobs",
                     json{{"id", id}, {"engine", "onnx-mobilenet-op11"}, {"queries", queries}, {"qos_seconds", 600}}.dump());
  BOOST_TEST_REQUIRE(r.status == 201, r.body);
  return test::body_of(r)["id"].get<std::string>();
}

// name{labels} value, for the lines of a Prometheus text page.
std::map<std::string, double> parse_metrics(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in{text};
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto space = line.rfind(' ');
    out[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return out;
}

bool condition_true(const json& job, const std::string& type) {
  if (!job.contains("status") || !job["status"].contains("conditions")) return false;
  for (const auto& c : job["status"]["conditions"])
    if (c.value("type", "") == type && c.value("status", "") == "True") return true;
  return false;
}

const std::map<std::string, std::string> kubernetes_node{{"server", "server-1"}, {"edge", "jetson-nx-1"}};

}  // namespace

BOOST_AUTO_TEST_SUITE(service_kubernetes)

BOOST_AUTO_TEST_CASE(readyz_waits_for_the_first_list_of_jobs) {
  KubeFixture k{"kube-ready"};
  kube::fake::Faults unavailable;
  unavailable.error_rates = {{503, 1.0}};
  k.server.set_faults(Endpoint::list_jobs, unavailable);
  Child serve{k.args(), k.log()};

  // The journal is replayed (the API answers) while the list keeps failing.
  service::HttpClient c{k.url()};
  BOOST_TEST_REQUIRE(test::eventually([&] { return test::probe(k.url(), "/v1/jobs") == 200; },
      20s, "test::probe(k.url(), \"/v1/jobs\") == 200"), k.log_text());
  BOOST_TEST_REQUIRE(test::eventually([&] { return k.server.count(Endpoint::list_jobs, 503) >= 3; },
      20s, "k.server.count(Endpoint::list_jobs, 503) >= 3"));
  auto unready = c.request("GET", "/readyz");
  BOOST_TEST(unready.status == 503);
  BOOST_TEST(body_of(unready)["waiting_for"] == "executor", unready.body);
  BOOST_TEST(c.request("GET", "/healthz").status == 200);
  // A job accepted meanwhile waits in the journal and the queue; it is not lost.
  auto early = submit(c, "early-1", 100);

  k.server.clear_faults();
  BOOST_TEST_REQUIRE(wait_ready(k.url(), 20s), k.log_text());
  BOOST_TEST(k.server.count(Endpoint::list_jobs, 200) >= 1u);
  auto list = wait_all_terminal(c, 1, 20s);
  BOOST_TEST_REQUIRE(list["jobs"].size() == 1u);
  BOOST_TEST(list["jobs"][0]["state"] == "succeeded", list.dump());
  auto jobs = k.jobs();
  BOOST_TEST(jobs.size() == 1u);
  BOOST_TEST(jobs.count(kube::job_name(early)) == 1u);
  BOOST_TEST(k.server.count(Endpoint::create_job, 201) == 1u);
  BOOST_TEST(serve.stop(SIGTERM) == 0);
}

BOOST_AUTO_TEST_CASE(sigterm_while_the_api_server_fails_stops_promptly) {
  KubeFixture k{"kube-term"};
  kube::fake::Faults unavailable;
  unavailable.error_rates = {{503, 1.0}};
  k.server.set_faults(Endpoint::list_jobs, unavailable);
  Child serve{k.args(), k.log()};
  BOOST_TEST_REQUIRE(test::eventually([&] { return k.server.count(Endpoint::list_jobs, 503) >= 2; },
      20s, "k.server.count(Endpoint::list_jobs, 503) >= 2"));
  BOOST_TEST(test::probe(k.url(), "/readyz") == 503);
  auto t0 = std::chrono::steady_clock::now();
  BOOST_TEST(serve.stop(SIGTERM, 10s) == 0, k.log_text());
  auto took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  BOOST_TEST(took < 3.0, took << " s");
}

BOOST_AUTO_TEST_CASE(two_hundred_jobs_agree_in_the_api_metrics_and_the_cluster) {
  KubeFixture k{"kube-e2e"};  // the fake controller's default: each Job runs ~30 ms
  kube::fake::Faults flaky;  // a few creates fail with 503 before the server acts on them
  flaky.error_rates = {{503, 0.05}};
  k.server.set_faults(Endpoint::create_job, flaky);
  Child serve{k.args(), k.log()};
  BOOST_TEST_REQUIRE(wait_ready(k.url(), 20s), k.log_text());
  service::HttpClient c{k.url()};

  constexpr std::size_t n = 200;
  auto t0 = std::chrono::steady_clock::now();
  std::set<std::string> accepted;
  for (std::size_t i = 0; i < n; ++i) accepted.insert(submit(c, fmt::format("e2e-{:03}", i), 100 + static_cast<int>(i)));
  BOOST_TEST_REQUIRE(accepted.size() == n);
  auto list = wait_all_terminal(c, n, 60s);
  BOOST_TEST_MESSAGE(fmt::format("{} jobs accepted and finished in {:.1f} s", n,
                                 std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()));

  // The job list: every accepted job, once, succeeded.
  BOOST_TEST_REQUIRE(list["total"] == n, list["total"].dump());
  std::map<std::string, json> listed;
  for (const auto& j : list["jobs"]) {
    BOOST_TEST(j["state"] == "succeeded", j.dump());
    BOOST_TEST(j["waiting_seconds"].get<double>() >= 0, j.dump());
    BOOST_TEST(j["end_to_end_seconds"].get<double>() >= j["waiting_seconds"].get<double>(), j.dump());
    listed[j["id"].get<std::string>()] = j;
  }
  BOOST_TEST(listed.size() == n);

  // The cluster: one Job per job, by its deterministic name, ours, complete,
  // on the node the service says it ran on; none created twice or deleted.
  auto jobs = k.jobs();
  BOOST_TEST(jobs.size() == n);
  for (const auto& [id, j] : listed) {
    auto it = jobs.find(kube::job_name(id));
    BOOST_TEST_REQUIRE((it != jobs.end()), id);
    BOOST_TEST(kube::is_our_job(it->second, id), id);
    BOOST_TEST(condition_true(it->second, "Complete"), it->second["status"].dump());
    auto node = it->second["spec"]["template"]["spec"]["nodeSelector"]["kubernetes.io/hostname"];
    BOOST_TEST(node == kubernetes_node.at(j["node"].get<std::string>()), id << " " << node.dump());
  }
  const auto unavailable = k.server.count(Endpoint::create_job, 503);
  BOOST_TEST(unavailable > 0u);
  BOOST_TEST(k.server.count(Endpoint::create_job) == n + unavailable);
  BOOST_TEST(k.server.count(Endpoint::create_job, 201) == n);
  BOOST_TEST(k.server.count(Endpoint::delete_job) == 0u);
  // The edge node was switched to the mode its jobs were scheduled in.
  auto edge = k.server.node("jetson-nx-1");
  BOOST_TEST_REQUIRE(edge.has_value());
  BOOST_TEST((*edge)["metadata"]["annotations"].value("synergai.io/power-mode", "") == "9", edge->dump());

  // /metrics: the same counts.
  auto metrics = c.request("GET", "/metrics");
  BOOST_TEST_REQUIRE(metrics.status == 200);
  auto m = parse_metrics(metrics.body);
  BOOST_TEST(m["synergai_jobs{state=\"succeeded\"}"] == n, metrics.body);
  for (auto s : {"queued", "placed", "starting", "running", "failed", "cancelled"})
    BOOST_TEST(m[fmt::format("synergai_jobs{{state=\"{}\"}}", s)] == 0, s);
  BOOST_TEST(m["synergai_jobs_accepted_total"] == n);
  BOOST_TEST(m["synergai_node_jobs_started_total{node=\"server\"}"] + m["synergai_node_jobs_started_total{node=\"edge\"}"] ==
             n);
  BOOST_TEST(m["synergai_node_power_mode{node=\"edge\"}"] == 9);
  BOOST_TEST(m["synergai_decisions_total"] == n);
  BOOST_TEST(m["synergai_job_end_to_end_seconds_count"] == n);
  BOOST_TEST(m["synergai_job_waiting_seconds_count"] == n);
  BOOST_TEST(m.count("synergai_apiserver_request_errors_total") == 1u);
  BOOST_TEST(m["synergai_apiserver_request_errors_total"] == unavailable);  // each 503, retried
  BOOST_TEST_MESSAGE(fmt::format("{} create requests answered 503 and were retried", unavailable));

  // SIGTERM leaves the Jobs alone.
  BOOST_TEST(serve.stop(SIGTERM) == 0);
  BOOST_TEST(k.jobs().size() == n);
  BOOST_TEST(k.server.count(Endpoint::delete_job) == 0u);
}

// Service -> Node annotation -> the real node agent (`synergai agent`, here
// with a fake nvpmodel that takes 1.5 s to switch) -> applied -> Job created:
// the job planned for the Jetson starts only in its mode, and the switch is
// part of its waiting time.
BOOST_AUTO_TEST_CASE(the_real_agent_applies_the_mode_before_the_jobs_job_is_created) {
  KubeFixture k{"kube-agent"};
  k.server.set_node_agent({});  // nobody but the real agent answers
  k.server.set_job_rule([](const json&) {
    kube::fake::JobPlan plan;
    plan.run_for = 3s;  // the server stays busy: the second job goes to the Jetson
    return plan;
  });
  const auto nvpmodel = k.dir / "nvpmodel";
  std::ofstream{k.dir / "mode"} << "1\n";
  std::ofstream{nvpmodel} << "#!/bin/sh\nstate=\"$(dirname \"$0\")/mode\"\n"
                             "case \"$1\" in\n  -m) sleep 1.5; echo \"$2\" > \"$state\" ;;\n"
                             "  -q) echo \"NV Power Mode: MODE_$(cat \"$state\")\"; cat \"$state\" ;;\nesac\n";
  std::filesystem::permissions(nvpmodel, std::filesystem::perms::owner_all);
  Child agent{{"agent", "--node", "jetson-nx-1", "--testbed", test::source_path("config/examples/tiny.yaml").string(),
               "--nvpmodel", nvpmodel.string(), "--kubeconfig", (k.dir / "kubeconfig.yaml").string(),
               "--metrics-address", "127.0.0.1:0", "--retry-ms", "50"},
              k.dir / "agent.log"};
  Child serve{k.args(), k.log()};
  BOOST_TEST_REQUIRE(wait_ready(k.url(), 20s), k.log_text());
  service::HttpClient c{k.url()};
  submit(c, "agent-1", 1000);
  submit(c, "agent-2", 1000);
  auto list = wait_all_terminal(c, 2, 30s);
  std::map<std::string, json> by_node;
  for (const auto& j : list["jobs"]) {
    BOOST_TEST(j["state"] == "succeeded", j.dump());
    by_node[j["node"].get<std::string>()] = j;
  }
  BOOST_TEST_REQUIRE((by_node.count("edge") == 1u && by_node.count("server") == 1u), list.dump());
  BOOST_TEST(by_node["edge"]["config"]["mode"] == 9, by_node["edge"].dump());
  BOOST_TEST(test::read_text(k.dir / "mode") == "9\n");
  auto edge = k.server.node("jetson-nx-1").value();
  const auto& notes = edge["metadata"]["annotations"];
  BOOST_TEST(notes.value("synergai.io/power-mode-applied", "") == "9", edge.dump());
  const auto switch_ms = std::stoll(notes.value("synergai.io/power-mode-switch-ms", "0"));
  BOOST_TEST(switch_ms >= 1500, edge.dump());
  // The switch is in the job's record: placed, then started only after it.
  const double waited_for_switch = by_node["edge"]["waiting_seconds"].get<double>();
  BOOST_TEST(waited_for_switch >= 1.5, by_node["edge"].dump());
  BOOST_TEST(by_node["server"]["waiting_seconds"].get<double>() < 1.5, by_node["server"].dump());
  // The agent's own metrics: one switch, the mode it reads back.
  const auto agent_log = test::read_text(k.dir / "agent.log");
  const std::string listening = "metrics and health listening address=http://127.0.0.1:";
  const auto at = agent_log.find(listening);
  BOOST_TEST_REQUIRE(at != std::string::npos, agent_log);
  const auto agent_port = static_cast<std::uint16_t>(std::stoi(agent_log.substr(at + listening.size())));
  service::HttpClient agent_http{{"127.0.0.1", agent_port}};
  auto metrics = agent_http.request("GET", "/metrics");
  BOOST_TEST(metrics.status == 200);
  BOOST_TEST(metrics.body.find("synergai_agent_mode_switches_total 1\n") != std::string::npos, metrics.body);
  BOOST_TEST(metrics.body.find("synergai_agent_power_mode{node=\"jetson-nx-1\"} 9\n") != std::string::npos, metrics.body);
  BOOST_TEST(agent_http.request("GET", "/healthz").status == 200);
  BOOST_TEST(serve.stop(SIGTERM) == 0);
  BOOST_TEST(agent.stop(SIGTERM) == 0, test::read_text(k.dir / "agent.log"));
}

namespace {

// A Job of ours for `id`, made directly (as a service that crashed before it
// journaled the placement would have left it), on the tiny testbed's `node`.
json create_job_of(const KubeFixture& k, const std::string& id, const std::string& node, const ExecConfig& config) {
  static const auto tb = config::load_testbed(test::source_path("config/examples/tiny.yaml"));
  kube::ManifestOptions options;
  options.namespace_name = job_namespace;
  auto manifest = kube::job_manifest(JobSpec{id, "onnx-mobilenet-op11", 1000, Seconds{600}, {}},
                                     *tb.find_engine("onnx-mobilenet-op11"), *tb.find_node(node), config, options);
  kube::Client client{kube::load_kubeconfig({k.dir / "kubeconfig.yaml"})};
  return client.create_job(manifest);
}

double wall_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

// The crash between a Job's create and the fsync of its placement: the journal
// says queued, the Job runs on the Jetson. After the restart the job goes back
// to the Jetson in the Job's configuration (adopted, not created again), and
// the server stays free for others.
BOOST_AUTO_TEST_CASE(a_queued_job_whose_job_exists_goes_back_to_that_jobs_node) {
  KubeFixture k{"kube-adopt-node"};
  k.server.set_job_rule([](const json&) {
    kube::fake::JobPlan plan;
    plan.run_for = 2s;
    return plan;
  });
  const auto before = create_job_of(k, "adopt-1", "edge", ExecConfig{4, 9});
  JobRecord queued;
  queued.spec = JobSpec{"adopt-1", "onnx-mobilenet-op11", 1000, Seconds{600}, at_seconds(wall_seconds())};
  std::ofstream{k.dir / "journal.jsonl"} << json{{"job", queued}}.dump() << "\n";
  Child serve{k.args(), k.log()};
  BOOST_TEST_REQUIRE(wait_ready(k.url(), 20s), k.log_text());
  service::HttpClient c{k.url()};
  submit(c, "fresh-1", 1000);  // the server is free for it
  auto list = wait_all_terminal(c, 2, 30s);
  std::map<std::string, json> by_id;
  for (const auto& j : list["jobs"]) by_id[j["id"].get<std::string>()] = j;
  BOOST_TEST(by_id["adopt-1"]["state"] == "succeeded", list.dump());
  BOOST_TEST(by_id["adopt-1"]["node"] == "edge", by_id["adopt-1"].dump());  // before: the server, where it was planned
  BOOST_TEST(by_id["adopt-1"]["config"]["mode"] == 9, by_id["adopt-1"].dump());
  BOOST_TEST(by_id["fresh-1"]["node"] == "server", by_id["fresh-1"].dump());
  auto after = k.jobs().at(kube::job_name("adopt-1"));
  BOOST_TEST(after["metadata"]["uid"] == before["metadata"]["uid"]);  // adopted, not made again
  BOOST_TEST(serve.stop(SIGTERM) == 0);
}

// A job submitted with the id of a Job that runs elsewhere: the Job is not
// adopted under a record that names another node; the planned one replaces it.
BOOST_AUTO_TEST_CASE(an_existing_job_on_another_node_is_replaced_not_adopted) {
  KubeFixture k{"kube-replace"};
  const auto foreign = create_job_of(k, "clash-1", "edge", ExecConfig{4, 9});
  Child serve{k.args(), k.log()};
  BOOST_TEST_REQUIRE(wait_ready(k.url(), 20s), k.log_text());
  service::HttpClient c{k.url()};
  submit(c, "clash-1", 100);
  auto list = wait_all_terminal(c, 1, 30s);
  const auto& j = list["jobs"][0];
  BOOST_TEST(j["state"] == "succeeded", j.dump());
  auto job = k.jobs().at(kube::job_name("clash-1"));
  BOOST_TEST(job["metadata"]["uid"] != foreign["metadata"]["uid"]);
  BOOST_TEST(job["spec"]["template"]["spec"]["nodeSelector"]["kubernetes.io/hostname"] ==
                 kubernetes_node.at(j["node"].get<std::string>()),
             j.dump() << job.dump());
  BOOST_TEST(serve.stop(SIGTERM) == 0);
}

BOOST_AUTO_TEST_CASE(cancelling_running_jobs_deletes_their_jobs) {
  KubeFixture k{"kube-cancel"};
  k.server.set_job_rule([](const json&) {
    kube::fake::JobPlan plan;
    plan.run_for = 60s;
    return plan;
  });
  Child serve{k.args(), k.log()};
  BOOST_TEST_REQUIRE(wait_ready(k.url(), 20s), k.log_text());
  service::HttpClient c{k.url()};
  for (int i = 0; i < 3; ++i) submit(c, fmt::format("long-{}", i), 100);
  // Two nodes: two jobs run, one waits.
  std::map<std::string, std::string> state;
  BOOST_TEST_REQUIRE(test::eventually([&] {
        state.clear();
        std::size_t running = 0, queued = 0;
        auto list = body_of(c.request("GET", "/v1/jobs"));
        for (const auto& j : list["jobs"]) {
          state[j["id"].get<std::string>()] = j["state"].get<std::string>();
          running += j["state"] == "running";
          queued += j["state"] == "queued";
        }
        return running == 2 && queued == 1;
      }, 20s, "running == 2 && queued == 1"),
      c.request("GET", "/v1/jobs").body << "\n" << json(k.server.jobs(job_namespace)).dump());
  for (const auto& want : {"queued", "running"})
    for (const auto& [id, s] : state)
      if (s == want) BOOST_TEST(c.request("DELETE", "/v1/jobs/" + id).status == 202, id);
  auto list = wait_all_terminal(c, 3, 20s);
  for (const auto& j : list["jobs"]) BOOST_TEST(j["state"] == "cancelled", j.dump());
  // The two running jobs' Jobs are deleted; the queued one never had a Job.
  BOOST_TEST(test::eventually([&] { return k.jobs().empty(); }, 10s, "k.jobs().empty()"), k.jobs().size());
  BOOST_TEST(k.server.count(Endpoint::create_job) == 2u);
  BOOST_TEST(k.server.count(Endpoint::delete_job, 200) == 2u);
  BOOST_TEST(serve.stop(SIGTERM) == 0);
}

BOOST_AUTO_TEST_CASE(kill_9_with_jobs_running_then_restart_creates_no_job_twice) {
  KubeFixture k{"kube-crash"};
  k.server.set_job_rule([](const json&) {
    kube::fake::JobPlan plan;
    plan.run_for = 400ms;
    return plan;
  });
  constexpr std::size_t n = 16;
  std::set<std::string> accepted;
  std::map<std::string, std::string> uid_at_kill;  // Job name -> uid
  std::size_t unfinished_at_kill = 0;
  {
    Child first{k.args(), k.log()};
    BOOST_TEST_REQUIRE(wait_ready(k.url(), 20s), k.log_text());
    service::HttpClient c{k.url()};
    for (std::size_t i = 0; i < n; ++i) accepted.insert(submit(c, fmt::format("crash-{:02}", i), 200));
    // Wait for a few Jobs to have completed, with others running and the rest queued.
    std::size_t running = 0, queued = 0, done = 0;
    BOOST_TEST_REQUIRE(test::eventually([&] {
          auto list = body_of(c.request("GET", "/v1/jobs?limit=100"));
          running = queued = done = 0;
          for (const auto& j : list["jobs"]) {
            running += j["state"] == "running";
            queued += j["state"] == "queued";
            done += j["state"] == "succeeded";
          }
          return running >= 1 && queued >= 1 && done >= 2;
        }, 20s, "running >= 1 && queued >= 1 && done >= 2"));
    BOOST_TEST(first.stop(SIGKILL) == 128 + SIGKILL);
    BOOST_TEST_MESSAGE(fmt::format("killed with {} running, {} queued, {} succeeded", running, queued, done));
    for (const auto& [name, j] : k.jobs()) {
      uid_at_kill[name] = j["metadata"]["uid"].get<std::string>();
      unfinished_at_kill += !condition_true(j, "Complete");
    }
  }
  BOOST_TEST(uid_at_kill.size() < n);  // some jobs had no Job yet

  Child second{k.args(), k.log()};
  BOOST_TEST_REQUIRE(wait_ready(k.url(), 20s), k.log_text());
  service::HttpClient c{k.url()};
  auto list = wait_all_terminal(c, n, 30s);
  std::set<std::string> seen;
  std::size_t created_after = 0, timed_well = 0;
  for (const auto& j : list["jobs"]) {
    const auto id = j["id"].get<std::string>();
    seen.insert(id);
    BOOST_TEST(j["state"] == "succeeded", j.dump());
    // Jobs created by this process ran for their 400 ms, measured better than
    // the API server's one-second stamps. The first one on each node may have
    // moved before the new watch stream began: its events arrive together,
    // and its run looks shorter (never by a second or more).
    if (!uid_at_kill.count(kube::job_name(id)) && j["state"] == "succeeded") {
      const double ran = j["end_to_end_seconds"].get<double>() - j["waiting_seconds"].get<double>();
      BOOST_TEST((ran >= 0 && ran < 1.4), id << " ran " << ran << " s");
      ++created_after;
      timed_well += ran >= 0.3 && ran < 0.9;
    }
  }
  BOOST_TEST(seen == accepted);
  BOOST_TEST(timed_well + 2 >= created_after, timed_well << " of " << created_after << " timed to 0.3-0.9 s");
  BOOST_TEST_MESSAGE(fmt::format("{} of the {} Jobs created after the restart ran 0.3-0.9 s", timed_well, created_after));

  // One Job per job; those that existed at the kill are the same objects (adopted, not re-created).
  auto jobs = k.jobs();
  BOOST_TEST(jobs.size() == n);
  for (const auto& id : accepted) BOOST_TEST(jobs.count(kube::job_name(id)) == 1u, id);
  for (const auto& [name, uid] : uid_at_kill) {
    BOOST_TEST_REQUIRE(jobs.count(name) == 1u, name);
    BOOST_TEST(jobs.at(name)["metadata"]["uid"] == uid, name);
  }
  // Each job's record names the node its Job ran on: an adopted Job is resumed
  // on the worker it was placed on before the kill, not placed again.
  for (const auto& j : list["jobs"]) {
    const auto name = kube::job_name(j["id"].get<std::string>());
    auto node = jobs.at(name)["spec"]["template"]["spec"]["nodeSelector"]["kubernetes.io/hostname"];
    BOOST_TEST(node == kubernetes_node.at(j["node"].get<std::string>()), name << " " << node.dump());
  }
  BOOST_TEST(k.server.count(Endpoint::create_job, 201) == n);
  BOOST_TEST(k.server.count(Endpoint::delete_job) == 0u);
  BOOST_TEST_MESSAGE(fmt::format("{} Jobs existed at the kill ({} unfinished); {} create requests answered 409 "
                                 "(adopted)",
                                 uid_at_kill.size(), unfinished_at_kill, k.server.count(Endpoint::create_job, 409)));
  BOOST_TEST(second.stop(SIGTERM) == 0);
  BOOST_TEST(service::read_journal(k.dir / "journal.jsonl").jobs.size() == n);
}

BOOST_AUTO_TEST_SUITE_END()
