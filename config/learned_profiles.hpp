// Profiles that learn online. The dictionary is measured once, offline; a
// real node drifts from it (thermal throttling, a replaced board, co-located
// load). This store keeps, per (engine, node, configuration), an
// exponentially weighted mean of the ratio observed / profiled execution time
// of the runs that succeeded there, and says when that mean is to be trusted.
// It keeps the same mean per node over all its engines and configurations
// too: drift is mostly the node's (a throttled or replaced board slows every
// engine on it), and a short run sees few runs of any one engine. An entry
// with too few observations of its own borrows its node's mean.
// Performance (config/performance.hpp) multiplies its estimates by it when
// learning is on. Stored as JSON beside the dictionary (docs/configuration.md).
//
// Thread-safe: workers on several threads observe while the scheduler reads;
// one mutex guards the entries (Performance keeps a lock-free copy of the
// factors its hot path reads).
#pragma once

#include "config/document.hpp"
#include "config/testbed.hpp"
#include "messages/exec_config.hpp"
#include "messages/time.hpp"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>

namespace synergai::config {

inline constexpr std::string_view learned_profiles_format = "synergai.learned-profiles/1";

struct LearningSettings {
  // Weight of a new observation in the running mean: mean = (1 - alpha) mean
  // + alpha ratio. The first accepted observation starts the mean.
  double alpha = 0.3;
  // Outlier guard: an observation whose ratio is outside [min_ratio,
  // max_ratio] times the current mean (1 before any) is counted but ignored.
  double min_ratio = 0.2;
  double max_ratio = 5;
  // A mean is used only once this many observations were accepted.
  int min_observations = 3;
};

struct LearnedKey {
  std::string engine;
  std::string node;
  ExecConfig config;
  friend auto operator<=>(const LearnedKey&, const LearnedKey&) = default;
  friend bool operator==(const LearnedKey&, const LearnedKey&) = default;
};

struct LearnedEntry {
  double ratio = 1;                // mean of observed / profiled execution time
  std::uint64_t observations = 0;  // accepted
  std::uint64_t rejected = 0;      // ignored by the outlier guard
  friend bool operator==(const LearnedEntry&, const LearnedEntry&) = default;
};

struct LearnedEntries {
  std::map<LearnedKey, LearnedEntry> points;               // per (engine, node, configuration)
  std::map<std::string, LearnedEntry, std::less<>> nodes;  // per node, over every run on it
  friend bool operator==(const LearnedEntries&, const LearnedEntries&) = default;
};

class LearnedProfiles {
 public:
  explicit LearnedProfiles(LearningSettings settings = {}, LearnedEntries entries = {});

  const LearningSettings& settings() const { return settings_; }

  // Folds in one run: `profiled` is the dictionary's time for it, `observed`
  // what it took. False when the guard (or a non-positive time) rejected it.
  bool observe(std::string_view engine, std::string_view node, const ExecConfig& config, Seconds profiled,
               Seconds observed);
  // The factor to multiply the profiled time by: the entry's mean once it has
  // min_observations accepted observations, else its node's mean once that
  // has, else empty.
  std::optional<double> factor(std::string_view engine, std::string_view node, const ExecConfig& config) const;
  LearnedEntries entries() const;  // a copy
  // Counts accepted observations: a saved copy is current while it is unchanged.
  std::uint64_t version() const;

 private:
  LearningSettings settings_;
  mutable std::mutex mutex_;
  LearnedEntries entries_;
  std::uint64_t version_ = 0;
};

// Canonical JSON: points sorted by engine, node, threads, mode; nodes by name.
nlohmann::json to_json(const LearnedEntries& entries);
std::string dump_learned_profiles(const LearnedEntries& entries);
// Writes a temporary file beside `path`, flushes it to disk (fsync), renames
// it over `path` and flushes the folder: a crash leaves the old or the new
// file, never half of one. Throws RuntimeError naming the file.
void save_learned_profiles(const LearnedEntries& entries, const std::filesystem::path& path);

// With a testbed, also rejects nodes, engines and configurations it does not
// have. Throws ValidationError naming the file and the field.
LearnedEntries read_learned_profiles(const Document& doc, const Testbed* testbed = nullptr);
LearnedEntries load_learned_profiles(const std::filesystem::path& path, const Testbed* testbed = nullptr);

// The learning settings' fields of an object (alpha, min_observations,
// min_ratio, max_ratio; each optional): the caller checks the object's keys.
// Problems go to the cursor's diagnostics.
void read_learning_settings(const Cursor& object, LearningSettings& settings);

}  // namespace synergai::config
