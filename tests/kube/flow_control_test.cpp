// Rate limiting and retries, observed without depending on timing: the client
// waits on a ManualClock that records every wait, and the fake server counts
// requests.
#include "kube/rate_limiter.hpp"
#include "tests/kube/fake_fixture.hpp"

#include <boost/test/unit_test.hpp>

using namespace synergai;
using namespace std::chrono_literals;
using kube::fake::Endpoint;
using kube::fake::Faults;

namespace {

double secs(kube::Clock::duration d) { return std::chrono::duration<double>(d).count(); }

kube::ClientOptions manual_options(std::shared_ptr<kube::ManualClock> clock) {
  auto o = test::FakeCluster::fast_options();
  o.clock = std::move(clock);
  return o;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(kube_flow_control)

BOOST_AUTO_TEST_CASE(token_bucket_defaults_match_the_go_client) {
  kube::RateLimit d;
  BOOST_TEST(d.qps == 5.0);
  BOOST_TEST(d.burst == 10);
  auto clock = std::make_shared<kube::ManualClock>();
  kube::RateLimiter limiter{d, clock};
  for (int i = 0; i < 10; ++i) BOOST_TEST(limiter.acquire() == kube::Clock::duration::zero());
  // The 11th to 13th each wait one token's worth: 1/5 s.
  for (int i = 0; i < 3; ++i) BOOST_TEST(secs(limiter.acquire()) == 0.2, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(limiter.waits() == 3u);
  clock->advance(2s);  // refills 10 tokens, capped at the burst
  BOOST_TEST(limiter.try_acquire());
  for (int i = 0; i < 9; ++i) BOOST_TEST(limiter.try_acquire());
  BOOST_TEST(!limiter.try_acquire());
}

BOOST_AUTO_TEST_CASE(backoff_grows_exponentially_with_bounded_jitter) {
  kube::BackoffPolicy p;
  p.initial = 100ms;
  p.max = 1s;
  p.factor = 2;
  p.jitter = 0.5;
  kube::Backoff b{p};
  double expected[] = {0.1, 0.2, 0.4, 0.8, 1.0, 1.0};
  for (int k = 1; k <= 6; ++k) {
    double d = secs(b.delay(k, std::nullopt));
    BOOST_TEST(d >= expected[k - 1]);
    BOOST_TEST(d <= expected[k - 1] * 1.5 + 1e-9);
  }
  BOOST_TEST(secs(b.delay(1, 7s)) == 7.0);      // Retry-After wins
  BOOST_TEST(secs(b.delay(1, 600s)) == 60.0);   // but is capped
  kube::Backoff same{p}, again{p};
  BOOST_TEST(same.delay(3, std::nullopt) == again.delay(3, std::nullopt));  // seeded: reproducible
}

BOOST_AUTO_TEST_CASE(client_waits_for_tokens_in_order) {
  test::FakeCluster c;
  auto clock = std::make_shared<kube::ManualClock>();
  auto o = manual_options(clock);
  o.rate_limit = {5, 2};
  auto client = c.client(o);
  for (int i = 0; i < 5; ++i) client->version();
  auto sleeps = clock->sleeps();
  BOOST_TEST_REQUIRE(sleeps.size() == 3u);  // the first two used the burst
  for (auto s : sleeps) BOOST_TEST(secs(s) == 0.2, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(client->stats().throttled == 3u);
  BOOST_TEST(c.server.count(Endpoint::version, 200) == 5u);
}

BOOST_AUTO_TEST_CASE(retry_after_is_honoured_on_503) {
  test::FakeCluster c;
  Faults f;
  f.error_rates = {{503, 1.0}};
  f.retry_after_s = 7;
  c.server.set_faults(Endpoint::list_jobs, f);
  auto clock = std::make_shared<kube::ManualClock>();
  auto o = manual_options(clock);
  o.backoff.max_attempts = 3;
  auto client = c.client(o);
  try {
    client->list_jobs("");
    BOOST_FAIL("expected 503");
  } catch (const kube::ApiError& e) {
    BOOST_TEST(e.code() == 503);
    BOOST_TEST(e.reason() == "ServiceUnavailable");
    BOOST_TEST(e.retry_after().has_value());
  }
  BOOST_TEST(c.server.count(Endpoint::list_jobs) == 3u);
  auto sleeps = clock->sleeps();
  BOOST_TEST_REQUIRE(sleeps.size() == 2u);
  BOOST_TEST(secs(sleeps[0]) == 7.0);
  BOOST_TEST(secs(sleeps[1]) == 7.0);
}

BOOST_AUTO_TEST_CASE(retries_429_then_succeeds_with_backoff_order) {
  test::FakeCluster c;
  auto clock = std::make_shared<kube::ManualClock>();
  auto o = manual_options(clock);
  o.backoff.initial = 100ms;
  o.backoff.max = 10s;
  o.backoff.jitter = 0;
  Faults f;
  f.error_rates = {{429, 1.0}};
  c.server.set_faults(Endpoint::version, f);
  // Let four 429s through, then heal the server from another thread once the
  // client has slept four times (the manual clock records it).
  std::thread healer{[&] {
    test::eventually([&] { return clock->sleeps().size() >= 4; }, "clock->sleeps().size() >= 4");
    c.server.clear_faults();
  }};
  // The client's sleeps return at once, so it may go through more attempts
  // before the healer acts: bound them by max_attempts instead of timing.
  o.backoff.max_attempts = 1000;
  kube::Client slow{c.credentials(), o};
  auto v = slow.version();
  healer.join();
  BOOST_TEST(v.contains("major"));
  auto sleeps = clock->sleeps();
  BOOST_TEST_REQUIRE(sleeps.size() >= 4u);
  BOOST_TEST(secs(sleeps[0]) == 0.1, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(secs(sleeps[1]) == 0.2, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(secs(sleeps[2]) == 0.4, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(secs(sleeps[3]) == 0.8, boost::test_tools::tolerance(1e-9));
  // Every failed attempt was answered 429 and exactly one succeeded.
  BOOST_TEST(c.server.count(Endpoint::version, 429) == sleeps.size());
  BOOST_TEST(c.server.count(Endpoint::version, 200) == 1u);
}

BOOST_AUTO_TEST_CASE(client_errors_are_not_retried) {
  test::FakeCluster c;
  auto clock = std::make_shared<kube::ManualClock>();
  auto client = c.client(manual_options(clock));
  BOOST_CHECK_THROW(client->get_job("missing"), kube::ApiError);
  BOOST_TEST(c.server.count(Endpoint::get_job) == 1u);
  BOOST_TEST(clock->sleeps().empty());
}

BOOST_AUTO_TEST_CASE(connection_resets_are_retried) {
  test::FakeCluster c;
  Faults f;
  f.reset_rate = 1.0;
  c.server.set_faults(Endpoint::get_node, f);
  auto clock = std::make_shared<kube::ManualClock>();
  auto o = manual_options(clock);
  o.backoff.max_attempts = 4;
  auto client = c.client(o);
  try {
    client->get_node("n");
    BOOST_FAIL("expected a transport error");
  } catch (const kube::ApiError& e) {
    BOOST_TEST(e.is_transport());
  }
  BOOST_TEST(client->stats().attempts == 4u);
  BOOST_TEST(client->stats().transport_errors == 4u);
  BOOST_TEST(c.server.count(Endpoint::get_node, 0) == 4u);
  BOOST_TEST(clock->sleeps().size() == 3u);
}

BOOST_AUTO_TEST_SUITE_END()
