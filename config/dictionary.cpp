#include "config/dictionary.hpp"

#include "support/files.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <limits>
#include <set>
#include <tuple>

namespace synergai::config {
namespace {

// Sort key for ties among equal-QPS configurations (see choose_optima).
std::tuple<int, double, int> frugality(const NodeSpec* node, const ExecConfig& c) {
  double budget = std::numeric_limits<double>::infinity();
  if (node && c.mode)
    if (const auto* m = node->find_mode(*c.mode); m && m->budget_w) budget = *m->budget_w;
  return {c.threads, budget, c.mode.value_or(-1)};
}

auto point_order(const ProfilePoint& a, const ProfilePoint& b) {
  return std::tie(a.engine, a.node, a.config) < std::tie(b.engine, b.node, b.config);
}

}  // namespace

void Dictionary::add(ProfilePoint p) {
  auto& slot = by_pair_[Key{p.engine, p.node}];
  for (auto i : slot)
    if (points_[i].config == p.config) {
      points_[i] = std::move(p);
      return;
    }
  slot.push_back(points_.size());
  points_.push_back(std::move(p));
}

void Dictionary::set_provenance(std::string_view engine, std::string_view node, const ExecConfig& c, Provenance p) {
  const auto* point = find(engine, node, c);
  if (!point) throw InputError(fmt::format("no point for {} on {} ({}) to attach provenance to", engine, node, c));
  provenance_[static_cast<std::size_t>(point - points_.data())] = std::move(p);
}

const Provenance* Dictionary::provenance(std::string_view engine, std::string_view node, const ExecConfig& c) const {
  const auto* point = find(engine, node, c);
  if (!point) return nullptr;
  auto it = provenance_.find(static_cast<std::size_t>(point - points_.data()));
  return it == provenance_.end() ? nullptr : &it->second;
}

void Dictionary::set_optimum(const std::string& engine, const std::string& node, const ExecConfig& c) {
  optimal_[Key{engine, std::string{profile(node)}}] = c;
}

void Dictionary::bind(const Testbed& testbed) {
  profile_of_ = {testbed.replica_of.begin(), testbed.replica_of.end()};
}

std::string_view Dictionary::profile(std::string_view node) const {
  if (profile_of_.empty()) return node;
  auto it = profile_of_.find(node);
  return it == profile_of_.end() ? node : std::string_view{it->second};
}

void Dictionary::choose_optima(const Testbed& tb) {
  bind(tb);
  optimal_.clear();
  for (const auto& [key, indices] : by_pair_) {
    const auto spec = tb.find_profile(key.second);
    const NodeSpec* node = spec ? &*spec : nullptr;
    const ProfilePoint* best = nullptr;
    for (auto i : indices) {
      const auto& p = points_[i];
      if (!best || p.qps > best->qps ||
          (p.qps == best->qps && frugality(node, p.config) < frugality(node, best->config)))
        best = &p;
    }
    if (best) optimal_[key] = best->config;
  }
}

const ProfilePoint* Dictionary::find(std::string_view engine, std::string_view node, const ExecConfig& c) const {
  auto it = by_pair_.find(std::pair{engine, profile(node)});
  if (it == by_pair_.end()) return nullptr;
  for (auto i : it->second)
    if (points_[i].config == c) return &points_[i];
  return nullptr;
}

const ProfilePoint* Dictionary::optimum(std::string_view engine, std::string_view node) const {
  auto it = optimal_.find(std::pair{engine, profile(node)});
  return it == optimal_.end() ? nullptr : find(engine, node, it->second);
}

std::vector<const ProfilePoint*> Dictionary::points_for(std::string_view engine, std::string_view node) const {
  std::vector<const ProfilePoint*> out;
  if (auto it = by_pair_.find(std::pair{engine, profile(node)}); it != by_pair_.end())
    for (auto i : it->second) out.push_back(&points_[i]);
  return out;
}

nlohmann::json to_json(const Dictionary& d) {
  auto points = d.points();
  std::sort(points.begin(), points.end(), point_order);
  auto optimal = nlohmann::json::array();
  std::set<std::pair<std::string, std::string>> pairs;
  for (const auto& p : points) pairs.emplace(p.engine, p.node);
  for (const auto& [engine, node] : pairs)
    if (const auto* best = d.optimum(engine, node)) {
      nlohmann::json o{{"engine", engine}, {"node", node}};
      o.update(nlohmann::json(best->config));
      optimal.push_back(std::move(o));
    }
  auto point_list = nlohmann::json::array();
  for (const auto& p : points) {
    nlohmann::json j = p;
    if (const auto* prov = d.provenance(p.engine, p.node, p.config))
      j["provenance"] = {{"executor", prov->executor}, {"time", prov->time}, {"loadgen_version", prov->loadgen_version},
                         {"repeats", prov->repeats}, {"qps_stddev", prov->qps_stddev}, {"qps_min", prov->qps_min},
                         {"qps_max", prov->qps_max}};
    point_list.push_back(std::move(j));
  }
  return nlohmann::json{{"format", dictionary_format}, {"testbed", d.testbed}, {"points", point_list}, {"optimal", optimal}};
}

std::string dump_dictionary(const Dictionary& d) { return to_json(d).dump(1, '\t') + "\n"; }

void save_dictionary(const Dictionary& d, const std::filesystem::path& path) {
  write_file_atomically(path, dump_dictionary(d));
}

Dictionary read_dictionary(const Document& doc, const Testbed* tb) {
  Diagnostics diagnostics;
  Cursor root{doc, diagnostics};
  Dictionary d;
  if (!root.object({"format", "testbed", "points", "optimal"})) diagnostics.throw_if_any();
  (void)root.field("format").string_in({dictionary_format});
  if (auto name = root.field("testbed").string()) {
    d.testbed = *name;
    if (tb && *name != tb->name)
      root.field("testbed").error(fmt::format("dictionary is for testbed \"{}\", not \"{}\"", *name, tb->name));
  }

  // A reference to an engine, node and configuration; checked against the testbed when there is one.
  auto read_ref = [&](const Cursor& c, ProfilePoint& p) {
    bool ok = true;
    if (auto e = c.field("engine").string()) p.engine = *e;
    else ok = false;
    if (auto n = c.field("node").string()) p.node = *n;
    else ok = false;
    if (auto t = c.field("threads").integer(1, 4096)) p.config.threads = static_cast<int>(*t);
    else ok = false;
    if (auto m = c.field("mode"); m.present()) {
      if (auto id = m.integer(0, 1000)) p.config.mode = static_cast<int>(*id);
      else ok = false;
    }
    if (ok && tb) {
      const auto profile = tb->find_profile(p.node);  // a node, or a replicated entry
      const NodeSpec* node = profile ? &*profile : nullptr;
      if (!tb->find_engine(p.engine)) {
        c.field("engine").error(fmt::format("unknown engine \"{}\" (not in testbed {})", p.engine, tb->name));
        ok = false;
      }
      if (!node) {
        c.field("node").error(fmt::format("unknown node \"{}\" (not in testbed {}{})", p.node, tb->name,
                                          tb->replica_of.count(p.node) ? "; its points go under its entry's name"
                                                                       : ""));
        ok = false;
      } else if (!Testbed::supports(*node, p.config)) {
        c.error(fmt::format("{} is not a configuration of node {}", p.config, p.node));
        ok = false;
      }
    }
    return ok;
  };

  for (const auto& c : root.field("points").items()) {
    if (!c.object({"engine", "node", "threads", "mode", "qps", "preprocessing_s", "inference_s", "queries", "source",
                   "provenance"}))
      continue;
    ProfilePoint p;
    bool ok = read_ref(c, p);
    auto qps = c.field("qps").number(0, 1e9, true);
    auto pre = c.field("preprocessing_s").number(0, 1e7);
    auto inf = c.field("inference_s").number(0, 1e9);
    auto queries = c.field("queries").integer(1, 1'000'000'000);
    auto source = c.field("source").string();
    if (!ok || !qps || !pre || !inf || !queries || !source) continue;
    p.qps = *qps;
    p.preprocessing = Seconds{*pre};
    p.inference = Seconds{*inf};
    p.queries = static_cast<int>(*queries);
    p.source = *source;
    if (d.find(p.engine, p.node, p.config)) {
      c.error(fmt::format("duplicate point for {} on {} ({})", p.engine, p.node, p.config));
      continue;
    }
    std::optional<Provenance> provenance;
    if (auto pc = c.field("provenance"); pc.present()) {
      if (!pc.object({"executor", "time", "loadgen_version", "repeats", "qps_stddev", "qps_min", "qps_max"})) continue;
      auto executor = pc.field("executor").string();
      auto time = pc.field("time").string();
      auto version = pc.field("loadgen_version");
      std::optional<std::string> version_text;
      if (version.present() && version.raw()->is_string()) version_text = version.raw()->get<std::string>();
      else version.expected("a string (empty when unknown)");
      auto repeats = pc.field("repeats").integer(1, 1'000'000);
      auto sd = pc.field("qps_stddev").number(0, 1e9);
      auto lo = pc.field("qps_min").number(0, 1e9);
      auto hi = pc.field("qps_max").number(0, 1e9);
      if (!executor || !time || !version_text || !repeats || !sd || !lo || !hi) continue;
      if (*lo > p.qps || *hi < p.qps) {
        pc.error(fmt::format("qps {} lies outside [qps_min {}, qps_max {}]", p.qps, *lo, *hi));
        continue;
      }
      provenance = Provenance{*executor, *time, *version_text, static_cast<int>(*repeats), *sd, *lo, *hi};
    }
    auto key = p.config;
    auto engine = p.engine, node = p.node;
    d.add(std::move(p));
    if (provenance) d.set_provenance(engine, node, key, std::move(*provenance));
  }

  std::set<std::pair<std::string, std::string>> chosen;
  for (const auto& c : root.field("optimal").items()) {
    if (!c.object({"engine", "node", "threads", "mode"})) continue;
    ProfilePoint ref;
    if (!read_ref(c, ref)) continue;
    if (!chosen.emplace(ref.engine, ref.node).second) {
      c.error(fmt::format("second optimum for {} on {}", ref.engine, ref.node));
      continue;
    }
    if (!d.find(ref.engine, ref.node, ref.config)) {
      c.error(fmt::format("optimum {} for {} on {} is not among the points", ref.config, ref.engine, ref.node));
      continue;
    }
    d.set_optimum(ref.engine, ref.node, ref.config);
  }
  if (diagnostics.empty()) {
    std::set<std::pair<std::string, std::string>> pairs;
    for (const auto& p : d.points()) pairs.emplace(p.engine, p.node);
    for (const auto& [engine, node] : pairs)
      if (!chosen.count({engine, node}))
        root.field("optimal").error(fmt::format("no optimum for {} on {}, which has points", engine, node));
  }
  diagnostics.throw_if_any();
  if (tb) d.bind(*tb);
  return d;
}

Dictionary load_dictionary(const std::filesystem::path& path, const Testbed* tb) {
  return read_dictionary(read_json_file(path), tb);
}

}  // namespace synergai::config
