// Testbeds for the runtime tests: the shipped thesis testbed (ThesisTestbed),
// and a three-node testbed with round numbers, for hand-computed runs.
//
//   node  configurations                      e1 QPS (pre 1 s)   e2 QPS (pre 2 s)
//   fast  threads 1 | 4                       10 | 40            -
//   slow  threads 1 | 2                       10 | 20            -
//   edge  mode 1 (2 CPUs) | mode 2 (2 CPUs)    5 | 10            5 | 10
// edge starts in mode 1; switching takes 2 s. c*: fast t4, slow t2, edge m2.
// So for q = 400: e1 estimates fast 11 s, slow 21 s, edge 41 s; e2 edge 42 s.
#pragma once

#include "actors/runtime.hpp"
#include "config/dictionary.hpp"
#include "config/testbed.hpp"
#include "tests/support.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>

namespace synergai::test {

// A Boost fixture: the thesis testbed and its dictionary, as shipped.
struct ThesisTestbed {
  config::Testbed testbed = config::load_testbed(source_path("config/testbeds/thesis.yaml"));
  config::Dictionary dictionary = config::load_dictionary(source_path("config/dictionaries/thesis.json"), &testbed);
};

inline config::Testbed small_testbed() {
  return config::read_testbed(config::parse_yaml(R"(testbed: small
nodes:
  - {name: fast, kubernetes_node: fast-1, arch: amd64, tier: cloud, cpus: 4, memory_gib: 8, thread_options: [1, 4], baseline_config: {threads: 4}}
  - {name: slow, kubernetes_node: slow-1, arch: amd64, tier: cloud, cpus: 2, memory_gib: 4, thread_options: [1, 2], baseline_config: {threads: 2}}
  - name: edge
    kubernetes_node: edge-1
    arch: arm64
    tier: edge
    cpus: 2
    memory_gib: 4
    power_modes:
      - {id: 1, name: SLOW, max_mhz: 1000, online_cpus: 2, budget_w: 10}
      - {id: 2, name: FAST, max_mhz: 2000, online_cpus: 2, budget_w: 20}
    default_mode: 1
    mode_switch_latency_s: 2
    baseline_config: {threads: 2, mode: 2}
engines:
  - {id: e1, task: classification, backend: onnxruntime, model: m1, dataset: d, accuracy: 70, accuracy_metric: top1, thread_knob: k, container: {image: i}}
  - {id: e2, task: classification, backend: onnxruntime, model: m2, dataset: d, accuracy: 70, accuracy_metric: top1, thread_knob: k, container: {image: i}}
)",
                                                 "small.yaml"));
}

inline config::Dictionary small_dictionary(const config::Testbed& tb) {
  config::Dictionary d;
  d.testbed = "small";
  auto add = [&](const char* engine, const char* node, ExecConfig c, double qps, double pre) {
    d.add(ProfilePoint{engine, node, c, qps, Seconds{pre}, Seconds{1000 / qps}, 1000, "fixture"});
  };
  add("e1", "fast", {1, std::nullopt}, 10, 1);
  add("e1", "fast", {4, std::nullopt}, 40, 1);
  add("e1", "slow", {1, std::nullopt}, 10, 1);
  add("e1", "slow", {2, std::nullopt}, 20, 1);
  add("e1", "edge", {2, 1}, 5, 1);
  add("e1", "edge", {2, 2}, 10, 1);
  add("e2", "edge", {2, 1}, 5, 2);
  add("e2", "edge", {2, 2}, 10, 2);
  d.choose_optima(tb);
  return d;
}

// A Boost fixture: the small testbed, and runs on it in virtual time without
// noise, with the decision log; a run must report no anomaly.
struct SmallTestbed {
  config::Testbed testbed = small_testbed();
  config::Dictionary dictionary = small_dictionary(testbed);

  RunResult run(std::vector<JobSpec> jobs, RuntimeOptions options = {}) {
    options.noise_sigma = 0;
    options.trace = true;
    auto r = run_virtual(testbed, dictionary, std::move(jobs), options);
    BOOST_TEST(r.anomalies.empty());
    return r;
  }
  RunResult run(const std::string& policy, std::vector<JobSpec> jobs) {
    RuntimeOptions options;
    options.policy = policy;
    return run(std::move(jobs), options);
  }
};

inline JobSpec job(std::string id, std::string engine, int queries, double qos, double at) {
  return JobSpec{std::move(id), std::move(engine), queries, Seconds{qos}, at_seconds(at)};
}

inline const JobRecord& find(const RunResult& r, const std::string& id) {
  auto it = std::find_if(r.jobs.begin(), r.jobs.end(), [&](const JobRecord& j) { return j.spec.id == id; });
  BOOST_REQUIRE(it != r.jobs.end());
  return *it;
}

}  // namespace synergai::test
