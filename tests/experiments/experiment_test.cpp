// `synergai experiment` end to end on the thesis testbed: the files it
// writes, their schema, aggregates that follow from the per-run numbers,
// determinism across thread counts, and bad input rejected before anything is
// written.
#include "actors/policies/policy.hpp"
#include "experiments/experiment_runner.hpp"
#include "profiling/scenario_inputs.hpp"
#include "support/statistics.hpp"
#include "tests/support.hpp"

#include <boost/test/unit_test.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <unistd.h>

using namespace synergai;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string read(const fs::path& p) {
  std::ifstream in{p, std::ios::binary};
  return {std::istreambuf_iterator<char>{in}, {}};
}

// Single-quoted for the shell (appending, not operator+: GCC 12 at -O3 warns
// falsely about `"literal" + std::string`).
std::string q(const fs::path& p) {
  std::string out{"'"};
  out += p.string();
  out += "'";
  return out;
}

// Three registered policies: SynergAI and SLO-MAEL when there, then others.
std::vector<std::string> three_policies() {
  auto names = policy_names();
  std::vector<std::string> out;
  for (const char* preferred : {"synergai", "slo-mael"})
    if (names.count(preferred)) out.push_back(preferred);
  for (const auto& n : names)
    if (out.size() < 3 && std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
  return out;
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

// An experiment file in `dir` on the shipped thesis testbed.
fs::path write_experiment(const fs::path& dir, const std::vector<std::string>& scenarios,
                          const std::vector<std::string>& policies, int seeds, int jobs) {
  auto path = dir / "small.yaml";
  std::ofstream out{path};
  out << "experiment: small\n"
      << "testbed: " << test::source_path("config/testbeds/thesis.yaml").string() << "\n"
      << "dictionary: " << test::source_path("config/dictionaries/thesis.json").string() << "\n"
      << "scenarios: [" << join(scenarios, ", ") << "]\n"
      << "policies: [" << join(policies, ", ") << "]\n"
      << "seeds: " << seeds << "\njobs: " << jobs << "\nnoise_sigma: 0.05\ntick_s: 1\n";
  return path;
}

std::size_t count_lines(const std::string& s) { return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')); }

void check_summary(const json& s) {
  BOOST_TEST(s.at("experiment").is_string());
  BOOST_TEST(s.at("testbed").is_string());
  BOOST_TEST(s.at("seeds").is_array());
  for (const auto& run : s.at("runs")) {
    for (const char* key : {"scenario", "policy"}) BOOST_TEST(run.at(key).is_string());
    BOOST_TEST(run.at("seed").is_number_unsigned());
    BOOST_TEST(run.at("jobs").is_number_unsigned());
    BOOST_TEST(run.at("violations").is_number_unsigned());
    for (const char* dist : {"waiting_s", "e2e_s"})
      for (const char* stat : {"min", "mean", "p50", "p99", "max"}) BOOST_TEST(run.at(dist).at(stat).is_number());
    BOOST_TEST(run.at("excess_s").at("mean_all").is_number());
    BOOST_TEST(run.at("excess_s").at("mean_violating").is_number());
  }
  for (const auto& a : s.at("aggregate")) {
    for (const char* key : {"scenario", "policy"}) BOOST_TEST(a.at(key).is_string());
    for (const char* stat : {"mean", "sd", "min", "max"}) BOOST_TEST(a.at("violations").at(stat).is_number());
    for (const char* key : {"waiting_s_mean", "e2e_s_min", "e2e_s_mean", "e2e_s_p99", "e2e_s_max",
                            "excess_s_mean_all", "excess_s_mean_violating"})
      BOOST_TEST(a.at(key).is_number(), key);
  }
}

// Recomputes every aggregate from the per-run numbers in the same file.
void check_aggregates_follow_from_runs(const json& s) {
  for (const auto& a : s.at("aggregate")) {
    std::vector<double> violations, waiting, e2e_mean, e2e_p99, excess_all, excess_violating;
    double e2e_min = 1e300, e2e_max = -1;
    for (const auto& r : s.at("runs")) {
      if (r.at("scenario") != a.at("scenario") || r.at("policy") != a.at("policy")) continue;
      violations.push_back(r.at("violations").get<double>());
      waiting.push_back(r.at("waiting_s").at("mean").get<double>());
      e2e_mean.push_back(r.at("e2e_s").at("mean").get<double>());
      e2e_p99.push_back(r.at("e2e_s").at("p99").get<double>());
      e2e_min = std::min(e2e_min, r.at("e2e_s").at("min").get<double>());
      e2e_max = std::max(e2e_max, r.at("e2e_s").at("max").get<double>());
      excess_all.push_back(r.at("excess_s").at("mean_all").get<double>());
      if (r.at("violations").get<int>() > 0) excess_violating.push_back(r.at("excess_s").at("mean_violating").get<double>());
    }
    BOOST_TEST_REQUIRE(violations.size() == s.at("seeds").size());
    auto close = [](double x, double y) { return std::abs(x - y) <= 1e-9 * std::max(1.0, std::abs(y)); };
    const auto& v = a.at("violations");
    auto where = a.at("scenario").get<std::string>() + "/" + a.at("policy").get<std::string>();
    BOOST_TEST(close(v.at("mean").get<double>(), stats::mean(violations)), where);
    BOOST_TEST(close(v.at("sd").get<double>(), stats::sample_sd(violations)), where);
    BOOST_TEST(v.at("min").get<double>() == stats::min(violations), where);
    BOOST_TEST(v.at("max").get<double>() == stats::max(violations), where);
    BOOST_TEST(close(a.at("waiting_s_mean").get<double>(), stats::mean(waiting)), where);
    BOOST_TEST(close(a.at("e2e_s_mean").get<double>(), stats::mean(e2e_mean)), where);
    BOOST_TEST(close(a.at("e2e_s_p99").get<double>(), stats::mean(e2e_p99)), where);
    BOOST_TEST(a.at("e2e_s_min").get<double>() == e2e_min, where);
    BOOST_TEST(a.at("e2e_s_max").get<double>() == e2e_max, where);
    BOOST_TEST(close(a.at("excess_s_mean_all").get<double>(), stats::mean(excess_all)), where);
    BOOST_TEST(close(a.at("excess_s_mean_violating").get<double>(), stats::mean(excess_violating)), where);
  }
}

// energy.csv against summary.json's runs: per run the known joules and the
// jobs with a known, an unknown and no energy; a row has energy_j exactly when
// its basis is a power budget, and then it is cap x execution time.
void check_energy_against_summary(const std::string& csv, const json& summary) {
  struct Tally {
    double joules = 0;
    int known = 0, unknown = 0, not_run = 0;
  };
  std::map<std::string, Tally> per_run;
  std::istringstream in{csv};
  std::string line;
  std::getline(in, line);
  BOOST_TEST(line == "scenario,policy,seed,id,node,threads,mode,execution_s,power_cap_w,energy_j,energy_basis");
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream cells{line};
    for (std::string cell; std::getline(cells, cell, ',');) f.push_back(cell);
    BOOST_TEST_REQUIRE(f.size() == 11u, line);
    auto& t = per_run[f[0] + "/" + f[1] + "/" + f[2]];
    BOOST_TEST(f[9].empty() == (f[10] != "power-budget"), line);
    if (!f[9].empty()) {
      BOOST_TEST(std::abs(std::stod(f[9]) - std::stod(f[8]) * std::stod(f[7])) < 1e-4, line);
      t.joules += std::stod(f[9]);
      ++t.known;
    } else {
      ++(f[10] == "not-run" ? t.not_run : t.unknown);
    }
  }
  int known = 0, unknown = 0;
  for (const auto& run : summary.at("runs")) {
    auto key = fmt::format("{}/{}/{}", run.at("scenario").get<std::string>(), run.at("policy").get<std::string>(),
                           run.at("seed").get<int>());
    BOOST_TEST_REQUIRE(per_run.count(key) == 1u, key);
    const auto& e = run.at("energy");
    const auto& t = per_run.at(key);
    BOOST_TEST(std::abs(e.at("joules_known").get<double>() - t.joules) < 1e-3, key);
    BOOST_TEST(e.at("jobs_known").get<int>() == t.known, key);
    BOOST_TEST(e.at("jobs_unknown").get<int>() == t.unknown, key);
    BOOST_TEST(e.at("jobs_not_run").get<int>() == t.not_run, key);
    BOOST_TEST(e.at("joules_per_known_job").is_null() == (t.known == 0), key);
    known += t.known;
    unknown += t.unknown;
  }
  BOOST_TEST(per_run.size() == summary.at("runs").size());
  // The thesis testbed has both: capped board modes, and x86 / MAXN without a cap.
  BOOST_TEST(known > 0);
  BOOST_TEST(unknown > 0);
}

std::string label(const std::string& policy) {
  if (policy == "synergai") return "SynergAI";
  std::string out = policy;
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(experiment_command)

BOOST_AUTO_TEST_CASE(a_small_experiment_writes_every_output) {
  auto policies = three_policies();
  BOOST_TEST_REQUIRE(policies.size() == 3u, "needs three registered policies, found " << policy_names().size());
  test::TempDir tmp{"experiment"};
  std::vector<std::string> scenarios{"DL-FL", "DH-FH"};
  auto config = write_experiment(tmp.path(), scenarios, policies, 3, 12);
  auto out = tmp.path() / "results";
  auto r = test::run_program("--log-level warn experiment --config " + q(config) + " --out " + q(out) +
                             " --threads 2");
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.output);

  for (const char* f : {"jobs.csv", "summary.json", "summary.md", "figures/figures.gp", "figures/scenario.gp",
                        "figures/DL-FL.policies.dat", "figures/DH-FH.e2e.dat"})
    BOOST_TEST(fs::is_regular_file(out / f), f);
  std::vector<fs::path> leftovers;
  for (const auto& e : fs::directory_iterator{tmp.path()})
    if (e.path().filename().string().front() == '.') leftovers.push_back(e.path());
  BOOST_TEST(leftovers.empty(), "staging folder left behind");

  auto csv = read(out / "jobs.csv");
  BOOST_TEST(csv.rfind("scenario,policy,seed,id,engine,queries,qos_s,", 0) == 0u);
  BOOST_TEST(count_lines(csv) == 1 + 2 * 3 * 3 * 12u);

  auto summary = json::parse(read(out / "summary.json"));
  check_summary(summary);
  BOOST_TEST(summary.at("experiment") == "small");
  BOOST_TEST(summary.at("testbed") == "thesis");
  BOOST_TEST(summary.at("seeds") == json::array({1, 2, 3}));
  BOOST_TEST(summary.at("runs").size() == 18u);
  BOOST_TEST(summary.at("aggregate").size() == 6u);
  // Plan order: scenario, then policy, then seed.
  BOOST_TEST(summary.at("runs")[0].at("scenario") == "DL-FL");
  BOOST_TEST(summary.at("runs")[0].at("policy") == policies[0]);
  BOOST_TEST(summary.at("runs")[2].at("seed") == 3);
  BOOST_TEST(summary.at("runs")[3].at("policy") == policies[1]);
  BOOST_TEST(summary.at("runs")[9].at("scenario") == "DH-FH");
  for (const auto& run : summary.at("runs")) BOOST_TEST(run.at("jobs") == 12);
  check_aggregates_follow_from_runs(summary);
  auto energy = read(out / "energy.csv");
  BOOST_TEST(count_lines(energy) == 1 + 2 * 3 * 3 * 12u);
  check_energy_against_summary(energy, summary);

  auto md = read(out / "summary.md");
  for (const auto& s : scenarios) BOOST_TEST(md.find("## " + s) != std::string::npos, s);
  BOOST_TEST(md.find("## Energy") != std::string::npos);
  for (const auto& p : policies) {
    BOOST_TEST(md.find("| " + label(p) + " |") != std::string::npos, p);
    BOOST_TEST(r.output.find("| " + label(p) + " |") != std::string::npos, "stdout lacks " << p);
  }
  BOOST_TEST(md.find("SynergAI against each policy") != std::string::npos);
  BOOST_TEST(r.output.find(out.string()) != std::string::npos, "does not say where the results are");

  // report.html: the same tables, a chart per scenario drawn by the program, the settings, nothing from elsewhere.
  auto html = read(out / "report.html");
  BOOST_TEST(html.rfind("<!doctype html>", 0) == 0u);
  for (const auto& s : scenarios) {
    BOOST_TEST(html.find("<h2 id=\"" + lower(s) + "\">" + s + "</h2>") != std::string::npos, s);
    BOOST_TEST(html.find("data-scenario=\"" + s + "\"") != std::string::npos, s << " has no chart");
  }
  for (const auto& p : policies) BOOST_TEST(html.find("<td>" + label(p) + "</td>") != std::string::npos, p);
  BOOST_TEST(html.find("<th class=\"num\">violations</th>") != std::string::npos);
  BOOST_TEST(html.find("<h2 id=\"settings\">") != std::string::npos);
  BOOST_TEST(html.find("<tr><th>seeds</th><td>1..3</td></tr>") != std::string::npos);
  BOOST_TEST(!std::regex_search(html, std::regex{R"((src|href)\s*=\s*["']?(https?:)?//)"}), "refers to elsewhere");
}

BOOST_AUTO_TEST_CASE(the_figures_are_drawn_with_gnuplot, *test::requires_tool("gnuplot", "gnuplot-nox")) {
  auto policies = three_policies();
  BOOST_TEST_REQUIRE(policies.size() == 3u, "needs three registered policies, found " << policy_names().size());
  test::TempDir tmp{"experiment"};
  std::vector<std::string> scenarios{"DL-FL", "DH-FH"};
  auto config = write_experiment(tmp.path(), scenarios, policies, 1, 12);
  auto out = tmp.path() / "results";
  auto r = test::run_program("--log-level warn experiment --config " + q(config) + " --out " + q(out));
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.output);
  auto html = read(out / "report.html");
  std::vector<std::string> figures{"DL-FL", "DH-FH"};
  if (std::find(policies.begin(), policies.end(), "slo-mael") != policies.end())
    figures.push_back("synergai-vs-slo-mael");
  figures.push_back("energy");
  for (const auto& f : figures) {
    auto png = read(out / "figures" / (f + ".png"));
    BOOST_TEST(png.size() > 10000u, f << ".png is " << png.size() << " bytes");
    BOOST_TEST(png.rfind("\x89PNG", 0) == 0u, f);
    auto svg = read(out / "figures" / (f + ".svg"));
    BOOST_TEST(svg.find("<svg") != std::string::npos, f);
  }
  // The gnuplot figures inline in report.html too, after the program's charts.
  std::size_t svgs = 0;
  for (auto at = html.find("<svg"); at != std::string::npos; at = html.find("<svg", at + 1)) ++svgs;
  BOOST_TEST(svgs == scenarios.size() + figures.size());
  for (const auto& f : figures) BOOST_TEST(html.find("<figcaption>figures/" + f + ".svg</figcaption>") != std::string::npos, f);
  BOOST_TEST(!fs::exists(out / "figures" / "gnuplot.log"), read(out / "figures" / "gnuplot.log"));
}

BOOST_AUTO_TEST_CASE(thread_count_does_not_change_the_results) {
  auto policies = three_policies();
  BOOST_TEST_REQUIRE(policies.size() == 3u);
  test::TempDir tmp{"experiment"};
  auto config = write_experiment(tmp.path(), {"DL-FL", "DL-FH", "DH-FL", "DH-FH"}, policies, 4, 24);
  std::map<int, fs::path> outs;
  for (int threads : {1, 4}) {
    outs[threads] = tmp.path() / fmt::format("t{}", threads);
    auto r = test::run_program("--log-level warn experiment --no-figures --config " + q(config) + " --out " +
                               q(outs[threads]) + " --threads " + std::to_string(threads));
    BOOST_TEST_REQUIRE(r.exit_code == 0, r.output);
  }
  auto one = read(outs[1] / "summary.json");
  BOOST_TEST(!one.empty());
  BOOST_TEST((one == read(outs[4] / "summary.json")), "summary.json differs between 1 and 4 threads");
  BOOST_TEST((read(outs[1] / "jobs.csv") == read(outs[4] / "jobs.csv")), "jobs.csv differs between 1 and 4 threads");
  BOOST_TEST((read(outs[1] / "summary.md") == read(outs[4] / "summary.md")));
  BOOST_TEST((read(outs[1] / "report.html") == read(outs[4] / "report.html")), "report.html differs");
}

BOOST_AUTO_TEST_CASE(bad_experiment_files_exit_2_and_write_nothing) {
  const std::map<std::string, std::string> cases{
      {"exp-unknown-policy.yaml", "policies[1]: unknown policy \"fifo\""},
      {"exp-unknown-scenario.yaml", "scenarios[0]: unknown scenario \"DL-FM\""},
      {"exp-zero-seeds.yaml", "seeds: expected an integer in [1, 100000], found 0"},
      {"exp-missing-testbed.yaml", "no-such-testbed.yaml does not exist"},
      {"exp-no-testbed.yaml", "testbed: missing"},
      {"exp-bad-draw.yaml", "draw: expected one of uniform | balanced"},
  };
  for (const auto& [file, message] : cases) {
    test::TempDir tmp{"experiment"};
    auto r = test::run_program("experiment --config tests/data/invalid/" + file + " --out " + q(tmp.path() / "out"));
    BOOST_TEST(r.exit_code == 2, file << " exited " << r.exit_code << ":\n" << r.output);
    BOOST_TEST(r.output.find(message) != std::string::npos, file << ": expected \"" << message << "\" in:\n" << r.output);
    BOOST_TEST(r.output.find(file) != std::string::npos, file << ": the message does not name the file");
    BOOST_TEST(fs::is_empty(tmp.path()), file << ": something was written");
  }
}

BOOST_AUTO_TEST_CASE(bad_command_line_overrides_exit_2) {
  test::TempDir tmp{"experiment"};
  auto out = " --out " + q(tmp.path() / "out");
  auto r = test::run_program("experiment --policies synergai,fifo" + out);
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.output.find("--policies: unknown policy \"fifo\"") != std::string::npos, r.output);
  r = test::run_program("experiment --scenarios DL-FL,DL-FM" + out);
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.output.find("--scenarios: unknown scenario \"DL-FM\"") != std::string::npos, r.output);
  r = test::run_program("experiment --policies synergai,synergai" + out);
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.output.find("listed twice") != std::string::npos, r.output);
  BOOST_TEST(test::run_program("experiment --seeds 0" + out).exit_code == 2);
  BOOST_TEST(test::run_program("experiment --threads 0" + out).exit_code == 2);
  BOOST_TEST(test::run_program("experiment --config no-such.yaml" + out).exit_code == 2);
  BOOST_TEST(fs::is_empty(tmp.path()));
}

BOOST_AUTO_TEST_CASE(an_existing_folder_is_replaced_only_when_asked_and_only_if_it_holds_results) {
  test::TempDir tmp{"experiment"};
  auto base = "--log-level warn experiment --no-figures --scenarios DL-FL --policies synergai --seeds 1 --jobs 4 ";

  auto foreign = tmp.path() / "foreign";
  fs::create_directories(foreign);
  std::ofstream{foreign / "notes.txt"} << "keep me\n";
  auto r = test::run_program(base + std::string{"--out "} + q(foreign));
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.output.find("exists and is not empty") != std::string::npos, r.output);
  r = test::run_program(base + std::string{"--replace --out "} + q(foreign));
  BOOST_TEST(r.exit_code == 2);
  BOOST_TEST(r.output.find("not a previous experiment's results") != std::string::npos, r.output);
  BOOST_TEST(read(foreign / "notes.txt") == "keep me\n");

  auto previous = tmp.path() / "previous";
  BOOST_TEST_REQUIRE(test::run_program(base + std::string{"--out "} + q(previous)).exit_code == 0);
  std::ofstream{previous / "stale.txt"} << "old\n";
  BOOST_TEST(test::run_program(base + std::string{"--out "} + q(previous)).exit_code == 2);
  r = test::run_program(base + std::string{"--replace --out "} + q(previous));
  BOOST_TEST(r.exit_code == 0, r.output);
  BOOST_TEST(fs::is_regular_file(previous / "summary.json"));
  BOOST_TEST(!fs::exists(previous / "stale.txt"));

  auto empty = tmp.path() / "empty";
  fs::create_directories(empty);
  BOOST_TEST(test::run_program(base + std::string{"--out "} + q(empty)).exit_code == 0);
  BOOST_TEST(fs::is_regular_file(empty / "jobs.csv"));
}

