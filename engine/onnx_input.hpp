// Reads the input of an ONNX model file (its first graph input that is not an
// initializer): name, element type and dimensions. OpenCV 4.6 does not expose
// a network's declared input shape, so the engine reads it from the file with
// a small reader of protobuf's wire format (ModelProto.graph.input[...]).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace synergai::engine {

struct ModelInput {
  std::string name;
  int elem_type = 0;              // onnx.TensorProto.DataType: 1 = float
  std::vector<std::int64_t> dims; // -1 where the model leaves a dimension symbolic
};

// Throws InputError when the file is missing, not an ONNX model, or has no input.
ModelInput read_model_input(const std::filesystem::path& model);

}  // namespace synergai::engine
