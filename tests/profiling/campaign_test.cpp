#include "profiling/campaign.hpp"

#include "config/dictionary.hpp"
#include "support/errors.hpp"
#include "tests/profiling/fixtures.hpp"

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace synergai;
using namespace synergai::profiling;
using synergai::test::read_text;
using synergai::test::thesis;
namespace fs = std::filesystem;

namespace {

const PerformanceModel& model() { return test::thesis_model(); }

std::size_t line_count(const fs::path& p) {
  auto t = read_text(p);
  return static_cast<std::size_t>(std::count(t.begin(), t.end(), '\n'));
}

std::map<std::pair<std::string, std::string>, ExecConfig> optima(const config::Dictionary& d) {
  std::map<std::pair<std::string, std::string>, ExecConfig> out;
  std::set<std::pair<std::string, std::string>> pairs;
  for (const auto& p : d.points()) pairs.emplace(p.engine, p.node);
  for (const auto& k : pairs) out[k] = d.optimum(k.first, k.second)->config;
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(campaign)

BOOST_AUTO_TEST_CASE(generators_and_plan) {
  BOOST_TEST(default_thread_levels(16) == (std::vector<int>{1, 2, 4, 8, 16}));
  BOOST_TEST(default_thread_levels(6) == (std::vector<int>{1, 2, 4, 6}));
  BOOST_TEST(default_thread_levels(1) == (std::vector<int>{1}));
  PlanOptions o;
  o.repeats = 2;
  auto plan = make_plan(thesis(), &model(), o);
  // 12 engines x (5 thread levels + 6 AGX modes + 9 NX modes) x 2 repeats.
  BOOST_TEST(plan.size() == 12u * 20u * 2u);
  std::set<std::string> ids;
  for (const auto& r : plan) ids.insert(r.id);
  BOOST_TEST(ids.size() == plan.size());
  BOOST_TEST(plan.front().id == "tf-resnet50/x86/t1/r0");
  BOOST_TEST(plan.front().estimate_s.value() > 0);
  o.nodes = {"x86"};
  o.engines = {"tf-resnet50"};
  o.threads = {{"x86", {}}};
  BOOST_TEST(make_plan(thesis(), nullptr, o).size() == 10u);
  o.threads = {{"x86", {3}}};
  BOOST_CHECK_THROW((void)make_plan(thesis(), nullptr, o), InputError);
  o.threads = {};
  o.engines = {"no-such-engine"};
  BOOST_CHECK_THROW((void)make_plan(thesis(), nullptr, o), InputError);
}

BOOST_AUTO_TEST_CASE(a_replicated_node_is_profiled_once_under_its_entry_name) {
  auto tb = thesis();
  tb.nodes.erase(tb.nodes.begin());  // x86 as 50 replicas instead
  config::add_replicas(tb, thesis().nodes.front(), 50);
  PlanOptions o;
  o.repeats = 1;
  o.engines = {"tf-resnet50"};
  auto plan = make_plan(tb, &model(), o);
  BOOST_TEST(plan.size() == 20u);  // as many runs as with one x86
  std::size_t on_x86 = 0;
  for (const auto& r : plan) on_x86 += r.node == "x86";
  BOOST_TEST(on_x86 == 5u);
  o.nodes = {"x86-7"};  // a replica is not a profile
  BOOST_CHECK_THROW((void)make_plan(tb, nullptr, o), InputError);
}

BOOST_AUTO_TEST_CASE(simulated_campaign_finds_the_model_optima) {
  test::TempDir dir{"optima"};
  PlanOptions po;
  po.repeats = 3;
  auto plan = make_plan(thesis(), &model(), po);
  SimulatedExecutor ex{thesis(), model(), {}};
  CampaignOptions o;
  o.out = dir;
  auto r = run_campaign(thesis(), plan, ex, o);
  BOOST_TEST(r.completed == plan.size());
  BOOST_TEST(r.failed.empty());
  auto reference = config::load_dictionary(test::source_path("config/dictionaries/thesis.json"), &thesis());
  BOOST_TEST(reference.optimum_count() == 36u);
  BOOST_TEST((optima(r.dictionary) == optima(reference)));
  // The written dictionary loads against the testbed, keeps its provenance
  // and saves back to the same bytes.
  auto loaded = config::load_dictionary(dir / "dictionary.json", &thesis());
  BOOST_TEST(config::dump_dictionary(loaded) == read_text(dir / "dictionary.json"));
  const auto* prov = loaded.provenance("tf-resnet50", "x86", ExecConfig{16, std::nullopt});
  BOOST_REQUIRE(prov);
  BOOST_TEST(prov->executor == "simulated");
  BOOST_TEST(prov->repeats == 3);
  BOOST_TEST(prov->loadgen_version == "synergai-simulated");
  BOOST_TEST(prov->qps_stddev > 0);
  BOOST_TEST(prov->qps_min < prov->qps_max);
  // Pre-processing comes from the LoadGen detail log's first timestamp.
  auto modelled = model().point("tf-resnet50", "x86", ExecConfig{16, std::nullopt});
  auto measured = loaded.find("tf-resnet50", "x86", ExecConfig{16, std::nullopt});
  BOOST_TEST(std::abs(measured->preprocessing.count() / modelled.preprocessing.count() - 1) < 0.02);
  BOOST_TEST(fs::exists(dir / "runs" / "tf-resnet50_x86_t16_r0" / "attempt-1" / "mlperf_log_summary.txt"));
  // A second run into the same folder without --resume is refused.
  BOOST_CHECK_THROW((void)run_campaign(thesis(), plan, ex, o), InputError);
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(model_dictionary_is_unchanged_by_the_provenance_field) {
  // The committed dictionary has no provenance: it loads and saves to the same bytes.
  auto path = test::source_path("config/dictionaries/thesis.json");
  auto d = config::load_dictionary(path, &thesis());
  BOOST_TEST(config::dump_dictionary(d) == read_text(path));
  BOOST_TEST(!d.provenance("tf-resnet50", "x86", ExecConfig{16, std::nullopt}));
  // A bad provenance is an error with its field path.
  auto text = read_text(path);
  auto at = text.find("\"source\": \"model\"");
  text.insert(at, "\"provenance\": {\"executor\": \"kube\", \"time\": \"t\", \"loadgen_version\": \"\", \"repeats\": 0, "
                  "\"qps_stddev\": 0, \"qps_min\": 0, \"qps_max\": 1e6},\n");
  BOOST_CHECK_EXCEPTION((void)config::read_dictionary(config::parse_json(text, "d.json")), config::ValidationError,
                        [](const config::ValidationError& e) {
                          return std::string{e.what()}.find("points[0].provenance.repeats") != std::string::npos;
                        });
}

BOOST_AUTO_TEST_CASE(failures_are_retried_and_tabled) {
  test::TempDir dir{"failures"};
  PlanOptions po;
  po.repeats = 1;
  po.nodes = {"x86"};
  auto plan = make_plan(thesis(), &model(), po);
  SimulatedOptions so;
  so.failure_rate = 0.5;
  SimulatedExecutor ex{thesis(), model(), so};
  CampaignOptions o;
  o.out = dir;
  o.retries = 1;
  auto r = run_campaign(thesis(), plan, ex, o);
  BOOST_TEST(r.failed.size() > 0u);
  BOOST_TEST(r.completed > 0u);
  BOOST_TEST(r.completed + r.failed.size() == plan.size());
  BOOST_TEST(r.executed > plan.size());  // retries happened
  std::set<std::string> kinds;
  for (const auto& f : r.failed) {
    BOOST_TEST(f.attempts == 2);
    for (const auto& why : f.reasons) kinds.insert(why.substr(0, why.find(':')));
  }
  BOOST_TEST(kinds.count("job failed") + kinds.count("log unparsable") + kinds.count("result INVALID") >= 2u);
  auto table = read_text(dir / "failures.txt");
  BOOST_TEST(table.find(r.failed[0].run) != std::string::npos);
  // Resuming with more retries only re-attempts what failed.
  o.resume = true;
  o.retries = 8;
  auto again = run_campaign(thesis(), plan, ex, o);
  BOOST_TEST(again.skipped == r.completed);
  BOOST_TEST(again.completed > r.completed);
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(resume_after_kill_loses_and_repeats_nothing) {
  test::TempDir killed{"killed"};
  test::TempDir whole{"whole"};
  std::string common = "profile run --testbed config/testbeds/thesis.yaml --nodes x86 --repeats 2 --seed 7 ";
  // Uninterrupted reference.
  auto ref = test::run_program(common + "--out '" + whole.string() + "'");
  BOOST_TEST_REQUIRE(ref.exit_code == 0, ref.output);

  // Start the same campaign slowly, kill -9 it once some runs are journaled.
  pid_t pid = ::fork();
  BOOST_REQUIRE(pid >= 0);
  if (pid == 0) {
    if (::chdir(SYNERGAI_SOURCE_DIR) != 0) ::_exit(126);
    if (FILE* null = std::freopen("/dev/null", "w", stderr)) (void)null;
    std::string out = killed.string();
    ::execl(SYNERGAI_PROGRAM, SYNERGAI_PROGRAM, "profile", "run", "--testbed", "config/testbeds/thesis.yaml",
            "--nodes", "x86", "--repeats", "2", "--seed", "7", "--delay-ms", "20", "--out", out.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  auto journal = killed / "journal.jsonl";
  test::eventually([&] { return fs::exists(journal) && line_count(journal) >= 31; }, std::chrono::seconds{20},
                   "the campaign's journal to hold 31 lines", std::chrono::milliseconds{5});
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  BOOST_TEST(WIFSIGNALED(status));
  auto before = line_count(journal) - 1;
  BOOST_TEST(before >= 30u);
  BOOST_TEST(before < 120u);
  BOOST_TEST(!fs::exists(killed / "dictionary.json"));

  auto resumed = test::run_program(common + "--resume --out '" + killed.string() + "'");
  BOOST_TEST_REQUIRE(resumed.exit_code == 0, resumed.output);
  BOOST_TEST(resumed.output.find(fmt::format("{} already done", before)) != std::string::npos, resumed.output);
  // Every run exactly once in the journal, and the same results as the uninterrupted campaign.
  auto records = read_journal(journal);
  std::set<std::string> ids;
  for (const auto& r : records) {
    BOOST_TEST(r.outcome.ok);
    BOOST_TEST(ids.insert(r.run).second, "run " << r.run << " journaled twice");
  }
  BOOST_TEST(ids.size() == 120u);
  auto a = config::load_dictionary(killed / "dictionary.json", &thesis());
  auto b = config::load_dictionary(whole / "dictionary.json", &thesis());
  BOOST_TEST(a.points().size() == b.points().size());
  for (const auto& p : b.points()) {
    const auto* q = a.find(p.engine, p.node, p.config);
    BOOST_REQUIRE(q);
    BOOST_TEST(q->qps == p.qps);
    BOOST_TEST(q->preprocessing.count() == p.preprocessing.count());
  }
  BOOST_TEST((optima(a) == optima(b)));
  fs::remove_all(killed);
  fs::remove_all(whole);
}

BOOST_AUTO_TEST_CASE(torn_journal_line_is_dropped) {
  test::TempDir dir{"torn"};
  PlanOptions po;
  po.repeats = 1;
  po.nodes = {"agx"};
  po.engines = {"tf-resnet50"};
  auto plan = make_plan(thesis(), &model(), po);
  SimulatedExecutor ex{thesis(), model(), {}};
  CampaignOptions o;
  o.out = dir;
  (void)run_campaign(thesis(), plan, ex, o);
  // Cut the journal after 3 records plus half a line, as a kill mid-write would.
  auto text = read_text(dir / "journal.jsonl");
  std::size_t pos = 0;
  for (int i = 0; i < 4; ++i) pos = text.find('\n', pos) + 1;
  auto next = text.find('\n', pos);
  {
    std::ofstream out(dir / "journal.jsonl", std::ios::binary | std::ios::trunc);
    out << text.substr(0, pos + (next - pos) / 2);
  }
  BOOST_TEST(read_journal(dir / "journal.jsonl").size() == 3u);
  o.resume = true;
  auto r = run_campaign(thesis(), plan, ex, o);
  BOOST_TEST(r.skipped == 3u);
  BOOST_TEST(r.executed == 3u);
  BOOST_TEST(read_journal(dir / "journal.jsonl").size() == 6u);
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(plan_and_report_commands) {
  auto plan = test::run_program("profile plan --testbed config/testbeds/thesis.yaml --nodes nx --engines tf-resnet50 --repeats 1");
  BOOST_TEST(plan.exit_code == 0);
  BOOST_TEST(plan.output.find("9 runs; estimated duration") != std::string::npos, plan.output);
  auto report = test::run_program("profile report --dictionary config/dictionaries/thesis.json --testbed config/testbeds/thesis.yaml");
  BOOST_TEST(report.exit_code == 0);
  BOOST_TEST(report.output.find("QPS speed-up over 1 thread") != std::string::npos);
  BOOST_TEST(report.output.find("mode   6: 100.0%") != std::string::npos, report.output);
  auto kube = test::run_program("profile run --testbed config/testbeds/thesis.yaml --executor kube --out /tmp/x");
  BOOST_TEST(kube.exit_code == 2);
}

BOOST_AUTO_TEST_SUITE_END()
