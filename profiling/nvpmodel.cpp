#include "profiling/nvpmodel.hpp"

#include "profiling/text.hpp"
#include "support/errors.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <set>
#include <sstream>

namespace synergai::profiling {
namespace {

std::vector<std::string> split_fields(std::string_view line) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    std::size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
    if (j > i) out.emplace_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

std::string_view trim(std::string_view s) {
  auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; };
  while (!s.empty() && ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && ws(s.back())) s.remove_suffix(1);
  return s;
}

std::optional<long long> to_integer(std::string_view s) {
  long long v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
  return v;
}

bool is_cpu_cluster(std::string_view param) { return param.starts_with("CPU_") && param != "CPU_ONLINE"; }
bool is_dla_core(std::string_view param) {
  return param.starts_with("DLA") && param.ends_with("_CORE");  // DLA_CORE, DLA0_CORE, DLA1_CORE
}
// The line without its comment: "#" or "//" at its start, or after a blank.
std::string_view strip_comment(std::string_view line) {
  for (std::size_t i = 0; i < line.size(); ++i) {
    bool starts = line[i] == '#' || (line[i] == '/' && i + 1 < line.size() && line[i + 1] == '/');
    if (starts && (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t')) return line.substr(0, i);
  }
  return line;
}

std::optional<int> core_number(std::string_view key) {
  if (!key.starts_with("CORE_")) return std::nullopt;
  auto core = to_integer(key.substr(5));
  if (!core || *core < 0 || *core > 4096) return std::nullopt;
  return static_cast<int>(*core);
}

bool is_max_freq(std::string_view key) { return key == "MAX_FREQ" || key == "MAX_FREQ_KNEXT"; }
bool is_freq_key(std::string_view key) {
  return key == "MAX_FREQ" || key == "MIN_FREQ" || key == "MAX_FREQ_KNEXT" || key == "MIN_FREQ_KNEXT";
}

struct Parser {
  std::string file;
  NvpModel model;
  enum class Section { none, param, mode, pm_config, fan } section = Section::none;
  std::optional<int> default_mode;
  int default_line = 0;
  std::map<std::string, std::size_t> param_index;

  [[noreturn]] void fail(int line, const std::string& message) const {
    throw InputError(fmt::format("{}:{}: {}", file, line, message));
  }

  // "< KIND A=B C=D >" -> kind and attributes, in order.
  std::pair<std::string, std::vector<std::pair<std::string, std::string>>> header(std::string_view text, int line) {
    if (text.back() != '>') fail(line, "section header does not end with '>'");
    text.remove_prefix(1);
    text.remove_suffix(1);
    auto fields = split_fields(text);
    if (fields.empty()) fail(line, "empty section header");
    std::vector<std::pair<std::string, std::string>> attrs;
    std::set<std::string> seen;
    for (std::size_t i = 1; i < fields.size(); ++i) {
      auto eq = fields[i].find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == fields[i].size())
        fail(line, fmt::format("expected KEY=VALUE in the header, found \"{}\"", fields[i]));
      auto key = fields[i].substr(0, eq);
      if (!seen.insert(key).second) fail(line, fmt::format("{} given twice in the header", key));
      attrs.emplace_back(key, fields[i].substr(eq + 1));
    }
    return {fields[0], attrs};
  }

  static std::optional<std::string> attr(const std::vector<std::pair<std::string, std::string>>& attrs,
                                         std::string_view key) {
    for (const auto& [k, v] : attrs)
      if (k == key) return v;
    return std::nullopt;
  }

  void expect_only(const std::vector<std::pair<std::string, std::string>>& attrs,
                   std::initializer_list<std::string_view> allowed, std::string_view kind, int line) {
    for (const auto& [k, v] : attrs)
      if (std::find(allowed.begin(), allowed.end(), k) == allowed.end())
        fail(line, fmt::format("unknown attribute {} in a {} header", k, kind));
  }

  void on_header(std::string_view text, int line) {
    auto [kind, attrs] = header(text, line);
    if (kind == "PARAM") {
      expect_only(attrs, {"TYPE", "NAME"}, kind, line);
      auto type = attr(attrs, "TYPE");
      auto name = attr(attrs, "NAME");
      if (!type || !name) fail(line, "a PARAM header needs TYPE= and NAME=");
      if (*type != "FILE" && *type != "CLOCK" && *type != "HWMON")
        fail(line, fmt::format("unknown PARAM TYPE \"{}\" (expected FILE, CLOCK or HWMON)", *type));
      if (param_index.count(*name)) fail(line, fmt::format("parameter {} declared twice", *name));
      param_index[*name] = model.params.size();
      model.params.push_back(NvpParam{*name, *type, line, {}});
      section = Section::param;
    } else if (kind == "POWER_MODEL") {
      expect_only(attrs, {"ID", "NAME"}, kind, line);
      auto id_text = attr(attrs, "ID");
      auto name = attr(attrs, "NAME");
      if (!id_text || !name) fail(line, "a POWER_MODEL header needs ID= and NAME=");
      auto id = to_integer(*id_text);
      if (!id || *id < 0 || *id > 1000) fail(line, fmt::format("mode ID \"{}\" is not an integer in 0..1000", *id_text));
      if (model.find_mode(static_cast<int>(*id)))
        fail(line, fmt::format("mode ID {} defined twice", *id));
      NvpMode m;
      m.id = static_cast<int>(*id);
      m.name = *name;
      m.line = line;
      model.modes.push_back(std::move(m));
      section = Section::mode;
    } else if (kind == "PM_CONFIG") {
      expect_only(attrs, {"DEFAULT"}, kind, line);
      auto d = attr(attrs, "DEFAULT");
      if (!d) fail(line, "a PM_CONFIG header needs DEFAULT=");
      auto id = to_integer(*d);
      if (!id || *id < 0 || *id > 1000) fail(line, fmt::format("DEFAULT \"{}\" is not a mode id", *d));
      if (default_mode) fail(line, fmt::format("second PM_CONFIG (the first is on line {})", default_line));
      default_mode = static_cast<int>(*id);
      default_line = line;
      section = Section::pm_config;
    } else if (kind == "FAN_CONFIG") {
      for (const auto& [k, v] : attrs) model.fan_config[k] = v;
      section = Section::fan;
    } else {
      fail(line, fmt::format("unknown section \"{}\" (expected PARAM, POWER_MODEL, PM_CONFIG or FAN_CONFIG)", kind));
    }
  }

  static ClockLimit& named_limit(std::vector<std::pair<std::string, ClockLimit>>& limits, const std::string& name) {
    auto it = std::find_if(limits.begin(), limits.end(), [&](auto& x) { return x.first == name; });
    if (it == limits.end()) it = limits.insert(limits.end(), {name, ClockLimit{}});
    return it->second;
  }

  void set_limit(ClockLimit& limit, long long v) {
    if (v == -1) limit = {ClockLimit::Kind::unlimited, 0};
    else limit = {ClockLimit::Kind::value, v};
  }

  void on_mode_line(const std::vector<std::string>& f, int line) {
    auto& m = model.modes.back();
    if (f.size() != 3)
      fail(line, fmt::format("expected \"PARAMETER KEY VALUE\" in mode {}, found {} field(s)", m.id, f.size()));
    // References, not a structured binding: lambdas below capture them.
    const std::string& param = f[0];
    const std::string& key = f[1];
    const std::string& value = f[2];
    auto it = param_index.find(param);
    if (it == param_index.end()) fail(line, fmt::format("parameter {} is not declared by a PARAM section", param));
    const auto& p = model.params[it->second];
    if (std::find(p.keys.begin(), p.keys.end(), key) == p.keys.end())
      fail(line, fmt::format("parameter {} (line {}) has no key {}", param, p.line, key));
    if (m.settings[param].count(key)) fail(line, fmt::format("{} {} set twice in mode {}", param, key, m.id));
    m.settings[param][key] = value;

    if (param == "CPU_ONLINE") {
      auto core = core_number(key);
      if (!core) fail(line, fmt::format("CPU_ONLINE key \"{}\" is not CORE_<n>", key));
      if (value != "0" && value != "1") fail(line, fmt::format("CPU_ONLINE {} must be 0 or 1, found \"{}\"", key, value));
      (value == "1" ? m.online_cores : m.offline_cores).push_back(static_cast<int>(*core));
      return;
    }
    // Clock caps are CLOCK parameters, but some boards declare EMC as a FILE.
    if (p.type != "HWMON" && is_freq_key(key)) {
      auto v = to_integer(value);
      if (!v || *v < -1)
        fail(line, fmt::format("{} {} must be a frequency or -1 (no limit), found \"{}\"", param, key, value));
      if (!is_max_freq(key)) return;
      // MAX_FREQ and its JetPack-5 twin MAX_FREQ_KNEXT cap the same clock; the
      // plain key wins when both are given.
      bool knext = key == "MAX_FREQ_KNEXT";
      auto plain_set = m.settings[param].count("MAX_FREQ") > 0;
      if (knext && plain_set) return;
      if (is_cpu_cluster(param)) {
        auto c = std::find_if(m.clusters.begin(), m.clusters.end(), [&](auto& x) { return x.name == param; });
        if (c == m.clusters.end()) c = m.clusters.insert(m.clusters.end(), NvpCluster{param, {}});
        set_limit(c->max_khz, *v);
      } else if (param == "GPU") {
        set_limit(m.gpu_max_hz, *v);
      } else if (param == "EMC") {
        // The EMC cap file takes 0 for "no cap" as well as -1.
        set_limit(m.emc_max_hz, *v == 0 ? -1 : *v);
      } else if (is_dla_core(param)) {
        set_limit(named_limit(m.dla_max_hz, param), *v);
      } else {
        set_limit(named_limit(m.other_max_hz, param), *v);
      }
    }
  }

  void on_line(std::string_view text, int line) {
    auto f = split_fields(text);
    switch (section) {
      case Section::none:
        fail(line, "setting outside any section (expected a '< PARAM ... >' or '< POWER_MODEL ... >' header first)");
      case Section::param: {
        auto& p = model.params.back();
        std::size_t want = p.type == "HWMON" ? 3 : 2;
        if (f.size() != want)
          fail(line, fmt::format("a {} parameter line has {} fields (KEY {}), found {}", p.type, want,
                                 want == 3 ? "DEVICE ATTRIBUTE" : "PATH", f.size()));
        if (std::find(p.keys.begin(), p.keys.end(), f[0]) != p.keys.end())
          fail(line, fmt::format("key {} declared twice in parameter {}", f[0], p.name));
        p.keys.push_back(f[0]);
        return;
      }
      case Section::mode:
        on_mode_line(f, line);
        return;
      case Section::pm_config:
        fail(line, "PM_CONFIG takes no body lines");
      case Section::fan:
        if (f.size() != 2) fail(line, fmt::format("expected \"KEY VALUE\" in FAN_CONFIG, found {} field(s)", f.size()));
        model.fan_config[f[0]] = f[1];
        return;
    }
  }

  void finish(int last_line) {
    if (model.modes.empty()) fail(last_line, "no < POWER_MODEL ID=.. NAME=.. > section: not an nvpmodel.conf");
    if (!default_mode) fail(last_line, "no < PM_CONFIG DEFAULT=.. > line: the default mode is unknown");
    if (!model.find_mode(*default_mode))
      fail(default_line, fmt::format("DEFAULT={} is not one of the modes", *default_mode));
    model.default_mode = *default_mode;
    std::vector<int> declared;
    if (auto it = param_index.find("CPU_ONLINE"); it != param_index.end())
      for (const auto& key : model.params[it->second].keys)
        if (auto core = core_number(key)) declared.push_back(*core);
    for (auto& m : model.modes) {
      for (int core : declared)
        if (std::find(m.online_cores.begin(), m.online_cores.end(), core) == m.online_cores.end() &&
            std::find(m.offline_cores.begin(), m.offline_cores.end(), core) == m.offline_cores.end())
          m.unset_cores.push_back(core);
      m.online_cores.insert(m.online_cores.end(), m.unset_cores.begin(), m.unset_cores.end());
      std::sort(m.online_cores.begin(), m.online_cores.end());
      std::sort(m.offline_cores.begin(), m.offline_cores.end());
      std::sort(m.unset_cores.begin(), m.unset_cores.end());
      if (m.online_cores.empty())
        fail(m.line, fmt::format("mode {} ({}) puts no core online (no \"CPU_ONLINE CORE_<n> 1\" line, and no core "
                                 "left unset)", m.id, m.name));
    }
  }
};

std::string hz_text(const ClockLimit& l, double divisor, std::string_view unit) {
  switch (l.kind) {
    case ClockLimit::Kind::unset: return "unset";
    case ClockLimit::Kind::unlimited: return "unlimited";
    case ClockLimit::Kind::value: break;
  }
  return fmt::format("{:g} {}", static_cast<double>(l.value) / divisor, unit);
}

nlohmann::json limit_json(const ClockLimit& l) {
  switch (l.kind) {
    case ClockLimit::Kind::unset: return nullptr;
    case ClockLimit::Kind::unlimited: return "unlimited";
    case ClockLimit::Kind::value: break;
  }
  return l.value;
}

}  // namespace

std::optional<int> NvpMode::max_cpu_mhz() const {
  std::optional<int> best;
  for (const auto& c : clusters) {
    if (c.max_khz.kind == ClockLimit::Kind::unlimited) return std::nullopt;
    if (c.max_khz.limited()) {
      int mhz = static_cast<int>((c.max_khz.value + 500) / 1000);
      best = std::max(best.value_or(0), mhz);
    }
  }
  return best;
}

std::optional<std::optional<double>> NvpMode::budget_from_name() const {
  if (name.starts_with("MAXN")) return std::optional<double>{};
  auto digit = [&](std::size_t i) { return i < name.size() && std::isdigit(static_cast<unsigned char>(name[i])); };
  // The first number standing on its own and directly followed by 'W' (or 'w').
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (!digit(i)) continue;
    if (i > 0 && (std::isalnum(static_cast<unsigned char>(name[i - 1])) || name[i - 1] == '.')) {
      while (digit(i + 1)) ++i;
      continue;
    }
    std::size_t j = i;
    while (digit(j)) ++j;
    if (j < name.size() && name[j] == '.' && digit(j + 1))
      for (++j; digit(j);) ++j;
    if (j < name.size() && (name[j] == 'W' || name[j] == 'w') &&
        (j + 1 == name.size() || !std::isalnum(static_cast<unsigned char>(name[j + 1])))) {
      double w = 0;
      std::from_chars(name.data() + i, name.data() + j, w);
      if (w > 0) return std::optional<double>{w};
    }
    i = j;
  }
  return std::nullopt;
}

