#include "profiling/nvpmodel.hpp"

#include "config/testbed.hpp"
#include "tests/support.hpp"

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>

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

BOOST_AUTO_TEST_CASE(tx2_has_two_cluster_kinds_and_unknown_budgets) {
  auto m = fixture("tx2.conf");
  BOOST_TEST(m.default_mode == 3);
  const auto* denver = m.find_mode(4);
  BOOST_TEST(denver->online_cores == (std::vector<int>{1, 2}));
  BOOST_TEST(denver->clusters.size() == 2u);
  BOOST_TEST(denver->clusters[0].name == "CPU_A57");
  BOOST_TEST(denver->clusters[1].name == "CPU_DENVER");
  BOOST_TEST(m.params[5].type == "HWMON");
  BOOST_TEST(m.params[5].keys.size() == 2u);
  // MAXQ and the MAXP modes state no watts in their names: every mode is
  // imported, those budgets unknown, listed in one warning.
  auto plain = to_power_modes(m);
  BOOST_TEST(plain.size() == 5u);
  BOOST_TEST(plain[0].budget_known);
  BOOST_TEST(!plain[0].budget_w.has_value());  // MAXN: no cap
  for (std::size_t i = 1; i < plain.size(); ++i) {
    BOOST_TEST(!plain[i].budget_known);
    BOOST_TEST(!plain[i].budget_w.has_value());
  }
  auto warnings = import_warnings(m);
  BOOST_TEST(warnings.size() == 1u);
  BOOST_TEST(warnings[0].find("power budget unknown for modes 1 (MAXQ), 2 (MAXP_CORE_ALL), 3 (MAXP_CORE_ARM), "
                              "4 (MAXP_CORE_DENVER)") != std::string::npos);
  // --budget still overrides, the name as well as an unknown.
  ImportOptions o;
  o.budgets = {{0, std::nullopt}, {1, 7.5}, {2, 15.0}, {3, 15.0}, {4, 15.0}};
  auto modes = to_power_modes(m, o);
  BOOST_TEST(*modes[1].budget_w == 7.5);
  BOOST_TEST(modes[1].budget_known);
  BOOST_TEST(modes[1].online_cpus == 4);
  BOOST_TEST(import_warnings(m, o).empty());
  o.budgets = {{9, 5.0}};  // no such mode
  BOOST_CHECK_EXCEPTION((void)to_power_modes(m, o), InputError, [](const InputError& e) {
    return std::string{e.what()}.find("--budget 9=...: the file has no mode 9 (its modes: 0, 1, 2, 3, 4)") !=
           std::string::npos;
  });
}

BOOST_AUTO_TEST_CASE(budgets_the_names_state) {
  auto budget = [](const std::string& name) {
    NvpMode m;
    m.name = name;
    return m.budget_from_name();
  };
  BOOST_TEST(budget("MODE_15W_6CORE").value().value() == 15);
  BOOST_TEST(budget("5W").value().value() == 5);
  BOOST_TEST(budget("MODE_7.5W").value().value() == 7.5);
  BOOST_TEST(budget("10w").value().value() == 10);
  BOOST_TEST(!budget("MAXN").value().has_value());
  BOOST_TEST(!budget("MAXN_SUPER").value().has_value());
  for (const char* none : {"MAXQ", "MAX_Q", "MODE_17", "MODE_MLPERF_V1_MAXQ", "A15W", "MODE_15WATT", "GPU_LOW", "", "W"})
    BOOST_TEST(!budget(none).has_value(), none);
}

