// Learned profiles: the running mean, its guard and threshold, the file, and
// Performance's estimates with and without them.
#include "config/learned_profiles.hpp"

#include "config/experiment.hpp"
#include "config/performance.hpp"
#include "config/service.hpp"
#include "tests/config/fixtures.hpp"
#include "tests/support.hpp"

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <cmath>
#include <fstream>
#include <functional>
#include <thread>

using namespace synergai;
using namespace synergai::config;

namespace {

const ExecConfig four_threads{4, std::nullopt};
constexpr const char* mobilenet = "onnx-mobilenet-op11";

// Observes `ratio` times a 10 s profiled time on (mobilenet, server, 4 threads).
bool observe(LearnedProfiles& store, double ratio, std::string_view node = "server",
             std::string_view engine = mobilenet) {
  return store.observe(engine, node, four_threads, Seconds{10}, Seconds{10 * ratio});
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(learned_profiles)

BOOST_AUTO_TEST_CASE(the_mean_starts_at_the_first_run_weighs_later_ones_by_alpha_and_is_used_after_the_minimum) {
  LearnedProfiles store{LearningSettings{0.3, 0.2, 5, 3}};
  BOOST_TEST(observe(store, 1.0));
  BOOST_TEST(observe(store, 2.0));
  BOOST_TEST(!store.factor(mobilenet, "server", four_threads));  // two observations: not yet
  BOOST_TEST(store.entries().points.begin()->second.ratio == 1.3, boost::test_tools::tolerance(1e-12));  // 0.7 + 0.6
  BOOST_TEST(observe(store, 1.3));
  BOOST_TEST_REQUIRE(store.factor(mobilenet, "server", four_threads).has_value());
  BOOST_TEST(*store.factor(mobilenet, "server", four_threads) == 1.3, boost::test_tools::tolerance(1e-12));
  // A node 40% slower than profiled: the mean converges to 1.4.
  for (int i = 0; i < 30; ++i) observe(store, 1.4);
  BOOST_TEST(*store.factor(mobilenet, "server", four_threads) == 1.4, boost::test_tools::tolerance(1e-4));
  BOOST_TEST(store.entries().points.begin()->second.observations == 33u);
  BOOST_TEST(store.version() == 33u);
}

BOOST_AUTO_TEST_CASE(an_observation_outside_the_guard_is_counted_but_ignored) {
  LearnedProfiles store{LearningSettings{0.3, 0.2, 5, 3}};
  for (int i = 0; i < 3; ++i) observe(store, 2.0);
  BOOST_TEST(!observe(store, 10.5));  // 5.25 x the current mean of 2
  BOOST_TEST(!observe(store, 0.39));  // 0.195 x
  BOOST_TEST(!store.observe(mobilenet, "server", four_threads, Seconds{10}, Seconds{0}));
  BOOST_TEST(!store.observe(mobilenet, "server", four_threads, Seconds{0}, Seconds{3}));
  BOOST_TEST(*store.factor(mobilenet, "server", four_threads) == 2.0);
  const auto entry = store.entries().points.begin()->second;
  BOOST_TEST(entry.observations == 3u);
  BOOST_TEST(entry.rejected == 2u);
  BOOST_TEST(observe(store, 9.9));  // 4.95 x: inside
  BOOST_TEST(*store.factor(mobilenet, "server", four_threads) == 0.7 * 2 + 0.3 * 9.9, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(an_entry_with_too_few_runs_borrows_its_nodes_mean) {
  LearnedProfiles store{LearningSettings{0.5, 0.2, 5, 2}};
  observe(store, 1.5, "server", "engine-a");
  observe(store, 1.5, "server", "engine-b");
  // Neither engine has two runs; the server has.
  BOOST_TEST(*store.factor("engine-c", "server", four_threads) == 1.5);
  BOOST_TEST(*store.factor("engine-a", "server", four_threads) == 1.5);
  BOOST_TEST(!store.factor("engine-a", "edge", four_threads));
  observe(store, 1.1, "server", "engine-a");  // engine-a now has its own mean: (1.5 + 1.1) / 2
  BOOST_TEST(*store.factor("engine-a", "server", four_threads) == 1.3, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(store.entries().nodes.at("server").observations == 3u);
}

BOOST_AUTO_TEST_CASE(the_file_reads_back_identically_and_is_replaced_whole) {
  auto tb = load_testbed(test::source_path("config/examples/tiny.yaml"));
  LearnedProfiles store;
  for (int i = 0; i < 4; ++i) observe(store, 1.25 + 0.01 * i);
  store.observe(mobilenet, "edge", ExecConfig{4, 9}, Seconds{60}, Seconds{61});
  observe(store, 40);  // rejected, and counted
  test::TempDir dir{"learned"};
  const auto path = dir / "state" / "learned-profiles.json";
  save_learned_profiles(store.entries(), path);
  BOOST_TEST(!std::filesystem::exists(path.string() + ".tmp"));
  const auto back = load_learned_profiles(path, &tb);
  BOOST_TEST((back == store.entries()));
  BOOST_TEST(back.points.at(LearnedKey{mobilenet, "server", four_threads}).rejected == 1u);
  BOOST_TEST(dump_learned_profiles(back) == test::read_text(path));
  // A store built from the file answers as the one that wrote it.
  LearnedProfiles again{{}, back};
  BOOST_TEST(*again.factor(mobilenet, "server", four_threads) == *store.factor(mobilenet, "server", four_threads));
  save_learned_profiles(LearnedEntries{}, path);  // replaced, not appended to
  BOOST_TEST(load_learned_profiles(path).points.empty());
}

BOOST_AUTO_TEST_CASE(a_bad_file_names_the_file_and_the_field) {
  auto tb = load_testbed(test::source_path("config/examples/tiny.yaml"));
  const std::string head = R"({"format": "synergai.learned-profiles/1", )";
  auto read = [&](const std::string& body) {
    return error_of([&] { read_learned_profiles(parse_json(head + body, "learned.json"), &tb); });
  };
  const std::string node_ok = R"("nodes": [{"node": "server", "ratio": 1.2, "observations": 3, "rejected": 0}])";
  auto e = read(R"("points": [{"engine": "onnx-mobilenet-op11", "node": "server", "threads": 4, "mode": null,
                   "ratio": -1, "observations": 3, "rejected": 0}], )" + node_ok + "}");
  BOOST_TEST(e.find("learned.json") != std::string::npos, e);
  BOOST_TEST(e.find("points[0].ratio") != std::string::npos, e);
  e = read(R"("points": [], "nodes": [{"node": "cloud-9", "ratio": 1, "observations": 1, "rejected": 0}]})");
  BOOST_TEST(e.find("nodes[0].node") != std::string::npos, e);
  BOOST_TEST(e.find("unknown node \"cloud-9\"") != std::string::npos, e);
  e = read(R"("points": [{"engine": "onnx-mobilenet-op11", "node": "server", "threads": 3, "mode": null,
                   "ratio": 1, "observations": 1, "rejected": 0}], "nodes": []})");
  BOOST_TEST(e.find("points[0]") != std::string::npos, e);
  BOOST_TEST(e.find("not a configuration of node server") != std::string::npos, e);
  e = read(R"("points": [], "nodes": [], "weights": 1})");
  BOOST_TEST(e.find("unknown field \"weights\"") != std::string::npos, e);
  e = read(R"("points": []})");
  BOOST_TEST(e.find("nodes") != std::string::npos, e);
  e = error_of([] { read_learned_profiles(parse_json(R"({"format": "other/1", "points": [], "nodes": []})", "x.json")); });
  BOOST_TEST(e.find("x.json") != std::string::npos, e);
  BOOST_TEST(e.find("format") != std::string::npos, e);
  test::TempDir dir{"learned-bad"};
  std::ofstream{dir / "cut.json"} << head << R"("points": [)";
  e = error_of([&] { load_learned_profiles(dir / "cut.json"); });
  BOOST_TEST(e.find("cut.json") != std::string::npos, e);
}

