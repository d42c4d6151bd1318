#include "profiling/performance_model.hpp"

#include "support/errors.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>

namespace synergai::profiling {
namespace {

using config::Cursor;

std::optional<int> parse_mode_key(const std::string& key) {
  int id = 0;
  auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), id);
  if (ec != std::errc{} || end != key.data() + key.size()) return std::nullopt;
  return id;
}

std::optional<NodeModel> read_node_model(const Cursor& c, const config::Testbed& tb, std::set<std::string>& seen) {
  if (!c.object({"node", "preprocessing_factor", "reference_mode", "mode_speed"})) return std::nullopt;
  NodeModel m;
  auto name = c.field("node").string();
  if (!name) return std::nullopt;
  m.node = *name;
  const auto profile = tb.find_profile(m.node);  // a node, or a replicated entry
  const NodeSpec* spec = profile ? &*profile : nullptr;
  if (!spec) {
    c.field("node").error(fmt::format("unknown node \"{}\" (not in testbed {})", m.node, tb.name));
    return std::nullopt;
  }
  if (!seen.insert(m.node).second) {
    c.field("node").error(fmt::format("second model for node \"{}\"", m.node));
    return std::nullopt;
  }
  bool ok = true;
  if (auto f = c.field("preprocessing_factor").number(0, 1000, true)) m.preprocessing_factor = *f;
  else ok = false;
  if (spec->has_modes() && !spec->thread_options.empty()) {
    c.error(fmt::format("node {} has both thread_options and power_modes; the performance model supports nodes "
                        "tuned either by thread count or by power mode",
                        m.node));
    return std::nullopt;
  }
  if (!spec->has_modes()) {
    m.max_threads = *std::max_element(spec->thread_options.begin(), spec->thread_options.end());
    for (auto key : {"reference_mode", "mode_speed"})
      if (c.field(key).present()) {
        c.field(key).error(fmt::format("node {} has no power_modes", m.node));
        ok = false;
      }
    return ok ? std::optional{m} : std::nullopt;
  }
  m.max_threads = spec->cpus;
  if (auto ref = c.field("reference_mode").integer(0, 1000)) {
    if (!spec->find_mode(static_cast<int>(*ref))) {
      c.field("reference_mode").error(fmt::format("power mode {} is not one of node {}'s power_modes", *ref, m.node));
      ok = false;
    } else {
      m.reference_mode = static_cast<int>(*ref);
    }
  } else {
    ok = false;
  }
  auto speeds = c.field("mode_speed");
  if (!speeds.present() || !speeds.raw()->is_object()) {
    speeds.expected("a mapping of power mode ids to relative speeds");
    return std::nullopt;
  }
  for (const auto& key : speeds.keys()) {
    auto value = speeds.field(key);
    auto id = parse_mode_key(key);
    if (!id || !spec->find_mode(*id)) {
      value.error(fmt::format("\"{}\" is not one of node {}'s power mode ids", key, m.node));
      ok = false;
    } else if (auto s = value.number(0, 1000, true)) {
      m.mode_speed[*id] = *s;
    } else {
      ok = false;
    }
  }
  for (const auto& mode : spec->power_modes)
    if (!m.mode_speed.count(mode.id) && ok) {
      speeds.error(fmt::format("no speed for power mode {} of node {}", mode.id, m.node));
      ok = false;
    }
  return ok ? std::optional{m} : std::nullopt;
}

std::optional<ThreadLaw> read_thread_law(const Cursor& c, const NodeSpec& node) {
  if (!c.object({"qps_1thread", "exponent", "contention", "collapse"})) return std::nullopt;
  ThreadLaw law;
  auto q1 = c.field("qps_1thread").number(0, 1e6, true);
  auto a = c.field("exponent").number(0, 1, true);
  auto k = c.field("contention").number(0, 1);
  if (!q1 || !a || !k) return std::nullopt;
  law.qps_1thread = *q1;
  law.exponent = *a;
  law.contention = *k;
  if (auto col = c.field("collapse"); col.present()) {
    if (!col.object({"from_threads", "speedup"})) return std::nullopt;
    auto from = col.field("from_threads").integer(2, node.cpus);
    auto s = col.field("speedup").number(0, 1000, true);
    if (!from || !s) return std::nullopt;
    law.collapse = Collapse{static_cast<int>(*from), *s};
  }
  return law;
}

