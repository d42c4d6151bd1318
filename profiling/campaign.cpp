#include "profiling/campaign.hpp"

#include "profiling/loadgen_log.hpp"
#include "support/errors.hpp"
#include "support/files.hpp"
#include "support/random.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <fcntl.h>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <thread>
#include <unistd.h>

namespace synergai::profiling {
namespace {

constexpr std::string_view journal_format = "synergai.profile-journal/1";
// The simulated container starts at this (virtual) epoch time; LoadGen's first
// log entry comes pre-processing seconds later.
constexpr double simulated_container_start_ms = 1.7e12;

std::string run_id(const std::string& engine, const std::string& node, const ExecConfig& c, int repeat) {
  std::string id = fmt::format("{}/{}/t{}", engine, node, c.threads);
  if (c.mode) id += fmt::format("/m{}", *c.mode);
  return id + fmt::format("/r{}", repeat);
}

std::string folder_name(const std::string& id) {
  std::string s = id;
  std::replace(s.begin(), s.end(), '/', '_');
  return s;
}

std::string plan_digest(const std::vector<PlannedRun>& plan) {
  std::string ids;
  for (const auto& r : plan) ids += r.id + "\n";
  return fmt::format("{:016x}", derive_seed(0, ids));
}

nlohmann::json record_json(const JournalRecord& r) {
  nlohmann::json j{{"run", r.run}, {"attempt", r.attempt}, {"ok", r.outcome.ok}, {"time", r.time}};
  if (r.outcome.ok) {
    j["qps"] = r.outcome.qps;
    j["preprocessing_s"] = r.outcome.preprocessing_s;
    j["inference_s"] = r.outcome.inference_s;
    j["queries"] = r.outcome.queries;
    j["loadgen_version"] = r.outcome.loadgen_version;
  } else {
    j["failure"] = r.outcome.failure;
  }
  return j;
}

JournalRecord record_from(const nlohmann::json& j) {
  JournalRecord r;
  r.run = j.at("run").get<std::string>();
  r.attempt = j.at("attempt").get<int>();
  r.time = j.at("time").get<std::string>();
  r.outcome.ok = j.at("ok").get<bool>();
  if (r.outcome.ok) {
    r.outcome.qps = j.at("qps").get<double>();
    r.outcome.preprocessing_s = j.at("preprocessing_s").get<double>();
    r.outcome.inference_s = j.at("inference_s").get<double>();
    r.outcome.queries = j.at("queries").get<int>();
    r.outcome.loadgen_version = j.at("loadgen_version").get<std::string>();
  } else {
    r.outcome.failure = j.at("failure").get<std::string>();
  }
  return r;
}

// Appends one line and forces it to disk before returning.
class JournalWriter {
 public:
  explicit JournalWriter(const std::filesystem::path& path) : path_{path} {
    fd_ = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw RuntimeError(fmt::format("{}: cannot open the journal", path.string()));
  }
  ~JournalWriter() {
    if (fd_ >= 0) ::close(fd_);
  }
  JournalWriter(const JournalWriter&) = delete;
  JournalWriter& operator=(const JournalWriter&) = delete;

