// An execution configuration of a node: the thread count given to the engine
// and, on boards with operating modes, the power mode applied first.
#pragma once

#include "messages/format.hpp"

#include <nlohmann/json_fwd.hpp>

#include <compare>
#include <optional>
#include <string>

namespace synergai {

struct ExecConfig {
  int threads = 1;
  std::optional<int> mode;  // power-mode id; empty on nodes without modes

  friend bool operator==(const ExecConfig&, const ExecConfig&) = default;
  friend auto operator<=>(const ExecConfig&, const ExecConfig&) = default;
};

std::string describe(const ExecConfig& c);
void to_json(nlohmann::json& j, const ExecConfig& c);
void from_json(const nlohmann::json& j, ExecConfig& c);

}  // namespace synergai
