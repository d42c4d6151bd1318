#include "profiling/nvpmodel.hpp"

#include "config/testbed.hpp"
#include "tests/support.hpp"

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

using namespace synergai;
using namespace synergai::profiling;

namespace {

NvpModel fixture(const std::string& name) { return load_nvpmodel(test::source_path("tests/data/nvpmodel/" + name)); }

// The message of the InputError `text` raises, or "" if it parses.
std::string error_of(const std::string& text) {
  try {
    (void)parse_nvpmodel(text, "bad.conf");
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

const std::string header =
    "< PARAM TYPE=FILE NAME=CPU_ONLINE >\nCORE_0 /sys/devices/system/cpu/cpu0/online\n"
    "CORE_1 /sys/devices/system/cpu/cpu1/online\n"
    "< PARAM TYPE=CLOCK NAME=CPU_A57 >\nMAX_FREQ /sys/x/max\nMIN_FREQ /sys/x/min\n";
const std::string good_mode = "< POWER_MODEL ID=0 NAME=MODE_5W >\nCPU_ONLINE CORE_0 1\nCPU_A57 MAX_FREQ 918000\n";

}  // namespace

BOOST_AUTO_TEST_SUITE(nvpmodel)

BOOST_AUTO_TEST_CASE(agx_xavier_matches_the_thesis_testbed) {
  auto m = fixture("xavier-agx.conf");
  BOOST_TEST(m.modes.size() == 7u);
  BOOST_TEST(m.default_mode == 6);
  BOOST_TEST(!m.find_mode(7));  // ids skip 7
  const auto* maxn = m.find_mode(6);
  BOOST_REQUIRE(maxn);
  BOOST_TEST(maxn->clusters.size() == 4u);
  BOOST_TEST(maxn->clusters[3].name == "CPU_DENVER_3");
  BOOST_TEST((maxn->clusters[0].max_khz.kind == ClockLimit::Kind::unlimited));
  BOOST_TEST((maxn->emc_max_hz.kind == ClockLimit::Kind::unlimited));  // EMC 0: no cap
  BOOST_TEST(maxn->settings.at("GPU_POWER_CONTROL_DISABLE").at("GPU_PWR_CNTL_DIS") == "auto");
  const auto* m15 = m.find_mode(5);
  BOOST_TEST(m15->gpu_max_hz.value == 670000000);
  BOOST_TEST(m15->dla_max_hz.size() == 1u);
  BOOST_TEST(m15->dla_max_hz[0].first == "DLA_CORE");
  BOOST_TEST(m15->dla_max_hz[0].second.value == 115200000);

  // The six no-reboot modes of the thesis testbed, imported, equal thesis.yaml's.
  ImportOptions options;
  options.unlimited_cpu_mhz = 2266;
  auto modes = to_power_modes(m, options);
  auto tb = config::load_testbed(test::source_path("config/testbeds/thesis.yaml"));
  const auto& expected = tb.find_node("agx")->power_modes;
  std::vector<PowerMode> imported(modes.begin(), modes.begin() + 6);
  BOOST_TEST(imported == expected);
  BOOST_TEST(modes[6].id == 8);
  BOOST_TEST(modes[6].max_mhz == 1200);
  BOOST_TEST(*modes[6].budget_w == 10);
}

BOOST_AUTO_TEST_CASE(uncapped_cpu_defaults_to_the_highest_cap_in_the_file) {
  auto modes = to_power_modes(fixture("xavier-agx.conf"));
  BOOST_TEST(modes[5].max_mhz == 2188);
  BOOST_TEST(!modes[5].budget_w.has_value());
}

BOOST_AUTO_TEST_CASE(xavier_nx_jetpack4_and_5_give_the_same_modes) {
  auto jp4 = fixture("xavier-nx-jp4.conf");
  auto jp5 = fixture("xavier-nx-jp5.conf");
  auto a = to_power_modes(jp4);
  auto b = to_power_modes(jp5);
  BOOST_TEST(a.size() == 9u);
  BOOST_TEST((a == b));
  BOOST_TEST(jp4.default_mode == 2);
  BOOST_TEST(jp4.find_mode(3)->online_cpus() == 6);
  BOOST_TEST(a[8].max_mhz == 1900);
  BOOST_TEST(*a[8].budget_w == 10);
  // JetPack 4 names one DLA clock, JetPack 5 two.
  BOOST_TEST(jp4.find_mode(2)->dla_max_hz.size() == 1u);
  BOOST_TEST(jp5.find_mode(2)->dla_max_hz.size() == 2u);
  BOOST_TEST(jp5.find_mode(2)->dla_max_hz[1].first == "DLA1_CORE");
  BOOST_TEST(jp5.find_mode(2)->settings.at("CPU_DENVER_1").at("MAX_FREQ_KNEXT") == "1400000");
  BOOST_TEST(jp5.find_mode(2)->settings.count("PVA0_VPS0") == 1u);
}

BOOST_AUTO_TEST_CASE(tx2_has_two_cluster_kinds_and_needs_budgets) {
  auto m = fixture("tx2.conf");
  BOOST_TEST(m.default_mode == 3);
  const auto* denver = m.find_mode(4);
  BOOST_TEST(denver->online_cores == (std::vector<int>{1, 2}));
  BOOST_TEST(denver->clusters.size() == 2u);
  BOOST_TEST(denver->clusters[0].name == "CPU_A57");
  BOOST_TEST(denver->clusters[1].name == "CPU_DENVER");
  BOOST_TEST(m.params[5].type == "HWMON");
  BOOST_TEST(m.params[5].keys.size() == 2u);
  // MAXQ states no watts in its name: the import asks for it rather than guessing.
  BOOST_CHECK_EXCEPTION((void)to_power_modes(m), InputError, [](const InputError& e) {
    return std::string{e.what()}.find("--budget 1=W") != std::string::npos;
  });
  ImportOptions o;
  o.budgets = {{0, std::nullopt}, {1, 7.5}, {2, 15.0}, {3, 15.0}, {4, 15.0}};
  auto modes = to_power_modes(m, o);
  BOOST_TEST(*modes[1].budget_w == 7.5);
  BOOST_TEST(modes[1].online_cpus == 4);
}

BOOST_AUTO_TEST_CASE(nano_without_spaces_in_headers) {
  auto m = fixture("nano.conf");
  BOOST_TEST(m.modes.size() == 2u);
  BOOST_TEST(m.default_mode == 0);
  auto modes = to_power_modes(m);
  BOOST_TEST(modes[1].name == "5W");
  BOOST_TEST(*modes[1].budget_w == 5);
  BOOST_TEST(modes[1].max_mhz == 918);
  BOOST_TEST(modes[1].online_cpus == 2);
  BOOST_TEST(m.find_mode(1)->gpu_max_hz.value == 640000000);
  BOOST_TEST(modes[0].max_mhz == 918);  // MAXN is uncapped: highest cap in the file
}

BOOST_AUTO_TEST_CASE(orin_knext_fan_and_hwmon) {
  auto m = fixture("orin-agx.conf");
  BOOST_TEST(m.default_mode == 2);
  BOOST_TEST(m.fan_config.at("FAN_DEFAULT") == "cool");
  BOOST_TEST(m.fan_config.at("FAN_PROFILE") == "cool");
  const auto* m30 = m.find_mode(2);
  BOOST_TEST(m30->clusters.size() == 3u);
  BOOST_TEST(m30->clusters[2].name == "CPU_A78_2");
  BOOST_TEST(m30->max_cpu_mhz().value() == 1728);
  BOOST_TEST(m30->online_cpus() == 8);
  BOOST_TEST(m30->emc_max_hz.value == 3199000000LL);
  BOOST_TEST(m30->settings.at("CPU_POWER_LIMIT").at("CPU_PWR_LIMIT") == "10000");
  auto j = to_json(m);
  BOOST_TEST(j["modes"][2]["cpu_max_khz"]["CPU_A78_0"] == 1728000);
  BOOST_TEST(j["modes"][0]["gpu_max_hz"] == "unlimited");
  BOOST_TEST(j["modes"][0]["budget_w"] == "unlimited");
}

BOOST_AUTO_TEST_CASE(yaml_output_is_a_valid_testbed_node) {
  auto m = fixture("xavier-nx-jp5.conf");
  std::string yaml = testbed_yaml(m);
  // Indent the snippet into a node of a minimal testbed and load it.
  std::string node;
  std::size_t pos = 0;
  while (pos < yaml.size()) {
    auto end = yaml.find('\n', pos);
    node += "    " + yaml.substr(pos, end - pos) + "\n";
    pos = end + 1;
  }
  std::string text =
      "testbed: t\nnodes:\n  - name: nx\n    kubernetes_node: nx\n    arch: arm64\n    tier: edge\n    cpus: 6\n"
      "    memory_gib: 8\n    mode_switch_latency_s: 2.0\n" +
      node +
      "engines:\n  - {id: e, task: classification, backend: tflite, model: m, dataset: d, accuracy: 1, "
      "accuracy_metric: top1, thread_knob: num_threads, container: {image: i}}\n";
  auto tb = config::read_testbed(config::parse_yaml(text, "t.yaml"));
  BOOST_TEST(tb.nodes[0].power_modes.size() == 9u);
  BOOST_TEST(*tb.nodes[0].default_mode == 2);
  BOOST_TEST(yaml.find("# CPU_DENVER_0 max: 1400 MHz") != std::string::npos);
  BOOST_TEST(yaml.find("# DLA1_CORE max: 1100.8 MHz") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(malformed_lines_name_file_and_line) {
  BOOST_TEST(error_of(header + good_mode + "< PM_CONFIG DEFAULT=0 >\n") == "");
  // A mode line with two fields.
  BOOST_TEST(error_of(header + good_mode + "CPU_A57 MAX_FREQ\n< PM_CONFIG DEFAULT=0 >\n").starts_with("bad.conf:10: "));
  // A frequency that is not a number.
  BOOST_TEST(error_of(header + "< POWER_MODEL ID=0 NAME=M >\nCPU_ONLINE CORE_0 1\nCPU_A57 MAX_FREQ fast\n"
                               "< PM_CONFIG DEFAULT=0 >\n")
                 .starts_with("bad.conf:9: CPU_A57 MAX_FREQ must be a frequency"));
  BOOST_TEST(error_of(header + good_mode + "GPU MAX_FREQ 1\n< PM_CONFIG DEFAULT=0 >\n")
                 .starts_with("bad.conf:10: parameter GPU is not declared"));
  BOOST_TEST(error_of(header + good_mode + "CPU_A57 FREQ_TABLE 1\n< PM_CONFIG DEFAULT=0 >\n")
                 .starts_with("bad.conf:10: parameter CPU_A57 (line 4) has no key FREQ_TABLE"));
  BOOST_TEST(error_of(header + good_mode + "CPU_ONLINE CORE_1 2\n< PM_CONFIG DEFAULT=0 >\n")
                 .starts_with("bad.conf:10: CPU_ONLINE CORE_1 must be 0 or 1"));
  BOOST_TEST(error_of(header + good_mode + "< PM_CONFIG DEFAULT=3 >\n").starts_with("bad.conf:10: DEFAULT=3 is not one"));
  BOOST_TEST(error_of(header + good_mode).starts_with("bad.conf:9: no < PM_CONFIG"));
  BOOST_TEST(error_of(header + good_mode + good_mode + "< PM_CONFIG DEFAULT=0 >\n")
                 .starts_with("bad.conf:10: mode ID 0 defined twice"));
  BOOST_TEST(error_of("CORE_0 /sys\n").starts_with("bad.conf:1: setting outside any section"));
  BOOST_TEST(error_of(header + "< POWER_MODEL ID=x NAME=M >\n").starts_with("bad.conf:7: mode ID \"x\""));
  BOOST_TEST(error_of(header + "< POWER_MODEL ID=1 NAME=M\n").starts_with("bad.conf:7: section header does not end"));
  BOOST_TEST(error_of(header + "< PARAM TYPE=SYSFS NAME=X >\n").starts_with("bad.conf:7: unknown PARAM TYPE"));
  BOOST_TEST(error_of("< PARAM TYPE=HWMON NAME=H >\nKEY dev\n").starts_with("bad.conf:2: a HWMON parameter line has 3"));
  BOOST_TEST(error_of("< WHATEVER >\n").starts_with("bad.conf:1: unknown section"));
  BOOST_TEST(error_of(header + "< POWER_MODEL ID=0 NAME=M >\nCPU_A57 MAX_FREQ 1\n< PM_CONFIG DEFAULT=0 >\n")
                 .starts_with("bad.conf:7: mode 0 (M) puts no core online"));
  BOOST_TEST(error_of("").starts_with("bad.conf:1: no < POWER_MODEL"));
  BOOST_TEST(error_of(std::string("< PARAM TYPE=FILE NAME=A >\n\0\n", 29)).starts_with("bad.conf:2: not UTF-8 text"));
}

BOOST_AUTO_TEST_CASE(import_modes_command) {
  auto r = test::run_program("profile import-modes --nvpmodel tests/data/nvpmodel/xavier-agx.conf");
  BOOST_TEST(r.exit_code == 0);
  BOOST_TEST(r.output.find("  - {id: 6, name: \"MAXN\", max_mhz: 2188, online_cpus: 8, budget_w: unlimited}") !=
             std::string::npos);
  BOOST_TEST(r.output.find("default_mode: 6") != std::string::npos);
  auto bad = test::run_program("profile import-modes --nvpmodel tests/data/nvpmodel/tx2.conf");
  BOOST_TEST(bad.exit_code == 2);
  BOOST_TEST(bad.output.find("tx2.conf:") != std::string::npos);
  auto ok = test::run_program(
      "profile import-modes --json --nvpmodel tests/data/nvpmodel/tx2.conf --budget 0=unlimited --budget 1=7.5 "
      "--budget 2=15 --budget 3=15 --budget 4=15");
  BOOST_TEST(ok.exit_code == 0);
  auto j = nlohmann::json::parse(ok.output);
  BOOST_TEST(j["modes"][1]["budget_w"] == 7.5);
  BOOST_TEST(j["modes"][4]["cpu_max_khz"]["CPU_DENVER"] == 2000000);
}

BOOST_AUTO_TEST_SUITE_END()
