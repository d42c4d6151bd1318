// The local executor: pinned child processes, their failure paths, and a real
// scheduled run on two one-core workers.
#include "executors/local/local_executor.hpp"
#include "actors/runtime.hpp"
#include "config/testbed.hpp"
#include "support/errors.hpp"
#include "tests/support.hpp"

#include <boost/test/unit_test.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <nlohmann/json.hpp>
#include <sched.h>

#include <chrono>
#include <condition_variable>
#include <fstream>
#include <set>
#include <thread>

using namespace synergai;
using namespace std::chrono_literals;

namespace {

std::filesystem::path model(const std::string& name) { return std::filesystem::path{SYNERGAI_MODEL_DIR} / name; }

ChildSpec engine_child(const std::string& name, std::vector<int> cpus, int queries = 3) {
  EngineCommand c{SYNERGAI_PROGRAM, {}, 1};
  return {engine_argv(c, model(name), 1, queries), std::move(cpus)};
}

ChildSpec fake_child(const std::string& model_name) {
  EngineCommand c{SYNERGAI_FAKE_ENGINE, {}, 1};
  return {engine_argv(c, model_name, 1, 1), {}};
}

// local.yaml with tiny models, plus engines whose model names make the fake
// engine misbehave; a dictionary that makes every job short.
struct LocalSetup {
  config::Testbed testbed;
  config::Dictionary dictionary;

  explicit LocalSetup(bool with_fakes) {
    testbed = config::load_testbed(test::source_path("config/testbeds/local.yaml"));
    testbed.engines[0].model_file = model("resnet50-tiny.onnx").string();
    testbed.engines[1].model_file = model("mobilenet-tiny.onnx").string();
    if (with_fakes) {
      auto base = testbed.engines[1];
      testbed.engines.clear();
      for (auto name : {"crash", "hang", "garbage", "ok"}) {
        base.id = name;
        base.model_file = std::string{"/fake/"} + name + ".onnx";
        testbed.engines.push_back(base);
      }
    }
    dictionary.testbed = testbed.name;
    for (const auto& e : testbed.engines)
      for (const auto& n : testbed.nodes)
        dictionary.add(ProfilePoint{e.id, n.name, ExecConfig{1, {}}, 200, Seconds{0.2}, Seconds{0.1}, 20, "test"});
    dictionary.choose_optima(testbed);
  }
};

JobSpec job(const std::string& id, const std::string& engine, int queries, double at_s) {
  return JobSpec{id, engine, queries, Seconds{60}, TimePoint{Seconds{at_s}}};
}

const JobRecord& find(const RunResult& r, const std::string& id) {
  for (const auto& j : r.jobs)
    if (j.spec.id == id) return j;
  BOOST_FAIL("no record of job " << id);
  throw;
}

ExecutorFactory local(const std::filesystem::path& program, Seconds timeout_floor) {
  return [=](caf::actor_system& sys, std::shared_ptr<const Performance> performance, const Timeline& timeline) {
    LocalExecutorConfig c;
    c.engine.program = program;
    c.timeout_floor = timeout_floor;
    c.timeline = timeline;
    return executor_actor{sys.spawn(local_executor, c, std::move(performance))};
  };
}

}  // namespace

BOOST_AUTO_TEST_SUITE(local_executor_tests)