BOOST_AUTO_TEST_CASE(without_learning_performance_answers_from_the_dictionary_alone) {
  auto tb = test::tiny_with_three_edge_boards();
  auto d = load_dictionary(test::source_path("tests/data/valid/tiny-dictionary.json"));
  d.bind(tb);
  const Performance p{tb, d};
  BOOST_TEST(p.class_count() == 2u);  // the server, and the three boards
  BOOST_TEST(!p.learned());
  BOOST_TEST(!p.observe(mobilenet, "server", four_threads, 1000, Seconds{100}));
  BOOST_TEST(p.estimate(mobilenet, "server", four_threads, 1000)->count() == 23.0);
  BOOST_TEST(p.optimal(mobilenet, "server", 1000)->estimate.count() == 23.0);
}

BOOST_AUTO_TEST_CASE(learning_corrects_every_estimate_of_the_drifting_node_and_only_its_own) {
  auto tb = test::tiny_with_three_edge_boards();
  auto d = load_dictionary(test::source_path("tests/data/valid/tiny-dictionary.json"));
  d.bind(tb);
  auto store = std::make_shared<LearnedProfiles>(LearningSettings{0.3, 0.2, 5, 3});
  const Performance p{tb, d, store};
  BOOST_TEST(p.class_count() == tb.nodes.size());  // every node a class of its own
  const ExecConfig fast{4, 9};
  auto edge2 = *p.node_index("edge-2");
  auto engine = *p.engine_index(mobilenet);
  BOOST_TEST(p.optimum(engine, p.class_of(edge2))->estimate(1000).count() == 60.0);
  // edge-2 runs 3x slower than profiled.
  for (int i = 0; i < 2; ++i) BOOST_TEST(p.observe(mobilenet, "edge-2", fast, 1000, Seconds{180}));
  BOOST_TEST(p.optimum(engine, p.class_of(edge2))->estimate(1000).count() == 60.0);  // two runs: not yet
  BOOST_TEST(p.observe(mobilenet, "edge-2", fast, 1000, Seconds{180}));
  BOOST_TEST(p.optimum(engine, p.class_of(edge2))->estimate(1000).count() == 180.0, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(p.estimate(mobilenet, "edge-2", fast, 500)->count() == 3 * (35 + 12.5), boost::test_tools::tolerance(1e-9));
  BOOST_TEST(p.profiled_estimate(mobilenet, "edge-2", fast, 1000)->count() == 60.0);
  // Its other configuration borrows the node's mean; its siblings keep the profile.
  BOOST_TEST(p.estimate(mobilenet, "edge-2", ExecConfig{4, 1}, 1000)->count() == 3 * 85.0,
             boost::test_tools::tolerance(1e-9));
  BOOST_TEST(p.optimal(mobilenet, "edge-1", 1000)->estimate.count() == 60.0);
  auto order = p.optimal_candidates(mobilenet, 1000);
  BOOST_TEST_REQUIRE(order.size() == 4u);
  BOOST_TEST(order.front().node == "server");
  BOOST_TEST(order.back().node == "edge-2");
  BOOST_TEST(order.back().estimate.count() == 180.0, boost::test_tools::tolerance(1e-9));
  // A store loaded with learned values answers with them from the start.
  const Performance restarted{tb, d, std::make_shared<LearnedProfiles>(store->settings(), store->entries())};
  BOOST_TEST(restarted.optimal(mobilenet, "edge-2", 1000)->estimate.count() == 180.0,
             boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(observations_from_many_threads_are_all_counted_while_estimates_are_read) {
  auto tb = load_testbed(test::source_path("config/examples/tiny.yaml"));
  auto d = load_dictionary(test::source_path("tests/data/valid/tiny-dictionary.json"), &tb);
  auto store = std::make_shared<LearnedProfiles>();
  const Performance p{tb, d, store};
  const auto engine = *p.engine_index(mobilenet);
  const auto server = p.class_of(*p.node_index("server"));
  std::atomic<bool> done{false};
  std::atomic<long> reads{0};
  std::atomic<bool> off_range{false};
  std::thread reader{[&] {
    while (!done) {
      const double e = p.optimum(engine, server)->estimate(1000).count();
      if (e != 23.0 && std::abs(e - 23.0 * 1.2) > 1e-9) off_range = true;  // profiled, or the learned value
      ++reads;
    }
  }};
  std::vector<std::thread> workers;
  for (int t = 0; t < 4; ++t)
    workers.emplace_back([&] {
      while (reads.load() == 0) std::this_thread::yield();  // read while written
      for (int i = 0; i < 500; ++i) p.observe(mobilenet, "server", four_threads, 1000, Seconds{23.0 * 1.2});
    });
  for (auto& w : workers) w.join();
  done = true;
  reader.join();
  BOOST_TEST(!off_range.load());
  BOOST_TEST(reads.load() > 0);
  BOOST_TEST(store->entries().nodes.at("server").observations == 2000u);
  BOOST_TEST(p.optimal(mobilenet, "server", 1000)->estimate.count() == 23.0 * 1.2, boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(experiment_and_service_files_turn_learning_on_and_check_its_settings) {
  auto dir = test::source_path("tests/data/valid");
  auto base = test::read_text(dir / "experiment.yaml");
  auto x = read_experiment(parse_yaml(base, "experiment.yaml"), dir, {"synergai", "rr"});
  BOOST_TEST(!x.learning);
  BOOST_TEST(x.slowdown.empty());
  x = read_experiment(parse_yaml(base + "learning: true\nslowdown: {server: 1.4}\n", "experiment.yaml"), dir,
                      {"synergai", "rr"});
  BOOST_TEST(x.learning);
  BOOST_TEST(x.slowdown.at("server") == 1.4);
  x = read_experiment(parse_yaml(base + "learning: {enabled: true, alpha: 0.5, min_observations: 1}\n", "experiment.yaml"),
                      dir, {"synergai", "rr"});
  BOOST_TEST(x.learning_settings.alpha == 0.5);
  BOOST_TEST(x.learning_settings.min_observations == 1);
  auto e = error_of([&] {
    read_experiment(parse_yaml(base + "learning: {enabled: true, alpha: 1.5, min_ratio: 2}\nslowdown: {server: 0}\n",
                               "experiment.yaml"),
                    dir, {"synergai", "rr"});
  });
  BOOST_TEST(e.find("learning.alpha") != std::string::npos, e);
  BOOST_TEST(e.find("learning.min_ratio") != std::string::npos, e);
  BOOST_TEST(e.find("slowdown.server") != std::string::npos, e);
  test::TempDir tmp{"learned-start"};
  save_learned_profiles(LearnedEntries{}, tmp / "start.json");
  const auto start = "learned_profiles: " + (tmp / "start.json").string() + "\n";
  x = read_experiment(parse_yaml(base + "learning: true\n" + start, "experiment.yaml"), dir, {"synergai", "rr"});
  BOOST_TEST(x.learned_profiles == tmp / "start.json");
  e = error_of([&] { read_experiment(parse_yaml(base + start, "experiment.yaml"), dir, {"synergai", "rr"}); });
  BOOST_TEST(e.find("learned_profiles: learned profiles are read only with learning on") != std::string::npos, e);

  const std::string service = "service: s\nlisten: 127.0.0.1:0\npolicy: synergai\ntestbed: " +
                              test::source_path("config/examples/tiny.yaml").string() +
                              "\ndictionary: " + (dir / "tiny-dictionary.json").string() +
                              "\nexecutor: {kind: simulated}\njournal: {path: /var/lib/synergai/journal.jsonl}\n";
  auto s = read_service_config(parse_yaml(service, "service.yaml"), dir, {"synergai"});
  BOOST_TEST(!s.learning.enabled);
  BOOST_TEST(learned_profiles_path(s) == "/var/lib/synergai/learned-profiles.json");
  s = read_service_config(parse_yaml(service + "learning: {enabled: true, path: /tmp/l.json, max_ratio: 3}\n",
                                     "service.yaml"),
                          dir, {"synergai"});
  BOOST_TEST(s.learning.enabled);
  BOOST_TEST(s.learning.settings.max_ratio == 3.0);
  BOOST_TEST(learned_profiles_path(s) == "/tmp/l.json");
  e = error_of([&] {
    read_service_config(parse_yaml(service + "learning: {enabled: yes please}\n", "service.yaml"), dir, {"synergai"});
  });
  BOOST_TEST(e.find("learning.enabled") != std::string::npos, e);
}

BOOST_AUTO_TEST_SUITE_END()
