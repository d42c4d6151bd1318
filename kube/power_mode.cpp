#include "kube/power_mode.hpp"

#include <fmt/format.h>

#include <thread>

namespace synergai::kube {

std::string annotation_of(const nlohmann::json& object, std::string_view key) {
  const auto ptr = nlohmann::json::json_pointer{"/metadata/annotations"};
  if (!object.contains(ptr) || !object.at(ptr).is_object()) return "";
  const auto& a = object.at(ptr);
  auto it = a.find(std::string{key});
  return it != a.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

namespace {

// The agent's refusal of `mode`, if the node carries one.
std::string refusal(const nlohmann::json& node, const std::string& mode) {
  auto e = annotation_of(node, power_mode_error_annotation);
  return e.starts_with(mode + ":") ? e : std::string{};
}

}  // namespace

PowerModeResult request_power_mode(Client& client, const std::string& node, int mode, const PowerModeWait& wait) {
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  const std::string m = std::to_string(mode);
  PowerModeResult r;
  auto current = client.get_node(node);
  if (annotation_of(current, power_mode_annotation) == m && annotation_of(current, power_mode_applied_annotation) == m) {
    r.applied = true;
    return r;
  }
  nlohmann::json patch{{"metadata", {{"annotations", {{std::string{power_mode_annotation}, m}}}}}};
  if (!refusal(current, m).empty()) patch["metadata"]["annotations"][std::string{power_mode_error_annotation}] = nullptr;
  client.patch_node(node, patch);
  r.requested = true;
  for (;;) {
    auto elapsed = clock::now() - start;
    r.waited_s = std::chrono::duration<double>(elapsed).count();
    current = client.get_node(node);
    if (annotation_of(current, power_mode_applied_annotation) == m) {
      r.applied = true;
      return r;
    }
    if (auto e = refusal(current, m); !e.empty()) {
      r.error = fmt::format("node {} refused power mode {}: {}={}", node, m, power_mode_error_annotation, e);
      return r;
    }
    if (elapsed >= wait.timeout) {
      auto applied = annotation_of(current, power_mode_applied_annotation);
      r.error = fmt::format("node {} did not report power mode {} within {:g} s ({} is {})", node, m,
                            std::chrono::duration<double>(wait.timeout).count(), power_mode_applied_annotation,
                            applied.empty() ? std::string{"not set"} : "\"" + applied + "\"");
      return r;
    }
    std::this_thread::sleep_for(std::min<clock::duration>(wait.poll, wait.timeout - elapsed));
  }
}

}  // namespace synergai::kube
