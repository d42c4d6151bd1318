#include "messages/engine.hpp"
#include "messages/job.hpp"
#include "messages/node.hpp"
#include "messages/profile.hpp"

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

using namespace synergai;

namespace {
template <class T>
T round_trip(const T& x) {
  nlohmann::json j = x;
  return nlohmann::json::parse(j.dump()).get<T>();
}
}  // namespace

BOOST_AUTO_TEST_SUITE(json)

BOOST_AUTO_TEST_CASE(node_with_modes_round_trips) {
  NodeSpec n{"agx", "jetson-agx-1", Arch::arm64, Tier::edge, 8, 32, {}, {}, 6, Seconds{2.5}, ExecConfig{8, 6}, {2, 3}};
  n.power_modes = {{1, "MODE_30W_ALL", 1200, 8, 30.0}, {6, "MAXN", 2266, 8, std::nullopt}};
  BOOST_TEST((round_trip(n) == n));
  nlohmann::json j = n;
  BOOST_TEST(j["power_modes"][1]["budget_w"] == "unlimited");
}

BOOST_AUTO_TEST_CASE(engine_round_trips) {
  EngineSpec e{"tflite-mobilenet-q", "classification", "tflite", "mobilenet", "quantized", "imagenet", 70.762, "top1",
               "num_threads", ContainerTemplate{"img:1", {"/run"}, {"--count", "{queries}"}, {{"A", "b"}}}, "m.onnx"};
  BOOST_TEST((round_trip(e) == e));
}

BOOST_AUTO_TEST_CASE(profile_point_round_trips_and_uses_seconds_at_the_border) {
  ProfilePoint p{"tf-resnet50", "x86", ExecConfig{16, std::nullopt}, 74.25, Seconds{1.4}, Seconds{52.5}, 3900, "model"};
  BOOST_TEST((round_trip(p) == p));
  nlohmann::json j = p;
  BOOST_TEST(j["preprocessing_s"].get<double>() == 1.4);
  BOOST_TEST(j["mode"].is_null());
}

BOOST_AUTO_TEST_CASE(job_record_round_trips_with_missing_times) {
  JobRecord r;
  r.spec = JobSpec{"j1", "tf-resnet50", 488, Seconds{86.79}, at_seconds(12.25)};
  r.state = JobState::running;
  r.node = "nx";
  r.config = ExecConfig{4, 9};
  r.placed_at = at_seconds(13);
  r.started_at = at_seconds(15.5);
  BOOST_TEST((round_trip(r) == r));
  nlohmann::json j = r;
  BOOST_TEST(j["finished_s"].is_null());
  BOOST_TEST(j["state"] == "running");
}

BOOST_AUTO_TEST_CASE(unknown_state_is_rejected) {
  nlohmann::json j = "exploded";
  BOOST_CHECK_THROW(j.get<JobState>(), nlohmann::json::exception);
}

BOOST_AUTO_TEST_SUITE_END()
