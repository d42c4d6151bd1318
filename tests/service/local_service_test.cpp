// The service with the local executor (config/service-local.yaml's set-up on
// the tiny generated models): the first start profiles this machine and
// writes the dictionary, then jobs submitted over HTTP run as real engine
// children and finish; without a dictionary and without profile_if_missing
// the service refuses to start and says how to make one.
#include "service/http_client.hpp"
#include "tests/service/service_fixture.hpp"
#include "tests/support.hpp"

#include <boost/test/unit_test.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <set>

namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;

namespace synergai::test {
namespace {

// Two one-core workers on CPU 0 (present everywhere), the tiny models.
void write_testbed(const fs::path& file) {
  std::ofstream out{file};
  out << "testbed: local-tiny\nnodes:\n";
  for (const char* node : {"cpu0", "cpu1"})
    out << fmt::format("  - {{name: {}, kubernetes_node: localhost, arch: amd64, tier: edge, cpus: 1, memory_gib: 1, "
                       "thread_options: [1], cpu_set: [0]}}\n",
                       node);
  out << "engines:\n";
  for (const char* model : {"resnet50", "mobilenet"})
    out << fmt::format("  - {{id: opencv-{0}, task: classification, backend: opencv, model: {0}, variant: tiny, "
                       "dataset: random, accuracy: 0, accuracy_metric: top1, thread_knob: cv::setNumThreads, "
                       "container: {{image: local}}, model_file: {0}-tiny.onnx}}\n",
                       model);
}

fs::path write_service(const fs::path& dir, bool profile_if_missing) {
  write_testbed(dir / "testbed.yaml");
  auto file = dir / "service.yaml";
  std::ofstream{file} << fmt::format(
      "service: local-test\nlisten: 127.0.0.1:0\npolicy: synergai\ntick_s: 0.2\ntestbed: testbed.yaml\n"
      "dictionary: measured/dictionary.json\nexecutor:\n  kind: local\n  local:\n    models: {}\n"
      "    profile_if_missing: {}\n    profile_queries: 3\n    job_timeout_s: 60\njournal:\n  path: {}\n",
      SYNERGAI_MODEL_DIR, profile_if_missing, (dir / "journal.jsonl").string());
  return file;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(local_service)

BOOST_AUTO_TEST_CASE(the_first_start_measures_this_machine_then_runs_real_jobs) {
  test::TempDir dir{"local-service"};
  auto config = write_service(dir, true);
  Child serve{on_any_port({"serve", "--config", config.string()}, dir / "ports.json"), dir / "serve.log"};
  service::Url url{"127.0.0.1", bound_port(dir / "ports.json", 120s)};  // it profiles this machine first
  BOOST_REQUIRE_MESSAGE(wait_ready(url, 120s), "not ready: " << read_text(dir / "serve.log"));
  auto log = read_text(dir / "serve.log");
  BOOST_TEST(log.find("profiling this machine first") != std::string::npos, log);
  auto dictionary = json::parse(read_text(dir / "measured" / "dictionary.json"));
  BOOST_TEST(dictionary["points"].size() == 4u);
  for (const auto& p : dictionary["points"]) BOOST_TEST(p["source"] == "local");

  service::HttpClient c{url};
  for (int i = 0; i < 4; ++i) {
    auto body = json{{"id", fmt::format("real-{}", i)}, {"engine", i % 2 ? "opencv-mobilenet" : "opencv-resnet50"},
                     {"queries", 5}, {"qos_seconds", 120}};
    auto r = c.request("POST", "/v1/jobs", body.dump());
    BOOST_REQUIRE_MESSAGE(r.status == 201, r.body);
  }
  auto list = wait_all_terminal(c, 4, 120s);
  std::set<std::string> nodes;
  for (const auto& j : list["jobs"]) {
    BOOST_TEST(j["state"] == "succeeded", j.dump());
    BOOST_TEST(j["qos_violated"] == false, j.dump());
    nodes.insert(j["node"].get<std::string>());
    BOOST_TEST((j["node"] == "cpu0" || j["node"] == "cpu1"), j.dump());
    BOOST_TEST(j["end_to_end_seconds"].get<double>() > 0);
  }
  BOOST_TEST(nodes.size() == 2u, "both workers ran jobs");
  auto dashboard = body_of(c.request("GET", "/v1/dashboard"));
  BOOST_TEST(dashboard["counters"]["met"] == 4);
  BOOST_TEST(dashboard["timeline"].size() == 4u);
  BOOST_TEST(serve.stop(SIGTERM) == 0);

  // A restart finds the dictionary and does not profile again.
  Child again{on_any_port({"serve", "--config", config.string()}, dir / "ports.json"), dir / "serve-again.log"};
  url.port = bound_port(dir / "ports.json", 60s);
  BOOST_REQUIRE(wait_ready(url, 60s));
  BOOST_TEST(read_text(dir / "serve-again.log").find("profiling") == std::string::npos);
  BOOST_TEST(again.stop(SIGTERM) == 0);
}

BOOST_AUTO_TEST_CASE(without_a_dictionary_it_says_how_to_make_one) {
  test::TempDir dir{"local-service-missing"};
  auto config = write_service(dir, false);
  auto r = run_program("serve --config '" + config.string() + "'");
  BOOST_TEST(r.exit_code == 2, r.output);
  BOOST_TEST(r.output.find("does not exist yet: measure this machine with `synergai profile run --testbed") !=
                 std::string::npos,
             r.output);
  BOOST_TEST(!fs::exists(dir / "measured"));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace synergai::test
