// An inference engine: backend + model + dataset, run MLPerf-style
// (LoadGen, SingleStream) in a container.
#pragma once

#include "messages/format.hpp"

#include <nlohmann/json_fwd.hpp>

#include <map>
#include <string>
#include <vector>

namespace synergai {

// How a job of this engine becomes a container. `args` items may contain the
// placeholders {queries}, {threads} and {engine}; each item stays one argv entry.
struct ContainerTemplate {
  std::string image;
  std::vector<std::string> command;
  std::vector<std::string> args;
  std::map<std::string, std::string> env;

  friend bool operator==(const ContainerTemplate&, const ContainerTemplate&) = default;
};

struct EngineSpec {
  std::string id;           // e.g. onnx-mobilenet-op11
  std::string task;         // classification | detection
  std::string backend;      // tensorflow | tflite | onnxruntime
  std::string model;        // resnet50 | mobilenet | ssd-mobilenet
  std::string variant;      // "", quantized, opset-8, opset-11
  std::string dataset;      // imagenet | coco-300
  double accuracy = 0;      // in `accuracy_metric` units
  std::string accuracy_metric;  // top1 (percent) | mAP
  std::string thread_knob;  // the backend's thread setting, e.g. intra_op_num_threads
  ContainerTemplate container;
  // Local executor: the ONNX model file, absolute or relative to the models
  // folder (by default the build tree's models/); empty for container engines.
  std::string model_file;

  friend bool operator==(const EngineSpec&, const EngineSpec&) = default;
};

std::string describe(const EngineSpec& e);
void to_json(nlohmann::json& j, const ContainerTemplate& c);
void from_json(const nlohmann::json& j, ContainerTemplate& c);
void to_json(nlohmann::json& j, const EngineSpec& e);
void from_json(const nlohmann::json& j, EngineSpec& e);

}  // namespace synergai
