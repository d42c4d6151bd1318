// `synergai profile ...`: the offline phase's tools (docs/profiling.md).
//   import-modes --nvpmodel FILE   a Jetson board's power modes as testbed YAML (every mode;
//                                  budgets the names do not state are unknown)
//   parse FILE...                  what MLPerf LoadGen logs contain, as JSON
//   plan --testbed T ...           the runs of a profiling campaign
//   run --testbed T --out DIR ...  execute (or --resume) a campaign -> DIR/dictionary.json
//                                  (executor simulated, local: the engine on this machine, or
//                                  kube: one Kubernetes Job per run)
//   report --dictionary D          the thesis-style characterization of a dictionary
//                                  (--figures DIR: drawn per node)
#include "apps/cli.hpp"
#include "config/testbed.hpp"
#include "experiments/characterization_figures.hpp"
#include "experiments/plot.hpp"
#include "kube/kubeconfig.hpp"
#include "executors/kube/profiling_executor.hpp"
#include "profiling/campaign.hpp"
#include "profiling/characterization.hpp"
#include "profiling/performance_model.hpp"
#include "profiling/loadgen_log.hpp"
#include "executors/local/local_engine.hpp"
#include "profiling/nvpmodel.hpp"
#include "support/errors.hpp"
#include "support/files.hpp"
#include "support/log.hpp"
#include "support/random.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <unistd.h>

