// Importing a Jetson board's power modes from its own /etc/nvpmodel.conf (the
// architecture-aware configuration generator's input, docs/profiling.md).
//
// The file is a sequence of sections, each opened by a header line
//   < PARAM TYPE=FILE|CLOCK|HWMON NAME=X >   declares parameter X and its keys
//   < POWER_MODEL ID=n NAME=s >              a mode: lines "PARAM KEY VALUE"
//   < PM_CONFIG DEFAULT=n >                  the default mode
//   < FAN_CONFIG ... >                       optional fan settings
// ("<" and ">" may touch the keyword). CPU clocks are in kHz, GPU/EMC/DLA
// clocks in Hz; -1 means "no limit". Lines may end in CRLF; "#" and "//"
// start comments (whole lines, or after a blank at the end of a line); a
// UTF-8 byte-order mark is skipped. Settings the testbed does not model (PVA,
// CVNAS, DLA falcon clocks, GPU power control, ...) are kept as written.
// Every line that does not fit is an InputError naming the file and line.
#pragma once

#include "messages/node.hpp"

#include <nlohmann/json_fwd.hpp>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace synergai::profiling {

// A clock cap of one mode: unset (the mode does not write it), unlimited (-1)
// or a value in the clock's unit (kHz for CPU clusters, Hz otherwise).
struct ClockLimit {
  enum class Kind { unset, unlimited, value };
  Kind kind = Kind::unset;
  long long value = 0;

  bool limited() const { return kind == Kind::value; }
  friend bool operator==(const ClockLimit&, const ClockLimit&) = default;
};

struct NvpCluster {
  std::string name;  // CPU_A57, CPU_DENVER_0, CPU_A78_1, ...
  ClockLimit max_khz;
};

struct NvpMode {
  int id = 0;
  std::string name;
  int line = 0;                      // of its header
  std::vector<int> online_cores;     // CPU_ONLINE CORE_k 1, ascending
  std::vector<int> offline_cores;    // CPU_ONLINE CORE_k 0
  std::vector<NvpCluster> clusters;  // CPU clusters in file order
  ClockLimit gpu_max_hz;
  ClockLimit emc_max_hz;
  std::vector<std::pair<std::string, ClockLimit>> dla_max_hz;  // DLA_CORE, DLA0_CORE, DLA1_CORE
  // Every other clock the mode caps (PVA0_VPS, CVNAS, DLA0_FALCON, ...), in file order.
  std::vector<std::pair<std::string, ClockLimit>> other_max_hz;
  // Cores the CPU_ONLINE parameter declares that the mode sets neither online
  // nor offline: nvpmodel leaves them as they are, the import counts them online.
  std::vector<int> unset_cores;
  // Every setting as written: parameter -> key -> value (strings kept as is).
  std::map<std::string, std::map<std::string, std::string>> settings;

  int online_cpus() const { return static_cast<int>(online_cores.size()); }
  // The highest CPU cap over the clusters in MHz; empty if any cluster is
  // unlimited or none is capped.
  std::optional<int> max_cpu_mhz() const;
  // The power budget the mode's name states ("MODE_15W_6CORE" -> 15, "5W" ->
  // 5, "MODE_7.5W" -> 7.5); "MAXN..." -> unlimited (an empty optional inside);
  // nothing when the name says neither ("MAXQ", "MODE_17", "MAX_Q").
  std::optional<std::optional<double>> budget_from_name() const;
};

struct NvpParam {
  std::string name;
  std::string type;  // FILE, CLOCK, HWMON
  int line = 0;
  std::vector<std::string> keys;
};

struct NvpModel {
  std::string file;
  std::vector<NvpParam> params;
  std::vector<NvpMode> modes;  // in file order
  int default_mode = 0;
  std::map<std::string, std::string> fan_config;  // header attributes and body lines

  const NvpMode* find_mode(int id) const;
  int declared_cores() const;  // keys of the CPU_ONLINE parameter
};

// Throws InputError "file:line: message" on the first malformed line.
NvpModel parse_nvpmodel(std::string_view text, std::string file);
NvpModel load_nvpmodel(const std::filesystem::path& path);

struct ImportOptions {
  // MHz to write for a mode whose CPU clusters are all uncapped; when empty,
  // the highest cap any mode of the file sets is used.
  std::optional<int> unlimited_cpu_mhz;
  std::map<int, std::optional<double>> budgets;  // by mode id; overrides the name
};

// The testbed's view of the modes (PowerMode as config/testbed reads it).
// Every mode is imported: a budget that neither options.budgets nor the name
// gives is unknown (budget_known = false). Throws InputError when a mode's
// max MHz cannot be determined or options.budgets names a mode the file lacks.
std::vector<PowerMode> to_power_modes(const NvpModel& m, const ImportOptions& options = {});
// What the import had to assume, one line each: a single line listing the
// modes whose budget is unknown, then one per mode with cores it leaves unset.
std::vector<std::string> import_warnings(const NvpModel& m, const ImportOptions& options = {});
// `power_modes:` and `default_mode:` as testbed YAML, each mode followed by
// comments with its per-cluster CPU, GPU, EMC, DLA and other clock limits.
std::string testbed_yaml(const NvpModel& m, const ImportOptions& options = {});
nlohmann::json to_json(const NvpModel& m, const ImportOptions& options = {});

}  // namespace synergai::profiling
