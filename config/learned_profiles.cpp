#include "config/learned_profiles.hpp"

#include "messages/format.hpp"
#include "support/errors.hpp"
#include "support/files.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cmath>

namespace synergai::config {
namespace {

LearnedKey key_of(std::string_view engine, std::string_view node, const ExecConfig& config) {
  return LearnedKey{std::string{engine}, std::string{node}, config};
}

}  // namespace

LearnedProfiles::LearnedProfiles(LearningSettings settings, LearnedEntries entries)
    : settings_{settings}, entries_{std::move(entries)} {}

bool LearnedProfiles::observe(std::string_view engine, std::string_view node, const ExecConfig& config,
                              Seconds profiled, Seconds observed) {
  if (!(profiled.count() > 0) || !(observed.count() > 0) || !std::isfinite(observed.count())) return false;
  const double ratio = observed / profiled;
  std::lock_guard lock{mutex_};
  auto& point = entries_.points[key_of(engine, node, config)];
  auto& whole = entries_.nodes[std::string{node}];
  // The guard measures against the estimate in use: the point's mean, or its node's.
  const auto min = static_cast<std::uint64_t>(settings_.min_observations);
  const double current = point.observations >= min ? point.ratio : whole.observations >= min ? whole.ratio : 1.0;
  if (ratio < settings_.min_ratio * current || ratio > settings_.max_ratio * current) {
    ++point.rejected;
    ++whole.rejected;
    return false;
  }
  for (auto* e : {&point, &whole}) {
    e->ratio = e->observations == 0 ? ratio : (1 - settings_.alpha) * e->ratio + settings_.alpha * ratio;
    ++e->observations;
  }
  ++version_;
  return true;
}

std::optional<double> LearnedProfiles::factor(std::string_view engine, std::string_view node,
                                              const ExecConfig& config) const {
  const auto min = static_cast<std::uint64_t>(settings_.min_observations);
  std::lock_guard lock{mutex_};
  if (auto it = entries_.points.find(key_of(engine, node, config));
      it != entries_.points.end() && it->second.observations >= min)
    return it->second.ratio;
  if (auto it = entries_.nodes.find(node); it != entries_.nodes.end() && it->second.observations >= min)
    return it->second.ratio;
  return std::nullopt;
}

LearnedEntries LearnedProfiles::entries() const {
  std::lock_guard lock{mutex_};
  return entries_;
}

std::uint64_t LearnedProfiles::version() const {
  std::lock_guard lock{mutex_};
  return version_;
}

nlohmann::json to_json(const LearnedEntries& entries) {
  auto points = nlohmann::json::array();
  for (const auto& [k, e] : entries.points)
    points.push_back({{"engine", k.engine},
                      {"node", k.node},
                      {"threads", k.config.threads},
                      {"mode", k.config.mode ? nlohmann::json(*k.config.mode) : nlohmann::json(nullptr)},
                      {"ratio", e.ratio},
                      {"observations", e.observations},
                      {"rejected", e.rejected}});
  auto nodes = nlohmann::json::array();
  for (const auto& [node, e] : entries.nodes)
    nodes.push_back({{"node", node}, {"ratio", e.ratio}, {"observations", e.observations}, {"rejected", e.rejected}});
  return {{"format", learned_profiles_format}, {"points", points}, {"nodes", nodes}};
}

std::string dump_learned_profiles(const LearnedEntries& entries) { return to_json(entries).dump(1) + "\n"; }

void save_learned_profiles(const LearnedEntries& entries, const std::filesystem::path& path) {
  try {
    write_file_durably(path, dump_learned_profiles(entries));
  } catch (const RuntimeError& e) {
    throw RuntimeError{fmt::format("learned profiles: {}", e.what())};
  }
}

LearnedEntries read_learned_profiles(const Document& doc, const Testbed* testbed) {
  Diagnostics diagnostics;
  Cursor root{doc, diagnostics};
  LearnedEntries out;
  if (!root.object({"format", "points", "nodes"})) diagnostics.throw_if_any();
  (void)root.field("format").string_in({learned_profiles_format});
  // The figures every entry has; false when one is missing or out of range.
  auto read_entry = [](const Cursor& c, LearnedEntry& e) {
    bool ok = true;
    if (auto r = c.field("ratio").number(0, 1e6, true)) e.ratio = *r;
    else ok = false;
    if (auto n = c.field("observations").integer(0, 1LL << 53)) e.observations = static_cast<std::uint64_t>(*n);
    else ok = false;
    if (auto n = c.field("rejected").integer(0, 1LL << 53)) e.rejected = static_cast<std::uint64_t>(*n);
    else ok = false;
    return ok;
  };
  auto known_node = [&](const Cursor& c, const std::string& node) {
    if (!testbed || testbed->find_node(node)) return true;
    c.field("node").error(fmt::format("unknown node \"{}\" (not in testbed {})", node, testbed->name));
    return false;
  };
  for (const auto& c : root.field("nodes").items(true)) {
    if (!c.object({"node", "ratio", "observations", "rejected"})) continue;
    auto node = c.field("node").string();
    LearnedEntry e;
    if (!read_entry(c, e) || !node || !known_node(c, *node)) continue;
    if (!out.nodes.emplace(*node, e).second) c.error(fmt::format("a second entry for node \"{}\"", *node));
  }
  for (const auto& c : root.field("points").items(true)) {
    if (!c.object({"engine", "node", "threads", "mode", "ratio", "observations", "rejected"})) continue;
    LearnedKey k;
    bool ok = true;
    if (auto e = c.field("engine").string()) k.engine = *e;
    else ok = false;
    if (auto n = c.field("node").string()) k.node = *n;
    else ok = false;
    if (auto t = c.field("threads").integer(1, 4096)) k.config.threads = static_cast<int>(*t);
    else ok = false;
    if (auto m = c.field("mode"); m.present()) {
      if (auto id = m.integer(0, 1000)) k.config.mode = static_cast<int>(*id);
      else ok = false;
    }
    LearnedEntry e;
    if (!read_entry(c, e) || !ok) continue;
    if (testbed) {
      const auto* node = testbed->find_node(k.node);
      if (!testbed->find_engine(k.engine)) {
        c.field("engine").error(fmt::format("unknown engine \"{}\" (not in testbed {})", k.engine, testbed->name));
        continue;
      }
      if (!node) {
        c.field("node").error(fmt::format("unknown node \"{}\" (not in testbed {})", k.node, testbed->name));
        continue;
      }
      if (!Testbed::supports(*node, k.config)) {
        c.error(fmt::format("{} is not a configuration of node {}", k.config, k.node));
        continue;
      }
    }
    if (!out.points.emplace(std::move(k), e).second) c.error("a second entry for this engine, node and configuration");
  }
  diagnostics.throw_if_any();
  return out;
}

LearnedEntries load_learned_profiles(const std::filesystem::path& path, const Testbed* testbed) {
  return read_learned_profiles(read_json_file(path), testbed);
}

void read_learning_settings(const Cursor& object, LearningSettings& s) {
  if (auto f = object.field("alpha"); f.present())
    if (auto v = f.number(0, 1, true)) s.alpha = *v;
  if (auto f = object.field("min_observations"); f.present())
    if (auto v = f.integer(1, 1000000)) s.min_observations = static_cast<int>(*v);
  if (auto f = object.field("min_ratio"); f.present()) {
    if (auto v = f.number(0, 1, true)) {
      if (*v < 1) s.min_ratio = *v;
      else f.expected("a number in (0, 1)");
    }
  }
  if (auto f = object.field("max_ratio"); f.present())
    if (auto v = f.number(1, 1e6, true)) s.max_ratio = *v;
}

}  // namespace synergai::config
