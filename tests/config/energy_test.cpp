// The energy model (config/energy.hpp): cap x execution time where a cap is
// known, unknown (never 0) where it is not, per job, per run and per profiled
// configuration, on a hand-made testbed with every kind of power bound.
#include "config/energy.hpp"

#include "config/dictionary.hpp"
#include "support/errors.hpp"

#include <boost/test/unit_test.hpp>

#include <tuple>

using namespace synergai;

namespace {

// server: no power modes. board: mode 1 at 10 W, mode 2 at 20 W, mode 3 MAXN
// (no cap), mode 4 with a cap nobody stated.
config::Testbed energy_testbed() {
  return config::read_testbed(config::parse_yaml(R"(testbed: energy
nodes:
  - {name: server, kubernetes_node: server-1, arch: amd64, tier: cloud, cpus: 4, memory_gib: 8, thread_options: [1, 4]}
  - name: board
    kubernetes_node: board-1
    arch: arm64
    tier: edge
    cpus: 4
    memory_gib: 8
    power_modes:
      - {id: 1, name: MODE_10W, max_mhz: 1000, online_cpus: 4, budget_w: 10}
      - {id: 2, name: MODE_20W, max_mhz: 2000, online_cpus: 4, budget_w: 20}
      - {id: 3, name: MAXN, max_mhz: 2500, online_cpus: 4, budget_w: unlimited}
      - {id: 4, name: MAXQ, max_mhz: 800, online_cpus: 4, budget_w: unknown}
    default_mode: 1
    mode_switch_latency_s: 2
engines:
  - {id: e1, task: classification, backend: onnxruntime, model: m1, dataset: d, accuracy: 70, accuracy_metric: top1, thread_knob: k, container: {image: i}}
)",
                                                 "energy.yaml"));
}

// e1 (pre-processing 1 s): server 1 thread 10 QPS, 4 threads 40; board mode 1
// 5 QPS, mode 2 10, mode 3 20, mode 4 4.
config::Dictionary energy_dictionary(const config::Testbed& tb) {
  config::Dictionary d;
  d.testbed = "energy";
  auto add = [&](const char* node, ExecConfig c, double qps) {
    d.add(ProfilePoint{"e1", node, c, qps, Seconds{1}, Seconds{1000 / qps}, 1000, "fixture"});
  };
  add("server", {1, std::nullopt}, 10);
  add("server", {4, std::nullopt}, 40);
  add("board", {4, 1}, 5);
  add("board", {4, 2}, 10);
  add("board", {4, 3}, 20);
  add("board", {4, 4}, 4);
  d.choose_optima(tb);
  return d;
}

JobRecord ran(const std::string& node, ExecConfig config, double start, double finish) {
  JobRecord r;
  r.spec = JobSpec{"j", "e1", 100, Seconds{1000}, at_seconds(0)};
  r.state = JobState::succeeded;
  r.node = node;
  r.config = config;
  r.started_at = at_seconds(start);
  r.finished_at = at_seconds(finish);
  return r;
}

JobRecord never_ran() {
  JobRecord r;
  r.spec = JobSpec{"n", "e1", 100, Seconds{10}, at_seconds(0)};
  r.state = JobState::cancelled;
  return r;
}

constexpr auto tol = 1e-9;

}  // namespace

BOOST_AUTO_TEST_SUITE(energy)

BOOST_AUTO_TEST_CASE(a_power_bound_comes_only_from_a_stated_cap) {
  auto tb = energy_testbed();
  const auto& board = *tb.find_node("board");
  const auto& server = *tb.find_node("server");
  auto ten = power_bound(board, {4, 1});
  BOOST_TEST((ten.basis == EnergyBasis::power_budget));
  BOOST_TEST(*ten.watts == 10.0, boost::test_tools::tolerance(tol));
  BOOST_TEST(*power_bound(board, {4, 2}).watts == 20.0, boost::test_tools::tolerance(tol));
  auto maxn = power_bound(board, {4, 3});
  BOOST_TEST(!maxn.watts.has_value());
  BOOST_TEST((maxn.basis == EnergyBasis::no_cap));
  auto maxq = power_bound(board, {4, 4});
  BOOST_TEST(!maxq.watts.has_value());
  BOOST_TEST((maxq.basis == EnergyBasis::budget_not_stated));
  auto x86 = power_bound(server, {4, std::nullopt});
  BOOST_TEST(!x86.watts.has_value());
  BOOST_TEST((x86.basis == EnergyBasis::no_power_modes));
  BOOST_CHECK_THROW(power_bound(board, {4, 7}), InputError);
  BOOST_CHECK_THROW(power_bound(board, {4, std::nullopt}), InputError);
  BOOST_TEST(to_string(EnergyBasis::no_cap) == "no-cap");
}