BOOST_AUTO_TEST_CASE(without_gnuplot_the_tables_are_still_written) {
  test::TempDir tmp{"experiment"};
  ::setenv("SYNERGAI_GNUPLOT", "/nonexistent/gnuplot", 1);
  auto r = test::run_program("experiment --scenarios DL-FL --policies synergai --seeds 2 --jobs 6 --out " +
                             q(tmp.path() / "out"));
  ::unsetenv("SYNERGAI_GNUPLOT");
  BOOST_TEST(r.exit_code == 0, r.output);
  BOOST_TEST(r.output.find("/nonexistent/gnuplot not found, so no figures were drawn") != std::string::npos,
             r.output);
  BOOST_TEST(fs::is_regular_file(tmp.path() / "out" / "summary.md"));
  BOOST_TEST(fs::is_regular_file(tmp.path() / "out" / "figures" / "DL-FL.policies.dat"));
  BOOST_TEST(!fs::exists(tmp.path() / "out" / "figures" / "DL-FL.png"));
  auto html = read(tmp.path() / "out" / "report.html");  // its own chart needs no gnuplot
  BOOST_TEST(html.find("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\"") != std::string::npos);
  BOOST_TEST(html.find("<table>") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_failing_plot_program_is_reported_with_exit_1_and_the_tables_kept) {
  test::TempDir tmp{"experiment"};
  ::setenv("SYNERGAI_GNUPLOT", "/bin/false", 1);
  auto r = test::run_program("experiment --scenarios DL-FL --policies synergai --seeds 1 --jobs 4 --out " +
                             q(tmp.path() / "out"));
  ::unsetenv("SYNERGAI_GNUPLOT");
  BOOST_TEST(r.exit_code == 1, r.output);
  BOOST_TEST(r.output.find("figures failed") != std::string::npos, r.output);
  BOOST_TEST(fs::is_regular_file(tmp.path() / "out" / "summary.json"));
}

BOOST_AUTO_TEST_CASE(with_optimum_every_policy_gets_its_regret_per_run) {
  test::TempDir tmp{"experiment"};
  auto config = write_experiment(tmp.path(), {"DH-FH"}, {"synergai", "rr"}, 2, 12);
  auto out = tmp.path() / "results";
  auto r = test::run_program("--log-level warn experiment --no-figures --optimum --config " + q(config) + " --out " +
                             q(out));
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.output);
  auto s = json::parse(read(out / "summary.json"));
  const auto& optima = s.at("optimum").at("runs");
  BOOST_TEST_REQUIRE(optima.size() == 2u);
  std::map<int, int> optimum;
  for (const auto& o : optima) {
    BOOST_TEST(o.at("proven").get<bool>());
    BOOST_TEST(o.at("bound") == o.at("violations"));
    optimum[o.at("seed").get<int>()] = o.at("violations").get<int>();
  }
  for (const auto& a : s.at("aggregate")) {
    std::vector<double> regret;
    for (const auto& run : s.at("runs"))
      if (run.at("policy") == a.at("policy")) {
        int v = run.at("violations").get<int>();
        BOOST_TEST(v >= optimum[run.at("seed").get<int>()]);  // no policy beats the clairvoyant optimum
        regret.push_back(v - optimum[run.at("seed").get<int>()]);
      }
    BOOST_TEST(a.at("optimum").at("regret_mean").get<double>() == stats::mean(regret),
               boost::test_tools::tolerance(1e-9));
  }
  auto md = read(out / "summary.md");
  BOOST_TEST(md.find("## Distance from the clairvoyant optimum") != std::string::npos);
  BOOST_TEST(md.find("| optimum (2 of 2 proven) |") != std::string::npos, md);
  BOOST_TEST(r.output.find("| DH-FH | ") != std::string::npos, "stdout lacks the regret table");
  auto csv = read(out / "optimum.csv");
  BOOST_TEST(csv.rfind("scenario,seed,violations,bound,proven,id,node,", 0) == 0u);
  // One row per on-time job of each seed's best schedule.
  BOOST_TEST(count_lines(csv) == 1 + 2 * 12u - optimum[1] - optimum[2]);
}

