// The profiling campaign's local executor (executors/local/local_engine.hpp): real
// measurements of the tiny generated models, each run a pinned engine child;
// the failure paths with the fake engine; the checks made before any run.
#include "executors/local/local_engine.hpp"

#include "config/testbed.hpp"
#include "support/errors.hpp"
#include "tests/support.hpp"

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>

using namespace synergai;
using namespace synergai::profiling;
namespace fs = std::filesystem;

namespace {

// local-machine.yaml on at most 2 CPUs of this machine, with the tiny models.
config::Testbed machine_testbed() {
  auto tb = config::load_testbed(test::source_path("config/testbeds/local-machine.yaml"));
  auto& node = tb.nodes.at(0);
  node.cpus = std::min(2, available_cpus());
  node.thread_options.clear();
  for (int t = 1; t <= node.cpus; ++t) node.thread_options.push_back(t);
  tb.engines[0].model_file = "resnet50-tiny.onnx";
  tb.engines[1].model_file = "mobilenet-tiny.onnx";
  return tb;
}

LocalOptions tiny_options(fs::path program = SYNERGAI_PROGRAM) {
  LocalOptions o;
  o.engine = {std::move(program), SYNERGAI_MODEL_DIR, 1};
  o.queries = 3;
  o.timeout = Seconds{60};
  return o;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_local_campaign_measures_every_thread_level_into_a_dictionary) {
  auto tb = machine_testbed();
  PlanOptions po;
  po.repeats = 2;
  auto plan = make_plan(tb, nullptr, po);
  BOOST_TEST(plan.size() == tb.engines.size() * tb.nodes[0].thread_options.size() * 2);
  LocalExecutor ex{tb, plan, tiny_options()};
  CampaignOptions co;
  test::TempDir out{"local-campaign"};
  co.out = out;
  auto r = run_campaign(tb, plan, ex, co);
  BOOST_TEST(r.completed == plan.size());
  BOOST_TEST(r.failed.empty());
  const auto& d = r.dictionary;
  BOOST_TEST(d.points().size() == tb.engines.size() * tb.nodes[0].thread_options.size());
  for (const auto& p : d.points()) {
    BOOST_TEST(p.qps > 0);
    BOOST_TEST(p.preprocessing.count() > 0);
    BOOST_TEST(p.queries == 3);
    BOOST_TEST(p.source == "local");
    const auto* prov = d.provenance(p.engine, p.node, p.config);
    BOOST_TEST_REQUIRE(prov);
    BOOST_TEST(prov->executor == "local");
    BOOST_TEST(prov->repeats == 2);
  }
  for (const auto& e : tb.engines) BOOST_TEST(d.optimum(e.id, "machine") != nullptr);
  // What the engine printed is kept beside the journal.
  std::string folder = plan[0].id;
  std::replace(folder.begin(), folder.end(), '/', '_');
  auto result = nlohmann::json::parse(test::read_text(co.out / "runs" / folder / "attempt-1" / "engine.json"));
  BOOST_TEST(result.at("queries").get<int>() == 3);
  BOOST_TEST(result.at("threads").get<int>() == plan[0].config.threads);
}

BOOST_AUTO_TEST_CASE(engine_failures_are_recorded_per_run_and_retried) {
  test::TempDir dir{"local-failures"};
  auto tb = machine_testbed();
  tb.nodes[0].thread_options = {1};
  auto base = tb.engines[0];
  tb.engines.clear();
  for (auto name : {"crash", "garbage", "ok"}) {
    base.id = name;
    base.model_file = std::string{name} + ".onnx";
    std::ofstream{dir / base.model_file} << "the fake engine reads only the name";
    tb.engines.push_back(base);
  }
  PlanOptions po;
  po.repeats = 1;
  auto plan = make_plan(tb, nullptr, po);
  auto options = tiny_options(SYNERGAI_FAKE_ENGINE);
  options.engine.models = dir;
  LocalExecutor ex{tb, plan, options};
  CampaignOptions co;
  co.out = dir / "campaign";
  co.retries = 1;
  auto r = run_campaign(tb, plan, ex, co);
  BOOST_TEST(r.completed == 1u);
  BOOST_TEST_REQUIRE(r.failed.size() == 2u);
  for (const auto& f : r.failed) {
    BOOST_TEST(f.attempts == 2);
    auto expected = f.run.starts_with("crash/") ? "job failed: engine crashed: signal 11"
                                                : "log unparsable: the engine printed no complete result";
    BOOST_TEST(f.reasons.at(0).starts_with(expected), f.reasons.at(0));
  }
  BOOST_TEST(r.dictionary.points().size() == 1u);
}

BOOST_AUTO_TEST_CASE(what_cannot_run_here_is_refused_before_any_run) {
  auto tb = machine_testbed();
  auto plan = make_plan(tb, nullptr, {});
  auto refused = [&](const std::vector<PlannedRun>& p, LocalOptions o, const std::string& message) {
    try {
      LocalExecutor ex{tb, p, std::move(o)};
      BOOST_ERROR("accepted; expected: " << message);
    } catch (const InputError& e) {
      BOOST_TEST(std::string{e.what()}.find(message) != std::string::npos, e.what());
    }
  };
  auto no_models = tiny_options();
  no_models.engine.models = "/nonexistent";
  refused(plan, no_models, "engine opencv-mobilenet: no model file /nonexistent/mobilenet-tiny.onnx\n"
                           "engine opencv-resnet50: no model file /nonexistent/resnet50-tiny.onnx\n");

  auto with_mode = plan;
  with_mode[0].config.mode = 2;
  refused(with_mode, tiny_options(), "node machine: the local executor runs no power modes");

  tb.nodes[0].cpus = available_cpus() + 1;
  refused(plan, tiny_options(), fmt::format("node machine: declares {} CPUs, but this process may use only {}",
                                            available_cpus() + 1, available_cpus()));
  tb.nodes[0].cpu_set = {CPU_SETSIZE + 5};
  refused(plan, tiny_options(), fmt::format("node machine: cpu_set names CPU {}", CPU_SETSIZE + 5));
}

BOOST_AUTO_TEST_CASE(profile_run_with_the_local_executor_names_a_missing_model) {
  test::TempDir out{"local-cli"};
  auto r = test::run_program(
      "profile run --testbed config/testbeds/local-machine.yaml --executor local --models /nonexistent --out " +
      (out / "c").string());
  BOOST_TEST(r.exit_code == 2, r.output);
  BOOST_TEST(r.output.find("engine opencv-resnet50: no model file /nonexistent/resnet50.onnx") != std::string::npos,
             r.output);
  BOOST_TEST(!std::filesystem::exists(out / "c" / "journal.jsonl"), "nothing is started when a model is missing");
}
