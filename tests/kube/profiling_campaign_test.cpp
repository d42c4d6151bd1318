// Profiling campaigns with the kube executor against the fake API server:
// one Job per attempt, pods' logs written as LoadGen writes them, 10 %
// injected 503s on every endpoint and dropped watches; failed Jobs, garbage
// and INVALID logs retried; and a campaign interrupted mid-run that resumes
// without re-running what completed or creating any Job twice.
#include "config/dictionary.hpp"
#include "config/testbed.hpp"
#include "kube/kubeconfig.hpp"
#include "kube/job_status.hpp"
#include "kube/manifest.hpp"
#include "executors/kube/profiling_executor.hpp"
#include "profiling/campaign.hpp"
#include "tests/kube/fake_fixture.hpp"
#include "tests/support.hpp"

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <fstream>
#include <set>
#include <unistd.h>

using namespace synergai;
using namespace std::chrono_literals;
using nlohmann::json;
using kube::fake::Endpoint;
using kube::fake::Faults;
namespace fs = std::filesystem;

namespace {

const config::Testbed& tiny() {
  static const auto tb = config::load_testbed(test::source_path("config/examples/tiny.yaml"));
  return tb;
}

// What the "engine" measures: exact in the summary's six decimals.
double stated_qps(const profiling::PlannedRun& r) {
  double base = r.engine == "onnx-mobilenet-op11" ? 120.0 : 45.0;
  double factor = r.config.mode ? (*r.config.mode == 9 ? 1.5 : 1.0) : r.config.threads * 0.75;
  return base * factor + 0.125 * r.repeat;
}
double stated_preprocessing(const profiling::PlannedRun& r) { return 2.0 + 0.25 * r.repeat; }

// The cluster side of a campaign: the fake server with a rule that plays the
// engine container (log text per run and attempt) and records every Job made.
struct Cluster {
  test::FakeCluster c;
  std::vector<profiling::PlannedRun> plan;
  std::map<std::string, const profiling::PlannedRun*> by_id;
  std::map<std::pair<std::string, int>, std::string> bad;  // (run, attempt) -> invalid | garbage | fail
  std::mutex m;
  std::map<std::string, int> created;  // Job name -> times created
  std::vector<json> jobs;

  explicit Cluster(const profiling::PlanOptions& po) {
    plan = profiling::make_plan(tiny(), nullptr, po);
    for (const auto& r : plan) by_id[r.id] = &r;
    c.server.add_node("server-1");
    c.server.add_node("jetson-nx-1");
    kube::fake::NodeAgent agent;
    agent.enabled = true;
    agent.delay = 15ms;
    c.server.set_node_agent(agent);
    c.server.set_job_rule([this](const json& job) { return rule(job); });
  }

  kube::fake::JobPlan rule(const json& job) {
    const auto& a = job["metadata"]["annotations"];
    const std::string run = a.at("synergai.io/profiling-run");
    const int attempt = std::stoi(a.at("synergai.io/profiling-attempt").get<std::string>());
    std::string kind;
    {
      std::lock_guard l{m};
      ++created[job["metadata"]["name"]];
      jobs.push_back(job);
      if (auto it = bad.find({run, attempt}); it != bad.end()) kind = it->second;
    }
    const auto& r = *by_id.at(run);
    kube::fake::JobPlan p;
    p.start_after = 2ms;
    p.run_for = 15ms;
    p.succeeds = kind != "fail";
    if (kind == "pull") {
      p.starts = false;
      p.waiting_reason = "ImagePullBackOff";
      p.waiting_message = "Back-off pulling image \"registry.example/mlperf-onnxruntime:1.0\"";
    }
    p.failure_message = "Job has reached the specified backoff limit";
    p.log_of = [r, kind](const json&, const json& pod) {
      if (kind == "garbage") return std::string{"Segmentation fault (core dumped)\n"};
      const auto& state = pod["status"]["containerStatuses"][0]["state"];
      const auto& s = state.contains("running") ? state["running"] : state["terminated"];
      double started = seconds_of(kube::parse_rfc3339(s["startedAt"].get<std::string>()).value());
      profiling::SyntheticRun logs;
      logs.sut_name = "fake-" + r.engine;
      logs.loadgen_version = "4.1.0";
      logs.qps = stated_qps(r);
      logs.queries = 64;
      logs.valid = kind != "invalid";
      logs.first_entry_ms = (started + stated_preprocessing(r)) * 1000.0;
      // The harness talks first; LoadGen copies its logs to stdout.
      return "loading model " + r.engine + "\n" + profiling::synthetic_summary(logs) +
             profiling::synthetic_detail(logs) + "done\n";
    };
    return p;
  }