const NvpMode* NvpModel::find_mode(int id) const {
  for (const auto& m : modes)
    if (m.id == id) return &m;
  return nullptr;
}

int NvpModel::declared_cores() const {
  for (const auto& p : params)
    if (p.name == "CPU_ONLINE") return static_cast<int>(p.keys.size());
  return 0;
}

NvpModel parse_nvpmodel(std::string_view text, std::string file) {
  Parser p;
  p.file = file;
  p.model.file = std::move(file);
  if (auto bad = first_bad_byte(text))
    p.fail(static_cast<int>(line_of(text, *bad)), "not UTF-8 text (binary data): not an nvpmodel.conf");
  int line = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    auto raw = text.substr(pos, end - pos);
    pos = end + 1;
    ++line;
    if (raw.find('\0') != std::string_view::npos) p.fail(line, "binary data: not an nvpmodel.conf");
    if (line == 1 && raw.starts_with("\xEF\xBB\xBF")) raw.remove_prefix(3);  // a byte-order mark
    auto t = trim(strip_comment(raw));
    if (t.empty()) continue;
    if (t.front() == '<') p.on_header(t, line);
    else p.on_line(t, line);
  }
  p.finish(std::max(line, 1));
  return std::move(p.model);
}

NvpModel load_nvpmodel(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(fmt::format("{}: cannot read", path.string()));
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_nvpmodel(ss.str(), path.string());
}

