// One measured (or modelled) point of the offline phase's design space:
// an engine on a node in one configuration.
#pragma once

#include "messages/exec_config.hpp"
#include "messages/format.hpp"
#include "messages/time.hpp"

#include <nlohmann/json_fwd.hpp>

#include <string>

namespace synergai {

struct ProfilePoint {
  std::string engine;
  std::string node;
  ExecConfig config;
  double qps = 0;          // SingleStream queries per second
  Seconds preprocessing{}; // backend init + model load + dataset load
  Seconds inference{};     // for `queries` queries
  int queries = 0;         // query count of the profiling run
  std::string source;      // provenance: model, simulated, kube, local, ...

  Seconds total() const { return preprocessing + inference; }
  friend bool operator==(const ProfilePoint&, const ProfilePoint&) = default;
};

std::string describe(const ProfilePoint& p);
void to_json(nlohmann::json& j, const ProfilePoint& p);
void from_json(const nlohmann::json& j, ProfilePoint& p);

}  // namespace synergai
