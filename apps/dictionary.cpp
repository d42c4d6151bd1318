// `synergai dictionary build --testbed T --out FILE`: the offline phase on the
// testbed's performance model. Writes the configuration dictionary (every
// engine x node x configuration point plus c* per engine and node) in its
// canonical form, so the same model always gives the same bytes.
#include "apps/cli.hpp"
#include "config/dictionary.hpp"
#include "config/testbed.hpp"
#include "profiling/performance_model.hpp"

#include <fmt/format.h>

namespace synergai::app {
namespace {

int build(const std::string& testbed_file, const std::string& out) {
  auto tb = config::load_testbed(testbed_file);
  auto model = profiling::load_testbed_model(tb);
  auto d = profiling::build_dictionary(tb, model);
  config::save_dictionary(d, out);
  fmt::print("{}: dictionary for testbed \"{}\" from {}: {} points, {} optima ({} queries per profiling run)\n", out,
             tb.name, tb.performance_model.string(), d.points().size(), d.optimum_count(), model.profiling_queries);
  return 0;
}

}  // namespace

void add_dictionary_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("dictionary", "Configuration dictionaries");
  cmd->require_subcommand(1);
  auto* b = cmd->add_subcommand("build", "Build a testbed's dictionary from its performance model");
  static std::string testbed;
  static std::string out;
  b->add_option("--testbed", testbed, "Testbed YAML naming a performance_model")->required()->check(CLI::ExistingFile);
  b->add_option("--out", out, "Dictionary JSON to write")->required();
  set_action(b, [] { return build(testbed, out); });
}

}  // namespace synergai::app