namespace synergai::app {
namespace {

struct ImportArgs {
  std::string file;
  bool json = false;
  int unlimited_cpu_mhz = 0;
  std::vector<std::string> budgets;
};

int import_modes(const ImportArgs& a) {
  profiling::ImportOptions options;
  if (a.unlimited_cpu_mhz > 0) options.unlimited_cpu_mhz = a.unlimited_cpu_mhz;
  for (const auto& b : a.budgets) {
    auto eq = b.find('=');
    int id = -1;
    auto idtext = b.substr(0, eq == std::string::npos ? 0 : eq);
    auto [p, ec] = std::from_chars(idtext.data(), idtext.data() + idtext.size(), id);
    if (eq == std::string::npos || ec != std::errc{} || p != idtext.data() + idtext.size())
      throw InputError(fmt::format("--budget {}: expected MODE_ID=WATTS or MODE_ID=unlimited", b));
    auto value = b.substr(eq + 1);
    if (value == "unlimited") {
      options.budgets[id] = std::nullopt;
      continue;
    }
    char* end = nullptr;
    double w = std::strtod(value.c_str(), &end);
    if (value.empty() || *end != '\0' || !(w > 0))
      throw InputError(fmt::format("--budget {}: the budget must be a positive number of watts or unlimited", b));
    options.budgets[id] = w;
  }
  auto model = profiling::load_nvpmodel(a.file);
  // Rendered first: a --budget naming no mode of the file stops before any warning.
  auto text = a.json ? profiling::to_json(model, options).dump(2) + "\n" : profiling::testbed_yaml(model, options);
  for (const auto& w : profiling::import_warnings(model, options)) log::warn("profile", "import", {{"warning", w}});
  fmt::print("{}", text);
  return 0;
}

int parse_logs(const std::vector<std::string>& files) {
  auto out = nlohmann::json::array();
  for (const auto& f : files) out.push_back(profiling::to_json(profiling::load_loadgen_log(f)));
  fmt::print("{}\n", out.dump(2));
  return 0;
}

struct PlanArgs {
  std::string testbed;
  std::vector<std::string> engines, nodes, threads;
  int repeats = 3;
};

profiling::PlanOptions plan_options(const PlanArgs& a) {
  profiling::PlanOptions o;
  o.engines = a.engines;
  o.nodes = a.nodes;
  o.repeats = a.repeats;
  for (const auto& t : a.threads) {
    auto eq = t.find('=');
    if (eq == std::string::npos || eq == 0) throw InputError(fmt::format("--threads {}: expected NODE=auto or NODE=1,2,4", t));
    auto& levels = o.threads[t.substr(0, eq)];
    auto list = t.substr(eq + 1);
    if (list == "auto") continue;
    std::size_t pos = 0;
    while (pos <= list.size()) {
      auto comma = list.find(',', pos);
      if (comma == std::string::npos) comma = list.size();
      auto item = list.substr(pos, comma - pos);
      int v = 0;
      auto [ptr, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
      if (ec != std::errc{} || ptr != item.data() + item.size() || v < 1)
        throw InputError(fmt::format("--threads {}: \"{}\" is not a thread count", t, item));
      levels.push_back(v);
      pos = comma + 1;
    }
  }
  return o;
}

std::optional<profiling::PerformanceModel> model_of(const config::Testbed& tb) {
  if (tb.performance_model.empty()) return std::nullopt;
  return profiling::load_testbed_model(tb);
}

int plan_command(const PlanArgs& a) {
  auto tb = config::load_testbed(a.testbed);
  auto model = model_of(tb);
  auto plan = profiling::make_plan(tb, model ? &*model : nullptr, plan_options(a));
  double total = 0;
  bool known = true;
  for (const auto& r : plan) {
    fmt::print("{:<48} {:>10}\n", r.id, r.estimate_s ? fmt::format("{:.1f} s", *r.estimate_s) : "?");
    if (r.estimate_s) total += *r.estimate_s;
    else known = false;
  }
  fmt::print("{} runs; estimated duration {}\n", plan.size(),
             known ? fmt::format("{:.1f} h ({:.0f} s, from the testbed's performance model)", total / 3600, total)
                   : std::string{"unknown (the testbed names no performance model)"});
  return 0;
}

struct RunArgs {
  PlanArgs plan;
  std::string executor = "simulated";
  std::string out;
  bool resume = false;
  int retries = 2;
  double tie_tolerance = 0.01;
  std::uint64_t seed = 1;
  double noise = 0.0025;
  double failure_rate = 0;
  int delay_ms = 0;
  // local
  std::string models;
  int queries = 20;
  int warmup = 2;
  double run_timeout_s = 600;
  bool queries_given = false;
  // kube
  std::string kubeconfig, context, namespace_name, campaign;
  std::vector<std::string> images;
  double job_timeout_s = 3600;
  double mode_timeout_s = 300;
  int ttl = 86400;
  bool keep_jobs = false;
};

// kube: `--image IMAGE` for every engine, `--image ENGINE=IMAGE` for one.
void override_images(config::Testbed& tb, const std::vector<std::string>& images) {
  for (const auto& item : images) {
    auto eq = item.find('=');
    if (eq == std::string::npos) {
      for (auto& e : tb.engines) e.container.image = item;
      continue;
    }
    auto engine = item.substr(0, eq), image = item.substr(eq + 1);
    auto it = std::find_if(tb.engines.begin(), tb.engines.end(), [&](const auto& e) { return e.id == engine; });
    if (it == tb.engines.end() || image.empty())
      throw InputError(fmt::format("--image {}: expected IMAGE or ENGINE=IMAGE with an engine of testbed {}", item, tb.name));
    it->container.image = image;
  }
}

// kube: the campaign's name in Job names and labels. The same --out gives the
// same name, so that --resume finds the Jobs the interrupted run left.
std::string default_campaign_name(const std::string& out) {
  auto path = std::filesystem::weakly_canonical(std::filesystem::absolute(out));
  std::string base;
  for (char c : path.filename().string()) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u)) base += static_cast<char>(std::tolower(u));
    else if (!base.empty() && base.back() != '-') base += '-';
    if (base.size() >= 40) break;
  }
  while (!base.empty() && base.back() == '-') base.pop_back();
  return fmt::format("{}{}{:08x}", base, base.empty() ? "" : "-", derive_seed(0, path.string()) & 0xffffffffu);
}