BOOST_AUTO_TEST_CASE(children_are_pinned_to_their_cpus) {
  // The CPUs this process may use (a cpuset or taskset may leave out some).
  cpu_set_t mine;
  BOOST_TEST_REQUIRE(::sched_getaffinity(0, sizeof mine, &mine) == 0);
  std::vector<int> allowed;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &mine)) allowed.push_back(c);
  BOOST_TEST_REQUIRE(!allowed.empty());
  for (std::size_t i = 0; i < std::min<std::size_t>(allowed.size(), 2); ++i) {
    const int cpu = allowed[i];
    auto child = Child::start(engine_child("mobilenet-tiny.onnx", {cpu}));
    auto exit = child->wait(60s);
    BOOST_TEST_REQUIRE(failure_reason(exit, 60s).empty(), failure_reason(exit, 60s) << exit.err);
    auto j = nlohmann::json::parse(exit.out);
    BOOST_TEST((j.at("cpus_allowed").get<std::vector<int>>() == std::vector<int>{cpu}),
               "engine pinned to CPU " << cpu << " reported: " << exit.out);
  }
  // And as the kernel sees it, from outside, while the child runs. The child
  // sets its affinity between fork and exec: once /proc says it runs `sleep`,
  // its Cpus_allowed_list is final. (Reading the list before the name could
  // pair a list from before the exec with the name after it.)
  const int cpu = allowed.front();
  auto child = Child::start({{"/bin/sleep", "30"}, {cpu}});
  const auto proc = "/proc/" + std::to_string(child->pid());
  auto first_line = [](const std::string& file, const std::string& prefix) {
    std::ifstream in{file};
    for (std::string line; std::getline(in, line);)
      if (line.rfind(prefix, 0) == 0) return line.substr(prefix.size());
    return std::string{"(none)"};
  };
  std::string name, listed;
  test::eventually([&] {
    name = first_line(proc + "/comm", "");
    if (name != "sleep") return false;
    listed = first_line(proc + "/status", "Cpus_allowed_list:");
    listed.erase(0, listed.find_first_not_of(" \t"));
    return true;
  }, 20s, "the pinned child to run /bin/sleep");
  BOOST_TEST(listed == std::to_string(cpu),
             "child pinned to CPU " << cpu << " (pid " << child->pid() << ", running \"" << name
                                    << "\"): /proc Cpus_allowed_list is \"" << listed << "\"");
  child->kill();
  auto exit = child->wait(10s);
  BOOST_TEST(exit.killed);
}

BOOST_AUTO_TEST_CASE(crashes_failures_and_hangs_are_reported) {
  auto crash = Child::start(fake_child("crash.onnx"))->wait(10s);
  BOOST_TEST(failure_reason(crash, 10s).find("crashed: signal 11") != std::string::npos, failure_reason(crash, 10s));
  auto fail = Child::start(fake_child("fail.onnx"))->wait(10s);
  BOOST_TEST(failure_reason(fail, 10s) == "engine exited with status 3: fake engine: cannot load the model");
  auto start = std::chrono::steady_clock::now();
  auto hang = Child::start(fake_child("hang.onnx"))->wait(0.3s);
  BOOST_TEST(hang.timed_out);
  BOOST_TEST(failure_reason(hang, 0.3s).find("timed out after 0.3 s") != std::string::npos);
  BOOST_TEST((std::chrono::steady_clock::now() - start < 5s));
  auto missing = Child::start({{"/nonexistent/program"}, {}})->wait(10s);
  BOOST_TEST(failure_reason(missing, 10s).find("status 127: synergai: cannot execute /nonexistent/program") !=
             std::string::npos, failure_reason(missing, 10s));
  auto ok = Child::start(fake_child("ok.onnx"))->wait(10s);
  BOOST_TEST(failure_reason(ok, 10s).empty());
}

BOOST_AUTO_TEST_CASE(failed_jobs_free_their_worker, *test::requires_cpus(2)) {
  LocalSetup s{true};
  std::vector<JobSpec> jobs{job("j-crash", "crash", 5, 0), job("j-hang", "hang", 5, 0), job("j-garbage", "garbage", 5, 0.05),
                            job("j-ok", "ok", 5, 0.05), job("j-ok2", "ok", 5, 0.1)};
  RuntimeOptions options;
  options.tick = Seconds{0.05};
  auto r = run_realtime(s.testbed, s.dictionary, jobs, options, Seconds{30}, local(SYNERGAI_FAKE_ENGINE, Seconds{0.5}));
  BOOST_TEST(r.jobs.size() == 5u);
  BOOST_TEST((find(r, "j-crash").state == JobState::failed));
  BOOST_TEST(find(r, "j-crash").message.find("signal 11") != std::string::npos, find(r, "j-crash").message);
  BOOST_TEST((find(r, "j-hang").state == JobState::failed));
  BOOST_TEST(find(r, "j-hang").message.find("timed out") != std::string::npos, find(r, "j-hang").message);
  BOOST_TEST((find(r, "j-garbage").state == JobState::failed));
  BOOST_TEST(find(r, "j-garbage").message == "engine printed no result");
  BOOST_TEST((find(r, "j-ok").state == JobState::succeeded));
  BOOST_TEST((find(r, "j-ok2").state == JobState::succeeded));
  BOOST_TEST(r.anomalies.empty());
}