BOOST_AUTO_TEST_CASE(a_job_s_energy_is_its_cap_times_its_execution_time) {
  auto tb = energy_testbed();
  // Mode 2 (20 W) from 5 s to 17.5 s: 12.5 s x 20 W = 250 J; waiting is not counted.
  auto e = job_energy(tb, ran("board", {4, 2}, 5, 17.5));
  BOOST_TEST(e.known());
  BOOST_TEST(*e.joules == 250.0, boost::test_tools::tolerance(tol));
  BOOST_TEST(*e.execution_s == 12.5, boost::test_tools::tolerance(tol));
  BOOST_TEST(*e.watts == 20.0, boost::test_tools::tolerance(tol));

  // Unknown, not 0: the server (no modes), MAXN, an unstated cap.
  for (const auto& [node, config, basis] :
       {std::tuple{"server", ExecConfig{4, std::nullopt}, EnergyBasis::no_power_modes},
        std::tuple{"board", ExecConfig{4, 3}, EnergyBasis::no_cap},
        std::tuple{"board", ExecConfig{4, 4}, EnergyBasis::budget_not_stated}}) {
    auto u = job_energy(tb, ran(node, config, 0, 10));
    BOOST_TEST(!u.known());
    BOOST_TEST(!u.joules.has_value());
    BOOST_TEST(*u.execution_s == 10.0, boost::test_tools::tolerance(tol));
    BOOST_TEST((u.basis == basis));
  }

  // A job that never started has no energy at all.
  BOOST_TEST((job_energy(tb, never_ran()).basis == EnergyBasis::not_run));

  // A node the testbed lacks is an error naming it.
  try {
    job_energy(tb, ran("ghost", {4, std::nullopt}, 0, 1));
    BOOST_FAIL("no error for an unknown node");
  } catch (const InputError& err) {
    BOOST_TEST(std::string{err.what()}.find("ghost") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(a_run_counts_its_known_energy_and_its_unknown_jobs_apart) {
  auto tb = energy_testbed();
  std::vector<JobRecord> jobs{ran("board", {4, 1}, 0, 10),   // 100 J
                              ran("board", {4, 2}, 10, 15),  // 100 J
                              ran("board", {4, 2}, 15, 16),  // 20 J
                              ran("server", {4, std::nullopt}, 0, 30), ran("board", {4, 3}, 16, 20), never_ran()};
  auto r = run_energy(tb, jobs);
  BOOST_TEST(r.jobs_known == 3u);
  BOOST_TEST(r.jobs_unknown == 2u);
  BOOST_TEST(r.jobs_not_run == 1u);
  BOOST_TEST(r.joules_known == 220.0, boost::test_tools::tolerance(tol));
  BOOST_TEST(*r.mean_joules_known() == 220.0 / 3, boost::test_tools::tolerance(tol));

  std::vector<JobRecord> only_server{ran("server", {4, std::nullopt}, 0, 30)};
  auto s = run_energy(tb, only_server);
  BOOST_TEST(s.jobs_known == 0u);
  BOOST_TEST(s.jobs_unknown == 1u);
  BOOST_TEST(!s.mean_joules_known().has_value());
}

BOOST_AUTO_TEST_CASE(profiled_configurations_rank_by_known_energy_then_the_unknown_by_speed) {
  auto tb = energy_testbed();
  auto d = energy_dictionary(tb);
  Performance perf{tb, d};
  // 400 queries: mode 1 1 + 80 = 81 s x 10 W = 810 J; mode 2 41 s x 20 W = 820 J;
  // mode 3 21 s, no cap; mode 4 101 s, cap not stated.
  auto board = configuration_energies(perf, "e1", "board", 400);
  BOOST_REQUIRE(board.size() == 4u);
  BOOST_TEST((board[0].config == ExecConfig{4, 1}));
  BOOST_TEST(*board[0].joules == 810.0, boost::test_tools::tolerance(tol));
  BOOST_TEST(board[0].estimate.count() == 81.0, boost::test_tools::tolerance(tol));
  BOOST_TEST((board[1].config == ExecConfig{4, 2}));
  BOOST_TEST(*board[1].joules == 820.0, boost::test_tools::tolerance(tol));
  BOOST_TEST((board[2].config == ExecConfig{4, 3}));
  BOOST_TEST(!board[2].joules.has_value());
  BOOST_TEST((board[3].config == ExecConfig{4, 4}));
  BOOST_TEST(!board[3].joules.has_value());
  // The server's configurations are all unknown: fastest first.
  auto server = configuration_energies(perf, "e1", "server", 400);
  BOOST_REQUIRE(server.size() == 2u);
  BOOST_TEST(server[0].config.threads == 4);
  BOOST_TEST(!server[0].joules.has_value());
  BOOST_TEST(server[1].config.threads == 1);
  BOOST_TEST(configuration_energies(perf, "e9", "board", 400).empty());
  BOOST_TEST(configuration_energies(perf, "e1", "ghost", 400).empty());
}

BOOST_AUTO_TEST_SUITE_END()
