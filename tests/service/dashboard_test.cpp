// The dashboard in a real browser: the real `synergai serve` (simulated
// executor, bearer token on) and headless Chromium loading its page. Jobs go in
// through the API; the rendered DOM must show the queue in the API's urgency
// order, the workers, and every finished job on its node's timeline with the
// outcome the API reports. A screenshot and the last DOM are kept under the
// build folder (test-artifacts/). Without Chromium the case is skipped, and
// CTest reports it skipped.
#include "service/http_client.hpp"
#include "support/process.hpp"
#include "tests/service/service_fixture.hpp"
#include "tests/support.hpp"

#include <boost/test/unit_test.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <regex>
#include <set>

namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;

namespace synergai::test {
namespace {

const std::string token = "dashboard-test-token-1";

// $SYNERGAI_CHROMIUM when set, else chromium or chromium-browser on PATH.
std::string find_chromium() {
  std::vector<std::string> names{"chromium", "chromium-browser"};
  if (const char* env = std::getenv("SYNERGAI_CHROMIUM"); env && *env) names = {env};
  const char* path = std::getenv("PATH");
  for (const auto& name : names) {
    if (name.find('/') != std::string::npos) {
      if (::access(name.c_str(), X_OK) == 0) return name;
      continue;
    }
    std::stringstream dirs{path ? path : "/usr/bin:/bin"};
    std::string dir;
    while (std::getline(dirs, dir, ':'))
      if (auto candidate = fs::path{dir} / name; ::access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  return "";
}

struct Browser {
  std::string program;
  fs::path dir;
  int runs = 0;

  // One headless Chromium run on `url` with extra arguments (--dump-dom or
  // --screenshot=...); its standard output. A profile of its own each time.
  std::string run(const std::string& url, std::vector<std::string> extra, int budget_ms = 4000) {
    auto profile = dir / fmt::format("profile-{}", ++runs);
    std::vector<std::string> argv{program, "--headless", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
                                  "--disable-extensions", "--disable-dev-shm-usage", "--hide-scrollbars",
                                  "--user-data-dir=" + profile.string(),
                                  fmt::format("--virtual-time-budget={}", budget_ms)};
    if (::geteuid() == 0) argv.emplace_back("--no-sandbox");  // Chromium refuses to run as root otherwise
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back(url);
    auto child = synergai::Child::start({argv, {}});
    auto exit = child->wait(std::chrono::seconds{90});
    fs::remove_all(profile);
    BOOST_REQUIRE_MESSAGE(exit.exited && exit.code == 0,
                          "chromium failed (code " << exit.code << ", signal " << exit.signal << ", timed out "
                                                   << exit.timed_out << "): " << exit.err);
    return exit.out;
  }
  std::string dom(const std::string& url, int budget_ms = 4000) { return run(url, {"--dump-dom"}, budget_ms); }
};

// The value of attribute `name` in the first element whose opening tag starts
// with `where` (a regular expression for what follows the "<").
std::optional<std::string> attribute(const std::string& dom, const std::string& where, const std::string& name) {
  std::smatch m;
  std::regex tag{"<" + where + "[^>]*>"};
  if (!std::regex_search(dom, m, tag)) return std::nullopt;
  std::smatch a;
  std::string element = m.str();
  if (!std::regex_search(element, a, std::regex{" " + name + "=\"([^\"]*)\""})) return std::nullopt;
  return a[1].str();
}

// Every element's `data-job` -> `attr`, for the elements whose opening tag starts with `where`.
std::map<std::string, std::string> by_job(const std::string& dom, const std::string& where, const std::string& attr) {
  std::map<std::string, std::string> out;
  std::regex tag{"<" + where + "[^>]*>"};
  for (auto it = std::sregex_iterator(dom.begin(), dom.end(), tag); it != std::sregex_iterator(); ++it) {
    auto element = it->str();
    std::smatch id, value;
    if (std::regex_search(element, id, std::regex{"data-job=\"([^\"]*)\""}) &&
        std::regex_search(element, value, std::regex{" " + attr + "=\"([^\"]*)\""}))
      out[id[1].str()] = value[1].str();
  }
  return out;
}

// Queue rows' job ids in document order.
std::vector<std::string> queue_rows(const std::string& dom) {
  std::vector<std::string> out;
  auto start = dom.find("<table id=\"queue\"");
  auto end = dom.find("</table>", start);
  if (start == std::string::npos || end == std::string::npos) return out;
  auto table = dom.substr(start, end - start);
  std::regex row{"<tr [^>]*data-job=\"([^\"]*)\""};
  for (auto it = std::sregex_iterator(table.begin(), table.end(), row); it != std::sregex_iterator(); ++it)
    out.push_back((*it)[1].str());
  return out;
}

json submit(service::HttpClient& c, const std::string& id, const std::string& engine, int queries, double qos) {
  auto r = c.request("POST", "/v1/jobs", json{{"id", id}, {"engine", engine}, {"queries", queries}, {"qos_seconds", qos}}.dump());
  BOOST_REQUIRE_MESSAGE(r.status == 201, "submit " << id << ": " << r.status << " " << r.body);
  return body_of(r);
}

std::vector<std::string> api_queue(service::HttpClient& c) {
  auto d = body_of(c.request("GET", "/v1/dashboard"));
  std::vector<std::string> out;
  for (const auto& q : d["queue"]) out.push_back(q["id"].get<std::string>());
  return out;
}

struct Service {
  TempDir dir;
  std::uint16_t port = 0;
  std::unique_ptr<test::Child> child;
  service::Url url;

  explicit Service(const std::string& name, double speedup) : dir{name} {
    { std::ofstream{dir / "token"} << token << "\n"; }
    std::ofstream{dir / "service.yaml"} << fmt::format(
        "service: dashboard-test\nlisten: 127.0.0.1:0\npolicy: synergai\ntick_s: 0.2\n"
        "testbed: {}\ndictionary: {}\n"
        "executor:\n  kind: simulated\n  simulated: {{speedup: {}, noise_sigma: 0.05, seed: 1}}\n"
        "journal:\n  path: {}\nauth:\n  token_file: {}\n",
        source_path("config/testbeds/thesis.yaml").string(), source_path("config/dictionaries/thesis.json").string(),
        speedup, (dir / "journal.jsonl").string(), (dir / "token").string());
    child = std::make_unique<test::Child>(
        on_any_port({"serve", "--config", (dir / "service.yaml").string()}, dir / "ports.json"), dir / "serve.log");
    port = bound_port(dir / "ports.json");
    url = service::Url{"127.0.0.1", port};
    BOOST_REQUIRE_MESSAGE(wait_ready(url, 30s), "the service did not become ready: " << read_text(dir / "serve.log"));
  }
  std::string page(const std::string& fragment = "") const { return fmt::format("http://127.0.0.1:{}/{}", port, fragment); }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(dashboard)

BOOST_AUTO_TEST_CASE(the_page_shows_the_queue_workers_and_finished_jobs_in_a_browser,
                     *requires_that([]() -> std::string {
                       if (!find_chromium().empty()) return "";
                       return "chromium not found (scripts/install-deps installs Debian's chromium; or set "
                              "SYNERGAI_CHROMIUM)";
                     })) {
  auto chromium = find_chromium();
  const fs::path artifacts = SYNERGAI_ARTIFACT_DIR;
  fs::create_directories(artifacts);
  // Speed-up 20: a 20000-query ResNet-50 job holds its worker for minutes, a 20-query one ends within a second.
  Service svc{"dashboard", 20};
  Browser browser{chromium, svc.dir};
  service::HttpClient api{svc.url, token};

  // The page is served without the token and needs nothing from elsewhere; the data is not.
  service::HttpClient plain{svc.url};
  auto page = plain.request("GET", "/");
  BOOST_TEST(page.status == 200);
  BOOST_TEST(page.body.find("<svg id=\"timeline\"") != std::string::npos);
  BOOST_TEST(!std::regex_search(page.body, std::regex{R"((src|href)\s*=\s*["']?(https?:)?//)"}));
  BOOST_TEST(plain.request("GET", "/v1/dashboard").status == 401);

  // Without the token the page asks for it.
  auto dom = browser.dom(svc.page());
  BOOST_TEST(attribute(dom, "body", "data-status").value_or("") == "auth");
  BOOST_TEST(dom.find("<form id=\"auth\">") != std::string::npos);  // shown: no `hidden`

  // Phase 1: three long jobs take the three workers, four more wait; the page's
  // queue is the API's urgency order, and each waiting row carries its slack.
  for (int i = 0; i < 3; ++i) submit(api, fmt::format("long-{}", i), "tf-resnet50", 20000, 3600);
  BOOST_REQUIRE(test::eventually([&] { return body_of(api.request("GET", "/v1/dashboard"))["counters"]["running"] == 3; },
      20s, "body_of(api.request(\"GET\", \"/v1/dashboard\"))[\"counters\"][\"running\"] == 3"));
  submit(api, "wait-relaxed", "tf-mobilenet", 100, 3000);
  submit(api, "wait-urgent", "tf-resnet50", 5000, 900);
  submit(api, "wait-middle", "onnx-resnet50-op11", 2000, 1500);
  submit(api, "wait-late", "tf-resnet50", 500, 0.5);  // can no longer make it: ranked last
  std::vector<std::string> rows;
  std::vector<std::string> before, after;
  for (int attempt = 0; attempt < 3; ++attempt) {  // the order is stable unless a job turns late meanwhile
    before = api_queue(api);
    dom = browser.dom(svc.page("#token=" + token));
    after = api_queue(api);
    rows = queue_rows(dom);
    if (before == after) break;
  }
  BOOST_TEST_MESSAGE("queue in the API: " << fmt::format("{}", fmt::join(after, " ")));
  BOOST_TEST(before.size() == 4u);
  BOOST_TEST(before.back() == "wait-late");
  BOOST_TEST(rows == after);
  BOOST_TEST(attribute(dom, "body", "data-status").value_or("") == "ok");
  auto slack = by_job(dom, "tr ", "data-slack");
  for (const auto& id : after) BOOST_TEST(!slack[id].empty(), id << " has no slack in the page");
  auto number = [](const std::string& text) { return text.empty() ? std::nan("") : std::stod(text); };
  BOOST_TEST(number(slack["wait-urgent"]) < number(slack["wait-relaxed"]));
  BOOST_TEST(number(slack["wait-late"]) < 0);
  // Each worker is busy with one of the long jobs, in its configuration.
  auto worker_job = by_job(dom, "tr data-node=", "data-state");
  BOOST_TEST(worker_job.size() == 3u);
  for (const auto& [job, state] : worker_job) {
    BOOST_TEST(job.rfind("long-", 0) == 0u);
    BOOST_TEST(state == "busy");
  }
  BOOST_TEST(dom.find("threads ") != std::string::npos);
  // The fragment's token was taken and the page polls on its own.
  BOOST_TEST(std::stoi(attribute(dom, "body", "data-polls").value_or("0")) >= 2);
  auto busy_png = artifacts / "dashboard-busy.png";
  browser.run(svc.page("#token=" + token), {"--screenshot=" + busy_png.string(), "--window-size=1400,900"}, 2000);
  BOOST_TEST(fs::exists(busy_png));

  // Phase 2: everything is cancelled; then short jobs, some with a QoS they
  // meet, some with one they cannot, until the timeline shows them all finished.
  for (const auto& id : {"long-0", "long-1", "long-2", "wait-relaxed", "wait-urgent", "wait-middle", "wait-late"})
    BOOST_TEST(api.request("DELETE", std::string{"/v1/jobs/"} + id).status / 100 == 2);
  std::set<std::string> ids;
  for (int i = 0; i < 6; ++i) ids.insert(submit(api, fmt::format("met-{}", i), i % 2 ? "tf-mobilenet" : "tflite-mobilenet", 40, 600)["id"]);
  for (int i = 0; i < 3; ++i) ids.insert(submit(api, fmt::format("late-{}", i), "tf-resnet50", 40, 0.01)["id"]);
  auto jobs = wait_all_terminal(api, 16, 60s);
  std::map<std::string, std::string> expected;  // id -> outcome the page must show
  for (const auto& j : jobs["jobs"]) {
    auto id = j["id"].get<std::string>();
    if (!ids.count(id)) continue;
    BOOST_REQUIRE_MESSAGE(j["state"] == "succeeded", id << " is " << j["state"]);
    expected[id] = j["qos_violated"].get<bool>() ? "violated" : "met";
  }
  BOOST_REQUIRE_EQUAL(expected.size(), ids.size());
  std::map<std::string, std::string> shown;
  bool complete = false;
  for (int attempt = 0; attempt < 10 && !complete; ++attempt) {
    dom = browser.dom(svc.page("#token=" + token));
    shown = by_job(dom, "g class=\"job\"", "data-outcome");
    complete = std::all_of(expected.begin(), expected.end(), [&](const auto& e) { return shown.count(e.first); });
  }
  std::ofstream{artifacts / "dashboard.html"} << dom;
  for (const auto& [id, outcome] : expected) BOOST_TEST(shown[id] == outcome, id << ": page " << shown[id] << ", API " << outcome);
  BOOST_TEST(std::count_if(expected.begin(), expected.end(), [](const auto& e) { return e.second == "met"; }) >= 1);
  BOOST_TEST(std::count_if(expected.begin(), expected.end(), [](const auto& e) { return e.second == "violated"; }) >= 1);
  // Coloured bars carry the outcome as their class; cancelled long jobs are shown as cancelled.
  auto bar_class = by_job(dom, "rect class=\"bar ", "class");
  for (const auto& [id, outcome] : expected) BOOST_TEST(bar_class[id] == "bar " + outcome);
  BOOST_TEST(shown["long-0"] == "cancelled");
  // The counters are the API's.
  auto counters = body_of(api.request("GET", "/v1/dashboard"))["counters"];
  for (const char* k : {"submitted", "met", "violated", "failed", "cancelled"})
    BOOST_TEST(attribute(dom, fmt::format("[^>]*id=\"c-{}\"", k), "data-count").value_or("?") == counters[k].dump(), k);
  BOOST_TEST(counters["submitted"] == 16);
  BOOST_TEST(counters["cancelled"] == 7);
  BOOST_TEST(std::stoi(attribute(dom, "[^>]*id=\"c-latency\"", "data-count").value_or("0")) >= 9);

  // The screenshot, for a person to look at.
  auto png = artifacts / "dashboard.png";
  fs::remove(png);
  browser.run(svc.page("#token=" + token), {"--screenshot=" + png.string(), "--window-size=1400,1000"});
  BOOST_REQUIRE(fs::exists(png));
  BOOST_TEST(read_text(png).substr(1, 3) == "PNG");
  BOOST_TEST(fs::file_size(png) > 20000u);
  BOOST_TEST_MESSAGE("dashboard screenshot: " << png.string());
  BOOST_TEST(svc.child->stop(SIGTERM) == 0);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace synergai::test
