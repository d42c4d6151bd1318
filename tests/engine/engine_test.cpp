// The local engine: model input reading, SingleStream runs, clear errors.
#include "engine/engine.hpp"
#include "support/errors.hpp"
#include "tests/support.hpp"

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include <fstream>

using namespace synergai;

namespace {
std::filesystem::path model(const std::string& name) { return std::filesystem::path{SYNERGAI_MODEL_DIR} / name; }

std::filesystem::path scratch(const test::TempDir& dir, const std::string& name, const std::string& content) {
  auto p = dir / name;
  std::ofstream{p, std::ios::binary} << content;
  return p;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(local_engine)

BOOST_AUTO_TEST_CASE(reads_the_input_shape_from_the_model) {
  auto in = engine::read_model_input(model("mobilenet-tiny.onnx"));
  BOOST_TEST(in.name == "input");
  BOOST_TEST(in.elem_type == 1);
  BOOST_TEST((in.dims == std::vector<std::int64_t>{1, 3, 32, 32}));
  auto big = engine::read_model_input(model("resnet50.onnx"));  // 100 MB of weights skipped, not read
  BOOST_TEST((big.dims == std::vector<std::int64_t>{1, 3, 224, 224}));
}

BOOST_AUTO_TEST_CASE(single_stream_run_reports_every_field) {
  for (auto name : {"mobilenet-tiny.onnx", "resnet50-tiny.onnx"}) {
    auto r = engine::run_single_stream({model(name), 1, 8, 1, 1});
    BOOST_TEST(r.queries == 8);
    BOOST_TEST(r.qps > 0);
    BOOST_TEST(r.qps == 8 / r.inference_s, boost::test_tools::tolerance(1e-9));
    BOOST_TEST(r.latency.min > 0);
    BOOST_TEST(r.latency.min <= r.latency.p50);
    BOOST_TEST(r.latency.p50 <= r.latency.p90);
    BOOST_TEST(r.latency.p90 <= r.latency.p99);
    BOOST_TEST(r.latency.p99 <= r.latency.max);
    BOOST_TEST(r.latency.mean * 8 <= r.inference_s * 1.0001);
    BOOST_TEST(r.preprocessing_s >= r.load_s);
    BOOST_TEST(r.total_s == r.preprocessing_s + r.inference_s, boost::test_tools::tolerance(1e-9));
  }
}

BOOST_AUTO_TEST_CASE(the_command_prints_complete_json) {
  auto out = test::run_program("engine run --model '" + model("mobilenet-tiny.onnx").string() +
                               "' --threads 2 --queries 5 --warmup 2");
  BOOST_TEST_REQUIRE(out.exit_code == 0, out.output);
  auto j = nlohmann::json::parse(out.output);
  for (auto key : {"model", "input", "threads", "queries", "warmup", "qps", "latency_s", "preprocessing_s",
                   "inference_s", "total_s", "cpus_allowed"})
    BOOST_TEST(j.contains(key), key);
  for (auto key : {"min", "mean", "p50", "p90", "p99", "max"}) BOOST_TEST(j["latency_s"].contains(key), key);
  BOOST_TEST(j["threads"] == 2);
  BOOST_TEST(j["queries"] == 5);
  BOOST_TEST(j["warmup"] == 2);
  BOOST_TEST(j["qps"].get<double>() > 0);
}

BOOST_AUTO_TEST_CASE(bad_models_are_clear_input_errors) {
  BOOST_CHECK_THROW(engine::run_single_stream({"/nonexistent/model.onnx", 1, 1, 0, 1}), InputError);
  test::TempDir dir{"engine"};
  auto text = scratch(dir, "text.onnx", "this is not a model, just text\n");
  BOOST_CHECK_THROW(engine::run_single_stream({text, 1, 1, 0, 1}), InputError);
  // A truncated model: the reader notices before OpenCV is asked.
  std::ifstream full{model("mobilenet-tiny.onnx"), std::ios::binary};
  std::string bytes{std::istreambuf_iterator<char>{full}, {}};
  auto cut = scratch(dir, "cut.onnx", bytes.substr(0, bytes.size() / 2));
  BOOST_CHECK_THROW(engine::run_single_stream({cut, 1, 1, 0, 1}), InputError);

  auto missing = test::run_program("engine run --model /nonexistent/model.onnx --queries 1");
  BOOST_TEST(missing.exit_code == 2);
  BOOST_TEST(missing.output.find("no such model file") != std::string::npos, missing.output);
  auto garbage = test::run_program("engine run --model '" + text.string() + "' --queries 1");
  BOOST_TEST(garbage.exit_code == 2);
  BOOST_TEST(garbage.output.find("not a valid ONNX model") != std::string::npos, garbage.output);
  BOOST_TEST(garbage.output.find("terminate") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(bad_options_are_input_errors) {
  BOOST_CHECK_THROW(engine::run_single_stream({model("mobilenet-tiny.onnx"), 0, 1, 0, 1}), InputError);
  BOOST_CHECK_THROW(engine::run_single_stream({model("mobilenet-tiny.onnx"), 1, 0, 0, 1}), InputError);
}

BOOST_AUTO_TEST_SUITE_END()