std::optional<ModeLaw> read_mode_law(const Cursor& c) {
  if (!c.object({"qps", "mode_sensitivity"})) return std::nullopt;
  auto q = c.field("qps").number(0, 1e6, true);
  auto b = c.field("mode_sensitivity").number(0, 10);
  if (!q || !b) return std::nullopt;
  return ModeLaw{*q, *b};
}

std::optional<EngineModel> read_engine_model(const Cursor& c, const config::Testbed& tb,
                                             const std::vector<NodeModel>& nodes, std::set<std::string>& seen) {
  if (!c.object({"engine", "preprocessing_s", "preprocessing_thread_saving", "performance"})) return std::nullopt;
  EngineModel e;
  auto id = c.field("engine").string();
  if (!id) return std::nullopt;
  e.engine = *id;
  if (!tb.find_engine(e.engine)) {
    c.field("engine").error(fmt::format("unknown engine \"{}\" (not in testbed {})", e.engine, tb.name));
    return std::nullopt;
  }
  if (!seen.insert(e.engine).second) {
    c.field("engine").error(fmt::format("second model for engine \"{}\"", e.engine));
    return std::nullopt;
  }
  bool ok = true;
  if (auto p = c.field("preprocessing_s").number(0, 1e6, true)) e.preprocessing_s = *p;
  else ok = false;
  if (auto d = c.field("preprocessing_thread_saving").number(0, 0.99)) e.preprocessing_thread_saving = *d;
  else ok = false;
  auto perf = c.field("performance");
  if (!perf.present() || !perf.raw()->is_object()) {
    perf.expected("a mapping of node names to performance laws");
    return std::nullopt;
  }
  for (const auto& key : perf.keys()) {
    auto law = perf.field(key);
    const auto profile = tb.find_profile(key);
    const NodeSpec* node = profile ? &*profile : nullptr;
    if (!node) {
      law.error(fmt::format("unknown node \"{}\" (not in testbed {})", key, tb.name));
      ok = false;
    } else if (node->has_modes()) {
      if (auto m = read_mode_law(law)) e.mode_laws[key] = *m;
      else ok = false;
    } else {
      if (auto t = read_thread_law(law, *node)) e.thread_laws[key] = *t;
      else ok = false;
    }
  }
  if (ok)
    for (const auto& n : nodes)
      if (!e.thread_laws.count(n.node) && !e.mode_laws.count(n.node)) {
        perf.error(fmt::format("no performance law for node {}", n.node));
        ok = false;
      }
  return ok ? std::optional{e} : std::nullopt;
}

}  // namespace

double ThreadLaw::speedup(int threads) const {
  if (collapse && threads >= collapse->from_threads) return collapse->speedup;
  double t = threads;
  return std::pow(t, exponent) / (1 + contention * t * (t - 1));
}

const NodeModel* PerformanceModel::find_node(std::string_view node) const {
  auto it = std::find_if(nodes.begin(), nodes.end(), [&](const NodeModel& n) { return n.node == node; });
  return it == nodes.end() ? nullptr : &*it;
}

const EngineModel* PerformanceModel::find_engine(std::string_view engine) const {
  auto it = std::find_if(engines.begin(), engines.end(), [&](const EngineModel& e) { return e.engine == engine; });
  return it == engines.end() ? nullptr : &*it;
}

namespace {

std::pair<const EngineModel*, const NodeModel*> lookup(const PerformanceModel& m, std::string_view engine,
                                                       std::string_view node) {
  const auto* e = m.find_engine(engine);
  if (!e) throw InputError{fmt::format("the performance model has no engine \"{}\"", engine)};
  const auto* n = m.find_node(node);
  if (!n) throw InputError{fmt::format("the performance model has no node \"{}\"", node)};
  return {e, n};
}

}  // namespace

double PerformanceModel::qps(std::string_view engine, std::string_view node, const ExecConfig& c) const {
  auto [e, n] = lookup(*this, engine, node);
  if (n->by_mode()) {
    if (!c.mode || !n->mode_speed.count(*c.mode))
      throw InputError{fmt::format("{} is not a configuration of node {}", c, node)};
    const auto& law = e->mode_laws.at(std::string{node});
    double ratio = n->mode_speed.at(*c.mode) / n->mode_speed.at(*n->reference_mode);
    return law.qps * std::pow(ratio, law.mode_sensitivity);
  }
  if (c.mode || c.threads < 1 || c.threads > n->max_threads)
    throw InputError{fmt::format("{} is not a configuration of node {}", c, node)};
  const auto& law = e->thread_laws.at(std::string{node});
  return law.qps_1thread * law.speedup(c.threads);
}