std::unique_ptr<profiling::Executor> kube_executor(const RunArgs& a, const config::Testbed& tb) {
  kube::CredentialSource src;
  src.explicit_path = a.kubeconfig;
  src.context = a.context;
  auto credentials = kube::resolve_credentials(src);
  if (!a.namespace_name.empty()) credentials.namespace_name = a.namespace_name;
  kube::ProfilingExecutorOptions o;
  o.campaign = a.campaign.empty() ? default_campaign_name(a.out) : a.campaign;
  o.queries = a.queries_given ? a.queries : 1024;
  o.namespace_name = credentials.namespace_name;
  if (a.ttl >= 0) o.ttl_seconds_after_finished = a.ttl;
  else o.ttl_seconds_after_finished.reset();
  o.keep_jobs = a.keep_jobs;
  o.job_timeout = std::chrono::milliseconds{static_cast<long long>(a.job_timeout_s * 1000)};
  o.power_mode.timeout = std::chrono::milliseconds{static_cast<long long>(a.mode_timeout_s * 1000)};
  log::info("profile", "kube executor",
            {{"server", credentials.server}, {"credentials", credentials.origin},
             {"namespace", credentials.namespace_name}, {"campaign", o.campaign}, {"queries_per_run", o.queries}});
  return std::make_unique<kube::ProfilingExecutor>(std::make_shared<kube::Client>(credentials), tb, std::move(o));
}

// The executor that performs the plan's runs, checked before the first run.
std::unique_ptr<profiling::Executor> make_executor(const RunArgs& a, const config::Testbed& tb,
                                                   const std::optional<profiling::PerformanceModel>& model,
                                                   const std::vector<profiling::PlannedRun>& plan) {
  if (a.executor == "simulated") {
    if (!model) throw InputError(fmt::format("{}: the simulated executor needs the testbed's performance_model", a.plan.testbed));
    return std::make_unique<profiling::SimulatedExecutor>(tb, *model,
                                                          profiling::SimulatedOptions{a.seed, a.noise, a.failure_rate, a.delay_ms});
  }
  if (a.executor == "local") {
    profiling::LocalOptions o;
    o.engine = {self_executable(), a.models.empty() ? default_models_dir() : std::filesystem::path{a.models}, a.warmup};
    o.queries = a.queries;
    o.timeout = Seconds{a.run_timeout_s};
    return std::make_unique<profiling::LocalExecutor>(tb, plan, std::move(o));
  }
  if (a.executor == "kube") return kube_executor(a, tb);
  throw InputError(fmt::format("--executor {}: expected simulated, local or kube", a.executor));
}

int run_command(const RunArgs& a) {
  auto tb = config::load_testbed(a.plan.testbed);
  if (!a.images.empty()) {
    if (a.executor != "kube") throw InputError("--image applies to --executor kube only");
    override_images(tb, a.images);
  }
  auto model = model_of(tb);
  auto plan = profiling::make_plan(tb, model ? &*model : nullptr, plan_options(a.plan));
  auto executor = make_executor(a, tb, model, plan);
  profiling::CampaignOptions o;
  o.out = a.out;
  o.resume = a.resume;
  o.retries = a.retries;
  o.tie_tolerance = a.tie_tolerance;
  bool tty = ::isatty(STDERR_FILENO) != 0;
  o.progress = [tty](const std::string& line, bool final) {
    if (tty) std::fprintf(stderr, "\r\033[K%s%s", line.c_str(), final ? "\n" : "");
    else std::fprintf(stderr, "%s\n", line.c_str());
    std::fflush(stderr);
  };
  auto r = profiling::run_campaign(tb, plan, *executor, o);
  fmt::print("{}: {} runs planned, {} already done, {} attempts now, {} completed, {} failed\n", a.out, r.planned,
             r.skipped, r.executed, r.completed, r.failed.size());
  fmt::print("{}/dictionary.json: {} points, {} optima\n", a.out, r.dictionary.points().size(),
             r.dictionary.optimum_count());
  if (!r.failed.empty()) fmt::print("\nfailed runs:\n{}", profiling::failure_table(r.failed));
  return r.failed.empty() ? 0 : 1;
}

