#include "messages/exec_config.hpp"

#include "messages/json_util.hpp"

namespace synergai {

std::string describe(const ExecConfig& c) {
  return c.mode ? fmt::format("threads={} mode={}", c.threads, *c.mode) : fmt::format("threads={}", c.threads);
}

void to_json(nlohmann::json& j, const ExecConfig& c) {
  j = nlohmann::json{{"threads", c.threads}};
  json_util::put_optional(j, "mode", c.mode);
}

void from_json(const nlohmann::json& j, ExecConfig& c) {
  c.threads = j.at("threads").get<int>();
  c.mode = json_util::get_optional<int>(j, "mode");
}

}  // namespace synergai
