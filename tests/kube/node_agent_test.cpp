// The node agent (kube/node_agent) through the fake API server: it applies the
// requested power mode on a fake sysfs tree or through a fake nvpmodel, reports
// it on the Node, refuses what it cannot do, survives a dropped watch and a
// restart mid-switch, and refuses to run for a node that does not exist.
#include "kube/node_agent.hpp"
#include "kube/power_mode.hpp"
#include "support/errors.hpp"
#include "tests/kube/fake_fixture.hpp"
#include "tests/support.hpp"

#include <boost/test/unit_test.hpp>

#include <fstream>
#include <thread>

using namespace synergai;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// An NX-like board: 6 CPUs at up to 1900 MHz, modes from the thesis's table.
NodeSpec nx_board() {
  NodeSpec n;
  n.name = "nx";
  n.kubernetes_node = "nx-1";
  n.arch = Arch::arm64;
  n.tier = Tier::edge;
  n.cpus = 6;
  n.power_modes = {{1, "MODE_10W_4CORE", 1200, 4, 10.0, true}, {4, "MODE_15W_6CORE", 1400, 6, 15.0, true},
                   {6, "MODE_10W_2CORE", 1500, 2, 10.0, true}, {9, "MODE_10W_DESKTOP", 1900, 4, 10.0, true}};
  n.default_mode = 9;
  return n;
}

void put(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream{p} << text << '\n';
}