int report_command(const std::string& dictionary, const std::string& testbed_file, const std::string& figures) {
  std::optional<config::Testbed> tb;
  if (!testbed_file.empty()) tb = config::load_testbed(testbed_file);
  auto c = profiling::characterize(config::load_dictionary(dictionary, tb ? &*tb : nullptr));
  fmt::print("{}", profiling::render(c, dictionary));
  if (figures.empty()) return 0;
  std::filesystem::path dir{figures};
  for (const auto& [name, content] : experiments::characterization_files(c)) write_file_atomically(dir / name, content);
  auto plot = experiments::render_figures(dir);
  if (plot.status != experiments::PlotResult::Status::drawn) {
    log::warn("profile", "figures not drawn", {{"reason", plot.message}});
    return plot.status == experiments::PlotResult::Status::missing ? 0 : 1;
  }
  fmt::print("\nfigures in {}:", dir.string());
  for (const auto& f : experiments::characterization_figures(c)) fmt::print(" {}", f);
  fmt::print("\n");
  return 0;
}

}  // namespace

void add_profile_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("profile", "The offline phase: power-mode import, LoadGen logs, profiling campaigns");
  cmd->require_subcommand(1);

  static ImportArgs import_args;
  auto* im = cmd->add_subcommand("import-modes", "Print a Jetson board's power modes (from its nvpmodel.conf) as testbed YAML");
  im->add_option("--nvpmodel", import_args.file, "The board's /etc/nvpmodel.conf")->required()->check(CLI::ExistingFile);
  im->add_flag("--json", import_args.json, "Print every limit as JSON instead");
  im->add_option("--unlimited-cpu-mhz", import_args.unlimited_cpu_mhz,
                 "max_mhz for modes whose CPU clocks are uncapped (default: the highest cap of any mode)");
  im->add_option("--budget", import_args.budgets,
                 "MODE_ID=WATTS|unlimited: a mode's power budget, over what its name states (a budget that neither "
                 "gives is imported as unknown, with a warning)");
  set_action(im, [] { return import_modes(import_args); });

  static std::vector<std::string> parse_files;
  auto* pa = cmd->add_subcommand("parse", "Print what MLPerf LoadGen summary/detail logs contain, as JSON");
  pa->add_option("files", parse_files, "mlperf_log_summary.txt / mlperf_log_detail.txt files")
      ->required()
      ->check(CLI::ExistingFile);
  set_action(pa, [] { return parse_logs(parse_files); });

  auto plan_flags = [](CLI::App* sub, PlanArgs& a) {
    sub->add_option("--testbed", a.testbed, "Testbed YAML")->required()->check(CLI::ExistingFile);
    sub->add_option("--engines", a.engines, "Only these engines (default: all)")->delimiter(',');
    sub->add_option("--nodes", a.nodes, "Only these nodes (default: all)")->delimiter(',');
    sub->add_option("--repeats", a.repeats, "Runs per configuration")->capture_default_str();
    sub->add_option("--threads", a.threads,
                    "NODE=auto|T1,T2,..: thread levels for a node (auto: powers of two up to its CPUs, plus its CPUs)");
  };
  static PlanArgs plan_args;
  auto* pl = cmd->add_subcommand("plan", "List a profiling campaign's runs with their estimated duration");
  plan_flags(pl, plan_args);
  set_action(pl, [] { return plan_command(plan_args); });

  static RunArgs run_args;
  auto* ru = cmd->add_subcommand("run", "Execute a profiling campaign and write its dictionary");
  plan_flags(ru, run_args.plan);
  ru->add_option("--executor", run_args.executor,
                 "simulated (the testbed's model) | local (the engine on this machine) | kube (one Kubernetes Job per run)")
      ->capture_default_str()
      ->check(CLI::IsMember({"simulated", "local", "kube"}));
  ru->add_option("--out", run_args.out, "Campaign folder (journal, logs, dictionary.json)")->required();
  ru->add_flag("--resume", run_args.resume, "Continue the campaign in --out");
  ru->add_option("--retries", run_args.retries, "Extra attempts after a failed run")->capture_default_str()->check(CLI::Range(0, 100));
  ru->add_option("--tie-tolerance", run_args.tie_tolerance, "Relative QPS difference treated as a tie when choosing c*")
      ->capture_default_str()->check(CLI::Range(0.0, 0.5));
  ru->add_option("--seed", run_args.seed, "simulated: noise seed")->capture_default_str();
  ru->add_option("--noise", run_args.noise, "simulated: sigma of the per-run log-normal noise")->capture_default_str()->check(CLI::Range(0.0, 1.0));
  ru->add_option("--inject-failures", run_args.failure_rate, "simulated: probability that an attempt fails")
      ->capture_default_str()->check(CLI::Range(0.0, 1.0));
  ru->add_option("--delay-ms", run_args.delay_ms, "simulated: wall-clock milliseconds per run")->capture_default_str()->check(CLI::Range(0, 600000));
  ru->add_option("--models", run_args.models, "local: folder of relative model files (default: SYNERGAI_MODELS, else the build tree's models/)");
  auto* queries = ru->add_option("--queries", run_args.queries, "local, kube: measured queries per run (default: local 20, kube 1024)")
                      ->check(CLI::Range(1, 1000000));
  ru->add_option("--warmup", run_args.warmup, "local: untimed warm-up queries per run")->capture_default_str()->check(CLI::Range(0, 1000000));
  ru->add_option("--run-timeout", run_args.run_timeout_s, "local: seconds one run may take before it is killed")
      ->capture_default_str()->check(CLI::PositiveNumber);
  ru->add_option("--kubeconfig", run_args.kubeconfig, "kube: kubeconfig file (default: $KUBECONFIG, ~/.kube/config, in-cluster)");
  ru->add_option("--context", run_args.context, "kube: kubeconfig context (default: current-context)");
  ru->add_option("--namespace", run_args.namespace_name, "kube: namespace of the Jobs (default: the context's)");
  ru->add_option("--image", run_args.images,
                 "kube: IMAGE for every engine, or ENGINE=IMAGE for one, instead of the testbed's container image");
  ru->add_option("--campaign", run_args.campaign,
                 "kube: campaign name in Job names and the synergai.io/campaign label (default: from --out)");
  ru->add_option("--job-timeout", run_args.job_timeout_s, "kube: seconds from a Job's creation to its end before the attempt fails")
      ->capture_default_str()->check(CLI::PositiveNumber);
  ru->add_option("--mode-timeout", run_args.mode_timeout_s, "kube: seconds to wait for a node to report a requested power mode")
      ->capture_default_str()->check(CLI::PositiveNumber);
  ru->add_option("--ttl", run_args.ttl, "kube: ttlSecondsAfterFinished of the Jobs, for Jobs an interrupted campaign leaves (negative: none)")
      ->capture_default_str();
  ru->add_flag("--keep-jobs", run_args.keep_jobs, "kube: keep each Job once its outcome is in the journal (default: delete it)");
  set_action(ru, [queries] {
    run_args.queries_given = queries->count() > 0;
    return run_command(run_args);
  });

  static std::string report_dictionary, report_testbed, report_figures;
  auto* re = cmd->add_subcommand("report", "Thread speed-ups, power-mode QPS and best engines of a dictionary");
  re->add_option("--dictionary", report_dictionary, "Dictionary JSON")->required()->check(CLI::ExistingFile);
  re->add_option("--testbed", report_testbed, "Testbed YAML to check it against")->check(CLI::ExistingFile);
  re->add_option("--figures", report_figures, "Draw one figure per node (PNG and SVG, gnuplot) into this folder");
  set_action(re, [] { return report_command(report_dictionary, report_testbed, report_figures); });
}

}  // namespace synergai::app
