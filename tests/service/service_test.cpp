// The cluster service: its configuration, the HTTP API in process (flow, bad
// input, auth, limits), the journal, and the real `synergai serve` program
// killed with SIGKILL and restarted without losing a job.
#include "actors/policies/policy.hpp"
#include "config/dictionary.hpp"
#include "config/service.hpp"
#include "config/testbed.hpp"
#include "service/http_client.hpp"
#include "service/http_server.hpp"
#include "service/journal.hpp"
#include "service/service.hpp"
#include "tests/service/service_fixture.hpp"
#include "tests/support.hpp"

#include <boost/test/unit_test.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <fstream>
#include <memory>
#include <thread>
#include <vector>

using namespace synergai;
using nlohmann::json;
using namespace std::chrono_literals;
using test::body_of;
using test::Child;
using test::free_port;
using test::fresh_dir;
using test::wait_all_terminal;
using test::wait_ready;

namespace {

constexpr const char* tiny_service_yaml = R"(service: test
listen: 127.0.0.1:0
policy: synergai
tick_s: 0.05
testbed: {testbed}
dictionary: {dictionary}
executor:
  kind: simulated
  simulated: {{speedup: {speedup}, noise_sigma: 0.05, seed: 1}}
journal:
  path: {journal}
{extra})";

std::filesystem::path write_config(const std::filesystem::path& dir, double speedup, const std::string& extra = "") {
  auto path = dir / "service.yaml";
  std::ofstream{path} << fmt::format(tiny_service_yaml, fmt::arg("testbed", test::source_path("config/examples/tiny.yaml").string()),
                                     fmt::arg("dictionary", test::source_path("tests/data/valid/tiny-dictionary.json").string()),
                                     fmt::arg("speedup", speedup), fmt::arg("journal", (dir / "journal.jsonl").string()),
                                     fmt::arg("extra", extra));
  return path;
}

// A Service and its HTTP server in this process, on an ephemeral port.
struct InProcess {
  config::ServiceConfig config;
  std::unique_ptr<service::Service> svc;
  std::unique_ptr<service::HttpServer> server;