std::string get(const fs::path& p) {
  auto s = test::read_text(p);
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

// /sys/devices/system/cpu of a 6-CPU board in mode 9: cpu0 always online,
// cpu1..cpu3 online, cpu4..cpu5 offline, one cpufreq policy at 1.9 GHz.
void fake_sysfs(const fs::path& root) {
  auto cpu = root / "sys/devices/system/cpu";
  fs::create_directories(cpu / "cpu0");
  for (int k = 1; k < 6; ++k) put(cpu / fmt::format("cpu{}", k) / "online", k < 4 ? "1" : "0");
  put(cpu / "cpufreq/policy0/cpuinfo_max_freq", "1900800");
  put(cpu / "cpufreq/policy0/scaling_max_freq", "1900000");
}

kube::PowerModeWait quick_wait() {
  kube::PowerModeWait w;
  w.timeout = std::chrono::seconds{10};
  w.poll = std::chrono::milliseconds{10};
  return w;
}

// An agent running on a thread of its own until the end of the scope.
struct RunningAgent {
  RunningAgent(std::shared_ptr<kube::Client> client, std::unique_ptr<kube::PowerModeDriver> driver,
               const std::string& node = "nx-1")
      : agent{std::move(client), nx_board(), std::move(driver), kube::AgentOptions{node, std::chrono::milliseconds{20}}},
        thread{[this] {
          try {
            agent.run();
          } catch (const std::exception& e) {
            failure = e.what();
          }
        }} {}
  ~RunningAgent() {
    agent.stop();
    thread.join();
  }
  kube::NodeAgent agent;
  std::string failure;
  std::thread thread;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(node_agent)

BOOST_AUTO_TEST_CASE(sysfs_mode_is_applied_read_back_and_reported_with_its_switch_time) {
  test::FakeCluster c;
  c.server.add_node("nx-1");
  test::TempDir root{"agent-sysfs"};
  fake_sysfs(root);
  auto cpu = root / "sys/devices/system/cpu";
  auto client = c.client();
  RunningAgent a{client, kube::sysfs_driver(root, nx_board().power_modes)};

  auto r = kube::request_power_mode(*client, "nx-1", 6, quick_wait());
  BOOST_TEST_REQUIRE(r.applied, r.error);
  BOOST_TEST(get(cpu / "cpu1/online") == "1");
  for (int k = 2; k < 6; ++k) BOOST_TEST(get(cpu / fmt::format("cpu{}/online", k)) == "0", k);
  BOOST_TEST(get(cpu / "cpufreq/policy0/scaling_max_freq") == "1500000");
  auto node = c.server.node("nx-1").value();
  BOOST_TEST(kube::annotation_of(node, kube::power_mode_applied_annotation) == "6");
  const auto ms = kube::annotation_of(node, kube::power_mode_switch_ms_annotation);
  BOOST_TEST_REQUIRE(!ms.empty());
  BOOST_TEST(std::stoll(ms) >= 0);

  // Up to all six CPUs, and the clock capped by the hardware's own maximum.
  BOOST_TEST_REQUIRE(kube::request_power_mode(*client, "nx-1", 4, quick_wait()).applied);
  for (int k = 1; k < 6; ++k) BOOST_TEST(get(cpu / fmt::format("cpu{}/online", k)) == "1", k);
  BOOST_TEST(get(cpu / "cpufreq/policy0/scaling_max_freq") == "1400000");
  BOOST_TEST(a.agent.metrics().switches == 2u);
  BOOST_TEST(a.agent.metrics().current_mode == 4);
  const auto text = a.agent.metrics_text();
  BOOST_TEST(text.find("synergai_agent_mode_switches_total 2\n") != std::string::npos, text);
  BOOST_TEST(text.find("synergai_agent_power_mode{node=\"nx-1\"} 4\n") != std::string::npos, text);
  BOOST_TEST(a.failure.empty(), a.failure);
}

BOOST_AUTO_TEST_CASE(modes_it_cannot_apply_are_refused_with_the_reason) {
  test::FakeCluster c;
  c.server.add_node("nx-1");
  test::TempDir root{"agent-refuse"};
  fake_sysfs(root);
  auto client = c.client();
  RunningAgent a{client, kube::sysfs_driver(root, nx_board().power_modes)};

  auto unknown = kube::request_power_mode(*client, "nx-1", 7, quick_wait());
  BOOST_TEST(!unknown.applied);
  BOOST_TEST(unknown.error.find("has no power mode \"7\"") != std::string::npos, unknown.error);

  // CPU 5 cannot be brought online: its online file is not writable.
  auto online5 = root / "sys/devices/system/cpu/cpu5/online";
  fs::remove(online5);
  fs::create_directories(online5);
  auto stuck = kube::request_power_mode(*client, "nx-1", 4, quick_wait());
  BOOST_TEST(!stuck.applied);
  BOOST_TEST(stuck.error.find("cpu5/online") != std::string::npos, stuck.error);
  BOOST_TEST(a.agent.metrics().refusals == 2u);

  // A refused mode stays refused until asked again; another mode still works.
  fs::remove(online5);
  put(online5, "1");
  BOOST_TEST(kube::request_power_mode(*client, "nx-1", 6, quick_wait()).applied);
  BOOST_TEST(kube::annotation_of(c.server.node("nx-1").value(), kube::power_mode_error_annotation).empty());
}

BOOST_AUTO_TEST_CASE(a_dropped_watch_and_a_restart_mid_switch_end_in_the_requested_mode) {
  test::FakeCluster c;
  c.server.add_node("nx-1");
  test::TempDir root{"agent-restart"};
  fake_sysfs(root);
  auto cpu = root / "sys/devices/system/cpu";
  auto client = c.client();
  {
    RunningAgent a{client, kube::sysfs_driver(root, nx_board().power_modes)};
    BOOST_TEST_REQUIRE(kube::request_power_mode(*client, "nx-1", 1, quick_wait()).applied);
    BOOST_TEST_REQUIRE(test::eventually([&] { return c.server.open_watches() >= 1u; },
        "c.server.open_watches() >= 1u"));
    c.server.drop_watches();
    BOOST_TEST_REQUIRE(test::eventually([&] { return a.agent.metrics().watch_restarts >= 1u; },
        "a.agent.metrics().watch_restarts >= 1u"));
    BOOST_TEST_REQUIRE(kube::request_power_mode(*client, "nx-1", 6, quick_wait()).applied);
  }
  // The agent is gone; mode 4 is requested and the switch is half done (two
  // more CPUs online, the clock not yet lowered) when the new agent starts.
  client->patch_node("nx-1", json{{"metadata", {{"annotations", {{std::string{kube::power_mode_annotation}, "4"}}}}}});
  put(cpu / "cpu2/online", "1");
  put(cpu / "cpu3/online", "1");
  {
    RunningAgent a{client, kube::sysfs_driver(root, nx_board().power_modes)};
    auto r = kube::request_power_mode(*client, "nx-1", 4, quick_wait());
    BOOST_TEST_REQUIRE(r.applied, r.error);
    BOOST_TEST(get(cpu / "cpufreq/policy0/scaling_max_freq") == "1400000");
    BOOST_TEST(get(cpu / "cpu5/online") == "1");
  }
  // Restarted after the switch but before its report: reported, not redone.
  client->patch_node("nx-1", json{{"metadata", {{"annotations", {{std::string{kube::power_mode_annotation}, "9"},
                                                                 {std::string{kube::power_mode_applied_annotation}, "4"}}}}}});
  for (int k = 4; k < 6; ++k) put(cpu / fmt::format("cpu{}/online", k), "0");
  put(cpu / "cpufreq/policy0/scaling_max_freq", "1900000");
  RunningAgent a{client, kube::sysfs_driver(root, nx_board().power_modes)};
  BOOST_TEST_REQUIRE(kube::request_power_mode(*client, "nx-1", 9, quick_wait()).applied);
  BOOST_TEST(a.agent.metrics().switches == 1u);
}

BOOST_AUTO_TEST_CASE(nvpmodel_switches_and_its_refusal_is_reported) {
  test::FakeCluster c;
  c.server.add_node("nx-1");
  test::TempDir dir{"agent-nvpmodel"};
  const auto script = dir / "nvpmodel";
  put(dir / "mode", "9");
  put(script,
      "#!/bin/sh\n"
      "state=\"$(dirname \"$0\")/mode\"\n"
      "case \"$1\" in\n"
      "  -m) if [ \"$2\" = 6 ]; then echo \"NVPM ERROR: mode 6 needs a reboot on this board\" >&2; exit 1; fi\n"
      "      echo \"$2\" > \"$state\" ;;\n"
      "  -q) echo \"NV Fan Mode:quiet\"; echo \"NV Power Mode: MODE_$(cat \"$state\")\"; cat \"$state\" ;;\n"
      "  *) exit 2 ;;\n"
      "esac\n");
  fs::permissions(script, fs::perms::owner_all);
  auto client = c.client();
  RunningAgent a{client, kube::nvpmodel_driver(script.string())};
  BOOST_TEST(a.agent.metrics().current_mode == 9);

  auto r = kube::request_power_mode(*client, "nx-1", 1, quick_wait());
  BOOST_TEST_REQUIRE(r.applied, r.error);
  BOOST_TEST(get(dir / "mode") == "1");
  auto refused = kube::request_power_mode(*client, "nx-1", 6, quick_wait());
  BOOST_TEST(!refused.applied);
  BOOST_TEST(refused.error.find("NVPM ERROR: mode 6 needs a reboot") != std::string::npos, refused.error);
  BOOST_TEST(get(dir / "mode") == "1");
}

BOOST_AUTO_TEST_CASE(an_agent_for_a_node_that_does_not_exist_stops_with_the_reason) {
  test::FakeCluster c;
  test::TempDir root{"agent-ghost"};
  fake_sysfs(root);
  kube::NodeAgent agent{c.client(), nx_board(), kube::sysfs_driver(root, nx_board().power_modes),
                        kube::AgentOptions{"ghost", std::chrono::milliseconds{10}}};
  try {
    agent.run();
    BOOST_FAIL("run() returned for a node that does not exist");
  } catch (const RuntimeError& e) {
    BOOST_TEST(std::string{e.what()}.find("node ghost does not exist") != std::string::npos, e.what());
  }
}

BOOST_AUTO_TEST_SUITE_END()
