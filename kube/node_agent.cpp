#include "kube/node_agent.hpp"

#include "kube/api_error.hpp"
#include "kube/power_mode.hpp"
#include "support/errors.hpp"
#include "support/log.hpp"
#include "support/process.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <regex>
#include <thread>

namespace synergai::kube {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

std::optional<long long> read_number(const fs::path& p) {
  std::ifstream in{p};
  long long v = 0;
  if (!(in >> v)) return std::nullopt;
  return v;
}

void write_value(const fs::path& p, const std::string& value) {
  std::ofstream out{p};
  if (out) out << value << '\n';
  out.flush();
  if (!out) throw RuntimeError(fmt::format("cannot write {} to {}: {}", value, p.string(), std::strerror(errno)));
}

// --- sysfs ---------------------------------------------------------------------

class SysfsDriver : public PowerModeDriver {
 public:
  SysfsDriver(fs::path root, std::vector<PowerMode> modes)
      : cpu_dir_{root / "sys/devices/system/cpu"}, modes_{std::move(modes)} {}

  std::string name() const override { return "sysfs"; }

  int apply(const PowerMode& mode) override {
    const auto cpus = cpu_ids();
    if (cpus.empty()) throw RuntimeError(fmt::format("no CPUs under {}", cpu_dir_.string()));
    if (mode.online_cpus < 1 || mode.online_cpus > static_cast<int>(cpus.size()))
      throw RuntimeError(fmt::format("mode {} needs {} online CPUs; this machine has {}", mode.id, mode.online_cpus,
                                     cpus.size()));
    // CPUs come online before the clocks change and go offline after, so that
    // no policy is written while all of its CPUs are offline.
    for (int cpu : cpus)
      if (cpu < mode.online_cpus) set_online(cpu, true);
    for (const auto& policy : policies()) {
      long long khz = static_cast<long long>(mode.max_mhz) * 1000;
      if (auto hw = read_number(policy / "cpuinfo_max_freq")) khz = std::min(khz, *hw);
      write_value(policy / "scaling_max_freq", std::to_string(khz));
    }
    for (int cpu : cpus)
      if (cpu >= mode.online_cpus) set_online(cpu, false);
    auto now = current();
    if (!now)
      throw RuntimeError(fmt::format("after applying mode {}, the machine reads back {} online CPUs at {} MHz, "
                                     "which is no mode of this node",
                                     mode.id, online_count(), max_mhz_read()));
    return *now;
  }

  std::optional<int> current() override {
    const int online = online_count();
    const long long mhz = max_mhz_read();
    for (const auto& m : modes_) {
      long long want = m.max_mhz;
      for (const auto& policy : policies())
        if (auto hw = read_number(policy / "cpuinfo_max_freq")) want = std::min(want, *hw / 1000);
      if (m.online_cpus == online && want == mhz) return m.id;
    }
    return std::nullopt;
  }

 private:
  std::vector<int> cpu_ids() const {
    std::vector<int> out;
    static const std::regex cpu_re{"cpu([0-9]+)"};
    std::error_code ec;
    for (const auto& e : fs::directory_iterator{cpu_dir_, ec}) {
      std::smatch m;
      const std::string n = e.path().filename().string();
      if (e.is_directory() && std::regex_match(n, m, cpu_re)) out.push_back(std::stoi(m[1]));
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  std::vector<fs::path> policies() const {
    std::vector<fs::path> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator{cpu_dir_ / "cpufreq", ec})
      if (e.path().filename().string().rfind("policy", 0) == 0 && fs::exists(e.path() / "scaling_max_freq"))
        out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
  }

  void set_online(int cpu, bool on) {
    const auto file = cpu_dir_ / fmt::format("cpu{}", cpu) / "online";
    if (!fs::exists(file)) {
      if (!on) throw RuntimeError(fmt::format("CPU {} cannot be taken offline ({} does not exist)", cpu, file.string()));
      return;  // always online (cpu0 on most machines)
    }
    if (read_number(file) == (on ? 1 : 0)) return;
    write_value(file, on ? "1" : "0");
  }

  int online_count() const {
    int n = 0;
    for (int cpu : cpu_ids()) {
      const auto file = cpu_dir_ / fmt::format("cpu{}", cpu) / "online";
      if (!fs::exists(file) || read_number(file) == 1) ++n;
    }
    return n;
  }

  long long max_mhz_read() const {
    long long khz = 0;
    for (const auto& policy : policies())
      if (auto v = read_number(policy / "scaling_max_freq")) khz = std::max(khz, *v);
    return khz / 1000;
  }

  fs::path cpu_dir_;
  std::vector<PowerMode> modes_;
};

// --- nvpmodel ------------------------------------------------------------------

class NvpmodelDriver : public PowerModeDriver {
 public:
  explicit NvpmodelDriver(std::string command) : command_{std::move(command)} {}

