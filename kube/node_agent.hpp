// The node agent (`synergai agent`, one per node as a DaemonSet): the half of
// the power-mode contract (kube/power_mode.hpp) that runs on the node. It
// watches its own Node; whenever the Node's synergai.io/power-mode names a
// mode the machine is not in, it applies that mode and reports what the
// machine reads back afterwards: synergai.io/power-mode-applied=<id> and
// synergai.io/power-mode-switch-ms=<how long it took>, or
// synergai.io/power-mode-error="<id>: <reason>". It is level-triggered: the
// Node's requested mode is the truth, so it reconciles at start, after every
// event and after every lost watch, and a switch cut short by a restart is
// simply done again.
//
// How a mode is applied is a driver: `nvpmodel -m ID` (read back with
// `nvpmodel -q`) on a Jetson, or Linux sysfs elsewhere (CPU online masks and
// cpufreq scaling_max_freq per policy, following the mode's definition in the
// testbed). Both take a prefix (a fake sysfs tree, a fake nvpmodel) for tests.
#pragma once

#include "kube/client.hpp"
#include "messages/node.hpp"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace synergai::kube {

inline constexpr std::string_view power_mode_switch_ms_annotation = "synergai.io/power-mode-switch-ms";

// How this machine enters a power mode.
class PowerModeDriver {
 public:
  virtual ~PowerModeDriver() = default;
  virtual std::string name() const = 0;
  // Enters `mode` and returns the mode the machine reads back afterwards;
  // throws RuntimeError with the reason when the machine refuses it.
  virtual int apply(const PowerMode& mode) = 0;
  // The mode the machine is in now; empty when it matches none of the modes.
  virtual std::optional<int> current() = 0;
};

// Linux sysfs under `root` (normally "/"): CPUs 0..online_cpus-1 online and
// the rest offline (sys/devices/system/cpu/cpuN/online), scaling_max_freq of
// every cpufreq policy at the mode's max MHz (capped by cpuinfo_max_freq).
std::unique_ptr<PowerModeDriver> sysfs_driver(std::filesystem::path root, std::vector<PowerMode> modes);
// NVIDIA's nvpmodel at `command`: `-m ID` to switch, `-q` to read back.
std::unique_ptr<PowerModeDriver> nvpmodel_driver(std::string command);

struct AgentOptions {
  std::string node;  // the Kubernetes Node this agent runs on
  std::chrono::milliseconds retry{1000};  // after a failed watch or API call
};

// Counters for /metrics, updated as the agent works.
struct AgentMetrics {
  std::atomic<std::uint64_t> switches{0};     // modes applied
  std::atomic<std::uint64_t> refusals{0};     // modes refused
  std::atomic<std::uint64_t> reconciles{0};   // Node states examined
  std::atomic<std::uint64_t> watch_restarts{0};
  std::atomic<double> switch_seconds_sum{0};
  std::atomic<double> last_switch_seconds{0};
  std::atomic<int> current_mode{-1};  // -1: unknown
  std::atomic<bool> connected{false};  // the last API call succeeded
};

class NodeAgent {
 public:
  // `node` is the testbed's description of this machine (its modes).
  NodeAgent(std::shared_ptr<Client> client, NodeSpec node, std::unique_ptr<PowerModeDriver> driver,
            AgentOptions options);

  // Reconciles and watches until stop(). Throws RuntimeError when the Node
  // does not exist (an agent started on the wrong node); API failures are
  // retried.
  void run();
  void stop();  // from any thread

  // One reconciliation of the Node as given (for run() and for tests).
  void reconcile(const nlohmann::json& node);

  const AgentMetrics& metrics() const { return metrics_; }
  // The metrics in Prometheus' text format.
  std::string metrics_text() const;

 private:
  void report(const nlohmann::json& annotations);
  bool pause(std::chrono::milliseconds d);

  std::shared_ptr<Client> client_;
  NodeSpec node_;
  std::unique_ptr<PowerModeDriver> driver_;
  AgentOptions options_;
  AgentMetrics metrics_;
  std::atomic<bool> stopping_{false};
  std::mutex watch_mutex_;
  WatchStream* watch_ = nullptr;  // the open stream, for stop()
};

}  // namespace synergai::kube