Seconds PerformanceModel::preprocessing(std::string_view engine, std::string_view node, const ExecConfig& c) const {
  auto [e, n] = lookup(*this, engine, node);
  double base = e->preprocessing_s * n->preprocessing_factor;
  if (n->by_mode()) return Seconds{base};
  double d = e->preprocessing_thread_saving;
  double share = n->max_threads > 1 ? std::log2(static_cast<double>(c.threads)) / std::log2(n->max_threads) : 0.0;
  return Seconds{base / (1 - d) * (1 - d * share)};
}

// Points are rounded (QPS to 1e-4, seconds to 1e-3) so that the dictionary's
// bytes do not depend on the last bit of the platform's pow and log2.
double rounded(double x, double unit) { return std::round(x / unit) * unit; }

ProfilePoint PerformanceModel::point(std::string_view engine, std::string_view node, const ExecConfig& c) const {
  ProfilePoint p;
  p.engine = std::string{engine};
  p.node = std::string{node};
  p.config = c;
  p.qps = rounded(qps(engine, node, c), 1e-4);
  p.preprocessing = Seconds{rounded(preprocessing(engine, node, c).count(), 1e-3)};
  p.queries = profiling_queries;
  p.inference = Seconds{rounded(profiling_queries / p.qps, 1e-3)};
  p.source = "model";
  return p;
}

bool is_performance_model(const config::Document& doc) {
  return doc.root.is_object() && doc.root.contains("format") && doc.root["format"].is_string() &&
         doc.root["format"].get<std::string>().rfind("synergai.performance-model", 0) == 0;
}

PerformanceModel read_performance_model(const config::Document& doc, const config::Testbed& tb) {
  config::Diagnostics diagnostics;
  Cursor root{doc, diagnostics};
  PerformanceModel m;
  if (!root.object({"format", "testbed", "description", "profiling_queries", "nodes", "engines"}))
    diagnostics.throw_if_any();
  (void)root.field("format").string_in({performance_model_format});
  if (auto name = root.field("testbed").string()) {
    m.testbed = *name;
    if (*name != tb.name)
      root.field("testbed").error(fmt::format("performance model is for testbed \"{}\", not \"{}\"", *name, tb.name));
  }
  if (auto d = root.field("description").optional_string()) m.description = *d;
  if (auto q = root.field("profiling_queries").integer(1, 100'000'000)) m.profiling_queries = static_cast<int>(*q);

  std::set<std::string> node_names;
  bool nodes_ok = true;
  for (const auto& c : root.field("nodes").items()) {
    if (auto n = read_node_model(c, tb, node_names)) m.nodes.push_back(std::move(*n));
    else nodes_ok = false;
  }
  if (nodes_ok)
    for (const auto& n : tb.profiles())
      if (!node_names.count(n.name)) root.field("nodes").error(fmt::format("no model for node {}", n.name));

  std::set<std::string> engine_ids;
  bool engines_ok = true;
  for (const auto& c : root.field("engines").items()) {
    if (auto e = read_engine_model(c, tb, m.nodes, engine_ids)) m.engines.push_back(std::move(*e));
    else engines_ok = false;
  }
  if (engines_ok)
    for (const auto& e : tb.engines)
      if (!engine_ids.count(e.id)) root.field("engines").error(fmt::format("no model for engine {}", e.id));
  diagnostics.throw_if_any();
  return m;
}

PerformanceModel load_performance_model(const std::filesystem::path& path, const config::Testbed& tb) {
  return read_performance_model(config::read_yaml_file(path), tb);
}

PerformanceModel load_testbed_model(const config::Testbed& tb) {
  if (tb.performance_model.empty())
    throw InputError{fmt::format("testbed {} names no performance_model", tb.name)};
  return load_performance_model(tb.performance_model, tb);
}

config::Dictionary build_dictionary(const config::Testbed& tb, const PerformanceModel& model) {
  config::Dictionary d;
  d.testbed = tb.name;
  const auto profiles = tb.profiles();  // each kind of hardware once
  for (const auto& e : tb.engines)
    for (const auto& n : profiles)
      for (const auto& c : n.configurations()) d.add(model.point(e.id, n.name, c));
  d.choose_optima(tb);
  return d;
}

}  // namespace synergai::profiling
