// Single actors under the deterministic test coordinator: the job actor's
// state machine and the worker's reservation and cancel protocol.
#include "actors/job.hpp"
#include "actors/recorder.hpp"
#include "executors/simulated/simulated_executor.hpp"
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
          [](resume_atom, const JobSpec&, const Candidate&) {}, [](tick_atom) {},
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

// A worker holding job `id` on `node` in `config`, started through the real
// reservation protocol; the job actor records every transition.
struct HeldJob {
  config::Testbed testbed = test::small_testbed();
  config::Dictionary dictionary = test::small_dictionary(testbed);  // Performance refers to both
  worker_actor worker;
  executor_actor executor;
  urgency_actor urgency;
  std::shared_ptr<std::vector<WorkerEvent>> released = std::make_shared<std::vector<WorkerEvent>>();
};

void start_held_job(VirtualSystem& v, HeldJob& h, const std::string& id, std::size_t node, ExecConfig config) {
  const auto& tb = h.testbed;
  auto perf = std::make_shared<const Performance>(tb, h.dictionary);
  Timeline timeline{v.sched->clock().now(), TimePoint{}};
  h.urgency = v.sys->spawn(fake_urgency, h.released);
  h.executor = v.sys->spawn(simulated_executor, SimulationConfig{1, 0, 0, timeline}, perf);
  h.worker = v.sys->spawn(worker, WorkerConfig{tb.nodes[node], Seconds{5}, timeline}, h.executor, h.urgency, v.rec, false);
  JobSpec spec{id, "e1", 100, Seconds{60}, at_seconds(0)};
  auto j = v.sys->spawn(job, spec, v.rec);
  caf::anon_send(j, transit_atom::value, Transition{JobState::placed, at_seconds(0), tb.nodes[node].name, config, {}});
  caf::scoped_actor self{*v.sys};
  self->send(h.worker, reserve_atom::value, id);
  v.sched->run();
  bool granted = false;
  self->receive([&](bool g) { granted = g; });
  BOOST_REQUIRE(granted);
  caf::anon_send(h.worker, start_atom::value, Placement{spec, config, Seconds{1}}, j);
  v.sched->run();
}

void stop(VirtualSystem& v, const HeldJob& h) {
  for (const auto& a : {caf::actor_cast<caf::actor>(h.worker), caf::actor_cast<caf::actor>(h.executor),
                        caf::actor_cast<caf::actor>(h.urgency)})
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  v.sched->run();
}

BOOST_AUTO_TEST_CASE(a_cancel_while_the_power_mode_switches_ends_the_job_before_it_runs) {
  HeldJob h;
  start_held_job(*this, h, "j1", 2, ExecConfig{2, 2});  // edge: default mode 1, 2 s to switch
  BOOST_TEST((log->jobs.at("j1").state == JobState::starting));
  caf::anon_send(h.worker, cancel_atom::value, std::string{"j1"});
  run_all();
  const auto& r = log->jobs.at("j1");
  BOOST_TEST((r.state == JobState::cancelled));
  BOOST_TEST(!r.started_at.has_value());  // never ran
  BOOST_TEST(seconds_of(*r.finished_at) == 2.0);  // once the switch it waited for was done
  BOOST_TEST_REQUIRE(h.released->size() == 1u);
  BOOST_TEST((*h.released)[0].job_id == "j1");
  BOOST_TEST(log->anomalies.empty());
  stop(*this, h);
}

BOOST_AUTO_TEST_CASE(a_cancel_while_running_goes_to_the_executor_once) {
  HeldJob h;
  start_held_job(*this, h, "j1", 0, ExecConfig{4, std::nullopt});  // fast: 1 s + 100 / 40 qps
  BOOST_TEST((log->jobs.at("j1").state == JobState::running));
  caf::anon_send(h.worker, cancel_atom::value, std::string{"j1"});
  caf::anon_send(h.worker, cancel_atom::value, std::string{"j1"});  // a repeat changes nothing
  caf::anon_send(h.worker, cancel_atom::value, std::string{"other"});  // not its job: ignored
  run_all();
  const auto& r = log->jobs.at("j1");
  BOOST_TEST((r.state == JobState::cancelled), to_string(r.state));
  BOOST_TEST(r.started_at.has_value());
  BOOST_TEST(seconds_of(*r.finished_at) == 0.0);  // at once, not at the run's modelled end (3.5 s)
  BOOST_TEST(h.released->size() == 1u);
  BOOST_TEST(log->anomalies.empty());
  stop(*this, h);
}

BOOST_AUTO_TEST_SUITE_END()