  void unreliable() {
    Faults f;
    f.error_rates = {{503, 0.10}};
    for (auto e : {Endpoint::create_job, Endpoint::get_job, Endpoint::list_jobs, Endpoint::delete_job,
                   Endpoint::get_node, Endpoint::patch_node, Endpoint::list_pods, Endpoint::pod_log})
      c.server.set_faults(e, f);
    Faults w = f;
    w.drop_rate = 0.3;            // per event: a watch rarely outlives a few Jobs
    w.gone_on_resume_rate = 0.1;  // and sometimes has to re-list
    c.server.set_faults(Endpoint::watch_jobs, w);
  }

  kube::ProfilingExecutorOptions options() const {
    kube::ProfilingExecutorOptions o;
    o.campaign = "test-campaign";
    o.queries = 64;
    o.job_timeout = 20s;
    o.poll_interval = 500ms;
    o.power_mode.timeout = 5s;
    o.power_mode.poll = 5ms;
    o.watch_backoff.initial = 1ms;
    o.watch_backoff.max = 20ms;
    return o;
  }

  std::size_t injected(int code) const {
    std::size_t n = 0;
    for (const auto& r : c.server.requests()) n += r.injected && r.status == code;
    return n;
  }
};

// Stops the campaign as a kill would: after `left` attempts have run, the
// next outcome is lost before it reaches the journal. Not a std::exception,
// so run_campaign does not record it as a failed attempt.
struct Killed {};
class KilledAfter : public profiling::Executor {
 public:
  KilledAfter(profiling::Executor& inner, int left) : inner_{inner}, left_{left} {}
  std::string name() const override { return inner_.name(); }
  profiling::RunOutcome run(const profiling::PlannedRun& r, int attempt, const fs::path& dir) override {
    auto o = inner_.run(r, attempt, dir);
    if (--left_ < 0) throw Killed{};
    return o;
  }
  void recorded(const profiling::PlannedRun& r, int attempt) override { inner_.recorded(r, attempt); }

