// The experiment's plan, aggregates, ratios, tables and progress lines, on
// hand-made per-run metrics; the data and scripts of a characterization's figures.
#include "experiments/characterization_figures.hpp"
#include "experiments/experiment_runner.hpp"
#include "experiments/report.hpp"
#include "experiments/report_html.hpp"

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdio>
#include <string>

using namespace synergai;
using namespace synergai::experiments;

namespace {

config::Experiment experiment(std::vector<std::string> scenarios, std::vector<std::string> policies, int seeds) {
  config::Experiment x;
  x.name = "unit";
  x.scenarios = std::move(scenarios);
  x.policies = std::move(policies);
  x.seeds = seeds;
  x.jobs = 10;
  x.tick = Seconds{1};
  return x;
}

RunOutcome run(const std::string& scenario, const std::string& policy, std::uint64_t seed, std::size_t violations,
               double e2e_p99, double excess_all = 0, double excess_violating = 0) {
  RunOutcome r;
  r.key = RunKey{scenario, policy, seed};
  r.metrics.jobs = 10;
  r.metrics.succeeded = 10;
  r.metrics.violations = violations;
  r.metrics.waiting = stats::Summary{0, 2.0 * static_cast<double>(seed), 0, 0, 0};
  r.metrics.end_to_end = stats::Summary{static_cast<double>(seed), 10, 10, e2e_p99, 100.0 + static_cast<double>(seed)};
  r.metrics.excess_mean_all = excess_all;
  r.metrics.excess_mean_violating = excess_violating;
  return r;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(experiment_report)

BOOST_AUTO_TEST_CASE(runs_are_planned_scenario_then_policy_then_seed) {
  auto plan = plan_runs(experiment({"DL-FL", "DH-FH"}, {"synergai", "rr"}, 3));
  BOOST_TEST_REQUIRE(plan.size() == 12u);
  BOOST_TEST(plan[0].scenario == "DL-FL");
  BOOST_TEST(plan[0].policy == "synergai");
  BOOST_TEST(plan[0].seed == 1u);
  BOOST_TEST(plan[2].seed == 3u);
  BOOST_TEST(plan[3].policy == "rr");
  BOOST_TEST(plan[3].seed == 1u);
  BOOST_TEST(plan[6].scenario == "DH-FH");
  BOOST_TEST(plan[11].policy == "rr");
  BOOST_TEST(plan[11].seed == 3u);
}

BOOST_AUTO_TEST_CASE(aggregates_are_computed_over_the_seeds) {
  auto x = experiment({"DL-FL"}, {"synergai"}, 3);
  std::vector<RunOutcome> runs{run("DL-FL", "synergai", 1, 0, 30, 0, 0), run("DL-FL", "synergai", 2, 2, 40, 1, 6),
                               run("DL-FL", "synergai", 3, 4, 50, 2, 9)};
  auto a = aggregate_runs(x, runs);
  BOOST_TEST_REQUIRE(a.size() == 1u);
  BOOST_TEST(a[0].runs == 3u);
  BOOST_TEST(a[0].jobs == 30u);
  BOOST_TEST(a[0].violations_mean == 2.0);
  BOOST_TEST(a[0].violations_sd == 2.0);  // deviations -2, 0, 2: sqrt(8 / 2)
  BOOST_TEST(a[0].violations_min == 0.0);
  BOOST_TEST(a[0].violations_max == 4.0);
  BOOST_TEST(a[0].violations_total == 6u);
  BOOST_TEST(a[0].waiting_mean == 4.0);  // 2, 4, 6
  BOOST_TEST(a[0].e2e_p99 == 40.0);
  BOOST_TEST(a[0].e2e_min == 1.0);
  BOOST_TEST(a[0].e2e_max == 103.0);
  BOOST_TEST(a[0].excess_mean_all == 1.0);
  BOOST_TEST(a[0].excess_mean_violating == 7.5);  // only runs with a violation: 6 and 9
  BOOST_TEST(a[0].runs_with_violations == 2u);
}

BOOST_AUTO_TEST_CASE(ratios_handle_zero_denominators_explicitly) {
  auto x = experiment({"DL-FL", "DL-FH", "DH-FL"}, {"synergai", "rr", "be"}, 1);
  std::vector<RunOutcome> runs{
      // DL-FL: SynergAI 2 violations, RR 6 (ratio 3), BE 0 (ratio 0)
      run("DL-FL", "synergai", 1, 2, 10), run("DL-FL", "rr", 1, 6, 20), run("DL-FL", "be", 1, 0, 10),
      // DL-FH: SynergAI 0, RR 3 (undefined), BE 0 (tie: 1)
      run("DL-FH", "synergai", 1, 0, 10), run("DL-FH", "rr", 1, 3, 40), run("DL-FH", "be", 1, 0, 10),
      // DH-FL: SynergAI 0, RR 0 (tie), BE 0 (tie)
      run("DH-FL", "synergai", 1, 0, 10), run("DH-FL", "rr", 1, 0, 30), run("DH-FL", "be", 1, 0, 10)};
  auto ratios = ratios_to_reference(x, aggregate_runs(x, runs));
  BOOST_TEST_REQUIRE(ratios.size() == 2u);
  BOOST_TEST(ratios[0].policy == "rr");
  BOOST_TEST_REQUIRE(ratios[0].violations.mean.has_value());
  BOOST_TEST(*ratios[0].violations.mean == 2.0);  // (3 + 1) / 2
  BOOST_TEST(ratios[0].violations.scenarios == 2);
  BOOST_TEST(ratios[0].violations.undefined == 1);
  BOOST_TEST(*ratios[0].e2e_p99.mean == 3.0);  // (2 + 4 + 3) / 3
  BOOST_TEST(*ratios[1].violations.mean == 2.0 / 3);  // (0 + 1 + 1) / 3
  BOOST_TEST(ratios[1].violations.undefined == 0);

  auto only_undefined = experiment({"DL-FH"}, {"synergai", "rr"}, 1);
  auto r = ratios_to_reference(only_undefined, aggregate_runs(only_undefined, runs));
  BOOST_TEST(!r[0].violations.mean.has_value());
  auto md = summary_markdown(only_undefined, "t", aggregate_runs(only_undefined, runs));
  BOOST_TEST(md.find("| RR | n/a (1 with SynergAI at 0) |") != std::string::npos, md);
  BOOST_TEST(md.find("inf") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_markdown_has_a_table_per_scenario_and_the_ratio_table) {
  auto x = experiment({"DL-FL", "DH-FH"}, {"synergai", "slo-mael"}, 1);
  std::vector<RunOutcome> runs{run("DL-FL", "synergai", 1, 1, 10, 0.5, 5), run("DL-FL", "slo-mael", 1, 2, 20),
                               run("DH-FH", "synergai", 1, 2, 10), run("DH-FH", "slo-mael", 1, 8, 30)};
  auto md = summary_markdown(x, "thesis", aggregate_runs(x, runs));
  BOOST_TEST(md.find("## DL-FL") < md.find("## DH-FH"));
  BOOST_TEST(md.find("| SynergAI | 1.00 ± 0.00 | 1–1 |") != std::string::npos, md);
  BOOST_TEST(md.find("| SLO-MAEL | 3.00× | 2.50× |") != std::string::npos, md);  // (2 + 4) / 2, (2 + 3) / 2
  auto without = experiment({"DL-FL"}, {"slo-mael"}, 1);
  BOOST_TEST(summary_markdown(without, "thesis", aggregate_runs(without, runs)).find("not among") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_html_report_escapes_text_and_keeps_the_tables) {
  auto html = markdown_to_html("# Experiment <x>\n\nTestbed `a&b`; more\ntext.\n\n| policy | violations |\n|---|---:|\n"
                               "| SynergAI | 1.00 ± 0.50 |\n\n## DL-FL\n");
  BOOST_TEST(html.find("<h1>Experiment &lt;x&gt;</h1>") != std::string::npos, html);
  BOOST_TEST(html.find("<p>Testbed <code>a&amp;b</code>; more text.</p>") != std::string::npos, html);
  BOOST_TEST(html.find("<th>policy</th><th class=\"num\">violations</th>") != std::string::npos, html);
  BOOST_TEST(html.find("<td>SynergAI</td><td class=\"num\">1.00 ± 0.50</td>") != std::string::npos, html);
  BOOST_TEST(html.find("<h2 id=\"dl-fl\">DL-FL</h2>") != std::string::npos, html);

  // Two gnuplot files on one page: their ids and references get a prefix each, whole names only.
  auto svg = inline_svg("<?xml version=\"1.0\"?>\n<svg viewBox='0 0 1 1'><path id='gpPt1'/><path id='gpPt10'/>"
                        "<use xlink:href='#gpPt1'/><use xlink:href='#gpPt10'/><rect fill=\"url(#gpPat1)\"/>"
                        "<pattern id=\"gpPat1\"/></svg>",
                        "f2-");
  BOOST_TEST(svg.rfind("<svg", 0) == 0u);
  BOOST_TEST(svg.find("id='f2-gpPt1'") != std::string::npos, svg);
  BOOST_TEST(svg.find("href='#f2-gpPt1'") != std::string::npos, svg);
  BOOST_TEST(svg.find("href='#f2-gpPt10'") != std::string::npos, svg);
  BOOST_TEST(svg.find("url(#f2-gpPat1)") != std::string::npos, svg);
  BOOST_TEST(svg.find("id=\"f2-gpPat1\"") != std::string::npos, svg);
  BOOST_TEST(svg.find("'#gpPt") == std::string::npos, svg);

  auto x = experiment({"DL-FL"}, {"synergai", "rr"}, 2);
  std::vector<RunOutcome> runs{run("DL-FL", "synergai", 1, 1, 10), run("DL-FL", "synergai", 2, 3, 12),
                               run("DL-FL", "rr", 1, 4, 20), run("DL-FL", "rr", 2, 6, 22)};
  auto aggregates = aggregate_runs(x, runs);
  auto md = summary_markdown(x, "unit", aggregates);
  auto page = report_html(x, "unit", aggregates, md, {});
  BOOST_TEST(page.find("data-scenario=\"DL-FL\"") != std::string::npos);
  BOOST_TEST(page.find(">2<title>") == std::string::npos);
  BOOST_TEST(page.find("<title>SynergAI: 2</title>") != std::string::npos, "SynergAI's mean violations, 2, drawn");
  BOOST_TEST(page.find("<title>RR: 5</title>") != std::string::npos);
  BOOST_TEST(page.find("Figures") == std::string::npos);  // no gnuplot figures given
}

BOOST_AUTO_TEST_CASE(figure_data_follow_the_policies) {
  auto x = experiment({"DL-FL"}, {"synergai", "slo-mael"}, 1);
  std::vector<RunOutcome> runs{run("DL-FL", "synergai", 1, 1, 10), run("DL-FL", "slo-mael", 1, 2, 20)};
  auto files = figure_files(x, runs, aggregate_runs(x, runs));
  BOOST_TEST(files.count("figures.gp") == 1u);
  BOOST_TEST(files.count("DL-FL.policies.dat") == 1u);
  BOOST_TEST(files.count("synergai-vs-slo-mael.dat") == 1u);
  BOOST_TEST(files.at("DL-FL.policies.dat").find("1 \"SLO-MAEL\" 2.000000") != std::string::npos);
  BOOST_TEST(files.at("figures.gp").find("call 'scenario.gp' 'DL-FL' 'png'") != std::string::npos);
  auto names = figure_names(x);
  BOOST_TEST((names == std::vector<std::string>{"DL-FL.png", "DL-FL.svg", "synergai-vs-slo-mael.png",
                                                "synergai-vs-slo-mael.svg", "energy.png", "energy.svg"}));
  auto no_versus = experiment({"DL-FL"}, {"synergai"}, 1);
  BOOST_TEST(figure_files(no_versus, runs, aggregate_runs(no_versus, runs)).count("synergai-vs-slo-mael.dat") == 0u);
}

// Energy over the seeds: the known joules per run, per known job over all
// runs, the unknown jobs per run; "n/a" and null, never 0, where no job had a
// known cap; a total that leaves jobs out is marked.
BOOST_AUTO_TEST_CASE(energy_is_aggregated_with_its_unknown_jobs_apart) {
  auto x = experiment({"DL-FL"}, {"synergai", "synergai-energy", "rr"}, 2);
  auto with = [](RunOutcome r, double joules, std::size_t known, std::size_t unknown) {
    r.energy = RunEnergy{joules, known, unknown, 10 - known - unknown};
    return r;
  };
  std::vector<RunOutcome> runs{with(run("DL-FL", "synergai", 1, 1, 10), 3000, 2, 8),
                               with(run("DL-FL", "synergai", 2, 1, 10), 5000, 3, 7),
                               with(run("DL-FL", "synergai-energy", 1, 2, 10), 6000, 10, 0),
                               with(run("DL-FL", "synergai-energy", 2, 0, 10), 8000, 10, 0),
                               with(run("DL-FL", "rr", 1, 3, 10), 0, 0, 10),
                               with(run("DL-FL", "rr", 2, 3, 10), 0, 0, 9)};
  auto a = aggregate_runs(x, runs);
  BOOST_TEST_REQUIRE(a.size() == 3u);
  auto tol = boost::test_tools::tolerance(1e-9);
  BOOST_TEST(a[0].energy_known_j_mean == 4000.0, tol);
  BOOST_TEST(a[0].energy_known_j_sd == std::sqrt(2e6), tol);
  BOOST_TEST(*a[0].energy_per_known_job_j == 8000.0 / 5, tol);  // over the jobs, not a mean of run means
  BOOST_TEST(a[0].energy_unknown_jobs_mean == 7.5, tol);
  BOOST_TEST(a[0].energy_known_jobs == 5u);
  BOOST_TEST(a[1].energy_unknown_jobs == 0u);
  BOOST_TEST(!a[2].energy_per_known_job_j.has_value());
  BOOST_TEST(a[2].energy_unknown_jobs == 19u);

  auto md = summary_markdown(x, "tb", a);
  BOOST_TEST(md.find("| DL-FL | SynergAI | 1.00 | 4.0 ± 1.4 † | 1.60 | 2.50 | 7.50 |") != std::string::npos, md);
  BOOST_TEST(md.find("| DL-FL | SynergAI-energy | 1.00 | 7.0 ± 1.4 | 0.70 | 10.00 | 0.00 |") != std::string::npos, md);
  BOOST_TEST(md.find("| DL-FL | RR | 3.00 | n/a | n/a | 0.00 | 9.50 |") != std::string::npos, md);

  auto j = summary_json(x, "tb", runs, a);
  BOOST_TEST(j.at("energy_model").get<std::string>().find("upper bound") != std::string::npos);
  BOOST_TEST(j.at("runs")[0].at("energy").at("joules_known").get<double>() == 3000.0, tol);
  BOOST_TEST(j.at("runs")[4].at("energy").at("joules_per_known_job").is_null());
  BOOST_TEST(j.at("aggregate")[0].at("energy").at("joules_per_known_job").get<double>() == 1600.0, tol);
  BOOST_TEST(j.at("aggregate")[2].at("energy").at("joules_per_known_job").is_null());
  BOOST_TEST(j.at("aggregate")[2].at("energy").at("jobs_unknown").get<int>() == 19);

  auto files = figure_files(x, runs, a);
  const auto& dat = files.at("energy.dat");
  BOOST_TEST(dat.find("0 \"DL-FL\" 0 \"SynergAI\" 4.000000 1.414214 1.600000 7.500000 2.500000") != std::string::npos, dat);
  BOOST_TEST(dat.find("2 \"DL-FL\" 2 \"RR\" NaN NaN NaN 9.500000 0.000000") != std::string::npos, dat);
  BOOST_TEST(files.at("energy.tics.dat").find("1.0 \"DL-FL\"") != std::string::npos);
  BOOST_TEST(files.count("energy.gp") == 1u);
  BOOST_TEST(files.at("figures.gp").find("call 'energy.gp' 'png' '3' '2'") != std::string::npos);
  BOOST_TEST(policy_label("synergai-energy") == "SynergAI-energy");

  // `synergai run`'s line.
  BOOST_TEST(energy_text(RunEnergy{1500, 2, 3, 0}) ==
             "energy (cap x execution time, an upper bound) 1.5 kJ over 2 jobs with a known cap, 0.75 kJ each; jobs "
             "with unknown energy (no known cap) 3\n");
  BOOST_TEST(energy_text(RunEnergy{0, 0, 4, 0}).find("n/a (no job ran with a known cap); jobs with unknown energy "
                                                     "(no known cap) 4") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(progress_off_a_terminal_is_a_line_per_tenth) {
  std::FILE* f = std::tmpfile();
  BOOST_TEST_REQUIRE(f != nullptr);
  ProgressReporter progress{f, false};
  for (std::size_t i = 1; i <= 95; ++i) progress(i, 95);
  std::rewind(f);
  std::string text;
  char buf[256];
  while (std::fgets(buf, sizeof buf, f)) text += buf;
  std::fclose(f);
  BOOST_TEST(std::count(text.begin(), text.end(), '\n') == 10);
  BOOST_TEST(text.find("runs 95/95 (100%)") != std::string::npos, text);
  BOOST_TEST(text.find("\r") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(progress_on_a_terminal_rewrites_one_line) {
  std::FILE* f = std::tmpfile();
  BOOST_TEST_REQUIRE(f != nullptr);
  ProgressReporter progress{f, true};
  for (std::size_t i = 1; i <= 5; ++i) progress(i, 5);
  std::rewind(f);
  std::string text;
  char buf[1024];
  while (std::fgets(buf, sizeof buf, f)) text += buf;
  std::fclose(f);
  BOOST_TEST(std::count(text.begin(), text.end(), '\r') == 5);
  BOOST_TEST(std::count(text.begin(), text.end(), '\n') == 1);
  BOOST_TEST(text.find("runs 5/5 100%") != std::string::npos, text);
  BOOST_TEST(text.find("ETA") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_distribution_over_the_seeds_has_quartiles_and_shares_at_or_below) {
  auto x = experiment({"DL-FL"}, {"synergai"}, 5);
  std::vector<RunOutcome> runs;
  std::uint64_t seed = 0;
  for (std::size_t v : {3, 1, 4, 1, 5}) runs.push_back(run("DL-FL", "synergai", ++seed, v, 10));
  auto a = aggregate_runs(x, runs);
  BOOST_TEST_REQUIRE(a.size() == 1u);
  // Sorted 1 1 3 4 5: ranks at 25% = 1, 50% = 3, 75% = 4 (linear interpolation lands on ranks here).
  BOOST_TEST(a[0].violations_q1 == 1.0);
  BOOST_TEST(a[0].violations_median == 3.0);
  BOOST_TEST(a[0].violations_q3 == 4.0);
  BOOST_TEST(a[0].violations_at_or_below == (std::vector<double>{0, 0.4, 0.4, 0.6, 0.8, 1.0}),
             boost::test_tools::per_element());
  // Four values: the quartiles interpolate (numpy's default).
  auto b = aggregate_runs(experiment({"DL-FL"}, {"synergai"}, 4),
                          std::vector<RunOutcome>(runs.begin(), runs.begin() + 4));
  BOOST_TEST(b[0].violations_q1 == 1.0);      // 1 1 3 4: rank 0.75 between 1 and 1
  BOOST_TEST(b[0].violations_median == 2.0);  // between 1 and 3
  BOOST_TEST(b[0].violations_q3 == 3.25);     // rank 2.25: 3 + 0.25 x (4 - 3)
  auto md = summary_markdown(x, "unit", a);
  BOOST_TEST(md.find("| SynergAI | 2.80 ± 1.79 | 1.0 / 3.0 / 4.0 |") != std::string::npos, md);
  BOOST_TEST(md.find("| SynergAI | 0% | 40% | 40% | 60% | 80% | 100% |") != std::string::npos, md);
}

BOOST_AUTO_TEST_CASE(regret_and_ratio_are_taken_against_the_optimum_of_the_same_seed) {
  auto x = experiment({"DL-FL"}, {"synergai", "rr"}, 2);
  std::vector<RunOutcome> runs{run("DL-FL", "synergai", 1, 3, 10), run("DL-FL", "synergai", 2, 5, 10),
                               run("DL-FL", "rr", 1, 6, 10), run("DL-FL", "rr", 2, 6, 10)};
  std::vector<OptimumOutcome> optima(2);
  optima[0].scenario = optima[1].scenario = "DL-FL";
  optima[0].seed = 1;
  optima[0].result.violations = optima[0].result.violations_bound = 2;
  optima[0].result.proven = true;
  optima[1].seed = 2;
  optima[1].result.violations = optima[1].result.violations_bound = 2;
  optima[1].result.proven = true;
  auto a = aggregate_runs(x, runs, &optima);
  BOOST_TEST_REQUIRE(a.size() == 2u);
  BOOST_TEST(a[0].has_optimum);
  BOOST_TEST(a[0].regret_mean == 2.0);  // 3 - 2, 5 - 2
  BOOST_TEST(*a[0].ratio_to_optimum == 2.0);  // 4 / 2
  BOOST_TEST(a[1].regret_mean == 4.0);
  BOOST_TEST(aggregate_runs(x, runs)[0].has_optimum == false);
  auto md = summary_markdown(x, "unit", a, &optima);
  BOOST_TEST(md.find("| optimum (2 of 2 proven) | 2.00 ± 0.00 |") != std::string::npos, md);
  BOOST_TEST(md.find("| DL-FL | 2.00 | 2/2 | +2.00 | +4.00 |") != std::string::npos, md);
}

BOOST_AUTO_TEST_SUITE_END()

// ---- a dictionary's characterization figures --------------------------------

BOOST_AUTO_TEST_CASE(characterization_figures_have_a_data_file_per_panel_and_a_call_per_figure) {
  profiling::Characterization c;
  profiling::NodeCharacterization cpu{"cpu", {}, {}, {}};
  cpu.scaling.push_back({1, 1, 1, 1, {{"a", 1.0}, {"b", 1.0}}, 1.0});
  cpu.scaling.push_back({3, 2.5, 2, 3, {{"a", 3.0}, {"b", 2.0}}, std::nullopt});
  profiling::NodeCharacterization jetson{"jetson", {}, {}, {}};
  jetson.modes.push_back({7, 0.5, {{"a", 0.5}}});
  profiling::NodeCharacterization empty{"empty", {}, {}, {}};  // one thread count: nothing to draw
  empty.scaling.push_back({1, 1, 1, 1, {{"a", 1.0}}, 1.0});
  c.nodes = {cpu, jetson, empty};

  auto files = characterization_files(c);
  BOOST_TEST(files.count("characterization.gp") == 1u);
  BOOST_TEST(files.at("cpu.threads.dat").find("3 2.500000 NaN\n") != std::string::npos, files.at("cpu.threads.dat"));
  BOOST_TEST(files.at("cpu.threads.dat").find("# b: threads speedup\n1 1.000000\n3 2.000000\n") != std::string::npos);
  BOOST_TEST(files.at("jetson.modes.dat").find("0 7 0.500000\n") != std::string::npos);
  BOOST_TEST(files.count("empty.threads.dat") + files.count("empty.modes.dat") == 0u);
  const auto& driver = files.at("figures.gp");
  BOOST_TEST(driver.find("call 'characterization.gp' 'cpu' 'png' 'a b' '1' '0'") != std::string::npos, driver);
  BOOST_TEST(driver.find("call 'characterization.gp' 'jetson' 'svg' '' '0' '1'") != std::string::npos, driver);
  BOOST_TEST(characterization_figures(c) == (std::vector<std::string>{"cpu.png", "cpu.svg", "jetson.png", "jetson.svg"}),
             boost::test_tools::per_element());
}