  std::string name() const override { return "nvpmodel"; }

  int apply(const PowerMode& mode) override {
    auto r = run({"-m", std::to_string(mode.id)});
    if (!r.exited || r.code != 0)
      throw RuntimeError(fmt::format("{} -m {} failed ({}): {}", command_, mode.id,
                                     r.exited ? fmt::format("exit {}", r.code) : fmt::format("signal {}", r.signal),
                                     trimmed(r.err.empty() ? r.out : r.err)));
    auto now = current();
    if (!now) throw RuntimeError(fmt::format("{} -q printed no mode after -m {}", command_, mode.id));
    return *now;
  }

  // `nvpmodel -q` prints "NV Power Mode: NAME" and then the mode's id alone on
  // a line.
  std::optional<int> current() override {
    auto r = run({"-q"});
    if (!r.exited || r.code != 0) return std::nullopt;
    std::optional<int> id;
    static const std::regex number{R"(\s*([0-9]+)\s*)"};
    std::size_t start = 0;
    while (start <= r.out.size()) {
      auto end = r.out.find('\n', start);
      std::string line = r.out.substr(start, end == std::string::npos ? std::string::npos : end - start);
      std::smatch m;
      if (std::regex_match(line, m, number)) id = std::stoi(m[1]);
      if (end == std::string::npos) break;
      start = end + 1;
    }
    return id;
  }

 private:
  ChildExit run(std::vector<std::string> args) {
    args.insert(args.begin(), command_);
    auto child = Child::start(ChildSpec{args, {}});
    return child->wait(std::chrono::seconds{60});
  }

  static std::string trimmed(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
  }