// A JetPack 6 Orin NX file with a custom mode named by its id and an MLPerf
// power-submission mode: neither name states a budget. Also: EMC declared as a
// FILE parameter, DLA/PVA clocks, a mode capping one of two clusters.
BOOST_AUTO_TEST_CASE(orin_nx_imports_every_mode) {
  auto m = fixture("orin-nx.conf");
  BOOST_TEST(m.modes.size() == 6u);
  BOOST_TEST(m.default_mode == 2);
  BOOST_TEST(m.fan_config.at("DEFAULT") == "quiet");
  auto modes = to_power_modes(m);
  BOOST_TEST(modes.size() == 6u);
  BOOST_TEST(!modes[0].budget_w.has_value());
  BOOST_TEST(modes[0].budget_known);
  BOOST_TEST(*modes[1].budget_w == 10);
  BOOST_TEST(*modes[3].budget_w == 25);
  BOOST_TEST(modes[4].name == "MODE_17");
  BOOST_TEST(!modes[4].budget_known);
  BOOST_TEST(modes[4].online_cpus == 6);
  BOOST_TEST(modes[4].max_mhz == 1728);
  BOOST_TEST(modes[5].id == 8);
  BOOST_TEST(!modes[5].budget_known);
  BOOST_TEST(modes[5].max_mhz == 1114);
  BOOST_TEST(modes[5].online_cpus == 4);
  const auto* maxq = m.find_mode(8);
  BOOST_TEST(maxq->clusters.size() == 1u);  // CPU_A78_1 is offline and left alone
  BOOST_TEST(maxq->gpu_max_hz.value == 510000000);
  BOOST_TEST(maxq->emc_max_hz.value == 2133000000LL);  // the FILE-type EMC cap
  BOOST_TEST(maxq->settings.at("TPC_POWER_GATING").at("TPC_PG_MASK") == "0");
  const auto* m10 = m.find_mode(1);
  BOOST_TEST(m10->dla_max_hz.size() == 2u);
  BOOST_TEST(m10->other_max_hz.size() == 4u);  // DLA0/1 falcons, PVA0_VPS, PVA0_AXI
  BOOST_TEST(m10->other_max_hz[2].first == "PVA0_VPS");
  BOOST_TEST(m10->other_max_hz[2].second.value == 486400000);
  BOOST_TEST((m10->other_max_hz[3].second.kind == ClockLimit::Kind::unlimited));
  BOOST_TEST(m10->unset_cores.empty());
  auto warnings = import_warnings(m);
  BOOST_TEST(warnings.size() == 1u);
  BOOST_TEST(warnings[0].find("modes 4 (MODE_17), 8 (MODE_MLPERF_MAXQ)") != std::string::npos);
  auto j = to_json(m);
  BOOST_TEST(j["modes"][4]["budget_w"] == "unknown");
  BOOST_TEST(j["modes"][1]["other_max_hz"]["PVA0_AXI"] == "unlimited");
  BOOST_TEST(j["warnings"].size() == 1u);
}

// CRLF line ends change nothing: the same file with LF ends gives the same modes.
BOOST_AUTO_TEST_CASE(orin_nano_with_crlf_line_ends) {
  auto path = test::source_path("tests/data/nvpmodel/orin-nano-crlf.conf");
  auto m = load_nvpmodel(path);
  std::string text = test::read_text(path);
  BOOST_REQUIRE(text.find("\r\n") != std::string::npos);
  std::string lf;
  for (char c : text)
    if (c != '\r') lf += c;
  auto n = parse_nvpmodel(lf, m.file);
  BOOST_TEST(to_json(m).dump() == to_json(n).dump());
  BOOST_TEST(m.modes.size() == 4u);
  BOOST_TEST(m.default_mode == 0);
  BOOST_TEST(m.modes[3].name == "MAXQ");
  auto modes = to_power_modes(m);
  BOOST_TEST(*modes[0].budget_w == 15);
  BOOST_TEST(*modes[1].budget_w == 7);
  BOOST_TEST(modes[1].online_cpus == 4);
  BOOST_TEST(modes[2].budget_known);  // MAXN_SUPER: no cap
  BOOST_TEST(!modes[2].budget_w.has_value());
  BOOST_TEST(!modes[3].budget_known);
  BOOST_TEST(modes[3].online_cpus == 2);
  BOOST_TEST(modes[3].max_mhz == 730);
  BOOST_TEST(modes[2].max_mhz == 1510);  // uncapped: the file's highest cap
  BOOST_TEST((m.find_mode(0)->emc_max_hz.kind == ClockLimit::Kind::unlimited));
}

