#include "engine/engine.hpp"

#include "support/errors.hpp"
#include "support/statistics.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>

#include <sched.h>

#include <chrono>

namespace synergai::engine {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

std::vector<int> input_shape(const RunOptions& o, const ModelInput& in) {
  if (in.elem_type != 1)
    throw InputError{fmt::format("{}: input \"{}\" has element type {}; the engine feeds float32 (type 1) only",
                                 o.model.string(), in.name, in.elem_type)};
  if (in.dims.empty())
    throw InputError{fmt::format("{}: input \"{}\" declares no shape", o.model.string(), in.name)};
  std::vector<int> shape;
  for (std::size_t i = 0; i < in.dims.size(); ++i) {
    auto d = in.dims[i];
    if (d < 0 && i == 0) d = 1;  // a symbolic batch dimension: SingleStream sends one sample
    if (d <= 0 || d > (1 << 20))
      throw InputError{fmt::format("{}: input \"{}\" dimension {} is {}; the engine needs a fixed input shape",
                                   o.model.string(), in.name, i, d < 0 ? "symbolic" : std::to_string(d))};
    shape.push_back(static_cast<int>(d));
  }
  return shape;
}

}  // namespace

std::vector<int> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof set, &set) != 0) return cpus;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &set)) cpus.push_back(c);
  return cpus;
}

RunResult run_single_stream(const RunOptions& o) {
  if (o.threads < 1) throw InputError{fmt::format("threads must be at least 1, not {}", o.threads)};
  if (o.queries < 1) throw InputError{fmt::format("queries must be at least 1, not {}", o.queries)};
  if (o.warmup < 0) throw InputError{fmt::format("warm-up queries cannot be negative ({})", o.warmup)};

  RunResult r;
  r.model = o.model;
  r.threads = o.threads;
  r.queries = o.queries;
  r.warmup = o.warmup;
  r.cpus_allowed = allowed_cpus();
  cv::setNumThreads(o.threads);

  const auto start = Clock::now();
  r.input = read_model_input(o.model);
  auto shape = input_shape(o, r.input);
  cv::dnn::Net net;
  try {
    net = cv::dnn::readNetFromONNX(o.model.string());
  } catch (const cv::Exception& e) {
    throw InputError{fmt::format("{}: OpenCV cannot load this model: {}", o.model.string(), e.msg)};
  }
  if (net.empty()) throw InputError{fmt::format("{}: OpenCV loaded an empty network", o.model.string())};
  net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
  net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
  r.load_s = seconds_since(start);

  // The input: one seeded random sample in [0, 1), the shape the model declares.
  cv::Mat input(static_cast<int>(shape.size()), shape.data(), CV_32F);
  cv::RNG rng{o.seed};
  rng.fill(input, cv::RNG::UNIFORM, 0.0, 1.0);

  auto infer = [&] {
    net.setInput(input, r.input.name);
    cv::Mat out = net.forward();
    if (out.empty()) throw RuntimeError{fmt::format("{}: inference produced no output", o.model.string())};
  };
  try {
    for (int i = 0; i < o.warmup; ++i) infer();
    r.preprocessing_s = seconds_since(start);

    std::vector<double> latencies;
    latencies.reserve(static_cast<std::size_t>(o.queries));
    const auto measured = Clock::now();
    for (int i = 0; i < o.queries; ++i) {
      auto t0 = Clock::now();
      infer();
      latencies.push_back(seconds_since(t0));
    }
    r.inference_s = seconds_since(measured);
    r.total_s = r.preprocessing_s + r.inference_s;
    r.qps = r.inference_s > 0 ? o.queries / r.inference_s : 0;
    r.latency = {stats::min(latencies),
                 stats::mean(latencies),
                 stats::percentile(latencies, 50),
                 stats::percentile(latencies, 90),
                 stats::percentile(latencies, 99),
                 stats::max(latencies)};
  } catch (const cv::Exception& e) {
    // A model that loads but cannot run (an unsupported layer configuration)
    // is still a problem of the input file.
    throw InputError{fmt::format("{}: OpenCV cannot run this model: {}", o.model.string(), e.msg)};
  }
  return r;
}

nlohmann::json to_json(const RunResult& r) {
  return nlohmann::json{
      {"model", r.model.string()},
      {"input", {{"name", r.input.name}, {"shape", r.input.dims}}},
      {"scenario", "SingleStream"},
      {"threads", r.threads},
      {"queries", r.queries},
      {"warmup", r.warmup},
      {"qps", r.qps},
      {"latency_s",
       {{"min", r.latency.min},
        {"mean", r.latency.mean},
        {"p50", r.latency.p50},
        {"p90", r.latency.p90},
        {"p99", r.latency.p99},
        {"max", r.latency.max}}},
      {"load_s", r.load_s},
      {"preprocessing_s", r.preprocessing_s},
      {"inference_s", r.inference_s},
      {"total_s", r.total_s},
      {"cpus_allowed", r.cpus_allowed},
  };
}

}  // namespace synergai::engine
