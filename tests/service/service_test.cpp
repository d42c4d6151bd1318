// The cluster service: its configuration, the HTTP API in process (flow, bad
// input, auth, limits), the journal, and the real `synergai serve` program
// killed with SIGKILL and restarted without losing a job.
#include "actors/policies/policy.hpp"
#include "config/dictionary.hpp"
#include "config/learned_profiles.hpp"
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
#include <cstring>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <fstream>
#include <memory>
#include <thread>
#include <vector>

using namespace synergai;
using nlohmann::json;
using namespace std::chrono_literals;
using test::body_of;
using test::Child;
using test::bound_port;
using test::on_any_port;
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
  test::TempDir dir{"flow"};
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
  BOOST_TEST(metrics.body.find("synergai_jobs{state=\"queued\"} 0\n") != std::string::npos);
  BOOST_TEST(metrics.body.find("synergai_queue_length") == std::string::npos);  // one series per figure
  BOOST_TEST(metrics.body.find("synergai_job_end_to_end_seconds_count 21\n") != std::string::npos);
  BOOST_TEST(metrics.body.find("synergai_decisions_total 21\n") != std::string::npos);

  auto workers = body_of(c.request("GET", "/v1/workers"))["workers"];
  BOOST_TEST_REQUIRE(workers.size() == 2u);
  BOOST_TEST(workers[0]["node"] == "server");
  BOOST_TEST(workers[0]["state"] == "idle");
  BOOST_TEST(!workers[0]["last_transition"].is_null());
}

// The text format's rules (Prometheus exposition format 0.0.4): each family
// has one HELP and one TYPE line before its samples, no series twice, valid
// names, `_total` on counters only, and histograms cumulative up to +Inf.
BOOST_AUTO_TEST_CASE(metrics_follow_the_text_format_and_naming_rules) {
  test::TempDir dir{"metrics"};
  InProcess s{write_config(dir, 1000)};
  service::HttpClient c{s.url()};
  for (int i = 0; i < 6; ++i)
    BOOST_TEST_REQUIRE(c.request("POST", "/v1/jobs", json{{"engine", "onnx-mobilenet-op11"}, {"queries", 50}, {"qos_seconds", 60}}.dump())
                           .status == 201);
  wait_all_terminal(c, 6, 30s);
  const auto text = c.request("GET", "/metrics").body;
  std::map<std::string, std::string> type_of;  // family -> TYPE
  std::set<std::string> helped, series;
  std::map<std::string, double> value, last_bucket;
  std::istringstream lines{text};
  std::string line;
  const std::regex name_re{"[a-zA-Z_:][a-zA-Z0-9_:]*"};
  const std::regex sample_re{R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-z_]+="[^"]*"\})? (\S+))"};
  auto family_of = [&](const std::string& name) {
    for (const char* suffix : {"_bucket", "_sum", "_count"})
      if (name.size() > std::strlen(suffix) && name.ends_with(suffix)) {
        auto base = name.substr(0, name.size() - std::strlen(suffix));
        if (type_of.count(base) && type_of[base] == "histogram") return base;
      }
    return name;
  };
  while (std::getline(lines, line)) {
    std::smatch m;
    if (line.rfind("# HELP ", 0) == 0) {
      auto name = line.substr(7, line.find(' ', 7) - 7);
      BOOST_TEST(helped.insert(name).second, "HELP twice: " << name);
      BOOST_TEST(std::regex_match(name, name_re), name);
    } else if (line.rfind("# TYPE ", 0) == 0) {
      auto rest = line.substr(7);
      auto name = rest.substr(0, rest.find(' '));
      auto type = rest.substr(rest.find(' ') + 1);
      BOOST_TEST(!type_of.count(name), "TYPE twice: " << name);
      BOOST_TEST(helped.count(name), "TYPE before HELP: " << name);
      BOOST_TEST((type == "counter" || type == "gauge" || type == "histogram"), line);
      BOOST_TEST((type == "counter") == name.ends_with("_total"), "_total is for counters only: " << line);
      type_of[name] = type;
    } else {
      BOOST_TEST_REQUIRE(std::regex_match(line, m, sample_re), "not a sample: " << line);
      BOOST_TEST(type_of.count(family_of(m[1])), "sample before its TYPE: " << line);
      auto key = m[1].str() + m[2].str();
      BOOST_TEST(series.insert(key).second, "series twice: " << key);
      value[key] = std::stod(m[3]);
      if (m[1].str().ends_with("_bucket")) {  // cumulative: never less than the bucket before
        auto& last = last_bucket[family_of(m[1])];
        BOOST_TEST(value[key] >= last, key);
        last = value[key];
      }
    }
  }
  for (const auto& [name, type] : type_of)
    if (type == "histogram") BOOST_TEST(value[name + "_bucket{le=\"+Inf\"}"] == value[name + "_count"], name);
  BOOST_TEST(value[fmt::format("synergai_build_info{{version=\"{}\"}}", SYNERGAI_VERSION)] == 1);
  BOOST_TEST(value["synergai_jobs{state=\"succeeded\"}"] == 6);
  BOOST_TEST(value["synergai_node_busy{node=\"server\"}"] + value["synergai_node_busy{node=\"edge\"}"] == 0);
  BOOST_TEST(value["synergai_node_jobs_started_total{node=\"server\"}"] +
                 value["synergai_node_jobs_started_total{node=\"edge\"}"] ==
             6);
  BOOST_TEST(value["synergai_node_power_mode{node=\"edge\"}"] >= 1);  // the default mode at least
  BOOST_TEST(value["synergai_scheduling_round_duration_seconds_count"] >= 1);
  BOOST_TEST(value["synergai_scheduling_round_duration_seconds_sum"] > 0);
  BOOST_TEST(type_of.count("synergai_queue_length") == 0u);  // the queued jobs' sample of synergai_jobs
}