std::vector<PowerMode> to_power_modes(const NvpModel& m, const ImportOptions& options) {
  std::optional<int> fallback = options.unlimited_cpu_mhz;
  if (!fallback)
    for (const auto& mode : m.modes)
      for (const auto& c : mode.clusters)
        if (c.max_khz.limited()) fallback = std::max(fallback.value_or(0), static_cast<int>((c.max_khz.value + 500) / 1000));
  for (const auto& [id, budget] : options.budgets)
    if (!m.find_mode(id)) {
      std::string ids;
      for (const auto& mode : m.modes) ids += fmt::format("{}{}", ids.empty() ? "" : ", ", mode.id);
      throw InputError(fmt::format("{}: --budget {}=...: the file has no mode {} (its modes: {})", m.file, id, id, ids));
    }
  std::vector<PowerMode> out;
  for (const auto& mode : m.modes) {
    PowerMode pm;
    pm.id = mode.id;
    pm.name = mode.name;
    pm.online_cpus = mode.online_cpus();
    if (auto mhz = mode.max_cpu_mhz()) pm.max_mhz = *mhz;
    else if (fallback) pm.max_mhz = *fallback;
    else
      throw InputError(fmt::format("{}:{}: mode {} ({}) caps no CPU cluster and no mode does: give its MHz with "
                                   "--unlimited-cpu-mhz", m.file, mode.line, mode.id, mode.name));
    if (auto it = options.budgets.find(mode.id); it != options.budgets.end()) pm.budget_w = it->second;
    else if (auto b = mode.budget_from_name()) pm.budget_w = *b;
    else pm.budget_known = false;
    if (pm.max_mhz < 1) throw InputError(fmt::format("{}:{}: mode {} caps its CPUs below 1 MHz", m.file, mode.line, mode.id));
    out.push_back(std::move(pm));
  }
  return out;
}