  std::string command_;
};

}  // namespace

std::unique_ptr<PowerModeDriver> sysfs_driver(fs::path root, std::vector<PowerMode> modes) {
  return std::make_unique<SysfsDriver>(std::move(root), std::move(modes));
}

std::unique_ptr<PowerModeDriver> nvpmodel_driver(std::string command) {
  return std::make_unique<NvpmodelDriver>(std::move(command));
}

NodeAgent::NodeAgent(std::shared_ptr<Client> client, NodeSpec node, std::unique_ptr<PowerModeDriver> driver,
                     AgentOptions options)
    : client_{std::move(client)}, node_{std::move(node)}, driver_{std::move(driver)}, options_{std::move(options)} {
  if (auto m = driver_->current()) metrics_.current_mode = *m;
}

void NodeAgent::report(const json& annotations) {
  client_->patch_node(options_.node, json{{"metadata", {{"annotations", annotations}}}});
}

void NodeAgent::reconcile(const json& node) {
  ++metrics_.reconciles;
  const std::string wanted = annotation_of(node, power_mode_annotation);
  if (wanted.empty()) return;
  const std::string applied = annotation_of(node, power_mode_applied_annotation);
  const std::string error = annotation_of(node, power_mode_error_annotation);
  const auto now = driver_->current();
  if (now) metrics_.current_mode = *now;
  const bool in_mode = now && std::to_string(*now) == wanted;
  if (in_mode && applied == wanted && error.empty()) return;  // nothing to do
  if (!in_mode && error.rfind(wanted + ":", 0) == 0) return;  // refused already; a new request clears the error

  const PowerMode* mode = nullptr;
  try {
    std::size_t used = 0;
    const int id = std::stoi(wanted, &used);
    if (used == wanted.size()) mode = node_.find_mode(id);
  } catch (const std::exception&) {
  }
  const auto start = std::chrono::steady_clock::now();
  std::string reason;
  int observed = -1;
  if (!mode) {
    reason = fmt::format("node {} ({}) has no power mode \"{}\" in the testbed", options_.node, node_.name, wanted);
  } else if (in_mode) {
    observed = *now;  // already there (a restart after the switch, before its report)
  } else {
    try {
      observed = driver_->apply(*mode);
      if (observed != mode->id)
        reason = fmt::format("{} switched to mode {} when asked for {}", driver_->name(), observed, mode->id);
    } catch (const std::exception& e) {
      reason = e.what();
    }
  }
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (auto m = driver_->current()) metrics_.current_mode = *m;
  if (!reason.empty()) {
    ++metrics_.refusals;
    log::warn("agent", "power mode refused", {{"node", options_.node}, {"mode", wanted}, {"reason", reason}});
    report({{std::string{power_mode_error_annotation}, fmt::format("{}: {}", wanted, reason)}});
    return;
  }
  ++metrics_.switches;
  metrics_.switch_seconds_sum.fetch_add(took);
  metrics_.last_switch_seconds = took;
  log::info("agent", "power mode applied",
            {{"node", options_.node}, {"mode", observed}, {"driver", driver_->name()}, {"took_s", took}});
  report({{std::string{power_mode_applied_annotation}, std::to_string(observed)},
          {std::string{power_mode_switch_ms_annotation}, std::to_string(static_cast<long long>(took * 1000 + 0.5))},
          {std::string{power_mode_error_annotation}, nullptr}});
}

bool NodeAgent::pause(std::chrono::milliseconds d) {
  const auto until = std::chrono::steady_clock::now() + d;
  while (!stopping_ && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(std::chrono::milliseconds{20},
                                                                              until - std::chrono::steady_clock::now()));
  return !stopping_;
}

void NodeAgent::run() {
  while (!stopping_) {
    json node;
    try {
      node = client_->get_node(options_.node);  // level-triggered: the Node's state now
      metrics_.connected = true;
    } catch (const ApiError& e) {
      metrics_.connected = false;
      if (e.is_not_found())
        throw RuntimeError(fmt::format("node {} does not exist in the cluster (is --node, or NODE_NAME from the "
                                       "downward API, right?)",
                                       options_.node));
      log::warn("agent", "reading the node failed; trying again",
                {{"node", options_.node}, {"error", e.what()}, {"retry_ms", options_.retry.count()}});
      if (!pause(options_.retry)) return;
      continue;
    }
    try {
      reconcile(node);
      auto stream = client_->watch_node(options_.node, node["metadata"].value("resourceVersion", std::string{}));
      {
        std::lock_guard lock{watch_mutex_};
        watch_ = stream.get();
      }
      struct Clear {
        NodeAgent& a;
        ~Clear() {
          std::lock_guard lock{a.watch_mutex_};
          a.watch_ = nullptr;
        }
      } clear{*this};
      if (stopping_) return;
      while (auto ev = stream->next()) {
        if (stopping_) return;
        if (ev->type == "ERROR") break;  // e.g. 410: read the Node again
        if (ev->type == "ADDED" || ev->type == "MODIFIED") reconcile(ev->object);
      }
    } catch (const std::exception& e) {
      if (stopping_) return;
      metrics_.connected = false;
      log::warn("agent", "node watch lost; reconciling again", {{"node", options_.node}, {"error", e.what()}});
      if (!pause(options_.retry)) return;
    }
    ++metrics_.watch_restarts;
  }
}

void NodeAgent::stop() {
  stopping_ = true;
  std::lock_guard lock{watch_mutex_};
  if (watch_) watch_->cancel();
}

std::string NodeAgent::metrics_text() const {
  const auto& m = metrics_;
  return fmt::format(
      "# HELP synergai_agent_mode_switches_total Power modes applied.\n"
      "# TYPE synergai_agent_mode_switches_total counter\n"
      "synergai_agent_mode_switches_total {}\n"
      "# HELP synergai_agent_mode_refusals_total Power modes refused (reported as synergai.io/power-mode-error).\n"
      "# TYPE synergai_agent_mode_refusals_total counter\n"
      "synergai_agent_mode_refusals_total {}\n"
      "# HELP synergai_agent_mode_switch_seconds How long applying a power mode took.\n"
      "# TYPE synergai_agent_mode_switch_seconds summary\n"
      "synergai_agent_mode_switch_seconds_sum {}\n"
      "synergai_agent_mode_switch_seconds_count {}\n"
      "# HELP synergai_agent_last_mode_switch_seconds How long the last power-mode switch took.\n"
      "# TYPE synergai_agent_last_mode_switch_seconds gauge\n"
      "synergai_agent_last_mode_switch_seconds {}\n"
      "# HELP synergai_agent_power_mode The power mode the machine reads back (-1: none of the testbed's).\n"
      "# TYPE synergai_agent_power_mode gauge\n"
      "synergai_agent_power_mode{{node=\"{}\"}} {}\n"
      "# HELP synergai_agent_reconciles_total Node states examined.\n"
      "# TYPE synergai_agent_reconciles_total counter\n"
      "synergai_agent_reconciles_total {}\n"
      "# HELP synergai_agent_watch_restarts_total Watches of the Node opened again after they ended.\n"
      "# TYPE synergai_agent_watch_restarts_total counter\n"
      "synergai_agent_watch_restarts_total {}\n",
      m.switches.load(), m.refusals.load(), m.switch_seconds_sum.load(), m.switches.load(), m.last_switch_seconds.load(),
      options_.node, m.current_mode.load(), m.reconciles.load(), m.watch_restarts.load());
}

}  // namespace synergai::kube