  void append(const nlohmann::json& j) {
    std::string line = j.dump() + "\n";
    const char* p = line.data();
    std::size_t left = line.size();
    while (left > 0) {
      auto n = ::write(fd_, p, left);
      if (n < 0) throw RuntimeError(fmt::format("{}: write failed", path_.string()));
      p += n;
      left -= static_cast<std::size_t>(n);
    }
    if (::fsync(fd_) != 0) throw RuntimeError(fmt::format("{}: fsync failed", path_.string()));
  }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
};

std::string format_duration(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  auto total = static_cast<long long>(std::llround(s));
  if (total >= 3600) return fmt::format("{}h{:02}m", total / 3600, (total / 60) % 60);
  if (total >= 60) return fmt::format("{}m{:02}s", total / 60, total % 60);
  return fmt::format("{}s", total);
}

std::tuple<int, double, int> frugality(const NodeSpec* node, const ExecConfig& c) {
  double budget = std::numeric_limits<double>::infinity();
  if (node && c.mode)
    if (const auto* m = node->find_mode(*c.mode); m && m->budget_w) budget = *m->budget_w;
  return {c.threads, budget, c.mode.value_or(-1)};
}

std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

std::string utc_now() {
  auto now = std::chrono::system_clock::now();
  auto t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::vector<int> default_thread_levels(int cpus) {
  std::vector<int> out;
  for (int t = 1; t < cpus; t *= 2) out.push_back(t);
  if (cpus >= 1) out.push_back(cpus);
  return out;
}

std::vector<ExecConfig> node_configurations(const NodeSpec& node, const PlanOptions& options) {
  auto it = options.threads.find(node.name);
  if (it == options.threads.end()) return node.configurations();
  std::vector<int> levels = it->second;
  bool generated = levels.empty();
  if (generated) levels = default_thread_levels(node.cpus);
  std::sort(levels.begin(), levels.end());
  levels.erase(std::unique(levels.begin(), levels.end()), levels.end());
  std::vector<ExecConfig> out;
  auto add = [&](ExecConfig c) {
    if (config::Testbed::supports(node, c)) out.push_back(c);
    else if (!generated)
      throw InputError(fmt::format("--threads {}: {} is not a configuration of node {} (add it to its thread_options)",
                                   node.name, c, node.name));
  };
  if (node.power_modes.empty()) {
    for (int t : levels) add({t, std::nullopt});
  } else {
    for (const auto& m : node.power_modes)
      for (int t : levels) add({t, m.id});
  }
  if (out.empty()) throw InputError(fmt::format("no configuration of node {} to profile", node.name));
  return out;
}

std::vector<PlannedRun> make_plan(const config::Testbed& tb, const PerformanceModel* model, const PlanOptions& o) {
  if (o.repeats < 1) throw InputError("--repeats must be at least 1");
  for (const auto& e : o.engines)
    if (!tb.find_engine(e)) throw InputError(fmt::format("unknown engine \"{}\" (not in testbed {})", e, tb.name));
  for (const auto& n : o.nodes)
    if (!tb.find_profile(n)) throw InputError(fmt::format("unknown node \"{}\" (not in testbed {})", n, tb.name));
  for (const auto& [n, levels] : o.threads)
    if (!tb.find_profile(n)) throw InputError(fmt::format("--threads: unknown node \"{}\"", n));
  auto chosen = [](const std::vector<std::string>& list, const std::string& name) {
    return list.empty() || std::find(list.begin(), list.end(), name) != list.end();
  };
  const auto profiles = tb.profiles();  // replicas of one entry: profiled once, under its name
  std::vector<PlannedRun> plan;
  for (const auto& e : tb.engines) {
    if (!chosen(o.engines, e.id)) continue;
    for (const auto& n : profiles) {
      if (!chosen(o.nodes, n.name)) continue;
      for (const auto& c : node_configurations(n, o))
        for (int r = 0; r < o.repeats; ++r) {
          PlannedRun run{run_id(e.id, n.name, c, r), e.id, n.name, c, r, std::nullopt};
          if (model) {
            auto p = model->point(e.id, n.name, c);
            double switch_s = c.mode ? n.mode_switch_latency.count() : 0.0;
            run.estimate_s = p.total().count() + switch_s;
          }
          plan.push_back(std::move(run));
        }
    }
  }
  return plan;
}

std::string synthetic_summary(const SyntheticRun& r) {
  double mean_ns = 1e9 / r.qps;
  return fmt::format(
      "================================================\nMLPerf Results Summary\n"
      "================================================\nSUT name : {}\nScenario : SingleStream\n"
      "Mode     : PerformanceOnly\n90th percentile latency (ns) : {:.0f}\nResult is : {}\n"
      "  Min duration satisfied : {}\n  Min queries satisfied : Yes\n  Early stopping satisfied: Yes\n{}"
      "\n================================================\nAdditional Stats\n"
      "================================================\nQPS w/ loadgen overhead         : {:.6f}\n"
      "QPS w/o loadgen overhead        : {:.6f}\n\nMean latency (ns)               : {:.0f}\n"
      "\n================================================\nTest Parameters Used\n"
      "================================================\nsamples_per_query : 1\nmin_query_count : {}\n"
      "max_query_count : {}\n\nNo warnings encountered during test.\n\nNo errors encountered during test.\n",
      r.sut_name, mean_ns * 1.1, r.valid ? "VALID" : "INVALID",
      // An invalid run as LoadGen reports one: the failed check in upper case, and its advice.
      r.valid ? "Yes" : "NO",
      r.valid ? "" : "Recommendations:\n * Decrease the expected latency so the loadgen pre-generates more queries.\n",
      r.qps, r.qps * 1.002, mean_ns, r.queries, r.queries);
}

std::string synthetic_detail(const SyntheticRun& r) {
  std::string detail;
  auto mllog = [&](std::string_view key, const nlohmann::json& value, double t) {
    nlohmann::json j{{"key", key}, {"value", value}, {"time_ms", t}, {"namespace", "mlperf::logging"},
                     {"event_type", "POINT_IN_TIME"}, {"metadata", {{"is_error", false}, {"is_warning", false}}}};
    detail += ":::MLLOG " + j.dump() + "\n";
  };
  mllog("loadgen_version", r.loadgen_version, r.first_entry_ms);
  mllog("effective_scenario", "SingleStream", r.first_entry_ms + 0.01);
  mllog("result_validity", r.valid ? "VALID" : "INVALID", r.first_entry_ms + r.queries / r.qps * 1000.0);
  return detail;
}

SimulatedExecutor::SimulatedExecutor(const config::Testbed& testbed, const PerformanceModel& model,
                                     SimulatedOptions options)
    : testbed_{testbed}, model_{model}, options_{options} {}

RunOutcome SimulatedExecutor::run(const PlannedRun& run, int attempt, const std::filesystem::path& dir) {
  if (options_.delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(options_.delay_ms));
  Random r{derive_seed(options_.seed, fmt::format("{}#{}", run.id, attempt))};
  auto p = model_.point(run.engine, run.node, run.config);
  double qps = p.qps * r.lognormal_factor(options_.noise);
  double pre = p.preprocessing.count() * r.lognormal_factor(options_.noise);
  int failure_kind = -1;
  if (options_.failure_rate > 0 && r.uniform() < options_.failure_rate) failure_kind = static_cast<int>(r.below(3));
  if (failure_kind == 0) return RunOutcome{false, "job failed: container exited with code 137", 0, 0, 0, 0, ""};

  SyntheticRun logs;
  logs.qps = qps;
  logs.queries = p.queries;
  logs.valid = failure_kind != 2;
  logs.first_entry_ms = simulated_container_start_ms + pre * 1000.0;
  std::string summary = synthetic_summary(logs);
  if (failure_kind == 1) summary.resize(summary.size() / 2);  // a log cut short
  std::string detail = synthetic_detail(logs);
  write_file_atomically(dir / "mlperf_log_summary.txt", summary);
  write_file_atomically(dir / "mlperf_log_detail.txt", detail);
  write_file_atomically(dir / "container.json",
                        nlohmann::json{{"started_at_ms", simulated_container_start_ms}}.dump() + "\n");

  // Read back exactly as a real run's logs are read.
  RunOutcome out;
  try {
    auto s = load_loadgen_log(dir / "mlperf_log_summary.txt").summary.value();
    auto d = load_loadgen_log(dir / "mlperf_log_detail.txt").detail.value();
    if (auto why = unusable_result(s)) return RunOutcome{false, *why, 0, 0, 0, 0, d.loadgen_version};
    if (!s.qps() || !d.first_time_ms) return RunOutcome{false, "log unparsable: no QPS or no timestamps", 0, 0, 0, 0, ""};
    out.ok = true;
    out.qps = *s.qps();
    out.queries = p.queries;
    out.inference_s = p.queries / out.qps;
    out.preprocessing_s = (*d.first_time_ms - simulated_container_start_ms) / 1000.0;
    out.loadgen_version = d.loadgen_version;
  } catch (const InputError& e) {
    return RunOutcome{false, fmt::format("log unparsable: {}", e.what()), 0, 0, 0, 0, ""};
  }
  return out;
}

std::vector<JournalRecord> read_journal(const std::filesystem::path& path, nlohmann::json* header) {
  std::vector<JournalRecord> out;
  std::string text = read_text(path);
  std::size_t pos = 0;
  int line = 0;
  while (pos < text.size()) {
    auto end = text.find('\n', pos);
    ++line;
    if (end == std::string::npos) break;  // torn last line: the attempt did not finish writing
    auto j = nlohmann::json::parse(text.substr(pos, end - pos), nullptr, false);
    pos = end + 1;
    if (j.is_discarded() || !j.is_object())
      throw InputError(fmt::format("{}:{}: not a journal line", path.string(), line));
    if (line == 1) {
      if (!j.contains("format") || j["format"] != journal_format)
        throw InputError(fmt::format("{}:1: not a campaign journal ({})", path.string(), journal_format));
      if (header) *header = j;
      continue;
    }
    try {
      out.push_back(record_from(j));
    } catch (const nlohmann::json::exception& e) {
      throw InputError(fmt::format("{}:{}: bad journal record: {}", path.string(), line, e.what()));
    }
  }
  return out;
}

config::Dictionary explore(const config::Testbed& tb, const std::vector<PlannedRun>& plan,
                           const std::vector<JournalRecord>& records, const std::string& executor,
                           double tie_tolerance) {
  std::map<std::string, const PlannedRun*> by_id;
  for (const auto& r : plan) by_id[r.id] = &r;
  std::map<std::string, const JournalRecord*> ok;  // by run id: its successful attempt
  for (const auto& rec : records)
    if (rec.outcome.ok) ok[rec.run] = &rec;

  struct Acc {
    std::vector<double> qps, pre, inf;
    int queries = 0;
    std::string time, version;
  };
  std::map<std::tuple<std::string, std::string, ExecConfig>, Acc> acc;
  for (const auto& [id, rec] : ok) {
    auto it = by_id.find(id);
    if (it == by_id.end()) continue;
    const auto& run = *it->second;
    auto& a = acc[{run.engine, run.node, run.config}];
    a.qps.push_back(rec->outcome.qps);
    a.pre.push_back(rec->outcome.preprocessing_s);
    a.inf.push_back(rec->outcome.inference_s);
    a.queries = rec->outcome.queries;
    if (rec->time >= a.time) {
      a.time = rec->time;
      a.version = rec->outcome.loadgen_version;
    }
  }
  config::Dictionary d;
  d.testbed = tb.name;
  auto mean = [](const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x;
    return s / static_cast<double>(v.size());
  };
  for (const auto& [key, a] : acc) {
    const auto& [engine, node, cfg] = key;
    ProfilePoint p;
    p.engine = engine;
    p.node = node;
    p.config = cfg;
    p.qps = mean(a.qps);
    p.preprocessing = Seconds{mean(a.pre)};
    p.inference = Seconds{mean(a.inf)};
    p.queries = a.queries;
    p.source = executor;
    config::Provenance prov;
    prov.executor = executor;
    prov.time = a.time;
    prov.loadgen_version = a.version;
    prov.repeats = static_cast<int>(a.qps.size());
    double ss = 0;
    for (double x : a.qps) ss += (x - p.qps) * (x - p.qps);
    prov.qps_stddev = a.qps.size() > 1 ? std::sqrt(ss / static_cast<double>(a.qps.size() - 1)) : 0.0;
    prov.qps_min = *std::min_element(a.qps.begin(), a.qps.end());
    prov.qps_max = *std::max_element(a.qps.begin(), a.qps.end());
    // The mean of rounded values can stray a hair outside [min, max].
    p.qps = std::clamp(p.qps, prov.qps_min, prov.qps_max);
    d.add(p);
    d.set_provenance(engine, node, cfg, prov);
  }
  // c*: the best mean, with near-equal means (within the tolerance) treated as ties.
  std::set<std::pair<std::string, std::string>> pairs;
  for (const auto& p : d.points()) pairs.emplace(p.engine, p.node);
  for (const auto& [engine, node] : pairs) {
    auto points = d.points_for(engine, node);
    double best = 0;
    for (const auto* p : points) best = std::max(best, p->qps);
    const auto profile = tb.find_profile(node);
    const NodeSpec* spec = profile ? &*profile : nullptr;
    const ProfilePoint* chosen = nullptr;
    for (const auto* p : points)
      if (p->qps >= best * (1 - tie_tolerance) &&
          (!chosen || frugality(spec, p->config) < frugality(spec, chosen->config)))
        chosen = p;
    d.set_optimum(engine, node, chosen->config);
  }
  return d;
}

std::string failure_table(const std::vector<FailedRun>& failed) {
  if (failed.empty()) return "no failed runs\n";
  std::size_t w = 3;
  for (const auto& f : failed) w = std::max(w, f.run.size());
  std::string out = fmt::format("{:<{}}  {:>8}  {}\n", "run", w, "attempts", "why (per attempt)");
  for (const auto& f : failed) {
    std::string why;
    for (std::size_t i = 0; i < f.reasons.size(); ++i) why += fmt::format("{}{}: {}", i ? "; " : "", i + 1, f.reasons[i]);
    out += fmt::format("{:<{}}  {:>8}  {}\n", f.run, w, f.attempts, why);
  }
  return out;
}

CampaignResult run_campaign(const config::Testbed& tb, const std::vector<PlannedRun>& plan, Executor& executor,
                            const CampaignOptions& o) {
  namespace fs = std::filesystem;
  fs::create_directories(o.out);
  auto journal_path = o.out / "journal.jsonl";
  nlohmann::json wanted{{"format", journal_format}, {"testbed", tb.name}, {"executor", executor.name()},
                        {"plan", plan_digest(plan)}, {"runs", plan.size()}};
  std::vector<JournalRecord> records;
  bool exists = fs::exists(journal_path) && fs::file_size(journal_path) > 0;
  if (exists && !o.resume)
    throw InputError(fmt::format("{} holds a campaign journal: pass --resume to continue it, or use another --out",
                                 o.out.string()));
  if (exists) {
    nlohmann::json header;
    records = read_journal(journal_path, &header);
    for (const char* k : {"testbed", "executor", "plan"})
      if (header[k] != wanted[k])
        throw InputError(fmt::format("{}: the journal's {} is {}, this campaign's is {}: not the same campaign",
                                     journal_path.string(), k, header[k].dump(), wanted[k].dump()));
    // Drop a torn last line so that appends start on a line of their own.
    std::string text = read_text(journal_path);
    auto keep = text.rfind('\n');
    keep = keep == std::string::npos ? 0 : keep + 1;
    if (keep != text.size()) fs::resize_file(journal_path, keep);
  }
  JournalWriter journal{journal_path};
  if (!exists) journal.append(wanted);

  std::set<std::string> done;
  std::map<std::string, std::vector<std::string>> failures;
  for (const auto& r : records) {
    if (r.outcome.ok) done.insert(r.run);
    else failures[r.run].push_back(r.outcome.failure);
  }
  CampaignResult result;
  result.planned = plan.size();
  std::size_t finished = 0;
  for (const auto& r : plan)
    if (done.count(r.id) || failures[r.id].size() > static_cast<std::size_t>(o.retries)) ++finished;
  result.skipped = done.size();

  auto started = std::chrono::steady_clock::now();
  std::size_t finished_now = 0;
  for (const auto& run : plan) {
    if (done.count(run.id)) continue;
    auto& reasons = failures[run.id];
    if (reasons.size() > static_cast<std::size_t>(o.retries)) continue;  // gave up before; counted above
    while (reasons.size() <= static_cast<std::size_t>(o.retries)) {
      int attempt = static_cast<int>(reasons.size()) + 1;
      auto dir = o.out / "runs" / folder_name(run.id) / fmt::format("attempt-{}", attempt);
      fs::create_directories(dir);
      RunOutcome outcome;
      try {
        outcome = executor.run(run, attempt, dir);
      } catch (const std::exception& e) {
        outcome = RunOutcome{false, fmt::format("executor error: {}", e.what()), 0, 0, 0, 0, ""};
      }
      ++result.executed;
      JournalRecord rec{run.id, attempt, outcome, utc_now()};
      journal.append(record_json(rec));
      records.push_back(rec);
      executor.recorded(run, attempt);
      if (outcome.ok) {
        done.insert(run.id);
        break;
      }
      reasons.push_back(outcome.failure);
    }
    ++finished;
    ++finished_now;
    if (o.progress) {
      double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      double eta = elapsed / static_cast<double>(finished_now) * static_cast<double>(plan.size() - finished);
      o.progress(fmt::format("[{}/{}] {:5.1f}% {} {} eta {}", finished, plan.size(),
                             100.0 * static_cast<double>(finished) / static_cast<double>(plan.size()), run.id,
                             done.count(run.id) ? "ok" : "FAILED", format_duration(eta)),
                 finished == plan.size());
    }
  }
  for (const auto& run : plan) {
    if (done.count(run.id)) continue;
    const auto& reasons = failures[run.id];
    result.failed.push_back(FailedRun{run.id, static_cast<int>(reasons.size()), reasons});
  }
  result.completed = done.size();
  result.dictionary = explore(tb, plan, records, executor.name(), o.tie_tolerance);
  config::save_dictionary(result.dictionary, o.out / "dictionary.json");
  write_file_atomically(o.out / "failures.txt", failure_table(result.failed));
  return result;
}

}  // namespace synergai::profiling
