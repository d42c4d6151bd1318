// The node power-mode handshake (docs/kubernetes.md, "Power modes"): the
// scheduler asks for a Jetson power mode by the node annotation
// synergai.io/power-mode=<id>; a node agent applies it and reports
// synergai.io/power-mode-applied=<id>, or refuses it with
// synergai.io/power-mode-error="<id>: <reason>". The bridge sends the request
// for the online phase; request_power_mode below also waits for the answer
// (profiling campaigns).
#pragma once

#include "kube/client.hpp"
#include "kube/manifest.hpp"

#include <chrono>
#include <string>
#include <string_view>

namespace synergai::kube {

inline constexpr std::string_view power_mode_applied_annotation = "synergai.io/power-mode-applied";
inline constexpr std::string_view power_mode_error_annotation = "synergai.io/power-mode-error";

// The value of a Node's (or any object's) annotation `key`; empty when absent
// or not a string.
std::string annotation_of(const nlohmann::json& object, std::string_view key);

struct PowerModeWait {
  std::chrono::milliseconds timeout{std::chrono::minutes{5}};
  std::chrono::milliseconds poll{1000};  // between reads of the node
};

struct PowerModeResult {
  bool applied = false;
  bool requested = false;  // false: the node already ran the mode, nothing was patched
  std::string error;       // why not applied: the agent's refusal, or the timeout
  double waited_s = 0;
};

// Requests `mode` on the Kubernetes node `node` (unless the node reports it
// already) and polls the node until the agent applies or refuses it, or
// `wait.timeout` passes. A refusal of this mode left from an earlier request
// is cleared with the new request, so that the agent tries again. API
// failures the client's retries did not overcome are thrown (ApiError).
PowerModeResult request_power_mode(Client& client, const std::string& node, int mode, const PowerModeWait& wait = {});

}  // namespace synergai::kube