  explicit InProcess(const std::filesystem::path& config_file) {
    config = config::load_service_config(config_file, policy_names());
    auto testbed = config::load_testbed(config.testbed);
    auto dictionary = config::load_dictionary(config.dictionary, &testbed);
    svc = std::make_unique<service::Service>(config, testbed, dictionary);
    svc->start();
    server = std::make_unique<service::HttpServer>(
        *svc, service::ServerOptions{"127.0.0.1", 0, 2, config.max_body_bytes});
    server->start();
  }
  ~InProcess() {
    server->stop();
    svc->stop();
  }
  service::Url url() const { return {"127.0.0.1", server->port()}; }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(service_config)

BOOST_AUTO_TEST_CASE(the_shipped_example_loads) {
  auto c = config::load_service_config(test::source_path("config/service.yaml"), policy_names());
  BOOST_TEST(c.listen.port == 8080);
  BOOST_TEST(c.policy == "synergai");
  BOOST_TEST((c.executor == config::ExecutorKind::simulated));
  BOOST_TEST(c.simulated.speedup == 10);
  BOOST_TEST(c.testbed.filename() == "thesis.yaml");
  auto r = test::run_program("serve --config config/service.yaml --check");
  BOOST_TEST(r.exit_code == 0, r.output);
}

BOOST_AUTO_TEST_CASE(listen_addresses) {
  BOOST_TEST(config::parse_listen_address("0.0.0.0:80").has_value());
  BOOST_TEST(config::parse_listen_address("localhost:0")->port == 0);
  BOOST_TEST(!config::parse_listen_address("8080"));
  BOOST_TEST(!config::parse_listen_address("host:99999"));
  BOOST_TEST(!config::parse_listen_address("host:"));
  BOOST_TEST(!config::parse_listen_address("a b:80"));
}

BOOST_AUTO_TEST_CASE(flags_override_and_bad_files_exit_2) {
  auto r = test::run_program("serve --config config/service.yaml --listen nonsense --check");
  BOOST_TEST(r.exit_code == 2, r.output);
  BOOST_TEST(r.output.find("--listen") != std::string::npos, r.output);
  r = test::run_program("serve --config config/service.yaml --listen 127.0.0.1:9 --journal /tmp/x.jsonl --check");
  BOOST_TEST(r.exit_code == 0, r.output);
  BOOST_TEST(r.output.find("listen 127.0.0.1:9") != std::string::npos, r.output);
  BOOST_TEST(r.output.find("journal /tmp/x.jsonl") != std::string::npos, r.output);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(service_api)

BOOST_AUTO_TEST_CASE(jobs_run_and_api_metrics_agree) {
  auto dir = fresh_dir("flow");
  InProcess s{write_config(dir, 1000)};
  service::HttpClient c{s.url()};
  BOOST_TEST(c.request("GET", "/healthz").status == 200);
  BOOST_TEST(c.request("GET", "/readyz").status == 200);
  for (int i = 0; i < 20; ++i) {
    auto r = c.request("POST", "/v1/jobs",
                       json{{"engine", "onnx-mobilenet-op11"}, {"queries", 100 + i}, {"qos_seconds", 60}}.dump());
    BOOST_TEST_REQUIRE(r.status == 201, r.body);
    BOOST_TEST(body_of(r)["state"] == "queued");
  }
  // Idempotent repeat; conflicting repeat.
  auto first = c.request("POST", "/v1/jobs", R"({"id":"fixed-1","engine":"onnx-mobilenet-op11","queries":5,"qos_seconds":9})");
  BOOST_TEST(first.status == 201);
  auto again = c.request("POST", "/v1/jobs", R"({"id":"fixed-1","engine":"onnx-mobilenet-op11","queries":5,"qos_seconds":9})");
  BOOST_TEST(again.status == 201);
  BOOST_TEST(body_of(again)["id"] == "fixed-1");
  auto conflict = c.request("POST", "/v1/jobs", R"({"id":"fixed-1","engine":"onnx-mobilenet-op11","queries":6,"qos_seconds":9})");
  BOOST_TEST(conflict.status == 409);
  BOOST_TEST(body_of(conflict)["field"] == "id");

  auto list = wait_all_terminal(c, 21, 30s);
  BOOST_TEST_REQUIRE(list["total"] == 21);
  std::size_t succeeded = 0;
  for (const auto& j : list["jobs"]) succeeded += j["state"] == "succeeded";
  BOOST_TEST(succeeded == 21u);
  auto one = c.request("GET", "/v1/jobs/fixed-1");
  BOOST_TEST(one.status == 200);
  BOOST_TEST(body_of(one)["end_to_end_seconds"].is_number());
  BOOST_TEST(c.request("GET", "/v1/jobs/nope").status == 404);
  auto page = body_of(c.request("GET", "/v1/jobs?state=succeeded&limit=5&offset=5"));
  BOOST_TEST(page["jobs"].size() == 5u);
  BOOST_TEST(page["next_offset"] == 10);

  auto metrics = c.request("GET", "/metrics");
  BOOST_TEST(metrics.status == 200);
  BOOST_TEST(metrics.body.find("synergai_jobs{state=\"succeeded\"} 21\n") != std::string::npos, metrics.body);
  BOOST_TEST(metrics.body.find("synergai_queue_length 0\n") != std::string::npos);
  BOOST_TEST(metrics.body.find("synergai_job_end_to_end_seconds_count 21\n") != std::string::npos);
  BOOST_TEST(metrics.body.find("synergai_decisions_total 21\n") != std::string::npos);

  auto workers = body_of(c.request("GET", "/v1/workers"))["workers"];
  BOOST_TEST_REQUIRE(workers.size() == 2u);
  BOOST_TEST(workers[0]["node"] == "server");
  BOOST_TEST(workers[0]["state"] == "idle");
  BOOST_TEST(!workers[0]["last_transition"].is_null());
}

BOOST_AUTO_TEST_CASE(cancel_queued_and_running) {
  auto dir = fresh_dir("cancel");
  InProcess s{write_config(dir, 1)};  // real durations: the first jobs run for ~20 s
  service::HttpClient c{s.url()};
  for (int i = 0; i < 4; ++i)
    BOOST_TEST_REQUIRE(c.request("POST", "/v1/jobs", json{{"id", fmt::format("c{}", i)}, {"engine", "onnx-mobilenet-op11"},
                                                           {"queries", 1000}, {"qos_seconds", 600}}.dump())
                           .status == 201);
  std::this_thread::sleep_for(300ms);
  for (int i = 0; i < 4; ++i) BOOST_TEST(c.request("DELETE", fmt::format("/v1/jobs/c{}", i)).status == 202);
  auto list = wait_all_terminal(c, 4, 10s);
  for (const auto& j : list["jobs"]) BOOST_TEST(j["state"] == "cancelled", j.dump());
  BOOST_TEST(c.request("DELETE", "/v1/jobs/c0").status == 200);  // already cancelled
  BOOST_TEST(c.request("DELETE", "/v1/jobs/none").status == 404);
}

BOOST_AUTO_TEST_CASE(stop_closes_idle_connections_and_returns_at_once) {
  auto dir = fresh_dir("stop");
  InProcess s{write_config(dir, 10)};
  std::vector<std::unique_ptr<service::HttpClient>> clients;  // each holds a kept-alive, idle connection
  for (int i = 0; i < 3; ++i) {
    clients.push_back(std::make_unique<service::HttpClient>(s.url()));
    BOOST_TEST(clients.back()->request("GET", "/healthz").status == 200);
  }
  const auto start = std::chrono::steady_clock::now();
  s.server->stop();
  const auto took = std::chrono::steady_clock::now() - start;
  // Neither the 10 s allowed for answers in flight nor the 60 s idle timeout:
  // the I/O threads return as soon as every connection is closed.
  BOOST_TEST((took < 2s), std::chrono::duration<double>(took).count() << " s");
  BOOST_CHECK_THROW(clients[0]->request("GET", "/healthz"), std::exception);  // closed, and no longer accepting
  s.server->stop();  // a second stop does nothing
}

BOOST_AUTO_TEST_CASE(bad_requests_get_their_status_and_field) {
  auto dir = fresh_dir("bad");
  std::ofstream{dir / "token"} << "s3cret\n";
  InProcess s{write_config(dir, 1000, fmt::format("auth:\n  token_file: {}\nlimits:\n  max_body_bytes: 1024\n",
                                                  (dir / "token").string()))};
  service::HttpClient anonymous{s.url()};
  auto denied = anonymous.request("GET", "/v1/jobs");
  BOOST_TEST(denied.status == 401);
  BOOST_TEST(body_of(denied)["field"] == "Authorization");
  BOOST_TEST(service::HttpClient(s.url(), "wrong").request("GET", "/v1/jobs").status == 401);
  BOOST_TEST(anonymous.request("GET", "/healthz").status == 200);  // probes need no token

  service::HttpClient c{s.url(), "s3cret"};
  struct Case {
    std::string body;
    int status;
    std::string field;
  };
  std::vector<Case> cases{
      {"{", 400, "body"},
      {"[1,2]", 400, "body"},
      {"", 400, "body"},
      {R"({"engine":"onnx-mobilenet-op11","queries":5,"qos_seconds":9,"colour":"red"})", 400, "colour"},
      {R"({"queries":5,"qos_seconds":9})", 400, "engine"},
      {R"({"engine":7,"queries":5,"qos_seconds":9})", 400, "engine"},
      {R"({"engine":"tf-nothing","queries":5,"qos_seconds":9})", 400, "engine"},
      {R"({"engine":"onnx-resnet50-op11","queries":5,"qos_seconds":9})", 400, "engine"},  // profiled nowhere
      {R"({"engine":"onnx-mobilenet-op11","qos_seconds":9})", 400, "queries"},
      {R"({"engine":"onnx-mobilenet-op11","queries":0,"qos_seconds":9})", 400, "queries"},
      {R"({"engine":"onnx-mobilenet-op11","queries":-3,"qos_seconds":9})", 400, "queries"},
      {R"({"engine":"onnx-mobilenet-op11","queries":2.5,"qos_seconds":9})", 400, "queries"},
      {R"({"engine":"onnx-mobilenet-op11","queries":"5","qos_seconds":9})", 400, "queries"},
      {R"({"engine":"onnx-mobilenet-op11","queries":99999999999,"qos_seconds":9})", 400, "queries"},
      {R"({"engine":"onnx-mobilenet-op11","queries":5})", 400, "qos_seconds"},
      {R"({"engine":"onnx-mobilenet-op11","queries":5,"qos_seconds":0})", 400, "qos_seconds"},
      {R"({"engine":"onnx-mobilenet-op11","queries":5,"qos_seconds":-1})", 400, "qos_seconds"},
      {R"({"engine":"onnx-mobilenet-op11","queries":5,"qos_seconds":"9"})", 400, "qos_seconds"},
      {R"({"engine":"onnx-mobilenet-op11","queries":5,"qos_seconds":9,"id":""})", 400, "id"},
      {R"({"engine":"onnx-mobilenet-op11","queries":5,"qos_seconds":9,"id":"a/b"})", 400, "id"},
      {R"({"engine":"onnx-mobilenet-op11","queries":5,"qos_seconds":9,"id":3})", 400, "id"},
      {std::string(2000, ' '), 413, "body"},
  };
  for (const auto& k : cases) {
    auto r = c.request("POST", "/v1/jobs", k.body);
    BOOST_TEST(r.status == k.status, k.body.substr(0, 80) << " -> " << r.status << " " << r.body);
    auto j = json::parse(r.body, nullptr, false);
    BOOST_TEST((j.is_object() && j["field"] == k.field), k.body.substr(0, 80) << " -> " << r.body);
  }
  BOOST_TEST(c.request("GET", "/v1/jobs?state=flying").status == 400);
  BOOST_TEST(c.request("GET", "/v1/jobs?limit=0").status == 400);
  BOOST_TEST(c.request("GET", "/v1/jobs?colour=red").status == 400);
  BOOST_TEST(c.request("PUT", "/v1/jobs").status == 405);
  BOOST_TEST(c.request("GET", "/v2/anything").status == 404);
  // The service is unharmed: healthy, nothing queued, and it still takes jobs.
  BOOST_TEST(c.request("GET", "/healthz").status == 200);
  auto list = body_of(c.request("GET", "/v1/jobs"));
  BOOST_TEST(list["total"] == 0);
  BOOST_TEST(c.request("POST", "/v1/jobs", R"({"engine":"onnx-mobilenet-op11","queries":5,"qos_seconds":9})").status ==
             201);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(service_journal)

BOOST_AUTO_TEST_CASE(replay_keeps_the_latest_record_and_skips_a_torn_line) {
  auto dir = fresh_dir("journal");
  auto path = dir / "j.jsonl";
  {
    service::Journal j{path, 1 << 20, {}};
    JobRecord r;
    r.spec = JobSpec{"a", "onnx-mobilenet-op11", 5, Seconds{9}, at_seconds(1000)};
    j.append(r, true);
    r.state = JobState::placed;
    r.node = "server";
    r.placed_at = at_seconds(1001);
    j.append(r, false);
    r.spec.id = "b";
    r.state = JobState::queued;
    r.node.clear();
    r.placed_at.reset();
    j.append(r, true);
  }
  std::ofstream{path, std::ios::app} << R"({"job":{"spec":{"id":"c")";  // a crash mid-line
  auto replay = service::read_journal(path);
  BOOST_TEST_REQUIRE(replay.jobs.size() == 2u);
  BOOST_TEST(replay.jobs[0].spec.id == "a");
  BOOST_TEST((replay.jobs[0].state == JobState::placed));
  BOOST_TEST(seconds_of(replay.jobs[0].spec.submitted_at) == 1000.0);
  BOOST_TEST(replay.skipped == 1u);
}

BOOST_AUTO_TEST_CASE(compaction_keeps_one_line_per_job) {
  auto dir = fresh_dir("compact");
  auto path = dir / "j.jsonl";
  std::vector<JobRecord> table;
  for (int i = 0; i < 3; ++i) {
    JobRecord r;
    r.spec = JobSpec{fmt::format("j{}", i), "onnx-mobilenet-op11", 5, Seconds{9}, at_seconds(1000 + i)};
    r.state = JobState::succeeded;
    table.push_back(r);
  }
  service::Journal j{path, 4096, [&] { return table; }};
  for (int n = 0; n < 100; ++n) j.append(table[static_cast<std::size_t>(n % 3)], true);
  BOOST_TEST(j.stats().compactions >= 1u);
  j.close();
  auto replay = service::read_journal(path);
  BOOST_TEST(replay.jobs.size() == 3u);
  BOOST_TEST(replay.lines < 100u);
}

BOOST_AUTO_TEST_CASE(kill_9_and_restart_loses_nothing) {
  auto dir = fresh_dir("crash");
  auto config = write_config(dir, 20);
  auto port = free_port();
  service::Url url{"127.0.0.1", port};
  std::vector<std::string> args{"serve", "--config", config.string(), "--listen", fmt::format("127.0.0.1:{}", port)};
  std::set<std::string> accepted;
  {
    Child first{args, dir / "serve.log"};
    BOOST_TEST_REQUIRE(wait_ready(url, 20s));
    service::HttpClient c{url};
    for (int i = 0; i < 12; ++i) {
      auto r = c.request("POST", "/v1/jobs", json{{"engine", "onnx-mobilenet-op11"}, {"queries", 500}, {"qos_seconds", 120}}.dump());
      BOOST_TEST_REQUIRE(r.status == 201, r.body);
      accepted.insert(body_of(r)["id"].get<std::string>());
    }
    std::this_thread::sleep_for(200ms);
    auto before = body_of(c.request("GET", "/v1/jobs?limit=100"));
    std::size_t running = 0, queued = 0;
    for (const auto& j : before["jobs"]) {
      running += j["state"] == "running";
      queued += j["state"] == "queued";
    }
    BOOST_TEST(running >= 1u);  // some run, the rest wait, when the service dies
    BOOST_TEST(queued >= 1u);
    BOOST_TEST(first.stop(SIGKILL) == 128 + SIGKILL);
  }
  Child second{args, dir / "serve.log"};
  BOOST_TEST_REQUIRE(wait_ready(url, 20s));
  service::HttpClient c{url};
  auto list = wait_all_terminal(c, accepted.size(), 40s);
  std::set<std::string> seen;
  for (const auto& j : list["jobs"]) {
    seen.insert(j["id"].get<std::string>());
    BOOST_TEST(j["state"] == "succeeded", j.dump());
  }
  BOOST_TEST(seen == accepted);
  // SIGTERM: a graceful stop with exit 0, and the journal still holds every job.
  BOOST_TEST(second.stop(SIGTERM) == 0);
  BOOST_TEST(service::read_journal(dir / "journal.jsonl").jobs.size() == accepted.size());
}

BOOST_AUTO_TEST_SUITE_END()