BOOST_AUTO_TEST_CASE(cancel_queued_and_running) {
  test::TempDir dir{"cancel"};
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
  test::TempDir dir{"stop"};
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
  test::TempDir dir{"bad"};
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

BOOST_AUTO_TEST_SUITE(service_input)

BOOST_AUTO_TEST_CASE(invalid_utf8_in_the_url_the_id_or_the_body_is_a_400_and_counted) {
  test::TempDir dir{"utf8"};
  InProcess s{write_config(dir, 1000)};
  service::HttpClient c{s.url()};
  for (const char* target : {"/v1/jobs/%FF%FE", "/v1/jobs/a%C0%AFb", "/v1/jobs?state=%ED%A0%80", "/nowhere%F5"}) {
    auto r = c.request("GET", target);
    BOOST_TEST(r.status == 400, target << ": " << r.body);  // before: 500, the error body itself threw
    BOOST_TEST(body_of(r)["field"] == "url", r.body);
  }
  auto body = c.request("POST", "/v1/jobs", "{\"engine\":\"onnx-\xff\",\"queries\":5,\"qos_seconds\":9}");
  BOOST_TEST(body.status == 400, body.body);
  auto metrics = c.request("GET", "/metrics").body;
  BOOST_TEST(metrics.find("synergai_http_responses_total{code=\"400\"} 5\n") != std::string::npos, metrics);
  BOOST_TEST(metrics.find("code=\"500\"") == std::string::npos, metrics);
  BOOST_TEST(c.request("GET", "/healthz").status == 200);
}

// Opens `n` TCP connections to `port` that never send a request.
std::vector<int> idle_connections(std::uint16_t port, int n) {
  std::vector<int> fds;
  for (int i = 0; i < n; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) fds.push_back(fd);
    else if (fd >= 0) ::close(fd);
  }
  return fds;
}

BOOST_AUTO_TEST_CASE(running_out_of_descriptors_neither_spins_nor_stops_health_checks) {
  test::TempDir dir{"nofile"};
  auto config = write_config(dir, 1000);
  Child serve{on_any_port({"serve", "--config", config.string()}, dir / "ports.json"), dir / "serve.log"};
  auto port = bound_port(dir / "ports.json");
  service::Url url{"127.0.0.1", port};
  BOOST_TEST_REQUIRE(wait_ready(url, 20s), test::read_text(dir / "serve.log"));
  auto limit = test::run_shell(fmt::format("prlimit --pid {} --nofile=64:64", serve.pid));
  BOOST_TEST_REQUIRE(limit.exit_code == 0, limit.output);
  auto fds = idle_connections(port, 100);
  BOOST_TEST(fds.size() == 100u);
  std::this_thread::sleep_for(3s);  // before: 45 MB of the same log line in 5 s
  // Health checks get through: the connection idle longest makes room.
  test::eventually([&] { return test::probe(url, "/healthz") == 200; }, 10s, "test::probe(url, \"/healthz\") == 200");
  const auto log_bytes = std::filesystem::file_size(dir / "serve.log");
  BOOST_TEST(log_bytes < 64u * 1024u, log_bytes << " bytes of log");
  for (int fd : fds) ::close(fd);
  BOOST_TEST(serve.stop(SIGTERM) == 0);
}

