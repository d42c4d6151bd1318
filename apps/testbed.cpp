// `synergai testbed report --testbed T [--dictionary D]`: every published
// figure of the thesis testbed next to the dictionary's value (by default the
// dictionary built from the testbed's performance model), its relative error
// and tolerance; then the QoS targets (Table 7.1) and the FL/FH mean
// inter-arrival times. Exit 0 when every checked figure is within tolerance,
// 3 when any is not (1 and 2 keep their usual meanings).
#include "apps/cli.hpp"
#include "config/dictionary.hpp"
#include "config/testbed.hpp"
#include "profiling/performance_model.hpp"
#include "profiling/testbed_report.hpp"

#include <fmt/format.h>

namespace synergai::app {
namespace {

constexpr int exit_out_of_tolerance = 3;

int report(const std::string& testbed_file, const std::string& dictionary_file) {
  auto tb = config::load_testbed(testbed_file);
  config::Dictionary d;
  std::string source;
  if (dictionary_file.empty()) {
    d = profiling::build_dictionary(tb, profiling::load_testbed_model(tb));
    source = fmt::format("performance model {}", tb.performance_model.string());
  } else {
    d = config::load_dictionary(dictionary_file, &tb);
    source = fmt::format("dictionary {}", dictionary_file);
  }
  auto r = profiling::thesis_report(tb, d);
  fmt::print("# Testbed \"{}\": published figures vs the {}\n", tb.name, source);
  fmt::print("{}", profiling::render(r));
  return r.ok() ? 0 : exit_out_of_tolerance;
}

}  // namespace

void add_testbed_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("testbed", "Testbed models");
  cmd->require_subcommand(1);
  auto* r = cmd->add_subcommand("report", "Compare a testbed's dictionary with the thesis's published figures "
                                          "(exit 3 if any is outside its tolerance)");
  static std::string testbed;
  static std::string dictionary;
  r->add_option("--testbed", testbed, "Testbed YAML")->required()->check(CLI::ExistingFile);
  r->add_option("--dictionary", dictionary, "Dictionary to check (default: built from the testbed's model)")
      ->check(CLI::ExistingFile);
  set_action(r, [] { return report(testbed, dictionary); });
}

}  // namespace synergai::app
