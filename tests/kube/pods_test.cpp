// The fake API server's pods and logs (each Job's pod follows the Job;
// tests decide the log's text), faults on those endpoints, and the node agent
// of the power-mode handshake with kube::request_power_mode.
#include "config/testbed.hpp"
#include "kube/job_status.hpp"
#include "kube/manifest.hpp"
#include "kube/power_mode.hpp"
#include "tests/kube/fake_fixture.hpp"
#include "tests/support.hpp"

#include <boost/test/unit_test.hpp>

using namespace synergai;
using namespace std::chrono_literals;
using nlohmann::json;
using kube::fake::Endpoint;
using test::sample_job;
using kube::fake::Faults;

namespace {

std::vector<json> pods_of(kube::Client& client, const std::string& job) {
  return client.list_pods("job-name=" + job).items;
}

std::string phase_of(kube::Client& client, const std::string& job) {
  auto pods = pods_of(client, job);
  return pods.size() == 1 ? pods[0]["status"]["phase"].get<std::string>() : fmt::format("{} pods", pods.size());
}

int api_code(const std::function<void()>& f) {
  try {
    f();
  } catch (const kube::ApiError& e) {
    return e.code();
  }
  return 200;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(kube_pods)

BOOST_AUTO_TEST_CASE(a_jobs_pod_follows_it_from_pending_to_succeeded_and_serves_its_log) {
  test::FakeCluster c;
  c.server.set_job_rule([](const json&) {
    kube::fake::JobPlan p;
    p.start_after = 150ms;
    p.run_for = 150ms;
    p.log = "loading model\nresult: ok\n";
    return p;
  });
  auto client = c.client();
  auto job = client->create_job(sample_job("p1"));
  const std::string name = job["metadata"]["name"];
  auto pods = pods_of(*client, name);
  BOOST_TEST_REQUIRE(pods.size() == 1u);
  const auto& pod = pods[0];
  const std::string pod_name = pod["metadata"]["name"];
  BOOST_TEST(pod_name.starts_with(name + "-"));
  BOOST_TEST(pod["metadata"]["labels"]["job-name"] == name);
  BOOST_TEST(pod["metadata"]["labels"]["controller-uid"] == job["metadata"]["uid"]);
  BOOST_TEST(pod["metadata"]["labels"][std::string{kube::managed_by_label}] == "synergai");  // the template's labels
  BOOST_TEST(pod["metadata"]["ownerReferences"][0]["uid"] == job["metadata"]["uid"]);
  BOOST_TEST(pod["spec"]["nodeName"] == "server-1");
  BOOST_TEST(pod["status"]["phase"] == "Pending");
  BOOST_TEST(pod["status"]["containerStatuses"][0]["state"].contains("waiting"));
  // Before the container starts, the log is refused as the kubelet does.
  try {
    client->pod_log(pod_name, "inference");
    BOOST_FAIL("a log of a waiting container");
  } catch (const kube::ApiError& e) {
    BOOST_TEST(e.code() == 400);
    BOOST_TEST(std::string{e.what()}.find("is waiting to start: ContainerCreating") != std::string::npos);
  }
  BOOST_TEST_REQUIRE(test::eventually([&] { return phase_of(*client, name) == "Running"; },
      "phase_of(*client, name) == \"Running\""));
  auto running = pods_of(*client, name)[0];
  auto started = running["status"]["containerStatuses"][0]["state"]["running"]["startedAt"].get<std::string>();
  BOOST_TEST(kube::parse_rfc3339(started).has_value());
  BOOST_TEST_REQUIRE(test::eventually([&] { return phase_of(*client, name) == "Succeeded"; },
      "phase_of(*client, name) == \"Succeeded\""));
  auto done = pods_of(*client, name)[0];
  const auto& term = done["status"]["containerStatuses"][0]["state"]["terminated"];
  BOOST_TEST(term["exitCode"] == 0);
  BOOST_TEST(term["startedAt"] == started);
  BOOST_TEST(kube::parse_rfc3339(term["finishedAt"].get<std::string>()).has_value());
  BOOST_TEST((kube::job_progress(client->get_job(name)).phase == kube::JobProgress::Phase::succeeded));
  BOOST_TEST(client->pod_log(pod_name, "inference") == "loading model\nresult: ok\n");
  // Other Jobs' pods are not selected; deleting the Job takes its pod along.
  BOOST_TEST(pods_of(*client, "synergai-other").empty());
  client->delete_job(name);
  BOOST_TEST(pods_of(*client, name).empty());
  BOOST_TEST(api_code([&] { client->pod_log(pod_name); }) == 404);
}

BOOST_AUTO_TEST_CASE(a_failed_jobs_pod_fails_and_a_callback_writes_the_log) {
  test::FakeCluster c;
  c.server.set_job_rule([](const json&) {
    kube::fake::JobPlan p;
    p.start_after = 1ms;
    p.run_for = 20ms;
    p.succeeds = false;
    p.log_of = [](const json& job, const json& pod) {
      return fmt::format("{} in {} from {}\n", job["metadata"]["name"].get<std::string>(),
                         pod["metadata"]["name"].get<std::string>(),
                         pod["status"]["containerStatuses"][0]["state"]["terminated"]["startedAt"].get<std::string>());
    };
    return p;
  });
  auto client = c.client();
  const std::string name = client->create_job(sample_job("p2"))["metadata"]["name"];
  BOOST_TEST_REQUIRE(test::eventually([&] { return phase_of(*client, name) == "Failed"; },
      "phase_of(*client, name) == \"Failed\""));
  auto pod = pods_of(*client, name)[0];
  BOOST_TEST(pod["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"] == 1);
  const auto& started = pod["status"]["containerStatuses"][0]["state"]["terminated"]["startedAt"];
  BOOST_TEST(client->pod_log(pod["metadata"]["name"]) ==
             fmt::format("{} in {} from {}\n", name, pod["metadata"]["name"].get<std::string>(),
                         started.get<std::string>()));
  BOOST_TEST((kube::job_progress(client->get_job(name)).phase == kube::JobProgress::Phase::failed));
}

BOOST_AUTO_TEST_CASE(ttl_collects_the_pod_with_its_job) {
  test::FakeCluster c;
  c.server.set_job_rule([](const json&) {
    kube::fake::JobPlan p;
    p.start_after = 1ms;
    p.run_for = 5ms;
    return p;
  });
  auto client = c.client();
  kube::ManifestOptions zero_ttl;
  zero_ttl.ttl_seconds_after_finished = 0;
  const std::string name = client->create_job(sample_job("p3", zero_ttl))["metadata"]["name"];
  test::eventually([&] { return !c.server.job("default", name); }, "!c.server.job(\"default\", name)");
  BOOST_TEST(c.server.pods("default").empty());
}

BOOST_AUTO_TEST_CASE(faults_apply_to_the_pod_endpoints) {
  test::FakeCluster c;
  c.server.set_job_rule([](const json&) {
    kube::fake::JobPlan p;
    p.start_after = 1ms;
    p.run_for = 5ms;
    p.log = "text\n";
    return p;
  });
  auto o = test::FakeCluster::fast_options();
  o.backoff.max_attempts = 3;
  auto client = c.client(o);
  const std::string name = client->create_job(sample_job("p4"))["metadata"]["name"];
  BOOST_TEST_REQUIRE(test::eventually([&] { return phase_of(*client, name) == "Succeeded"; },
      "phase_of(*client, name) == \"Succeeded\""));
  const std::string pod = pods_of(*client, name)[0]["metadata"]["name"];

  Faults always;
  always.error_rates = {{503, 1.0}};
  always.retry_after_s = 0;
  c.server.set_faults(Endpoint::list_pods, always);
  c.server.set_faults(Endpoint::pod_log, always);
  BOOST_TEST(api_code([&] { pods_of(*client, name); }) == 503);
  BOOST_TEST(api_code([&] { client->pod_log(pod); }) == 503);
  BOOST_TEST(c.server.count(Endpoint::list_pods, 503) == 3u);  // every attempt of the client
  BOOST_TEST(c.server.count(Endpoint::pod_log, 503) == 3u);

  Faults resets;
  resets.reset_rate = 1.0;
  c.server.clear_faults();
  c.server.set_faults(Endpoint::pod_log, resets);
  BOOST_TEST(api_code([&] { client->pod_log(pod); }) == 0);  // a transport failure
  BOOST_TEST(c.server.count(Endpoint::pod_log, 0) >= 3u);  // and the client's retry of a reused connection

  c.server.clear_faults();
  BOOST_TEST(client->pod_log(pod) == "text\n");
  BOOST_TEST(c.server.count(Endpoint::pod_log, 200) == 1u);
}

BOOST_AUTO_TEST_CASE(the_node_agent_applies_a_requested_mode_after_its_delay) {
  test::FakeCluster c;
  c.server.add_node("jetson-nx-1");
  kube::fake::NodeAgent agent;
  agent.enabled = true;
  agent.delay = 250ms;
  agent.refused = {"2"};
  c.server.set_node_agent(agent);
  auto client = c.client();
  auto annotations = [&] { return c.server.node("jetson-nx-1").value()["metadata"]["annotations"]; };
  client->patch_node("jetson-nx-1", {{"metadata", {{"annotations", {{"synergai.io/power-mode", "9"}}}}}});
  BOOST_TEST(!annotations().contains("synergai.io/power-mode-applied"));  // not at once
  test::eventually([&] { return annotations().value("synergai.io/power-mode-applied", "") == "9"; },
      "annotations().value(\"synergai.io/power-mode-applied\", \"\") == \"9\"");
  client->patch_node("jetson-nx-1", {{"metadata", {{"annotations", {{"synergai.io/power-mode", "2"}}}}}});
  test::eventually([&] { return annotations().contains("synergai.io/power-mode-error"); },
      "annotations().contains(\"synergai.io/power-mode-error\")");
  BOOST_TEST(annotations()["synergai.io/power-mode-error"] == "2: nvpmodel refused the mode");
  BOOST_TEST(annotations()["synergai.io/power-mode-applied"] == "9");  // still the last applied
  // A label patch is not a mode request.
  auto rv = c.server.node("jetson-nx-1").value()["metadata"]["resourceVersion"];
  client->patch_node("jetson-nx-1", {{"metadata", {{"labels", {{"x", "y"}}}}}});
  std::this_thread::sleep_for(300ms);
  BOOST_TEST(std::stoull(c.server.node("jetson-nx-1").value()["metadata"]["resourceVersion"].get<std::string>()) ==
             std::stoull(rv.get<std::string>()) + 1);
}

BOOST_AUTO_TEST_CASE(request_power_mode_waits_for_the_agent_and_names_refusals_and_timeouts) {
  test::FakeCluster c;
  c.server.add_node("jetson-nx-1");
  kube::fake::NodeAgent agent;
  agent.enabled = true;
  agent.delay = 50ms;
  agent.refused = {"2"};
  c.server.set_node_agent(agent);
  auto client = c.client();
  kube::PowerModeWait wait;
  wait.timeout = 2s;
  wait.poll = 10ms;

  auto r = kube::request_power_mode(*client, "jetson-nx-1", 9, wait);
  BOOST_TEST(r.applied);
  BOOST_TEST(r.requested);
  BOOST_TEST(r.waited_s >= 0.04);
  auto again = kube::request_power_mode(*client, "jetson-nx-1", 9, wait);  // already there: no patch
  BOOST_TEST(again.applied);
  BOOST_TEST(!again.requested);
  BOOST_TEST(c.server.count(Endpoint::patch_node) == 1u);

  auto refused = kube::request_power_mode(*client, "jetson-nx-1", 2, wait);
  BOOST_TEST(!refused.applied);
  BOOST_TEST(refused.error.find("node jetson-nx-1 refused power mode 2") != std::string::npos);
  BOOST_TEST(refused.error.find("nvpmodel refused the mode") != std::string::npos);
  // Asking again clears the old refusal, so the agent tries again.
  agent.refused.clear();
  c.server.set_node_agent(agent);
  auto retried = kube::request_power_mode(*client, "jetson-nx-1", 2, wait);
  BOOST_TEST(retried.applied);
  BOOST_TEST(!c.server.node("jetson-nx-1").value()["metadata"]["annotations"].contains("synergai.io/power-mode-error"));

  c.server.set_node_agent({});  // no agent: nobody answers
  wait.timeout = 200ms;
  auto timeout = kube::request_power_mode(*client, "jetson-nx-1", 1, wait);
  BOOST_TEST(!timeout.applied);
  BOOST_TEST(timeout.error == "node jetson-nx-1 did not report power mode 1 within 0.2 s "
                              "(synergai.io/power-mode-applied is \"2\")");
  BOOST_TEST(api_code([&] { kube::request_power_mode(*client, "no-such-node", 1, wait); }) == 404);
}

BOOST_AUTO_TEST_SUITE_END()
