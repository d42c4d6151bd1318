// Single actors under the deterministic test coordinator: the job actor's
// state machine and the worker's reservation protocol.
#include "actors/job.hpp"
#include "actors/recorder.hpp"
#include "actors/simulated_executor.hpp"
#include "actors/worker.hpp"
#include "tests/actors/fixtures.hpp"

#include <boost/test/unit_test.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

using namespace synergai;

namespace {

struct VirtualSystem {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::scheduler::test_coordinator* sched = nullptr;
  std::shared_ptr<RunLog> log = std::make_shared<RunLog>();
  recorder_actor rec;

  VirtualSystem() {
    cfg.set("scheduler.policy", caf::atom("testing"));
    cfg.set("logger.verbosity", caf::atom("quiet"));
    sys = std::make_unique<caf::actor_system>(cfg);
    sched = &dynamic_cast<caf::scheduler::test_coordinator&>(sys->scheduler());
    rec = sys->spawn(recorder, log);
  }
  ~VirtualSystem() {
    caf::anon_send_exit(rec, caf::exit_reason::user_shutdown);
    sched->run();
  }
  void run_all() {
    sched->run();
    while (sched->clock().has_pending_timeout()) {
      sched->clock().trigger_timeout();
      sched->run();
    }
  }
};

// Stands in for the urgency actor: remembers what workers report.
urgency_actor::behavior_type fake_urgency(urgency_actor::pointer, std::shared_ptr<std::vector<WorkerEvent>> out) {
  return {[](connect_atom, const std::vector<worker_actor>&) {}, [](submit_atom, const JobSpec&) {},
          [](resubmit_atom, const JobSpec&) {}, [](resume_atom, const JobSpec&, const Candidate&) {}, [](tick_atom) {},
          [=](released_atom, const WorkerEvent& e) { out->push_back(e); }, [](cancel_atom, const std::string&) {}};
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(single_actors, VirtualSystem)

BOOST_AUTO_TEST_CASE(illegal_job_transitions_are_reported_not_applied) {
  auto j = sys->spawn(job, JobSpec{"j1", "e1", 10, Seconds{5}, at_seconds(0)}, rec);
  caf::anon_send(j, transit_atom::value, Transition{JobState::running, at_seconds(1), {}, std::nullopt, {}});
  sched->run();
  BOOST_TEST_REQUIRE(log->anomalies.size() == 1u);
  BOOST_TEST(log->anomalies[0] == "job j1: illegal transition queued -> running");
  BOOST_TEST((log->jobs.at("j1").state == JobState::queued));
  caf::anon_send(j, transit_atom::value, Transition{JobState::placed, at_seconds(1), "fast", ExecConfig{4, std::nullopt}, {}});
  caf::anon_send(j, transit_atom::value, Transition{JobState::starting, at_seconds(1), {}, std::nullopt, {}});
  caf::anon_send(j, transit_atom::value, Transition{JobState::running, at_seconds(2), {}, std::nullopt, {}});
  caf::anon_send(j, transit_atom::value, Transition{JobState::succeeded, at_seconds(9), {}, std::nullopt, {}});
  sched->run();
  const auto& r = log->jobs.at("j1");
  BOOST_TEST((r.state == JobState::succeeded));
  BOOST_TEST(r.node == "fast");
  BOOST_TEST(seconds_of(*r.started_at) == 2.0);
  BOOST_TEST(seconds_of(*r.finished_at) == 9.0);
  BOOST_TEST(log->terminal == 1u);
  BOOST_TEST(log->anomalies.size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_job_actor_ends_normally_with_its_job) {
  auto j = sys->spawn(job, JobSpec{"j1", "e1", 10, Seconds{5}, at_seconds(0)}, rec);
  auto down = std::make_shared<std::optional<caf::error>>();
  auto watcher = sys->spawn([=](caf::event_based_actor* self) -> caf::behavior {
    self->monitor(j);
    self->set_down_handler([=](caf::down_msg& m) { *down = m.reason; });
    return {[](tick_atom) {}};
  });
  sched->run();
  caf::anon_send(j, transit_atom::value, Transition{JobState::placed, at_seconds(1), "fast", ExecConfig{4, std::nullopt}, {}});
  sched->run();
  BOOST_TEST(!down->has_value());  // still running: its job is not finished
  caf::anon_send(j, transit_atom::value, Transition{JobState::cancelled, at_seconds(2), {}, std::nullopt, "by request"});
  sched->run();
  BOOST_TEST_REQUIRE(down->has_value());
  BOOST_TEST(!**down);  // exit_reason::normal: linked actors carry on
  BOOST_TEST((log->jobs.at("j1").state == JobState::cancelled));
  caf::anon_send_exit(watcher, caf::exit_reason::user_shutdown);
  sched->run();
}

BOOST_AUTO_TEST_CASE(a_grant_without_a_start_expires_and_frees_the_worker) {
  auto tb = test::small_testbed();
  auto dict = test::small_dictionary(tb);
  auto perf = std::make_shared<const Performance>(tb, dict);
  Timeline timeline{sched->clock().now(), TimePoint{}};
  auto released = std::make_shared<std::vector<WorkerEvent>>();
  auto urgency = sys->spawn(fake_urgency, released);
  executor_actor exec = sys->spawn(simulated_executor, SimulationConfig{1, 0, 0, timeline}, perf);
  auto w = sys->spawn(worker, WorkerConfig{tb.nodes[0], Seconds{5}, timeline}, exec, urgency, rec, false);
  caf::scoped_actor self{*sys};
  auto ask = [&](const std::string& id) {
    self->send(w, reserve_atom::value, id);
    sched->run();
    bool granted = false;
    self->receive([&](bool g) { granted = g; });
    return granted;
  };
  BOOST_TEST(ask("x"));
  BOOST_TEST(!ask("y"));  // one job per worker: the grant holds it
  run_all();              // nobody starts x: the grant expires after 5 s
  BOOST_TEST_REQUIRE(released->size() == 1u);
  BOOST_TEST((*released)[0].job_id == "x");
  BOOST_TEST(!(*released)[0].ran);
  BOOST_TEST(seconds_of((*released)[0].at) == 5.0);
  BOOST_TEST(ask("y"));
  for (const auto& a : {caf::actor_cast<caf::actor>(w), caf::actor_cast<caf::actor>(exec), caf::actor_cast<caf::actor>(urgency)})
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  sched->run();
}

BOOST_AUTO_TEST_SUITE_END()
