#include "messages/engine.hpp"

#include <nlohmann/json.hpp>

namespace synergai {

std::string describe(const EngineSpec& e) {
  return fmt::format("{} ({} {}{}{} on {}, {} {})", e.id, e.backend, e.model, e.variant.empty() ? "" : " ", e.variant,
                     e.dataset, e.accuracy_metric, e.accuracy);
}

void to_json(nlohmann::json& j, const ContainerTemplate& c) {
  j = nlohmann::json{{"image", c.image}, {"command", c.command}, {"args", c.args}, {"env", c.env}};
}

void from_json(const nlohmann::json& j, ContainerTemplate& c) {
  c.image = j.at("image").get<std::string>();
  c.command = j.at("command").get<std::vector<std::string>>();
  c.args = j.at("args").get<std::vector<std::string>>();
  c.env = j.at("env").get<std::map<std::string, std::string>>();
}

void to_json(nlohmann::json& j, const EngineSpec& e) {
  j = nlohmann::json{{"id", e.id},           {"task", e.task},         {"backend", e.backend},
                     {"model", e.model},     {"variant", e.variant},   {"dataset", e.dataset},
                     {"accuracy", e.accuracy}, {"accuracy_metric", e.accuracy_metric},
                     {"thread_knob", e.thread_knob}, {"container", e.container}};
  if (!e.model_file.empty()) j["model_file"] = e.model_file;
}

void from_json(const nlohmann::json& j, EngineSpec& e) {
  e.id = j.at("id").get<std::string>();
  e.task = j.at("task").get<std::string>();
  e.backend = j.at("backend").get<std::string>();
  e.model = j.at("model").get<std::string>();
  e.variant = j.at("variant").get<std::string>();
  e.dataset = j.at("dataset").get<std::string>();
  e.accuracy = j.at("accuracy").get<double>();
  e.accuracy_metric = j.at("accuracy_metric").get<std::string>();
  e.thread_knob = j.at("thread_knob").get<std::string>();
  e.container = j.at("container").get<ContainerTemplate>();
  e.model_file = j.contains("model_file") ? j.at("model_file").get<std::string>() : std::string{};
}

}  // namespace synergai
