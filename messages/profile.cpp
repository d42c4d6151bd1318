#include "messages/profile.hpp"

#include <nlohmann/json.hpp>

namespace synergai {

std::string describe(const ProfilePoint& p) {
  return fmt::format("{} on {} ({}): {:.3f} QPS, pre-processing {:.3f} s, inference {:.3f} s for {} queries [{}]",
                     p.engine, p.node, p.config, p.qps, p.preprocessing.count(), p.inference.count(), p.queries,
                     p.source);
}

void to_json(nlohmann::json& j, const ProfilePoint& p) {
  j = nlohmann::json{{"engine", p.engine},
                     {"node", p.node},
                     {"threads", p.config.threads},
                     {"mode", p.config.mode ? nlohmann::json(*p.config.mode) : nlohmann::json(nullptr)},
                     {"qps", p.qps},
                     {"preprocessing_s", p.preprocessing.count()},
                     {"inference_s", p.inference.count()},
                     {"queries", p.queries},
                     {"source", p.source}};
}

void from_json(const nlohmann::json& j, ProfilePoint& p) {
  p.engine = j.at("engine").get<std::string>();
  p.node = j.at("node").get<std::string>();
  p.config = j.get<ExecConfig>();
  p.qps = j.at("qps").get<double>();
  p.preprocessing = Seconds{j.at("preprocessing_s").get<double>()};
  p.inference = Seconds{j.at("inference_s").get<double>()};
  p.queries = j.at("queries").get<int>();
  p.source = j.at("source").get<std::string>();
}

}  // namespace synergai