// An MLPerf power submission's AGX Xavier file: the MAXQ mode caps PVA, CVNAS
// and DLA falcon clocks the testbed does not model; they are kept.
BOOST_AUTO_TEST_CASE(xavier_mlperf_maxq_keeps_unmodelled_clocks) {
  auto m = fixture("xavier-agx-mlperf.conf");
  BOOST_TEST(m.default_mode == 8);
  BOOST_TEST(m.fan_config.at("DEFAULT") == "cool");
  const auto* maxq = m.find_mode(8);
  BOOST_TEST(maxq->online_cores == (std::vector<int>{0, 1}));
  BOOST_TEST(maxq->max_cpu_mhz().value() == 1037);
  BOOST_TEST(maxq->dla_max_hz.size() == 1u);
  BOOST_TEST(maxq->other_max_hz.size() == 4u);
  BOOST_TEST(maxq->other_max_hz[3].first == "CVNAS");
  BOOST_TEST(maxq->other_max_hz[3].second.value == 1011200000);
  auto yaml = testbed_yaml(m);
  BOOST_TEST(yaml.find("  - {id: 8, name: \"MODE_MLPERF_V1_MAXQ\", max_mhz: 1037, online_cpus: 2, budget_w: unknown}\n"
                       "    # budget unknown: the name states none; set it with --budget 8=W\n") != std::string::npos);
  BOOST_TEST(yaml.find("# other clocks max (not modelled): DLA_FALCON 630 MHz, PVA_VPS 760 MHz, PVA_CORE 532 MHz, "
                       "CVNAS 1011.2 MHz") != std::string::npos);
  BOOST_TEST(yaml.find("# warning: ") != std::string::npos);
}

// Comments of both styles, trailing comments, tabs, a byte-order mark, the
// default declared first, a fractional wattage, a mode that only caps GPU and
// EMC (its cores left unset), and a cpuset-style core range kept as written.
BOOST_AUTO_TEST_CASE(hand_edited_file_with_comments) {
  auto m = fixture("custom-comments.conf");
  BOOST_TEST(m.modes.size() == 4u);
  BOOST_TEST(m.default_mode == 2);
  BOOST_TEST(m.params.size() == 5u);
  BOOST_TEST((m.modes[0].clusters[0].max_khz.kind == ClockLimit::Kind::unlimited));  // "-1 # no cap"
  BOOST_TEST(m.modes[0].settings.at("CPU_A57").count("MIN_FREQ") == 0u);              // commented out
  BOOST_TEST(m.modes[0].settings.at("INFERENCE_CPUSET").at("CPUS") == "0-3");
  BOOST_TEST(m.modes[1].name == "MODE_7.5W");
  const auto& gpu_only = m.modes[3];
  BOOST_TEST(gpu_only.unset_cores == (std::vector<int>{0, 1, 2, 3}));
  BOOST_TEST(gpu_only.online_cpus() == 4);
  BOOST_TEST(gpu_only.gpu_max_hz.value == 230400000);
  auto modes = to_power_modes(m);
  BOOST_TEST(*modes[1].budget_w == 7.5);
  BOOST_TEST(*modes[2].budget_w == 5);
  BOOST_TEST(!modes[3].budget_known);
  BOOST_TEST(modes[3].max_mhz == 1224);  // caps no CPU: the file's highest cap
  auto warnings = import_warnings(m);
  BOOST_TEST(warnings.size() == 2u);
  BOOST_TEST(warnings[0].find("power budget unknown for mode 3 (GPU_LOW)") != std::string::npos);
  BOOST_TEST(warnings[1].find(":56: mode 3 (GPU_LOW) sets cores 0,1,2,3 neither online nor offline") !=
             std::string::npos);
  // A byte-order mark is skipped only at the very start of the file.
  BOOST_TEST(error_of(header + good_mode + "\xEF\xBB\xBF< PM_CONFIG DEFAULT=0 >\n").starts_with("bad.conf:10: "));
  BOOST_TEST(error_of("\xEF\xBB\xBF" + header + good_mode + "< PM_CONFIG DEFAULT=0 >\n") == "");
  // A '#' inside a word is not a comment.
  BOOST_TEST(parse_nvpmodel(header + "< POWER_MODEL ID=0 NAME=MODE#5W >\nCPU_ONLINE CORE_0 1\n< PM_CONFIG DEFAULT=0 >\n",
                            "x")
                 .modes[0]
                 .name == "MODE#5W");
}