BOOST_AUTO_TEST_CASE(jobs_csv_marks_violations_and_unmeetable_jobs) {
  test::TempDir tmp{"experiment"};
  auto config = write_experiment(tmp.path(), {"DH-FH"}, {"synergai"}, 3, 24);
  auto out = tmp.path() / "results";
  auto r = test::run_program("--log-level warn experiment --no-figures --late drop --config " + q(config) + " --out " +
                             q(out));
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.output);
  std::istringstream csv{read(out / "jobs.csv")};
  std::string line;
  std::getline(csv, line);
  BOOST_TEST(line.find(",violated,unmeetable,state") != std::string::npos, line);
  std::size_t unmeetable = 0, violated = 0, cancelled = 0, unmeetable_violated = 0;
  while (std::getline(csv, line)) {
    std::vector<std::string> cells;
    std::stringstream ss{line};
    for (std::string c; std::getline(ss, c, ',');) cells.push_back(c);
    const auto n = cells.size();
    bool v = cells[n - 3] == "1", u = cells[n - 2] == "1";
    violated += v;
    unmeetable += u;
    unmeetable_violated += u && v;
    cancelled += cells[n - 1] == "cancelled";
    if (cells[n - 1] == "cancelled") BOOST_TEST(v, "a dropped job is not marked violated: " << line);
  }
  BOOST_TEST(cancelled > 0u);
  BOOST_TEST(unmeetable > 0u);
  auto s = json::parse(read(out / "summary.json"));
  std::size_t v_sum = 0, u_sum = 0, net_sum = 0;
  for (const auto& run : s.at("runs")) {
    v_sum += run.at("violations").get<std::size_t>();
    u_sum += run.at("unmeetable").get<std::size_t>();
    net_sum += run.at("violations_net").get<std::size_t>();
  }
  BOOST_TEST(v_sum == violated);
  BOOST_TEST(u_sum == unmeetable);
  BOOST_TEST(net_sum == violated - unmeetable_violated);
  BOOST_TEST(s.at("settings").at("late") == "drop");
}

