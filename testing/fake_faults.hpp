// The fake API server's fault reactors: what goes wrong on purpose, per
// endpoint (Faults in testing/fake_types.hpp). Before a request is routed
// it may be delayed, its connection reset, or answered with an injected error
// (with Retry-After on 429 and 503); a watch may answer 410 when it resumes
// from a resourceVersion, have its stream cut before an event or after N
// events, or be cut with every other open watch at once (drop_watches). The
// draws come from the server's one seeded generator, under its lock.
#pragma once

#include "testing/fake_types.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <vector>

namespace synergai::kube::fake {

class FaultReactors {
 public:
  explicit FaultReactors(std::mt19937_64& rng) : rng_{rng} {}

  // Everything below is used under the server's lock.
  Faults of(Endpoint endpoint) const;
  void set(Endpoint endpoint, Faults faults);
  void clear();

  // What a request meets once its latency is paid: its connection reset, an
  // injected error answer, or nothing (routed as usual).
  struct Injected {
    bool reset = false;
    int code = 0;                        // the error's HTTP status when not reset
    std::optional<int> retry_after_s;    // Retry-After for 429 and 503
  };
  std::optional<Injected> before_request(const Faults& faults);

  // Whether a watch of `endpoint` resuming from a resourceVersion is answered
  // 410 on purpose (uses up one of gone_on_resume_next).
  bool gone_on_resume(Endpoint endpoint, const Faults& faults);
  // For each of `events` events about to be sent, whether the stream is cut before it.
  std::vector<bool> drops_before(const Faults& faults, std::size_t events);

  // Cuts every open watch: a watch ends once the generation it started in is past.
  void drop_watches() { ++generation_; }
  std::uint64_t watch_generation() const { return generation_; }

 private:
  double uniform() { return std::uniform_real_distribution<double>{0, 1}(rng_); }

  std::mt19937_64& rng_;
  std::map<Endpoint, Faults> by_endpoint_;
  std::uint64_t generation_ = 0;
};

}  // namespace synergai::kube::fake
