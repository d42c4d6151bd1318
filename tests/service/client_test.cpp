// The operator's client commands (apps/client.cpp): the real `synergai`
// program against a real `synergai serve`: submit, jobs (every page), get job,
// cancel and workers in table, JSON and YAML; the errors an operator meets
// (an unknown job, a bad -o, nothing listening); and the API's `continue`
// pages the list follows.
#include "service/http_client.hpp"
#include "tests/service/service_fixture.hpp"
#include "tests/support.hpp"

#include <boost/test/unit_test.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <arpa/inet.h>
#include <fstream>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>

using namespace synergai;
using nlohmann::json;
using namespace std::chrono_literals;
using test::body_of;
using test::Child;

namespace {

// Real durations (speed-up 1): the tiny testbed's jobs of 1000 queries run
// for many seconds, so they are still there to be cancelled.
std::filesystem::path write_config(const std::filesystem::path& dir) {
  auto path = dir / "service.yaml";
  std::ofstream{path} << fmt::format(R"(service: client-test
listen: 127.0.0.1:0
policy: synergai
tick_s: 0.05
testbed: {}
dictionary: {}
executor:
  kind: simulated
  simulated: {{speedup: 1, noise_sigma: 0.05, seed: 1}}
journal:
  path: {}
)",
                                     test::source_path("config/examples/tiny.yaml").string(),
                                     test::source_path("tests/data/valid/tiny-dictionary.json").string(),
                                     (dir / "journal.jsonl").string());
  return path;
}

