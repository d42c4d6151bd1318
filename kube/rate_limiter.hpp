// Client-side flow control: a token-bucket rate limiter (QPS and burst, the
// official Go client's defaults 5 and 10) and retries with exponential backoff
// and jitter. Both take time from a Clock so that tests can replace waiting by
// a record of how long the client would have waited.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <vector>

namespace synergai::kube {

class Clock {
 public:
  using duration = std::chrono::nanoseconds;
  using time_point = std::chrono::time_point<std::chrono::steady_clock, duration>;
  virtual ~Clock() = default;
  virtual time_point now() = 0;
  virtual void sleep_for(duration d) = 0;
};

// The real steady clock.
std::shared_ptr<Clock> system_clock();

// A clock whose sleep_for advances its own time instantly and records the
// request (thread-safe). now() never moves otherwise.
class ManualClock : public Clock {
 public:
  time_point now() override;
  void sleep_for(duration d) override;
  void advance(duration d);
  std::vector<duration> sleeps() const;

 private:
  mutable std::mutex mutex_;
  time_point now_{};
  std::vector<duration> sleeps_;
};

struct RateLimit {
  double qps = 5;  // tokens per second; <= 0 disables the limiter
  int burst = 10;  // bucket size
};

class RateLimiter {
 public:
  RateLimiter(RateLimit limit, std::shared_ptr<Clock> clock);
  // Takes one token, sleeping on the clock until one is available. Returns how
  // long it waited. Thread-safe: waiters are served in the order they reserve.
  Clock::duration acquire();
  // Takes a token if one is available now.
  bool try_acquire();
  std::uint64_t waits() const;  // acquisitions that had to wait

 private:
  void refill(Clock::time_point now);
  RateLimit limit_;
  std::shared_ptr<Clock> clock_;
  mutable std::mutex mutex_;
  double tokens_;
  Clock::time_point last_;
  std::uint64_t waits_ = 0;
};

struct BackoffPolicy {
  std::chrono::milliseconds initial{200};
  std::chrono::milliseconds max{10000};
  double factor = 2.0;
  double jitter = 0.2;        // a delay d becomes d * (1 + U[0, jitter])
  int max_attempts = 8;       // attempts in all (first try included); >= 1
  std::chrono::seconds max_retry_after{60};  // cap on an honoured Retry-After
  std::uint64_t seed = 0x5eed;
};

// Delays between attempts: attempt k (1-based retry number) waits
// min(max, initial * factor^(k-1)) plus jitter, or the server's Retry-After
// when given (capped, never less than the computed delay's base).
class Backoff {
 public:
  explicit Backoff(BackoffPolicy policy);
  Clock::duration delay(int retry, std::optional<std::chrono::seconds> retry_after);
  const BackoffPolicy& policy() const { return policy_; }

 private:
  BackoffPolicy policy_;
  std::mutex mutex_;
  std::mt19937_64 rng_;
};

}  // namespace synergai::kube
