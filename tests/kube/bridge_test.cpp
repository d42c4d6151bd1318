// The Kubernetes executor actor against the fake API server: the executor
// protocol (started / finished exactly once), power modes as node
// annotations, cancellation, re-adoption after a restart, and 200 jobs under
// injected 503s and dropped watches.
#include "config/testbed.hpp"
#include "kube/bridge.hpp"
#include "kube/manifest.hpp"
#include "tests/kube/fake_fixture.hpp"
#include "tests/support.hpp"

#include <boost/test/unit_test.hpp>
#include <caf/all.hpp>

#include <map>
#include <mutex>

using namespace synergai;
using namespace std::chrono_literals;
using nlohmann::json;
using kube::fake::Endpoint;
using kube::fake::Faults;

namespace {

struct Reports {
  std::mutex m;
  std::map<std::string, int> started;
  std::map<std::string, TimePoint> started_at;
  std::map<std::string, std::vector<ExecutionOutcome>> finished;
  std::vector<std::string> order;  // "s:<id>" / "f:<id>"

  std::size_t finished_count() {
    std::lock_guard l{m};
    return finished.size();
  }
};

execution_listener::behavior_type listener(execution_listener::pointer, std::shared_ptr<Reports> r) {
  return {
      [=](started_atom, const std::string& id, TimePoint at) {
        std::lock_guard l{r->m};
        ++r->started[id];
        r->started_at[id] = at;
        r->order.push_back("s:" + id);
      },
      [=](finished_atom, const ExecutionOutcome& o) {
        std::lock_guard l{r->m};
        r->finished[o.job_id].push_back(o);
        r->order.push_back("f:" + o.job_id);
      },
  };
}

config::Testbed tiny() { return config::load_testbed(test::source_path("config/examples/tiny.yaml")); }

RunRequest request(const std::string& id, const std::string& node = "server", ExecConfig cfg = {2, {}}) {
  return RunRequest{JobSpec{id, "onnx-mobilenet-op11", 10, Seconds{5}, at_seconds(0)}, node, cfg};
}

kube::BridgeOptions fast_bridge() {
  kube::BridgeOptions o;
  o.watch_backoff.initial = 1ms;
  o.watch_backoff.max = 20ms;
  return o;
}

// Fails jobs whose id ends in "-fail"; keeps "-pending" ones pending.
kube::fake::JobPlan rule(const json& job) {
  kube::fake::JobPlan p;
  p.start_after = 2ms;
  p.run_for = 15ms;
  const std::string id = job["metadata"]["annotations"]["synergai.io/job-id"];
  if (id.ends_with("-fail")) p.succeeds = false;
  if (id.ends_with("-pending")) p.starts = false;
  return p;
}

struct BridgeRig {
  explicit BridgeRig(kube::ClientOptions co = test::FakeCluster::fast_options()) {
    cluster.server.add_node("server-1");
    cluster.server.add_node("jetson-nx-1");
    cluster.server.set_job_rule(rule);
    kube::fake::NodeAgent agent;  // reports power modes as the node agent would
    agent.enabled = true;
    agent.delay = std::chrono::milliseconds{5};
    agent.refused = {"1"};
    cluster.server.set_node_agent(agent);
    client = cluster.client(co);
  }
  void start() {
    bridge = kube::spawn_kube_bridge(system, client, tiny(), Timeline::unix_time(system.clock().now()), fast_bridge());
    log = system.spawn(listener, reports);
  }
  ~BridgeRig() {
    caf::anon_send_exit(bridge, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(log, caf::exit_reason::user_shutdown);
  }
  void run(const RunRequest& r) { caf::anon_send(bridge, run_atom::value, r, log); }

  test::FakeCluster cluster;
  std::shared_ptr<kube::Client> client;
  caf::actor_system_config cfg;
  caf::actor_system system{cfg};
  executor_actor bridge;
  execution_listener log;
  std::shared_ptr<Reports> reports = std::make_shared<Reports>();
};

}  // namespace

BOOST_AUTO_TEST_SUITE(kube_bridge)

BOOST_AUTO_TEST_CASE(job_runs_and_is_reported_once) {
  BridgeRig rig;
  rig.start();
  rig.run(request("one"));
  rig.run(request("two-fail"));
  BOOST_TEST_REQUIRE(test::eventually([&] { return rig.reports->finished_count() == 2; },
      "rig.reports->finished_count() == 2"));
  std::this_thread::sleep_for(50ms);  // nothing more may arrive
  std::lock_guard l{rig.reports->m};
  auto& r = *rig.reports;
  BOOST_TEST(r.started["one"] == 1);
  BOOST_TEST_REQUIRE(r.finished["one"].size() == 1u);
  BOOST_TEST((r.finished["one"][0].outcome == Outcome::succeeded));
  BOOST_TEST(seconds_of(r.finished["one"][0].finished_at) >= seconds_of(r.started_at["one"]));
  BOOST_TEST(seconds_of(r.started_at["one"]) > 1.6e9);  // Unix-epoch seconds
  BOOST_TEST_REQUIRE(r.finished["two-fail"].size() == 1u);
  BOOST_TEST((r.finished["two-fail"][0].outcome == Outcome::failed));
  BOOST_TEST(r.finished["two-fail"][0].message.find("BackoffLimitExceeded") != std::string::npos);
  auto s = std::find(r.order.begin(), r.order.end(), "s:one");
  auto f = std::find(r.order.begin(), r.order.end(), "f:one");
  BOOST_TEST((s < f));
  // The Job as created: on the node, with our labels.
  auto job = rig.cluster.server.job("default", kube::job_name("one"));
  BOOST_TEST_REQUIRE(job.has_value());
  BOOST_TEST((*job)["spec"]["template"]["spec"]["nodeSelector"]["kubernetes.io/hostname"] == "server-1");
  BOOST_TEST(kube::is_our_job(*job, "one"));
}

BOOST_AUTO_TEST_CASE(bad_requests_fail_without_touching_the_api) {
  BridgeRig rig;
  rig.start();
  rig.run(request("no-node", "nowhere"));
  rig.run(request("bad-mode", "edge", ExecConfig{4, 3}));
  BOOST_TEST_REQUIRE(test::eventually([&] { return rig.reports->finished_count() == 2; },
      "rig.reports->finished_count() == 2"));
  BOOST_TEST(rig.cluster.server.count(Endpoint::create_job) == 0u);
  std::lock_guard l{rig.reports->m};
  BOOST_TEST(rig.reports->started.empty());
}

BOOST_AUTO_TEST_CASE(power_mode_is_patched_as_node_annotation) {
  BridgeRig rig;
  rig.start();
  caf::scoped_actor self{rig.system};
  int applied = -1;
  self->request(rig.bridge, 5s, mode_atom::value, std::string{"edge"}, 9)
      .receive([&](int m) { applied = m; }, [&](caf::error&) { applied = -2; });
  BOOST_TEST(applied == 9);
  auto node = rig.cluster.server.node("jetson-nx-1");
  BOOST_TEST((*node)["metadata"]["annotations"]["synergai.io/power-mode"] == "9");
  bool refused = false;
  self->request(rig.bridge, 5s, mode_atom::value, std::string{"edge"}, 4)
      .receive([&](int) {}, [&](caf::error&) { refused = true; });
  BOOST_TEST(refused);
  BOOST_TEST(rig.cluster.server.count(Endpoint::patch_node) == 1u);

  // The reply waits for the agent's report: a refusal fails the request with
  // the agent's reason, and no answer at all fails it at the timeout.
  std::string why;
  self->request(rig.bridge, 5s, mode_atom::value, std::string{"edge"}, 1)
      .receive([&](int) {}, [&](caf::error& e) { why = rig.system.render(e); });
  BOOST_TEST(why.find("nvpmodel refused the mode") != std::string::npos, why);
}

BOOST_AUTO_TEST_CASE(power_mode_without_an_agent_fails_at_the_timeout) {
  BridgeRig rig;
  rig.cluster.server.set_node_agent({});
  auto options = fast_bridge();
  options.mode_wait = {std::chrono::milliseconds{300}, std::chrono::milliseconds{10}};
  rig.bridge = kube::spawn_kube_bridge(rig.system, rig.client, tiny(), Timeline::unix_time(rig.system.clock().now()), options);
  caf::scoped_actor self{rig.system};
  std::string why;
  self->request(rig.bridge, 5s, mode_atom::value, std::string{"edge"}, 9)
      .receive([&](int) {}, [&](caf::error& e) { why = rig.system.render(e); });
  BOOST_TEST(why.find("did not report power mode 9 within 0.3 s") != std::string::npos, why);
}

BOOST_AUTO_TEST_CASE(cancel_deletes_the_job_and_reports_cancelled) {
  BridgeRig rig;
  rig.start();
  rig.run(request("c-pending"));
  BOOST_TEST_REQUIRE(test::eventually([&] { return rig.cluster.server.job("default", kube::job_name("c-pending")).has_value(); },
      "rig.cluster.server.job(\"default\", kube::job_name(\"c-pending\")).has_value()"));
  caf::anon_send(rig.bridge, cancel_atom::value, std::string{"c-pending"});
  BOOST_TEST_REQUIRE(test::eventually([&] { return rig.reports->finished_count() == 1; },
      "rig.reports->finished_count() == 1"));
  std::this_thread::sleep_for(50ms);
  std::lock_guard l{rig.reports->m};
  BOOST_TEST_REQUIRE(rig.reports->finished["c-pending"].size() == 1u);
  BOOST_TEST((rig.reports->finished["c-pending"][0].outcome == Outcome::cancelled));
  BOOST_TEST(!rig.cluster.server.job("default", kube::job_name("c-pending")).has_value());
  BOOST_TEST(rig.cluster.server.count(Endpoint::delete_job, 200) == 1u);
}

BOOST_AUTO_TEST_CASE(restarted_bridge_adopts_existing_jobs) {
  BridgeRig rig;
  // A previous scheduler created these before it died.
  auto tb = tiny();
  for (const std::string id : {"old-done", "old-running"}) {
    auto m = kube::job_manifest(JobSpec{id, "onnx-mobilenet-op11", 10, Seconds{5}, {}},
                                *tb.find_engine("onnx-mobilenet-op11"), *tb.find_node("server"), ExecConfig{2, {}});
    if (id == "old-running") m["metadata"]["annotations"]["fake.synergai.io/duration-ms"] = "300";
    rig.client->create_job(m);
  }
  BOOST_TEST_REQUIRE(test::eventually([&] {
    auto j = rig.cluster.server.job("default", kube::job_name("old-done"));
    return j && j->contains("/status/succeeded"_json_pointer);
  }, "j && j->contains(\"/status/succeeded\"_json_pointer)"));
  rig.start();
  BOOST_TEST_REQUIRE(test::eventually([&] { return rig.cluster.server.count(Endpoint::watch_jobs) >= 1; },
      "rig.cluster.server.count(Endpoint::watch_jobs) >= 1"));
  rig.run(request("old-done"));
  rig.run(request("old-running"));
  BOOST_TEST_REQUIRE(test::eventually([&] { return rig.reports->finished_count() == 2; },
      "rig.reports->finished_count() == 2"));
  BOOST_TEST(rig.cluster.server.count(Endpoint::create_job) == 2u);  // only the earlier scheduler's
  BOOST_TEST(rig.cluster.server.jobs().size() == 2u);
  std::lock_guard l{rig.reports->m};
  for (const std::string id : {"old-done", "old-running"}) {
    BOOST_TEST(rig.reports->started[id] == 1);
    BOOST_TEST_REQUIRE(rig.reports->finished[id].size() == 1u);
    BOOST_TEST((rig.reports->finished[id][0].outcome == Outcome::succeeded));
  }
}

BOOST_AUTO_TEST_CASE(a_retry_of_a_failed_job_replaces_its_job) {
  BridgeRig rig;
  rig.start();
  rig.run(request("again-fail"));
  BOOST_TEST_REQUIRE(test::eventually([&] { return rig.reports->finished_count() == 1; },
      "rig.reports->finished_count() == 1"));
  rig.run(request("again-fail"));
  BOOST_TEST_REQUIRE(test::eventually([&] {
    std::lock_guard l{rig.reports->m};
    return rig.reports->finished["again-fail"].size() == 2;
  }, "rig.reports->finished[\"again-fail\"].size() == 2"));
  BOOST_TEST(rig.cluster.server.count(Endpoint::create_job, 201) == 2u);
  BOOST_TEST(rig.cluster.server.count(Endpoint::delete_job, 200) == 1u);
}

BOOST_AUTO_TEST_CASE(two_hundred_jobs_under_injected_faults_each_reported_once) {
  auto co = test::FakeCluster::fast_options();
  co.rate_limit = {2000, 100};
  co.backoff.max_attempts = 30;
  BridgeRig rig{co};
  Faults errors;
  errors.error_rates = {{503, 0.2}};
  for (auto ep : {Endpoint::create_job, Endpoint::get_job, Endpoint::list_jobs, Endpoint::delete_job})
    rig.cluster.server.set_faults(ep, errors);
  Faults watch;
  watch.error_rates = {{503, 0.2}};
  watch.drop_rate = 0.05;           // a stream dies before about one event in twenty
  watch.gone_on_resume_rate = 0.05;  // and now and then a resume is answered 410
  rig.cluster.server.set_faults(Endpoint::watch_jobs, watch);
  rig.start();
  constexpr int n = 200;
  std::map<std::string, Outcome> expected;
  for (int i = 0; i < n; ++i) {
    std::string id = fmt::format("bulk-{:03}{}", i, i % 7 == 0 ? "-fail" : "");
    expected[id] = i % 7 == 0 ? Outcome::failed : Outcome::succeeded;
    rig.run(request(id, i % 2 ? "server" : "edge", i % 2 ? ExecConfig{2, {}} : ExecConfig{4, 1}));
  }
  BOOST_TEST_REQUIRE(test::eventually([&] { return rig.reports->finished_count() == n; },
      60s, "rig.reports->finished_count() == n"),
                     "finished " << rig.reports->finished_count() << " of " << n);
  std::this_thread::sleep_for(100ms);  // late duplicates would show now
  std::lock_guard l{rig.reports->m};
  int wrong = 0, duplicates = 0, unstarted = 0;
  for (const auto& [id, outcome] : expected) {
    const auto& f = rig.reports->finished[id];
    if (f.size() != 1) ++duplicates;
    else if (f[0].outcome != outcome) ++wrong;
    if (rig.reports->started[id] != 1) ++unstarted;
  }
  BOOST_TEST(rig.reports->finished.size() == static_cast<std::size_t>(n));
  BOOST_TEST(duplicates == 0);
  BOOST_TEST(wrong == 0);
  BOOST_TEST(unstarted == 0);
  // One Job per job: retries and adoption never made duplicates.
  BOOST_TEST(rig.cluster.server.jobs().size() == static_cast<std::size_t>(n));
  const auto injected_503 = rig.cluster.server.count(Endpoint::create_job, 503);
  const auto drops = rig.cluster.server.count(Endpoint::watch_jobs, 0);
  BOOST_TEST(injected_503 > 0u);
  BOOST_TEST(drops > 0u);
  BOOST_TEST_MESSAGE("200 jobs: " << rig.cluster.server.count(Endpoint::create_job) << " create requests ("
                                  << injected_503 << " injected 503, "
                                  << rig.cluster.server.count(Endpoint::create_job, 409) << " 409 adopted), "
                                  << rig.cluster.server.count(Endpoint::watch_jobs) << " watch records (" << drops
                                  << " drops, " << rig.cluster.server.count(Endpoint::list_jobs) << " lists), "
                                  << rig.cluster.server.requests().size() << " requests in all");
}

BOOST_AUTO_TEST_SUITE_END()
