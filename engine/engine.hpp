// The local inference engine: runs an ONNX model on this machine's CPU with
// OpenCV's DNN module, one query at a time (MLPerf's SingleStream scenario, as
// the thesis's harness), and measures it with the steady clock. The thread
// knob is OpenCV's thread count (cv::setNumThreads).
//
// OpenCV stays behind this interface: nothing outside engine/*.cpp includes it.
#pragma once

#include "engine/onnx_input.hpp"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <filesystem>
#include <vector>

namespace synergai::engine {

struct RunOptions {
  std::filesystem::path model;
  int threads = 1;
  int queries = 100;
  int warmup = 1;            // untimed queries before the measured ones
  std::uint64_t seed = 1;    // of the random input
};

struct LatencySummary {
  double min = 0, mean = 0, p50 = 0, p90 = 0, p99 = 0, max = 0;  // seconds
};

struct RunResult {
  std::filesystem::path model;
  ModelInput input;       // as the model declares it (symbolic batch taken as 1)
  int threads = 0;
  int queries = 0;
  int warmup = 0;
  double qps = 0;             // queries / inference_s
  LatencySummary latency;
  double load_s = 0;          // reading the model into OpenCV
  double preprocessing_s = 0; // model load + warm-up + input preparation
  double inference_s = 0;     // the measured queries, back to back
  double total_s = 0;         // preprocessing_s + inference_s
  std::vector<int> cpus_allowed;  // the process's CPU affinity while it ran
};

// Throws InputError for a missing model, one OpenCV cannot load, or bad
// options; RuntimeError when inference itself fails.
RunResult run_single_stream(const RunOptions& options);

// The CPUs this process may run on (sched_getaffinity), ascending.
std::vector<int> allowed_cpus();

nlohmann::json to_json(const RunResult& r);

}  // namespace synergai::engine