std::vector<std::string> import_warnings(const NvpModel& m, const ImportOptions& options) {
  std::vector<std::string> out;
  std::string unknown;
  int count = 0;
  for (const auto& mode : m.modes)
    if (!options.budgets.count(mode.id) && !mode.budget_from_name()) {
      unknown += fmt::format("{}{} ({})", unknown.empty() ? "" : ", ", mode.id, mode.name);
      ++count;
    }
  if (count > 0)
    out.push_back(fmt::format("{}: power budget unknown for {} {}: the name states no wattage and no --budget gives "
                              "it; recorded as budget_w: unknown (set it with --budget ID=W or ID=unlimited)",
                              m.file, count == 1 ? "mode" : "modes", unknown));
  for (const auto& mode : m.modes)
    if (!mode.unset_cores.empty())
      out.push_back(fmt::format("{}:{}: mode {} ({}) sets cores {} neither online nor offline: counted online", m.file,
                                mode.line, mode.id, mode.name, fmt::join(mode.unset_cores, ",")));
  return out;
}

std::string testbed_yaml(const NvpModel& m, const ImportOptions& options) {
  auto modes = to_power_modes(m, options);
  std::string out = fmt::format("# power modes imported from {} by synergai profile import-modes\n", m.file);
  for (const auto& w : import_warnings(m, options)) out += fmt::format("# warning: {}\n", w);
  out += "power_modes:\n";
  for (std::size_t i = 0; i < modes.size(); ++i) {
    const auto& pm = modes[i];
    const auto& nm = m.modes[i];
    out += fmt::format("  - {{id: {}, name: {}, max_mhz: {}, online_cpus: {}, budget_w: {}}}\n", pm.id,
                       nlohmann::json(pm.name).dump(), pm.max_mhz, pm.online_cpus,
                       pm.budget_w       ? fmt::format("{:g}", *pm.budget_w)
                       : pm.budget_known ? std::string{"unlimited"}
                                         : std::string{"unknown"});
    if (!pm.budget_known)
      out += fmt::format("    # budget unknown: the name states none; set it with --budget {}=W\n", pm.id);
    std::string cores;
    for (auto c : nm.online_cores) cores += fmt::format("{}{}", cores.empty() ? "" : ",", c);
    out += fmt::format("    # online cores: {}{}\n", cores,
                       nm.unset_cores.empty() ? "" : fmt::format(" ({} left unset)", fmt::join(nm.unset_cores, ",")));
    for (const auto& c : nm.clusters) out += fmt::format("    # {} max: {}\n", c.name, hz_text(c.max_khz, 1e3, "MHz"));
    out += fmt::format("    # GPU max: {}; EMC max: {}\n", hz_text(nm.gpu_max_hz, 1e6, "MHz"), hz_text(nm.emc_max_hz, 1e6, "MHz"));
    for (const auto& [name, l] : nm.dla_max_hz) out += fmt::format("    # {} max: {}\n", name, hz_text(l, 1e6, "MHz"));
    if (!nm.other_max_hz.empty()) {
      std::string other;
      for (const auto& [name, l] : nm.other_max_hz)
        other += fmt::format("{}{} {}", other.empty() ? "" : ", ", name, hz_text(l, 1e6, "MHz"));
      out += fmt::format("    # other clocks max (not modelled): {}\n", other);
    }
  }
  out += fmt::format("default_mode: {}\n", m.default_mode);
  return out;
}