// Every fixture imports without a --budget, the way a user brings the file.
BOOST_AUTO_TEST_CASE(every_fixture_imports) {
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(test::source_path("tests/data/nvpmodel"))) {
    auto m = load_nvpmodel(entry.path());
    auto modes = to_power_modes(m);
    BOOST_TEST(modes.size() == m.modes.size(), entry.path());
    (void)testbed_yaml(m);
    ++files;
  }
  BOOST_TEST(files >= 10);
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

  // An unknown budget loads as unknown, and says so where a mode is described.
  std::string unknown = text;
  auto at = unknown.find("budget_w: 10}");
  BOOST_REQUIRE(at != std::string::npos);
  unknown.replace(at, 13, "budget_w: unknown}");
  auto tb2 = config::read_testbed(config::parse_yaml(unknown, "t.yaml"));
  const auto& mode = tb2.nodes[0].power_modes[0];
  BOOST_TEST(!mode.budget_known);
  BOOST_TEST(!mode.budget_w.has_value());
  BOOST_TEST(describe(mode) == "mode 0 (MODE_10W_4CORE): 1200 MHz, 4 CPUs, power budget unknown");
  BOOST_TEST(nlohmann::json(mode)["budget_w"] == "unknown");
  BOOST_TEST(!nlohmann::json(mode).get<PowerMode>().budget_known);
  BOOST_TEST(tb.nodes[0].power_modes[0].budget_known);
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
  BOOST_TEST(error_of(header + "< POWER_MODEL ID=0 NAME=M >\nCPU_ONLINE CORE_0 0\nCPU_ONLINE CORE_1 0\n"
                               "< PM_CONFIG DEFAULT=0 >\n")
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
  // Names without a wattage: imported, with one warning listing them.
  auto tx2 = test::run_program("profile import-modes --nvpmodel tests/data/nvpmodel/tx2.conf");
  BOOST_TEST(tx2.exit_code == 0);
  BOOST_TEST(tx2.output.find("  - {id: 1, name: \"MAXQ\", max_mhz: 1200, online_cpus: 4, budget_w: unknown}") !=
             std::string::npos);
  BOOST_TEST(tx2.output.find("power budget unknown for modes 1 (MAXQ), 2 (MAXP_CORE_ALL)") != std::string::npos);
  auto bad = test::run_program("profile import-modes --nvpmodel tests/data/nvpmodel/tx2.conf --budget 7=10");
  BOOST_TEST(bad.exit_code == 2);
  BOOST_TEST(bad.output.find("tx2.conf: --budget 7=...: the file has no mode 7") != std::string::npos);
  auto ok = test::run_program(
      "profile import-modes --json --nvpmodel tests/data/nvpmodel/tx2.conf --budget 0=unlimited --budget 1=7.5 "
      "--budget 2=15 --budget 3=15 --budget 4=15");
  BOOST_TEST(ok.exit_code == 0);
  auto j = nlohmann::json::parse(ok.output);
  BOOST_TEST(j["modes"][1]["budget_w"] == 7.5);
  BOOST_TEST(j["modes"][4]["cpu_max_khz"]["CPU_DENVER"] == 2000000);
}

BOOST_AUTO_TEST_SUITE_END()
