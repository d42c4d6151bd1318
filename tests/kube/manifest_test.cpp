// Job manifests: the batch/v1 Job's required fields and types, names, labels,
// argv filling, and the `synergai kube manifest` dry run.
#include "config/testbed.hpp"
#include "kube/manifest.hpp"
#include "support/errors.hpp"
#include "tests/support.hpp"

#include <boost/test/unit_test.hpp>

#include <regex>

using namespace synergai;
using nlohmann::json;

namespace {

config::Testbed tiny() { return config::load_testbed(test::source_path("config/examples/tiny.yaml")); }

JobSpec job(std::string id = "job-42") { return JobSpec{std::move(id), "onnx-mobilenet-op11", 250, Seconds{30}, {}}; }

// The batch/v1 Job schema's required fields and types, checked independently
// of the code that writes them: what the API server's decoder and validation
// insist on.
std::vector<std::string> schema_problems(const json& j) {
  std::vector<std::string> p;
  auto need = [&](const json::json_pointer& ptr, auto pred, const char* what) {
    if (!j.contains(ptr)) p.push_back(ptr.to_string() + " missing");
    else if (!pred(j.at(ptr))) p.push_back(ptr.to_string() + " is not " + what);
  };
  auto is_str = [](const json& v) { return v.is_string() && !v.get<std::string>().empty(); };
  auto is_obj = [](const json& v) { return v.is_object(); };
  auto is_int = [](const json& v) { return v.is_number_integer(); };
  need("/apiVersion"_json_pointer, [](const json& v) { return v == "batch/v1"; }, "batch/v1");
  need("/kind"_json_pointer, [](const json& v) { return v == "Job"; }, "Job");
  need("/metadata/name"_json_pointer, is_str, "a non-empty string");
  need("/metadata/labels"_json_pointer, is_obj, "an object");
  need("/metadata/annotations"_json_pointer, is_obj, "an object");
  need("/spec/backoffLimit"_json_pointer, is_int, "an integer");
  need("/spec/template/spec/restartPolicy"_json_pointer, [](const json& v) { return v == "Never"; }, "Never");
  need("/spec/template/spec/nodeSelector"_json_pointer, is_obj, "an object");
  need("/spec/template/spec/containers"_json_pointer, [](const json& v) { return v.is_array() && !v.empty(); },
       "a non-empty list");
  if (j.contains("/spec/ttlSecondsAfterFinished"_json_pointer) && !j["spec"]["ttlSecondsAfterFinished"].is_number_integer())
    p.push_back("ttlSecondsAfterFinished is not an integer");
  for (const auto* m : {"/metadata/labels", "/metadata/annotations", "/spec/template/spec/nodeSelector"})
    if (j.contains(json::json_pointer{m}))
      for (const auto& [k, v] : j.at(json::json_pointer{m}).items())
        if (!v.is_string()) p.push_back(std::string{m} + "/" + k + " is not a string");
  if (j.contains("/spec/template/spec/containers"_json_pointer))
    for (const auto& c : j["spec"]["template"]["spec"]["containers"]) {
      if (!c.contains("name") || !is_str(c["name"])) p.push_back("container without name");
      if (!c.contains("image") || !is_str(c["image"])) p.push_back("container without image");
      for (const char* f : {"command", "args"})
        if (c.contains(f))
          for (const auto& a : c[f])
            if (!a.is_string()) p.push_back(std::string{"container "} + f + " item is not a string");
      if (c.contains("env"))
        for (const auto& e : c["env"])
          if (!e.contains("name") || !e["name"].is_string() || !e.contains("value") || !e["value"].is_string())
            p.push_back("env item is not {name, value} strings");
      if (c.contains("/resources/requests/cpu"_json_pointer) && !c["resources"]["requests"]["cpu"].is_string())
        p.push_back("cpu request is not a quantity string");
    }
  return p;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(kube_manifest)

BOOST_AUTO_TEST_CASE(job_has_every_required_field_with_the_right_type) {
  auto tb = tiny();
  auto j = kube::job_manifest(job(), *tb.find_engine("onnx-mobilenet-op11"), *tb.find_node("edge"), ExecConfig{4, 9});
  auto problems = schema_problems(j);
  BOOST_TEST(problems.empty(), "problems: " << problems.size() << (problems.empty() ? "" : " first: " + problems[0]));
  BOOST_TEST(j["spec"]["backoffLimit"] == 0);
  BOOST_TEST(j["spec"]["ttlSecondsAfterFinished"] == 600);
  BOOST_TEST(j["metadata"]["namespace"] == "default");
  const auto& pod = j["spec"]["template"]["spec"];
  BOOST_TEST(pod["nodeSelector"]["kubernetes.io/hostname"] == "jetson-nx-1");
  const auto& c = pod["containers"][0];
  BOOST_TEST(c["image"] == "registry.example/mlperf-onnxruntime:1.0");
  BOOST_TEST(c["resources"]["requests"]["cpu"] == "4");
  // {queries} and {threads} filled, each argument its own argv item, no shell.
  BOOST_TEST(c["args"] == json::parse(R"(["--model","mobilenet-opset11","--scenario","SingleStream","--count","250","--threads","4"])"));
  BOOST_TEST(!c.contains("command"));
  bool knob = false;
  for (const auto& e : c["env"]) knob = knob || (e["name"] == "INTRA_OP_NUM_THREADS" && e["value"] == "4");
  BOOST_TEST(knob);
  const auto& a = j["metadata"]["annotations"];
  BOOST_TEST(a["synergai.io/engine"] == "onnx-mobilenet-op11");
  BOOST_TEST(a["synergai.io/queries"] == "250");
  BOOST_TEST(a["synergai.io/qos-seconds"] == "30");
  BOOST_TEST(a["synergai.io/threads"] == "4");
  BOOST_TEST(a["synergai.io/power-mode"] == "9");
  BOOST_TEST(j["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "synergai");
  BOOST_TEST(j["metadata"]["labels"]["synergai.io/job-id"] == "job-42");
  BOOST_TEST(pod.contains("restartPolicy"));
}

BOOST_AUTO_TEST_CASE(schema_check_catches_broken_manifests) {
  auto tb = tiny();
  auto good = kube::job_manifest(job(), *tb.find_engine("onnx-mobilenet-op11"), *tb.find_node("server"), ExecConfig{2, {}});
  auto bad = good;
  bad["spec"]["backoffLimit"] = "0";
  BOOST_TEST(!schema_problems(bad).empty());
  bad = good;
  bad["spec"]["template"]["spec"]["containers"][0].erase("image");
  BOOST_TEST(!schema_problems(bad).empty());
  bad = good;
  bad["spec"]["template"]["spec"]["restartPolicy"] = "Always";
  BOOST_TEST(!schema_problems(bad).empty());
}

BOOST_AUTO_TEST_CASE(names_are_deterministic_dns_labels) {
  static const std::regex dns{"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?"};
  for (std::string id : std::vector<std::string>{"job-42", "Job_42", "a/b c", std::string(200, 'x'), "---", "ÄÖÜ", "0"}) {
    auto n = kube::job_name(id);
    BOOST_TEST(n.size() <= 63u, id);
    BOOST_TEST(std::regex_match(n, dns), n);
    BOOST_TEST(n == kube::job_name(id));
  }
  BOOST_TEST(kube::job_name("job-42") != kube::job_name("Job-42"));  // same sanitized text, different hash
  BOOST_TEST(kube::job_name("job-42").rfind("synergai-job-42-", 0) == 0u);
  static const std::regex label{"([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?"};
  for (std::string id : std::vector<std::string>{"job 1", std::string(100, 'y'), "-x-", "a.b_c"})
    BOOST_TEST(std::regex_match(kube::job_id_label_value(id), label), id);
}

BOOST_AUTO_TEST_CASE(ownership_check_uses_labels_and_annotation) {
  auto tb = tiny();
  auto j = kube::job_manifest(job("j 1"), *tb.find_engine("onnx-mobilenet-op11"), *tb.find_node("server"), ExecConfig{1, {}});
  BOOST_TEST(kube::is_our_job(j, "j 1"));
  BOOST_TEST(!kube::is_our_job(j, "j_1"));  // same label value, different annotation
  j["metadata"]["labels"]["app.kubernetes.io/managed-by"] = "helm";
  BOOST_TEST(!kube::is_our_job(j, "j 1"));
}

BOOST_AUTO_TEST_CASE(bad_inputs_are_rejected) {
  auto tb = tiny();
  const auto& e = *tb.find_engine("onnx-mobilenet-op11");
  BOOST_CHECK_THROW(kube::job_manifest(job(), e, *tb.find_node("edge"), ExecConfig{4, 3}), InputError);
  BOOST_CHECK_THROW(kube::job_manifest(job(), e, *tb.find_node("server"), ExecConfig{0, {}}), InputError);
  auto no_image = e;
  no_image.container.image.clear();
  BOOST_CHECK_THROW(kube::job_manifest(job(), no_image, *tb.find_node("server"), ExecConfig{1, {}}), InputError);
}

BOOST_AUTO_TEST_CASE(cli_prints_the_same_job) {
  auto r = test::run_program(
      "kube manifest --testbed config/examples/tiny.yaml --engine onnx-mobilenet-op11 --node edge --threads 4 "
      "--mode 1 --job-id job-42 --queries 250 --qos 30");
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.output);
  auto tb = tiny();
  auto expected =
      kube::job_manifest(job(), *tb.find_engine("onnx-mobilenet-op11"), *tb.find_node("edge"), ExecConfig{4, 1});
  BOOST_TEST(json::parse(r.output) == expected);
  auto bad = test::run_program(
      "kube manifest --testbed config/examples/tiny.yaml --engine onnx-mobilenet-op11 --node edge --threads 4 "
      "--mode 3 --job-id x");
  BOOST_TEST(bad.exit_code == 2, bad.output);
  auto unknown = test::run_program(
      "kube manifest --testbed config/examples/tiny.yaml --engine nope --node edge --threads 4 --job-id x");
  BOOST_TEST(unknown.exit_code == 2, unknown.output);
}

BOOST_AUTO_TEST_SUITE_END()