BOOST_AUTO_TEST_CASE(cancel_kills_the_child_and_mode_requests_fail, *test::requires_cpus(2)) {
  LocalSetup s{true};
  struct Seen {
    std::mutex m;
    std::condition_variable cv;
    std::vector<std::string> events;
  };
  auto seen = std::make_shared<Seen>();
  caf::actor_system_config cfg;
  cfg.set("logger.console", caf::atom("none"));
  caf::actor_system sys{cfg};
  auto performance = std::make_shared<const Performance>(s.testbed, s.dictionary);
  LocalExecutorConfig c;
  c.engine.program = SYNERGAI_FAKE_ENGINE;
  c.timeline = Timeline{sys.clock().now(), TimePoint{}};
  auto executor = sys.spawn(local_executor, c, performance);
  // `seen` goes in as a spawn argument, not a capture: CAF 0.17 spawns a
  // function with no arguments by dereferencing a null pointer to them.
  auto listen = [](execution_listener::pointer, std::shared_ptr<Seen> seen) -> execution_listener::behavior_type {
    auto note = [seen](std::string e) {
      std::lock_guard lock{seen->m};
      seen->events.push_back(std::move(e));
      seen->cv.notify_all();
    };
    return {[note](started_atom, const std::string& id, TimePoint) { note("started " + id); },
            [note](finished_atom, const ExecutionOutcome& o) {
              note(fmt::format("finished {} {} {}", o.job_id, static_cast<int>(o.outcome), o.message));
            }};
  };
  auto listener = sys.spawn(listen, seen);
  auto wait_for = [&](std::size_t n) {
    std::unique_lock lock{seen->m};
    return seen->cv.wait_for(lock, 10s, [&] { return seen->events.size() >= n; });
  };
  caf::anon_send(executor, run_atom::value, RunRequest{job("h", "hang", 1, 0), "cpu0", ExecConfig{1, {}}}, listener);
  BOOST_TEST_REQUIRE(wait_for(1));
  caf::anon_send(executor, cancel_atom::value, std::string{"h"});
  BOOST_TEST_REQUIRE(wait_for(2));
  std::this_thread::sleep_for(100ms);  // a second `finished` would arrive now
  {
    std::lock_guard lock{seen->m};
    BOOST_TEST(seen->events.size() == 2u);
    BOOST_TEST(seen->events[0] == "started h");
    BOOST_TEST(seen->events[1] == "finished h 2 cancelled by request");
  }
  caf::scoped_actor self{sys};
  bool failed = false;
  self->request(executor, 5s, mode_atom::value, std::string{"cpu0"}, 1)
      .receive([](int) {}, [&](caf::error&) { failed = true; });
  BOOST_TEST(failed);
  caf::anon_send_exit(executor, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(listener, caf::exit_reason::user_shutdown);
}

BOOST_AUTO_TEST_CASE(four_real_jobs_on_two_one_core_workers, *test::requires_cpus(2)) {
  LocalSetup s{false};
  std::vector<JobSpec> jobs{job("r1", "opencv-resnet50", 20, 0), job("m1", "opencv-mobilenet", 40, 0),
                            job("r2", "opencv-resnet50", 20, 0.05), job("m2", "opencv-mobilenet", 40, 0.1)};
  RuntimeOptions options;
  options.tick = Seconds{0.05};
  auto r = run_realtime(s.testbed, s.dictionary, jobs, options, Seconds{60}, local(SYNERGAI_PROGRAM, Seconds{30}));
  BOOST_TEST_REQUIRE(r.jobs.size() == 4u);
  std::set<std::string> nodes;
  for (const auto& j : r.jobs) {
    BOOST_TEST((j.state == JobState::succeeded), j.spec.id << " " << to_string(j.state) << " " << j.message);
    BOOST_TEST(j.started_at.has_value());
    BOOST_TEST(j.finished_at.has_value());
    nodes.insert(j.node);
  }
  BOOST_TEST(nodes.size() == 2u);  // both workers ran jobs
  BOOST_TEST(r.anomalies.empty());
}

BOOST_AUTO_TEST_SUITE_END()