BOOST_AUTO_TEST_CASE(probes_and_metrics_have_a_listener_of_their_own) {
  test::TempDir dir{"probes"};
  auto config = write_config(dir, 1000, fmt::format("listen_probes: 127.0.0.1:0\nauth: {{token_file: {}}}",
                                                     (dir / "token").string()));
  std::ofstream{dir / "token"} << "s3cret\n";
  Child serve{on_any_port({"serve", "--config", config.string()}, dir / "ports.json"), dir / "serve.log"};
  auto port = bound_port(dir / "ports.json");
  service::Url probes{"127.0.0.1", bound_port(dir / "ports.json", 30s, "probes_port")};
  BOOST_TEST(probes.port != port);
  BOOST_TEST_REQUIRE(wait_ready(probes, 20s), test::read_text(dir / "serve.log"));
  BOOST_TEST(test::probe(probes, "/healthz") == 200);
  BOOST_TEST(test::probe(probes, "/metrics") == 200);
  BOOST_TEST(test::probe(probes, "/v1/jobs") == 404);  // the API is not served there, token or not
  BOOST_TEST(test::probe({"127.0.0.1", port}, "/v1/jobs") == 401);
  BOOST_TEST(serve.stop(SIGTERM) == 0);
}

BOOST_AUTO_TEST_CASE(connections_past_the_cap_close_the_one_idle_longest) {
  test::TempDir dir{"cap"};
  auto config = write_config(dir, 1000, "limits: {max_connections: 8}");
  Child serve{on_any_port({"serve", "--config", config.string()}, dir / "ports.json"), dir / "serve.log"};
  auto port = bound_port(dir / "ports.json");
  service::Url url{"127.0.0.1", port};
  BOOST_TEST_REQUIRE(wait_ready(url, 20s), test::read_text(dir / "serve.log"));
  auto fds = idle_connections(port, 20);
  test::eventually([&] { return test::probe(url, "/healthz") == 200; }, 10s, "test::probe(url, \"/healthz\") == 200");
  // The oldest idle connections were closed by the server: reading them ends.
  std::this_thread::sleep_for(500ms);
  int closed = 0;
  for (int fd : fds) {
    char byte;
    timeval tv{0, 100000};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (::recv(fd, &byte, 1, 0) == 0) ++closed;
    ::close(fd);
  }
  BOOST_TEST(closed >= 12, closed << " of 20 idle connections closed by the server");
  BOOST_TEST(serve.stop(SIGTERM) == 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(service_journal)

BOOST_AUTO_TEST_CASE(replay_keeps_the_latest_record_and_skips_a_torn_line) {
  test::TempDir dir{"journal"};
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
  test::TempDir dir{"compact"};
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

namespace {

JobRecord queued_record(const std::string& id, double at) {
  JobRecord r;
  r.spec = JobSpec{id, "onnx-mobilenet-op11", 5, Seconds{9}, at_seconds(at)};
  return r;
}

std::string line_of(const JobRecord& r) { return json{{"job", r}}.dump(); }

}  // namespace

BOOST_AUTO_TEST_CASE(a_torn_tail_is_cut_and_kept_so_the_next_record_survives) {
  test::TempDir dir{"torn"};
  auto path = dir / "j.jsonl";
  std::ofstream{path} << line_of(queued_record("a", 1000)) << "\n" << R"({"job":{"spec":{"id":"c")";
  {
    service::Journal j{path, 1 << 20, {}};
    BOOST_TEST(j.stats().repaired.bytes_cut == std::string{R"({"job":{"spec":{"id":"c")"}.size());
    j.append(queued_record("b", 1001), true);  // before: glued onto the fragment, and lost
  }
  auto replay = service::read_journal(path);
  BOOST_TEST_REQUIRE(replay.jobs.size() == 2u);
  BOOST_TEST(replay.jobs[1].spec.id == "b");
  BOOST_TEST(replay.skipped == 0u);
  BOOST_TEST(test::read_text(dir / "j.jsonl.quarantine") == std::string{R"({"job":{"spec":{"id":"c")"} + "\n");
}

BOOST_AUTO_TEST_CASE(a_last_record_missing_only_its_newline_is_kept) {
  test::TempDir dir{"newline"};
  auto path = dir / "j.jsonl";
  auto done = queued_record("a", 1000);
  done.state = JobState::succeeded;
  std::ofstream{path} << line_of(queued_record("a", 1000)) << "\n" << line_of(done);  // no final newline
  {
    service::Journal j{path, 1 << 20, {}};
    BOOST_TEST(j.stats().repaired.newline_added == 1u);
    j.append(queued_record("b", 1001), true);
  }
  auto replay = service::read_journal(path);
  BOOST_TEST_REQUIRE(replay.jobs.size() == 2u);
  BOOST_TEST((replay.jobs[0].state == JobState::succeeded));  // before: back to queued, and run again
  BOOST_TEST(!std::filesystem::exists(dir / "j.jsonl.quarantine"));
}

BOOST_AUTO_TEST_CASE(a_refused_append_is_never_written_and_the_journal_recovers_by_itself) {
  test::TempDir dir{"full"};
  auto path = dir / "j.jsonl";
  service::Journal j{path, 1 << 20, {}, 10ms};
  j.append(queued_record("kept", 1000), true);
  const auto size = std::filesystem::file_size(path);
  auto running = queued_record("kept", 1000);
  running.state = JobState::running;
  {
    test::FileSizeLimit full{size + 40};  // room for part of a line, not a whole one
    BOOST_CHECK_THROW(j.append(queued_record("refused", 1001), true), RuntimeError);
    BOOST_TEST(j.stats().failing);
    BOOST_TEST(j.stats().write_failures >= 1u);
    BOOST_TEST(std::filesystem::file_size(path) == size);  // the partial line was cut off
    j.append(running, false);  // a transition of an accepted job: kept for later
    BOOST_CHECK_THROW(j.append(queued_record("refused-2", 1002), true), RuntimeError);
    BOOST_TEST(j.stats().pending >= 1u);
  }
  // Space again: the next append succeeds, and the kept transition is written.
  j.append(queued_record("after", 1003), true);
  BOOST_TEST(!j.stats().failing);
  BOOST_TEST(j.close() == 0u);
  auto replay = service::read_journal(path);
  std::map<std::string, JobRecord> by_id;
  for (const auto& r : replay.jobs) by_id[r.spec.id] = r;
  BOOST_TEST(by_id.count("refused") == 0u);  // before: written later, and run after a restart
  BOOST_TEST(by_id.count("refused-2") == 0u);
  BOOST_TEST(by_id.count("after") == 1u);
  BOOST_TEST_REQUIRE(by_id.count("kept") == 1u);
  BOOST_TEST((by_id["kept"].state == JobState::running));
  BOOST_TEST(replay.skipped == 0u);
}

BOOST_AUTO_TEST_CASE(a_compaction_leaves_out_a_submission_that_was_refused) {
  // The table holds a submission until its appender learns of the refusal and
  // removes it; a compaction meanwhile must not write it into the new file.
  test::TempDir dir{"compact-refused"};
  auto path = dir / "j.jsonl";
  std::vector<JobRecord> table{queued_record("kept", 1000), queued_record("refused", 1001)};
  service::Journal j{path, 1 << 20, [&] { return table; }, 10ms};
  j.append(table[0], true);
  std::uint64_t line = 0;
  {
    test::FileSizeLimit full{std::filesystem::file_size(path) + 40};
    line = j.enqueue(table[1], true);
    BOOST_CHECK_THROW(j.await(line), RuntimeError);
  }
  j.rewrite();
  BOOST_TEST_REQUIRE(test::eventually([&] { return j.stats().compactions >= 1u; },
      5000ms, "j.stats().compactions >= 1u"));
  j.settle(line);
  j.append(queued_record("after", 1002), true);
  j.close();
  std::set<std::string> ids;
  for (const auto& r : service::read_journal(path).jobs) ids.insert(r.spec.id);
  BOOST_TEST(ids.count("refused") == 0u);  // before: the compaction wrote it, and it ran after a restart
  BOOST_TEST(ids.count("kept") == 1u);
  BOOST_TEST(ids.count("after") == 1u);
}

BOOST_AUTO_TEST_CASE(replay_refuses_what_the_api_would_refuse_and_damage_stops_the_start) {
  test::TempDir dir{"replay-rules"};
  auto config = write_config(dir, 1000);
  auto journal = dir / "journal.jsonl";
  auto unknown = queued_record("unknown-engine", 1000);
  unknown.spec.engine = "no-such-engine";
  auto zero = queued_record("zero-queries", 1000);
  zero.spec.queries = 0;
  auto free = queued_record("no-deadline", 1000);
  free.spec.qos = Seconds{0};
  std::ofstream{journal} << line_of(queued_record("good", 1000)) << "\n" << line_of(unknown) << "\n"
                         << line_of(zero) << "\n" << line_of(free) << "\n";
  {
    Child serve{on_any_port({"serve", "--config", config.string()}, dir / "ports.json"), dir / "a.log"};
    service::Url url{"127.0.0.1", bound_port(dir / "ports.json")};
    BOOST_TEST_REQUIRE(wait_ready(url, 20s), test::read_text(dir / "a.log"));
    service::HttpClient c{url};
    auto list = wait_all_terminal(c, 4, 20s);
    for (const auto& j : list["jobs"]) {
      if (j["id"] == "good") {
        BOOST_TEST(j["state"] == "succeeded", j.dump());
      } else {
        BOOST_TEST(j["state"] == "failed", j.dump());
        BOOST_TEST(j["message"].get<std::string>().rfind("refused on replay: ", 0) == 0u, j.dump());
      }
    }
    auto metrics = c.request("GET", "/metrics").body;
    BOOST_TEST(metrics.find("synergai_journal_replay_records{outcome=\"refused\"} 3\n") != std::string::npos, metrics);
    BOOST_TEST(serve.stop(SIGTERM) == 0);
  }
  // A flipped byte in the middle: the service does not start, unless told to
  // drop the line, which it keeps.
  auto text = test::read_text(journal);
  text.replace(text.find("{\"job\""), 1, "#");  // the first line no longer parses
  std::ofstream{journal, std::ios::trunc} << text;
  auto refused = test::run_program(fmt::format("serve --config {} --listen 127.0.0.1:0", config.string()));
  BOOST_TEST(refused.exit_code == 2, refused.output);
  BOOST_TEST(refused.output.find("damaged line(s) before its end") != std::string::npos, refused.output);
  Child serve{on_any_port({"serve", "--config", config.string(), "--accept-journal-damage"}, dir / "ports.json"),
              dir / "b.log"};
  service::Url url{"127.0.0.1", bound_port(dir / "ports.json")};
  BOOST_TEST_REQUIRE(wait_ready(url, 20s), test::read_text(dir / "b.log"));
  service::HttpClient c{url};
  auto metrics = c.request("GET", "/metrics").body;
  BOOST_TEST(metrics.find("synergai_journal_replay_records{outcome=\"dropped_damaged\"} 1\n") != std::string::npos,
             metrics);
  BOOST_TEST(test::read_text(dir / "journal.jsonl.dropped").rfind("#\"job\"", 0) == 0u);
  BOOST_TEST(serve.stop(SIGTERM) == 0);
  // Dropped means gone from the journal too: the next start needs no flag.
  BOOST_TEST(service::read_journal(journal).damaged.empty());
  // Random bytes without a newline are damage, not a torn write: no start.
  std::ofstream{journal, std::ios::trunc} << "\x8f\x02garbage\xff";
  auto garbage = test::run_program(fmt::format("serve --config {} --listen 127.0.0.1:0", config.string()));
  BOOST_TEST(garbage.exit_code == 2, garbage.output);
}

BOOST_AUTO_TEST_CASE(a_full_disk_answers_503_reports_itself_and_recovers) {
  test::TempDir dir{"svc-full"};
  std::string refused_id;
  {
    InProcess s{write_config(dir, 1)};  // real durations: a job runs for tens of seconds
    service::HttpClient c{s.url()};
    auto submit = [&] {
      return c.request("POST", "/v1/jobs", json{{"engine", "onnx-mobilenet-op11"}, {"queries", 500}, {"qos_seconds", 120}}.dump());
    };
    auto first = submit();
    BOOST_TEST_REQUIRE(first.status == 201, first.body);
    const auto running = body_of(first)["id"].get<std::string>();
    BOOST_TEST_REQUIRE(test::eventually([&] { return s.svc->journal_failing() == false &&
                                                      body_of(c.request("GET", "/v1/jobs/" + running))["state"] == "running"; }, 10s, "s.svc->journal_failing() == false && body_of(c.request(\"GET\", \"/v1/jobs/\" + running))[\"state\"] == \"running\""));
    {
      test::FileSizeLimit full{std::filesystem::file_size(dir / "journal.jsonl") + 10};
      auto refused = submit();
      BOOST_TEST(refused.status == 503, refused.body);
      auto ready = c.request("GET", "/readyz");
      BOOST_TEST(ready.status == 503, ready.body);  // before: 200 while nothing could be written
      BOOST_TEST(body_of(ready)["status"] == "journal failing", ready.body);
      auto metrics = c.request("GET", "/metrics").body;
      BOOST_TEST(metrics.find("synergai_journal_failing 1\n") != std::string::npos, metrics);
      // A transition of an accepted job waits for the journal.
      BOOST_TEST(c.request("DELETE", "/v1/jobs/" + running).status == 202);
      test::eventually([&] { return s.svc->journal_failing(); }, 5s, "s.svc->journal_failing()");
    }
    // Space again: the next submission is accepted without a restart.
    test::eventually([&] { return submit().status == 201; }, 10s, "submit().status == 201");
    BOOST_TEST(c.request("GET", "/readyz").status == 200);
    BOOST_TEST(s.svc->stop() == 0u);  // every transition reached the file
  }
  auto replay = service::read_journal(dir / "journal.jsonl");
  BOOST_TEST(replay.jobs.size() == 2u);  // the first and the last; the refused one never written
  BOOST_TEST((replay.jobs.front().state == JobState::cancelled));
}

BOOST_AUTO_TEST_CASE(stopping_with_transitions_the_journal_cannot_write_says_so) {
  test::TempDir dir{"svc-full-stop"};
  InProcess s{write_config(dir, 1)};
  service::HttpClient c{s.url()};
  auto r = c.request("POST", "/v1/jobs", json{{"engine", "onnx-mobilenet-op11"}, {"queries", 500}, {"qos_seconds", 120}}.dump());
  BOOST_TEST_REQUIRE(r.status == 201, r.body);
  const auto id = body_of(r)["id"].get<std::string>();
  BOOST_TEST_REQUIRE(test::eventually([&] { return body_of(c.request("GET", "/v1/jobs/" + id))["state"] == "running"; },
      10s, "body_of(c.request(\"GET\", \"/v1/jobs/\" + id))[\"state\"] == \"running\""));
  test::FileSizeLimit full{std::filesystem::file_size(dir / "journal.jsonl") + 10};
  BOOST_TEST(c.request("DELETE", "/v1/jobs/" + id).status == 202);
  BOOST_TEST_REQUIRE(test::eventually([&] { return s.svc->journal_failing(); }, 5s, "s.svc->journal_failing()"));
  s.server->stop();
  BOOST_TEST(s.svc->stop() >= 1u);  // serve exits 1 on this
}

BOOST_AUTO_TEST_CASE(kill_9_and_restart_loses_nothing) {
  test::TempDir dir{"crash"};
  auto config = write_config(dir, 20);
  const std::vector<std::string> args{"serve", "--config", config.string()};
  std::set<std::string> accepted;
  {
    Child first{on_any_port(args, dir / "ports.json"), dir / "serve.log"};
    service::Url url{"127.0.0.1", bound_port(dir / "ports.json")};
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
  Child second{on_any_port(args, dir / "ports.json"), dir / "serve.log"};
  service::Url url{"127.0.0.1", bound_port(dir / "ports.json")};
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

BOOST_AUTO_TEST_SUITE(service_retention)

namespace {

std::string metric_line(service::HttpClient& c, const std::string& name) {
  auto body = c.request("GET", "/metrics").body;
  auto at = body.find("\n" + name + " ");
  if (at == std::string::npos) return "";
  return body.substr(at + 1, body.find('\n', at + 1) - at - 1);
}

}  // namespace

BOOST_AUTO_TEST_CASE(finished_jobs_past_the_count_are_forgotten_everywhere_and_totals_kept) {
  test::TempDir dir{"retain-count"};
  auto config = write_config(dir, 1000, "retention: {max_finished_jobs: 3}\n");
  {
    InProcess s{config};
    service::HttpClient c{s.url()};
    for (int i = 0; i < 8; ++i) {
      // One at a time, so that they finish in this order.
      auto r = c.request("POST", "/v1/jobs",
                         json{{"id", fmt::format("r{}", i)}, {"engine", "onnx-mobilenet-op11"}, {"queries", 20},
                              {"qos_seconds", 60}}.dump());
      BOOST_TEST_REQUIRE(r.status == 201, r.body);
      BOOST_TEST_REQUIRE(test::eventually([&] { return test::is_terminal_state(body_of(c.request("GET", fmt::format("/v1/jobs/r{}", i)))); },
          10s, "test::is_terminal_state(body_of(c.request(\"GET\", fmt::format(\"/v1/jobs/r{}\", i))))"));
    }
    BOOST_TEST(metric_line(c, "synergai_jobs_forgotten_total") == "synergai_jobs_forgotten_total 5");
    auto list = body_of(c.request("GET", "/v1/jobs"));
    BOOST_TEST(list["total"] == 3);
    BOOST_TEST(list["jobs"][0]["id"] == "r5");
    BOOST_TEST(c.request("GET", "/v1/jobs/r0").status == 404);
    // Counters keep their totals; gauges describe the table.
    BOOST_TEST(metric_line(c, "synergai_jobs_accepted_total") == "synergai_jobs_accepted_total 8");
    BOOST_TEST(metric_line(c, "synergai_job_end_to_end_seconds_count") == "synergai_job_end_to_end_seconds_count 8");
    BOOST_TEST(metric_line(c, "synergai_decisions_total") == "synergai_decisions_total 8");
    BOOST_TEST(c.request("GET", "/metrics").body.find("synergai_jobs{state=\"succeeded\"} 3\n") != std::string::npos);
    // A forgotten id is free again, and the actors forgot it too: it runs.
    auto again = c.request("POST", "/v1/jobs",
                           json{{"id", "r0"}, {"engine", "onnx-mobilenet-op11"}, {"queries", 30}, {"qos_seconds", 60}}.dump());
    BOOST_TEST_REQUIRE(again.status == 201, again.body);
    BOOST_TEST(body_of(again)["queries"] == 30);
    test::eventually([&] { return body_of(c.request("GET", "/v1/jobs/r0"))["state"] == "succeeded"; },
        10s, "body_of(c.request(\"GET\", \"/v1/jobs/r0\"))[\"state\"] == \"succeeded\"");
    BOOST_TEST(c.request("GET", "/v1/jobs/r5").status == 404);  // r0 is now the newest of three
  }
  // The journal still holds forgotten jobs' lines; a restart forgets them
  // again and rewrites the file without them.
  {
    InProcess s{config};
    service::HttpClient c{s.url()};
    auto list = body_of(c.request("GET", "/v1/jobs"));
    BOOST_TEST(list["total"] == 3);
    std::set<std::string> ids;
    for (const auto& j : list["jobs"]) ids.insert(j["id"].get<std::string>());
    BOOST_TEST((ids == std::set<std::string>{"r6", "r7", "r0"}));
  }
  BOOST_TEST(service::read_journal(dir / "journal.jsonl").jobs.size() == 3u);
}

BOOST_AUTO_TEST_CASE(finished_jobs_older_than_the_ttl_are_forgotten_at_start_and_while_serving) {
  test::TempDir dir{"retain-ttl"};
  {
    JobRecord old = service_journal::queued_record("long-ago", 1000);
    old.state = JobState::succeeded;
    old.finished_at = at_seconds(1010);
    using service_journal::line_of;
    std::ofstream{dir / "journal.jsonl"} << line_of(old) << "\n" << line_of(service_journal::queued_record("waiting", 1000)) << "\n";
  }
  InProcess s{write_config(dir, 1000, "retention: {finished_ttl_s: 1}\n")};
  service::HttpClient c{s.url()};
  BOOST_TEST(c.request("GET", "/v1/jobs/long-ago").status == 404);  // finished in 1970
  BOOST_TEST(metric_line(c, "synergai_jobs_forgotten_total") == "synergai_jobs_forgotten_total 1");
  // The replayed queued job runs, then is forgotten a second after it finished.
  BOOST_TEST_REQUIRE(test::eventually([&] { return body_of(c.request("GET", "/v1/jobs/waiting"))["state"] == "succeeded"; },
      10s, "body_of(c.request(\"GET\", \"/v1/jobs/waiting\"))[\"state\"] == \"succeeded\""));
  test::eventually([&] { return c.request("GET", "/v1/jobs/waiting").status == 404; },
      5s, "c.request(\"GET\", \"/v1/jobs/waiting\").status == 404");
  BOOST_TEST(body_of(c.request("GET", "/v1/jobs"))["total"] == 0);
  BOOST_TEST(metric_line(c, "synergai_jobs_forgotten_total") == "synergai_jobs_forgotten_total 2");
  BOOST_TEST(metric_line(c, "synergai_jobs_accepted_total") == "synergai_jobs_accepted_total 2");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(service_learning)

// Learned profiles are loaded at start, fed by every successful run, written
// beside the journal, and kept across a restart; a bad file stops the start.
BOOST_AUTO_TEST_CASE(learned_profiles_are_kept_beside_the_journal_across_restarts) {
  test::TempDir dir{"learning"};
  const auto config = write_config(dir, 1000, "learning: {enabled: true}\n");
  const auto file = dir / "learned-profiles.json";
  auto runs_seen = [&] {
    std::uint64_t n = 0;
    for (const auto& [node, e] : config::load_learned_profiles(file).nodes) n += e.observations + e.rejected;
    return n;
  };
  {
    InProcess s{config};
    BOOST_TEST(!std::filesystem::exists(file));  // nothing learned yet
    service::HttpClient c{s.url()};
    for (int i = 0; i < 6; ++i)
      BOOST_TEST_REQUIRE(c.request("POST", "/v1/jobs",
                                   json{{"engine", "onnx-mobilenet-op11"}, {"queries", 200}, {"qos_seconds", 600}}.dump())
                             .status == 201);
    auto list = wait_all_terminal(c, 6, 30s);
    for (const auto& j : list["jobs"]) BOOST_TEST(j["state"] == "succeeded");
    BOOST_TEST_REQUIRE(test::eventually([&] { return std::filesystem::exists(file) && runs_seen() == 6; }, 10s,
                                        "the learned profiles file holds the 6 runs"));
    // Times are learned on the modelled scale (the runs took 1/1000 of it):
    // within the guard, so accepted, not rejected as outliers.
    BOOST_TEST(config::load_learned_profiles(file).nodes.at("server").observations >= 1u);
  }
  {
    InProcess s{config};  // loads the file, learns on
    service::HttpClient c{s.url()};
    BOOST_TEST_REQUIRE(c.request("POST", "/v1/jobs",
                                 json{{"engine", "onnx-mobilenet-op11"}, {"queries", 200}, {"qos_seconds", 600}}.dump())
                           .status == 201);
    wait_all_terminal(c, 7, 30s);
    BOOST_TEST(test::eventually([&] { return runs_seen() == 7; }, 10s, "the file holds the runs of both starts"));
  }
  BOOST_TEST(!std::filesystem::exists(dir / "learned-profiles.json.tmp"));
  std::ofstream{file, std::ios::trunc} << R"({"format": "synergai.learned-profiles/1", "points": [], "nodes": [)"
                                       << R"({"node": "mars", "ratio": 1, "observations": 1, "rejected": 0}]})";
  try {
    InProcess s{config};
    BOOST_FAIL("the service started on a bad learned profiles file");
  } catch (const InputError& e) {
    const std::string what = e.what();
    BOOST_TEST(what.find(file.string()) != std::string::npos, what);
    BOOST_TEST(what.find("nodes[0].node") != std::string::npos, what);
  }
}

BOOST_AUTO_TEST_SUITE_END()