BOOST_AUTO_TEST_CASE(each_reading_reaches_the_runs) {
  auto testbed = config::load_testbed(test::source_path("config/testbeds/thesis.yaml"));
  auto dictionary = config::load_dictionary(test::source_path("config/dictionaries/thesis.json"), &testbed);
  // Baselines in the default mode: nx's default mode 9 has 4 online CPUs; agx's
  // default (6, 8 CPUs) is already its baseline; x86 has no modes and keeps 16 threads.
  auto by_default = experiments::with_baseline_reading(testbed, "default-mode");
  BOOST_TEST((*by_default.find_node("nx")->baseline_config == ExecConfig{4, 9}));
  BOOST_TEST((*by_default.find_node("agx")->baseline_config == ExecConfig{8, 6}));
  BOOST_TEST((*by_default.find_node("x86")->baseline_config == ExecConfig{16, std::nullopt}));
  BOOST_TEST((*experiments::with_baseline_reading(testbed, "testbed").find_node("nx")->baseline_config ==
              ExecConfig{6, 5}));
  BOOST_CHECK_THROW(experiments::with_baseline_reading(testbed, "fastest"), InputError);
  {  // and the runs use it: RR runs NX jobs in mode 9, never in mode 5
    config::Experiment rr;
    rr.name = "baseline";
    rr.scenarios = {"DH-FH"};
    rr.policies = {"rr"};
    rr.seeds = 1;
    rr.jobs = 24;
    rr.tick = Seconds{1};
    rr.baseline_config = "default-mode";
    std::size_t on_nx = 0;
    for (const auto& run : experiments::run_experiment(rr, testbed, dictionary, {}))
      for (const auto& j : run.jobs)
        if (j.node == "nx") {
          ++on_nx;
          BOOST_TEST((*j.config == ExecConfig{4, 9}));
        }
    BOOST_TEST(on_nx > 0u);
  }

  // Inter-arrival from pre-processing + q/QPS: longer gaps, the same jobs.
  auto inference = profiling::mean_interarrival_times(dictionary);
  auto total = profiling::mean_interarrival_times(dictionary, profiling::thesis_query_counts,
                                                  profiling::InterarrivalBasis::total);
  BOOST_TEST(total.low_frequency > inference.low_frequency);
  BOOST_TEST(total.high_frequency > inference.high_frequency);
  config::Experiment x;
  x.name = "readings";
  x.scenarios = {"DL-FH"};
  x.policies = {"srr"};
  x.seeds = 1;
  x.jobs = 24;
  auto plain = experiments::experiment_jobs(x, testbed, dictionary).at({"DL-FH", 1});
  x.interarrival = "total";
  auto spread = experiments::experiment_jobs(x, testbed, dictionary).at({"DL-FH", 1});
  BOOST_TEST_REQUIRE(plain.size() == spread.size());
  BOOST_TEST(plain[5].engine == spread[5].engine);
  BOOST_TEST(seconds_of(spread.back().submitted_at) > seconds_of(plain.back().submitted_at));

  // Late jobs, the SRR queue and synergai-energy's margin go to the runtime options.
  x.late = "drop";
  x.srr_queue = "global";
  x.energy_margin = 0.6;
  auto o = experiments::runtime_options(x, experiments::RunKey{"DL-FH", "srr", 1});
  BOOST_TEST((o.late_jobs == LateJobs::drop));
  BOOST_TEST(o.policy_options.srr_global_queue);
  BOOST_TEST(o.policy_options.energy_deadline_margin == 0.6);
  auto defaults = experiments::runtime_options(config::Experiment{}, experiments::RunKey{"DL-FH", "srr", 1});
  BOOST_TEST((defaults.late_jobs == LateJobs::run));
  BOOST_TEST(!defaults.policy_options.srr_global_queue);
  BOOST_TEST(defaults.policy_options.energy_deadline_margin == 0.8);
}

// The thesis's evaluation makes the same decisions as when its results were
// recorded (docs/results.md): any change to the scheduler, the policies or the
// simulated testbed that moves one job shows here. A deliberate change updates
// the digest and says why in its commit.
BOOST_AUTO_TEST_CASE(the_paper_experiment_decides_as_recorded) {
  test::TempDir tmp{"experiment"};
  auto out = tmp.path() / "paper";
  auto r = test::run_program("--log-level warn experiment --config " + q(test::source_path("experiments/paper.yaml")) +
                             " --out " + q(out));
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.output);
  auto digest = test::run_shell("sha256sum " + q(out / "jobs.csv"));
  BOOST_TEST_REQUIRE(digest.exit_code == 0, digest.output);
  BOOST_TEST(digest.output.substr(0, 64) == "1c5f78864d04505cf9b6ded08f964a7b62deaf808fdc68b9da419223e43b4f77");
}

BOOST_AUTO_TEST_SUITE_END()