nlohmann::json to_json(const NvpModel& m, const ImportOptions& options) {
  auto modes = to_power_modes(m, options);
  nlohmann::json j{{"file", m.file}, {"default_mode", m.default_mode}, {"modes", nlohmann::json::array()}};
  for (std::size_t i = 0; i < modes.size(); ++i) {
    const auto& nm = m.modes[i];
    nlohmann::json clusters = nlohmann::json::object();
    for (const auto& c : nm.clusters) clusters[c.name] = limit_json(c.max_khz);
    nlohmann::json dla = nlohmann::json::object();
    for (const auto& [name, l] : nm.dla_max_hz) dla[name] = limit_json(l);
    nlohmann::json mode = modes[i];
    mode["online_cores"] = nm.online_cores;
    mode["cpu_max_khz"] = clusters;
    mode["gpu_max_hz"] = limit_json(nm.gpu_max_hz);
    mode["emc_max_hz"] = limit_json(nm.emc_max_hz);
    mode["dla_max_hz"] = dla;
    nlohmann::json other = nlohmann::json::object();
    for (const auto& [name, l] : nm.other_max_hz) other[name] = limit_json(l);
    mode["other_max_hz"] = other;
    if (!nm.unset_cores.empty()) mode["unset_cores"] = nm.unset_cores;
    mode["line"] = nm.line;
    j["modes"].push_back(std::move(mode));
  }
  if (!m.fan_config.empty()) j["fan_config"] = m.fan_config;
  j["warnings"] = import_warnings(m, options);
  return j;
}

}  // namespace synergai::profiling