 private:
  profiling::Executor& inner_;
  int left_;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(kube_profiling)

BOOST_AUTO_TEST_CASE(split_pod_log_keeps_the_summary_from_its_banner_and_the_mllog_lines) {
  auto parts = kube::split_pod_log("INFO: start\n:::MLLOG {\"key\": \"a\"}\n=====\nMLPerf Results Summary\n=====\n"
                                   "Result is : VALID\n:::MLLOG {\"key\": \"b\"}\nNo errors encountered during test.\n"
                                   "bye\n");
  BOOST_TEST(parts.summary ==
             "=====\nMLPerf Results Summary\n=====\nResult is : VALID\nNo errors encountered during test.\n");
  BOOST_TEST(kube::split_pod_log("MLPerf Results Summary\n2 ERROR encountered. See detailed log.\nbye\n").summary ==
             "MLPerf Results Summary\n2 ERROR encountered. See detailed log.\n");
  BOOST_TEST(parts.detail == ":::MLLOG {\"key\": \"a\"}\n:::MLLOG {\"key\": \"b\"}\n");
  BOOST_TEST(kube::split_pod_log("no summary here\n").summary.empty());
}

BOOST_AUTO_TEST_CASE(campaign_under_503s_and_dropped_watches_completes_every_run_once) {
  auto started = std::chrono::steady_clock::now();
  profiling::PlanOptions po;
  po.repeats = 2;  // 2 engines x (3 thread levels on server + 2 modes on edge) x 2 = 20 runs
  Cluster cl{po};
  BOOST_TEST_REQUIRE(cl.plan.size() == 20u);
  cl.bad[{"onnx-resnet50-op11/server/t2/r1", 1}] = "invalid";
  cl.bad[{"onnx-mobilenet-op11/edge/t4/m9/r0", 1}] = "garbage";
  cl.bad[{"onnx-mobilenet-op11/server/t4/r0", 1}] = "fail";
  cl.bad[{"onnx-mobilenet-op11/server/t4/r0", 2}] = "invalid";
  cl.unreliable();
  auto client = cl.c.client();
  test::TempDir dir{"faults"};
  profiling::CampaignOptions co;
  co.out = dir;
  co.retries = 2;
  profiling::CampaignResult result;
  kube::ProfilingExecutorStats stats;
  kube::WatcherStats ws;
  {
    kube::ProfilingExecutor executor{client, tiny(), cl.options()};
    result = profiling::run_campaign(tiny(), cl.plan, executor, co);
    stats = executor.stats();
    ws = executor.watcher_stats();
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const auto records = profiling::read_journal(dir / "journal.jsonl");
  BOOST_TEST_MESSAGE(fmt::format("{} runs, {} attempts, {} Jobs created, {} adopted, {} deleted, {} mode requests, "
                                 "{} injected 503s, {} watches cut, {} watches, {} re-lists after 410, {} Job reads, "
                                 "{:.1f} s",
                                 cl.plan.size(), records.size(), stats.created, stats.adopted, stats.deleted,
                                 stats.mode_requests, cl.injected(503), cl.c.server.count(Endpoint::watch_jobs, 0),
                                 ws.watches, ws.gone, stats.polls, seconds));

  // Every run completed; the four bad attempts failed for the right reason and were retried.
  BOOST_TEST(result.completed == cl.plan.size());
  BOOST_TEST(result.failed.empty());
  BOOST_TEST(records.size() == cl.plan.size() + 4);
  std::map<std::pair<std::string, int>, std::string> failures;
  for (const auto& r : records)
    if (!r.outcome.ok) failures[{r.run, r.attempt}] = r.outcome.failure;
  BOOST_TEST(failures.size() == 4u);
  auto why = [&](const std::string& run, int attempt) { return failures[{run, attempt}]; };
  BOOST_TEST(why("onnx-resnet50-op11/server/t2/r1", 1) == "result INVALID");
  BOOST_TEST(why("onnx-mobilenet-op11/edge/t4/m9/r0", 1).starts_with("log unparsable: "));
  BOOST_TEST(why("onnx-mobilenet-op11/server/t4/r0", 1) ==
             "job failed: BackoffLimitExceeded: Job has reached the specified backoff limit");
  BOOST_TEST(why("onnx-mobilenet-op11/server/t4/r0", 2) == "result INVALID");

  // One Job per attempt: none created twice, none missing, none left behind.
  BOOST_TEST(stats.created == records.size());
  BOOST_TEST(stats.adopted == 0u);
  BOOST_TEST(cl.c.server.count(Endpoint::create_job, 201) == records.size());
  BOOST_TEST(cl.created.size() == records.size());
  for (const auto& [name, n] : cl.created) BOOST_TEST(n == 1, name << " created " << n << " times");
  BOOST_TEST(stats.deleted == records.size());
  BOOST_TEST(cl.c.server.jobs("default").empty());
  BOOST_TEST(cl.c.server.pods("default").empty());

  // The Jobs were what the runs asked for.
  for (const auto& job : cl.jobs) {
    const auto& r = *cl.by_id.at(job["metadata"]["annotations"]["synergai.io/profiling-run"].get<std::string>());
    const auto& pod = job["spec"]["template"]["spec"];
    BOOST_TEST(pod["nodeSelector"]["kubernetes.io/hostname"] == tiny().find_node(r.node)->kubernetes_node);
    BOOST_TEST(job["metadata"]["labels"]["synergai.io/campaign"] == "test-campaign");
    json env = pod["containers"][0]["env"];
    BOOST_TEST(std::count(env.begin(), env.end(),
                          json{{"name", "INTRA_OP_NUM_THREADS"}, {"value", std::to_string(r.config.threads)}}) == 1);
    json args = pod["containers"][0]["args"];
    BOOST_TEST(std::count(args.begin(), args.end(), json("64")) == 1);  // --count {queries}
    BOOST_TEST(std::count(args.begin(), args.end(), json("SingleStream")) == 1);
    if (r.config.mode) BOOST_TEST(job["metadata"]["annotations"]["synergai.io/power-mode"] == std::to_string(*r.config.mode));
  }
  // The edge node was switched once per change of mode: 1, 9 for each engine.
  BOOST_TEST(stats.mode_requests == 4u);
  BOOST_TEST(cl.c.server.node("jetson-nx-1").value()["metadata"]["annotations"]["synergai.io/power-mode-applied"] == "9");

  // The faults happened, and were survived.
  BOOST_TEST(cl.injected(503) >= 3u);  // about 15 expected: 10 % of some 150 requests
  BOOST_TEST(cl.c.server.count(Endpoint::watch_jobs, 0) >= 3u);

  // The dictionary holds what the logs stated.
  std::map<std::tuple<std::string, std::string, ExecConfig>, std::vector<const profiling::PlannedRun*>> configs;
  for (const auto& r : cl.plan) configs[{r.engine, r.node, r.config}].push_back(&r);
  BOOST_TEST(result.dictionary.points().size() == configs.size());
  for (const auto& [key, runs] : configs) {
    const auto& [engine, node, cfg] = key;
    const auto* p = result.dictionary.find(engine, node, cfg);
    BOOST_TEST_REQUIRE(p != nullptr);
    double qps = 0, pre = 0;
    for (const auto* r : runs) {
      qps += stated_qps(*r) / static_cast<double>(runs.size());
      pre += stated_preprocessing(*r) / static_cast<double>(runs.size());
    }
    BOOST_TEST(std::abs(p->qps - qps) < 1e-9, fmt::format("{}/{} {}: {} vs {}", engine, node, cfg, p->qps, qps));
    BOOST_TEST(std::abs(p->preprocessing.count() - pre) < 1e-6);
    BOOST_TEST(std::abs(p->inference.count() - 64 / qps) < 1e-3);
    BOOST_TEST(p->queries == 64);
    BOOST_TEST(p->source == "kube");
  }
  BOOST_TEST((result.dictionary.optimum("onnx-mobilenet-op11", "server")->config == ExecConfig{4, {}}));
  BOOST_TEST((result.dictionary.optimum("onnx-resnet50-op11", "edge")->config == ExecConfig{4, 9}));

  // The run's folder keeps the pod's log and the logs split out of it.
  auto run_dir = dir / "runs" / "onnx-resnet50-op11_server_t2_r1";
  BOOST_TEST(fs::exists(run_dir / "attempt-1" / "pod.log"));
  BOOST_TEST(fs::exists(run_dir / "attempt-2" / "mlperf_log_summary.txt"));
  BOOST_TEST(fs::exists(run_dir / "attempt-2" / "mlperf_log_detail.txt"));
  BOOST_TEST(fs::exists(run_dir / "attempt-2" / "pod.json"));
  BOOST_TEST(fs::exists(run_dir / "attempt-2" / "job.json"));
  BOOST_TEST(seconds < 20.0);
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(campaign_killed_mid_run_resumes_adopting_its_job_and_rerunning_nothing) {
  profiling::PlanOptions po;
  po.repeats = 1;
  po.threads["server"] = {1, 4};  // 2 engines x (2 + 2) = 8 runs
  Cluster cl{po};
  BOOST_TEST_REQUIRE(cl.plan.size() == 8u);
  cl.bad[{"onnx-mobilenet-op11/server/t4/r0", 1}] = "invalid";
  cl.unreliable();
  auto client = cl.c.client();
  test::TempDir dir{"resume"};
  profiling::CampaignOptions co;
  co.out = dir;

  // Killed after five attempts: the sixth attempt's Job ran, its outcome was lost.
  {
    kube::ProfilingExecutor executor{client, tiny(), cl.options()};
    KilledAfter killed{executor, 5};
    BOOST_CHECK_THROW(profiling::run_campaign(tiny(), cl.plan, killed, co), Killed);
    BOOST_TEST(executor.stats().created == 6u);
  }
  const auto before = profiling::read_journal(dir / "journal.jsonl");
  BOOST_TEST_REQUIRE(before.size() == 5u);
  std::set<std::string> completed_before;
  for (const auto& r : before)
    if (r.outcome.ok) completed_before.insert(r.run);
  BOOST_TEST(completed_before.size() == 4u);  // one of the five attempts was INVALID
  BOOST_TEST(cl.c.server.jobs("default").size() == 1u);  // the lost outcome's Job, kept for adoption

  co.resume = true;
  kube::ProfilingExecutorStats stats;
  profiling::CampaignResult result;
  {
    kube::ProfilingExecutor executor{client, tiny(), cl.options()};
    result = profiling::run_campaign(tiny(), cl.plan, executor, co);
    stats = executor.stats();
  }
  const auto after = profiling::read_journal(dir / "journal.jsonl");
  BOOST_TEST(result.completed == cl.plan.size());
  BOOST_TEST(result.skipped == completed_before.size());
  BOOST_TEST(stats.adopted == 1u);  // the interrupted attempt: followed, not created again
  BOOST_TEST(cl.c.server.count(Endpoint::create_job, 409) == 1u);
  BOOST_TEST(cl.created.size() == after.size());  // one Job per attempt over both invocations
  for (const auto& [name, n] : cl.created) BOOST_TEST(n == 1, name << " created " << n << " times");
  // Nothing completed before was run again.
  std::map<std::string, int> attempts;
  for (std::size_t i = before.size(); i < after.size(); ++i) {
    BOOST_TEST(!completed_before.count(after[i].run), after[i].run << " ran again");
    ++attempts[after[i].run];
  }
  std::map<std::string, int> ok;
  for (const auto& r : after) ok[r.run] += r.outcome.ok;
  BOOST_TEST(ok.size() == cl.plan.size());
  for (const auto& [run, n] : ok) BOOST_TEST(n == 1, run << " completed " << n << " times");
  BOOST_TEST(cl.c.server.jobs("default").empty());
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(without_a_working_watch_the_periodic_read_still_finishes_each_run) {
  profiling::PlanOptions po;
  po.repeats = 1;
  po.engines = {"onnx-mobilenet-op11"};
  po.nodes = {"server"};
  po.threads["server"] = {1, 2};
  Cluster cl{po};
  Faults dead;
  dead.error_rates = {{503, 1.0}};
  cl.c.server.set_faults(Endpoint::watch_jobs, dead);
  auto o = cl.options();
  o.poll_interval = 100ms;
  test::TempDir dir{"poll"};
  profiling::CampaignOptions co;
  co.out = dir;
  kube::ProfilingExecutor executor{cl.c.client(), tiny(), o};
  auto result = profiling::run_campaign(tiny(), cl.plan, executor, co);
  BOOST_TEST(result.completed == 2u);
  BOOST_TEST(executor.stats().polls >= 2u);
  BOOST_TEST(executor.watcher_stats().events == 0u);
  BOOST_TEST(cl.c.server.count(Endpoint::watch_jobs, 200) == 0u);
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(a_pod_that_cannot_pull_its_image_fails_the_attempt_without_waiting_for_the_timeout) {
  profiling::PlanOptions po;
  po.repeats = 1;
  po.engines = {"onnx-mobilenet-op11"};
  po.nodes = {"server"};
  po.threads["server"] = {2};
  Cluster cl{po};
  cl.bad[{"onnx-mobilenet-op11/server/t2/r0", 1}] = "pull";
  auto o = cl.options();
  o.poll_interval = 100ms;
  test::TempDir dir{"pull"};
  profiling::CampaignOptions co;
  co.out = dir;
  kube::ProfilingExecutor executor{cl.c.client(), tiny(), o};
  auto started = std::chrono::steady_clock::now();
  auto result = profiling::run_campaign(tiny(), cl.plan, executor, co);
  BOOST_TEST((std::chrono::steady_clock::now() - started < o.job_timeout / 2));
  BOOST_TEST(result.completed == 1u);
  auto records = profiling::read_journal(dir / "journal.jsonl");
  BOOST_TEST_REQUIRE(records.size() == 2u);
  const auto& why = records[0].outcome.failure;
  BOOST_TEST(why.starts_with("job failed: pod " + kube::job_name(executor.job_id(cl.plan[0], 1)) + "-"), why);
  BOOST_TEST(why.ends_with(" cannot start: ImagePullBackOff: Back-off pulling image "
                           "\"registry.example/mlperf-onnxruntime:1.0\""),
             why);
  BOOST_TEST(records[1].outcome.ok);
  BOOST_TEST(cl.c.server.jobs("default").empty());  // the stuck Job was deleted
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(synergai_profile_run_executor_kube_runs_and_resumes_a_campaign) {
  profiling::PlanOptions po;
  po.repeats = 1;
  po.engines = {"onnx-resnet50-op11"};  // 3 thread levels + 2 modes = 5 runs
  Cluster cl{po};
  cl.bad[{"onnx-resnet50-op11/edge/t4/m1/r0", 1}] = "invalid";
  test::TempDir dir{"cli"};
  fs::create_directories(dir);
  {
    std::ofstream out{dir / "kubeconfig.yaml"};
    out << fmt::format(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: {}\n"
        "    certificate-authority-data: {}\nusers:\n- name: fake\n  user:\n    token: {}\n"
        "contexts:\n- name: fake\n  context:\n    cluster: fake\n    user: fake\n    namespace: default\n"
        "current-context: fake\n",
        cl.c.server.url(), kube::base64_encode(cl.c.server.ca().cert_pem), cl.c.server.token());
  }
  const auto args = fmt::format(
      "profile run --testbed config/examples/tiny.yaml --engines onnx-resnet50-op11 --repeats 1 --executor kube "
      "--kubeconfig {} --queries 64 --campaign cli-test --image onnx-resnet50-op11=registry.example/other:2 --out {}",
      (dir / "kubeconfig.yaml").string(), (dir / "out").string());
  auto r = test::run_program(args);
  BOOST_TEST(r.exit_code == 0, r.output);
  BOOST_TEST(r.output.find("5 runs planned, 0 already done, 6 attempts now, 5 completed, 0 failed") != std::string::npos,
             r.output);
  auto d = config::load_dictionary(dir / "out" / "dictionary.json", &tiny());
  const auto* p = d.find("onnx-resnet50-op11", "edge", ExecConfig{4, 9});
  BOOST_TEST_REQUIRE(p != nullptr);
  BOOST_TEST(p->qps == 67.5);
  BOOST_TEST(d.provenance("onnx-resnet50-op11", "edge", ExecConfig{4, 9})->executor == "kube");
  BOOST_TEST(cl.created.size() == 6u);
  for (const auto& job : cl.jobs) {
    BOOST_TEST(job["spec"]["template"]["spec"]["containers"][0]["image"] == "registry.example/other:2");
    BOOST_TEST(job["metadata"]["labels"]["synergai.io/campaign"] == "cli-test");
  }
  // Resuming a finished campaign runs nothing and creates no Job.
  auto again = test::run_program(args + " --resume");
  BOOST_TEST(again.exit_code == 0, again.output);
  BOOST_TEST(again.output.find("5 runs planned, 5 already done, 0 attempts now, 5 completed") != std::string::npos,
             again.output);
  BOOST_TEST(cl.created.size() == 6u);
  // Kube options are refused with other executors.
  auto wrong = test::run_program("profile run --testbed config/examples/tiny.yaml --executor simulated --image x --out " +
                                 (dir / "other").string());
  BOOST_TEST(wrong.exit_code == 2);
  BOOST_TEST(wrong.output.find("--image applies to --executor kube only") != std::string::npos, wrong.output);
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(a_mode_the_node_agent_never_applies_fails_the_run_with_the_reason) {
  profiling::PlanOptions po;
  po.repeats = 1;
  po.engines = {"onnx-resnet50-op11"};
  po.nodes = {"edge"};
  Cluster cl{po};
  kube::fake::NodeAgent agent;
  agent.enabled = true;
  agent.delay = 5ms;
  agent.refused = {"9"};
  cl.c.server.set_node_agent(agent);
  test::TempDir dir{"modes"};
  profiling::CampaignOptions co;
  co.out = dir;
  co.retries = 1;
  kube::ProfilingExecutor executor{cl.c.client(), tiny(), cl.options()};
  auto result = profiling::run_campaign(tiny(), cl.plan, executor, co);
  BOOST_TEST(result.completed == 1u);  // mode 1
  BOOST_TEST_REQUIRE(result.failed.size() == 1u);
  BOOST_TEST(result.failed[0].run == "onnx-resnet50-op11/edge/t4/m9/r0");
  BOOST_TEST(result.failed[0].attempts == 2);
  BOOST_TEST(result.failed[0].reasons[0] ==
             "power mode: node jetson-nx-1 refused power mode 9: "
             "synergai.io/power-mode-error=9: nvpmodel refused the mode");
  BOOST_TEST(executor.stats().created == 1u);  // no Job for a run whose mode was refused
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_SUITE_END()
