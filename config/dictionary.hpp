// The configuration dictionary: the offline phase's output and the online
// phase's only knowledge of performance. Every profiled point (engine, node,
// configuration -> QPS, pre-processing, inference) plus the chosen optimum c*
// per (engine, node). Stored as JSON (docs/configuration.md). A testbed's
// replicated nodes share one profile (Testbed::replica_of): the dictionary
// holds it once, and once bound to the testbed answers for every replica.
#pragma once

#include "config/document.hpp"
#include "config/testbed.hpp"
#include "messages/profile.hpp"

#include <nlohmann/json_fwd.hpp>

#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace synergai::config {

inline constexpr std::string_view dictionary_format = "synergai.dictionary/1";

// Where a measured point came from (optional; the model's points have none):
// the executor that ran it, when, with which LoadGen, and the spread of QPS
// over its repeats.
struct Provenance {
  std::string executor;         // simulated, kube, ...
  std::string time;             // UTC, ISO 8601, of the last repeat
  std::string loadgen_version;  // empty when unknown
  int repeats = 1;
  double qps_stddev = 0;  // sample standard deviation over the repeats
  double qps_min = 0;
  double qps_max = 0;

  friend bool operator==(const Provenance&, const Provenance&) = default;
};

class Dictionary {
 public:
  std::string testbed;  // name of the testbed it describes

  // Adds a point; a point for the same (engine, node, config) replaces it.
  void add(ProfilePoint p);
  // Attaches provenance to an existing point (InputError if there is none).
  void set_provenance(std::string_view engine, std::string_view node, const ExecConfig& c, Provenance p);
  const Provenance* provenance(std::string_view engine, std::string_view node, const ExecConfig& c) const;
  void set_optimum(const std::string& engine, const std::string& node, const ExecConfig& c);
  // c* per (engine, profile): highest QPS; ties to fewer threads, then to the
  // mode with the lower power budget (unlimited counts highest), then lower id.
  // Binds the dictionary to the testbed.
  void choose_optima(const Testbed& testbed);
  // From now on a node is looked up by its profile (Testbed::profile_of):
  // the replicas of an entry find the entry's points.
  void bind(const Testbed& testbed);

  const std::vector<ProfilePoint>& points() const { return points_; }
  const ProfilePoint* find(std::string_view engine, std::string_view node, const ExecConfig& c) const;
  const ProfilePoint* optimum(std::string_view engine, std::string_view node) const;
  std::vector<const ProfilePoint*> points_for(std::string_view engine, std::string_view node) const;
  std::size_t optimum_count() const { return optimal_.size(); }

 private:
  using Key = std::pair<std::string, std::string>;  // (engine, node)
  // Orders keys and allows lookup by a pair of string_views without copies.
  struct KeyLess {
    using is_transparent = void;
    template <class A, class B>
    bool operator()(const A& a, const B& b) const {
      return std::pair<std::string_view, std::string_view>{a.first, a.second} <
             std::pair<std::string_view, std::string_view>{b.first, b.second};
    }
  };
  std::vector<ProfilePoint> points_;
  std::map<Key, std::vector<std::size_t>, KeyLess> by_pair_;  // indices into points_
  std::map<Key, ExecConfig, KeyLess> optimal_;
  std::map<std::size_t, Provenance> provenance_;  // by index into points_
  std::map<std::string, std::string, std::less<>> profile_of_;  // replica -> profile (bind)

  std::string_view profile(std::string_view node) const;
};

// Canonical JSON: points sorted by engine, node, threads, mode.
nlohmann::json to_json(const Dictionary& d);
std::string dump_dictionary(const Dictionary& d);  // the exact bytes save writes
void save_dictionary(const Dictionary& d, const std::filesystem::path& path);

// With a testbed, also rejects references to engines, nodes or configurations
// it does not have. Throws ValidationError.
Dictionary read_dictionary(const Document& doc, const Testbed* testbed = nullptr);
Dictionary load_dictionary(const std::filesystem::path& path, const Testbed* testbed = nullptr);

}  // namespace synergai::config