struct Served {
  test::TempDir dir{"client"};
  Child serve;
  service::Url url;
  explicit Served()
      : serve{test::on_any_port({"serve", "--config", write_config(dir).string()}, dir / "ports.json"),
              dir / "serve.log"},
        url{"127.0.0.1", test::bound_port(dir / "ports.json")} {
    BOOST_TEST_REQUIRE(test::wait_ready(url, 20s));
  }
  std::string server() const { return fmt::format("--server http://127.0.0.1:{}", url.port); }
  // `synergai ARGS --server ...`: stdout only when `quiet_stderr`.
  test::ProgramResult client(const std::string& args, bool quiet_stderr = false) const {
    return test::run_program(fmt::format("{} {}{}", args, server(), quiet_stderr ? " 2>/dev/null" : ""));
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(service_client)

BOOST_AUTO_TEST_CASE(every_command_prints_table_json_and_yaml) {
  Served s;
  for (int i = 0; i < 3; ++i) {
    auto r = s.client(fmt::format("submit --engine onnx-mobilenet-op11 --queries 1000 --qos 600 --id cli-{} -o json", i),
                      true);
    BOOST_TEST_REQUIRE(r.exit_code == 0, r.output);
    auto job = json::parse(r.output);
    BOOST_TEST(job["id"] == fmt::format("cli-{}", i));
    BOOST_TEST(job["engine"] == "onnx-mobilenet-op11");
  }
  auto table = s.client("submit --engine onnx-mobilenet-op11 --queries 1000 --qos 600 --id cli-3");
  BOOST_TEST(table.exit_code == 0, table.output);
  BOOST_TEST(table.output.rfind("cli-3 ", 0) == 0u, table.output);  // "ID STATE", one line
  BOOST_TEST(std::count(table.output.begin(), table.output.end(), '\n') == 1, table.output);

  // One job a page: four requests, followed to the end.
  auto as_json = s.client("jobs --chunk-size 1 -o json", true);
  BOOST_TEST_REQUIRE(as_json.exit_code == 0, as_json.output);
  auto list = json::parse(as_json.output);
  BOOST_TEST_REQUIRE(list["jobs"].size() == 4u, list.dump());
  BOOST_TEST(list["total"] == 4);
  for (int i = 0; i < 4; ++i) BOOST_TEST(list["jobs"][i]["id"] == fmt::format("cli-{}", i));
  auto limited = json::parse(s.client("jobs --chunk-size 1 --limit 2 -o json", true).output);
  BOOST_TEST(limited["jobs"].size() == 2u);
  BOOST_TEST(limited["total"] == 4);

  // YAML holds the same objects: ids, numbers as numbers, nulls as nulls.
  auto as_yaml = s.client("jobs -o yaml", true);
  BOOST_TEST_REQUIRE(as_yaml.exit_code == 0, as_yaml.output);
  auto y = YAML::Load(as_yaml.output);
  BOOST_TEST_REQUIRE(y["jobs"].size() == 4u, as_yaml.output);
  BOOST_TEST(y["total"].as<int>() == 4);
  for (std::size_t i = 0; i < 4; ++i) {
    BOOST_TEST(y["jobs"][i]["id"].as<std::string>() == list["jobs"][i]["id"].get<std::string>());
    BOOST_TEST(y["jobs"][i]["queries"].as<int>() == 1000);
    BOOST_TEST(y["jobs"][i]["qos_seconds"].as<double>() == 600.0);
    BOOST_TEST(y["jobs"][i]["submitted_at"].as<double>() == list["jobs"][i]["submitted_at"].get<double>());
    BOOST_TEST(y["jobs"][i]["finished_at"].IsNull());
  }
  auto jobs_table = s.client("jobs");
  BOOST_TEST(jobs_table.output.find("4 of 4 jobs") != std::string::npos, jobs_table.output);

  auto one = s.client("get job cli-2 -o yaml", true);
  BOOST_TEST_REQUIRE(one.exit_code == 0, one.output);
  BOOST_TEST(YAML::Load(one.output)["id"].as<std::string>() == "cli-2");
  auto one_table = s.client("get job cli-2");
  BOOST_TEST(one_table.exit_code == 0);
  BOOST_TEST(one_table.output.find("cli-2") != std::string::npos, one_table.output);

  auto workers = s.client("workers -o json", true);
  BOOST_TEST_REQUIRE(workers.exit_code == 0, workers.output);
  BOOST_TEST(json::parse(workers.output)["workers"].size() == 2u);
  auto workers_yaml = YAML::Load(s.client("workers -o yaml", true).output);
  BOOST_TEST(workers_yaml["workers"][0]["node"].as<std::string>() == "server");
  BOOST_TEST(s.client("workers").output.find("NODE") == 0u);

  // Cancel: 202 (being cancelled), then 200 once it is.
  auto cancel = s.client("cancel cli-3");
  BOOST_TEST(cancel.exit_code == 0, cancel.output);
  BOOST_TEST(cancel.output.find("job cli-3 is being cancelled") != std::string::npos, cancel.output);
  service::HttpClient http{s.url};
  BOOST_TEST(test::eventually([&] { return body_of(http.request("GET", "/v1/jobs/cli-3"))["state"] == "cancelled"; },
                              10s, "cli-3 cancelled"));
  auto again = s.client("cancel cli-3 -o json", true);
  BOOST_TEST(again.exit_code == 0, again.output);
  BOOST_TEST(json::parse(again.output)["state"] == "cancelled");
  BOOST_TEST(s.client("cancel cli-3").output.find("already cancelled") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_operator_gets_clear_errors) {
  Served s;
  auto unknown = s.client("get job no-such-job");
  BOOST_TEST(unknown.exit_code == 2, unknown.output);
  BOOST_TEST(unknown.output.find("job no-such-job: not found") != std::string::npos, unknown.output);
  auto cancel_unknown = s.client("cancel no-such-job");
  BOOST_TEST(cancel_unknown.exit_code == 2);
  BOOST_TEST(cancel_unknown.output.find("job no-such-job: not found") != std::string::npos, cancel_unknown.output);
  // An id that is not a path segment stays one: a 404, never another resource.
  BOOST_TEST(s.client("get job '../workers'").exit_code == 2);

  auto bad_output = s.client("jobs -o xml");
  BOOST_TEST(bad_output.exit_code == 2, bad_output.output);
  BOOST_TEST(bad_output.output.find("--output") != std::string::npos, bad_output.output);
  BOOST_TEST(bad_output.output.find("xml") != std::string::npos, bad_output.output);

  auto bad_submit = s.client("submit --engine no-such-engine --queries 1 --qos 1");
  BOOST_TEST(bad_submit.exit_code == 2);
  BOOST_TEST(bad_submit.output.find("unknown engine") != std::string::npos, bad_submit.output);
  BOOST_TEST(bad_submit.output.find("field engine") != std::string::npos, bad_submit.output);

  // Nothing listening: the message names the address. The port is bound
  // here, without listening, so that nothing else can take it meanwhile.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  BOOST_TEST_REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t n = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n);
  auto port = ntohs(a.sin_port);
  auto nobody = test::run_program(fmt::format("jobs --server http://127.0.0.1:{}", port));
  BOOST_TEST(nobody.exit_code == 1, nobody.output);
  BOOST_TEST(nobody.output.find(fmt::format("cannot reach the service at http://127.0.0.1:{}", port)) !=
                 std::string::npos,
             nobody.output);
  ::close(fd);
}

BOOST_AUTO_TEST_CASE(help_shows_examples) {
  for (const char* command : {"submit", "jobs", "get job", "cancel", "workers"}) {
    auto r = test::run_program(fmt::format("{} --help", command));
    BOOST_TEST(r.exit_code == 0, command);
    BOOST_TEST(r.output.find("Examples:") != std::string::npos, command << ": " << r.output);
    BOOST_TEST(r.output.find("-o,--output") != std::string::npos, command << ": " << r.output);
  }
}

BOOST_AUTO_TEST_CASE(continue_pages_neither_skip_nor_repeat) {
  Served s;
  service::HttpClient http{s.url};
  for (int i = 0; i < 5; ++i)
    BOOST_TEST_REQUIRE(http.request("POST", "/v1/jobs", json{{"id", fmt::format("p{}", i)}, {"engine", "onnx-mobilenet-op11"},
                                                              {"queries", 1000}, {"qos_seconds", 600}}.dump())
                           .status == 201);
  auto first = body_of(http.request("GET", "/v1/jobs?limit=2"));
  BOOST_TEST(first["jobs"].size() == 2u);
  BOOST_TEST_REQUIRE(first["continue"].is_string(), first.dump());
  BOOST_TEST(first["next_offset"] == 2);
  // A job submitted between two pages comes at the end, not in the middle.
  BOOST_TEST(http.request("POST", "/v1/jobs", json{{"id", "p5"}, {"engine", "onnx-mobilenet-op11"}, {"queries", 1000},
                                                   {"qos_seconds", 600}}.dump())
                 .status == 201);
  std::vector<std::string> ids;
  for (const auto& j : first["jobs"]) ids.push_back(j["id"]);
  auto token = first["continue"].get<std::string>();
  for (int pages = 0; pages < 10; ++pages) {
    auto page = body_of(http.request("GET", "/v1/jobs?limit=2&continue=" + token));
    for (const auto& j : page["jobs"]) ids.push_back(j["id"]);
    BOOST_TEST(page["next_offset"].is_null());
    if (page["continue"].is_null()) break;
    token = page["continue"].get<std::string>();
  }
  BOOST_TEST((ids == std::vector<std::string>{"p0", "p1", "p2", "p3", "p4", "p5"}));
  BOOST_TEST(http.request("GET", "/v1/jobs?offset=1&continue=" + token).status == 400);
  auto bad = http.request("GET", "/v1/jobs?continue=abc");
  BOOST_TEST(bad.status == 400);
  BOOST_TEST(body_of(bad)["field"] == "continue");
}

BOOST_AUTO_TEST_SUITE_END()
