// Watches: event streams with bookmarks, resuming after dropped connections,
// re-listing after 410 (as an ERROR event and as an HTTP status).
#include "config/testbed.hpp"
#include "kube/manifest.hpp"
#include "kube/watcher.hpp"
#include "tests/kube/fake_fixture.hpp"
#include "tests/support.hpp"

#include <boost/test/unit_test.hpp>

#include <map>
#include <mutex>

using namespace synergai;
using namespace std::chrono_literals;
using nlohmann::json;
using kube::fake::Endpoint;
using test::sample_job;
using kube::fake::Faults;

namespace {

kube::fake::JobPlan quick(const json&) {
  kube::fake::JobPlan p;
  p.start_after = 1ms;
  p.run_for = 10ms;
  return p;
}

// What a watcher has seen: the latest object per Job name.
struct Seen {
  std::mutex m;
  std::map<std::string, json> latest;
  std::map<std::string, int> events;
  int lists = 0;

  kube::JobWatcher::Handlers handlers() {
    kube::JobWatcher::Handlers h;
    h.on_list = [this](const std::vector<json>& items, const std::string&) {
      std::lock_guard l{m};
      ++lists;
      for (const auto& j : items) latest[j["metadata"]["name"]] = j;
    };
    h.on_event = [this](const kube::WatchEvent& ev) {
      std::lock_guard l{m};
      ++events[ev.type];
      latest[ev.object["metadata"]["name"]] = ev.object;
    };
    return h;
  }
  std::size_t complete() {
    std::lock_guard l{m};
    std::size_t n = 0;
    for (const auto& [name, j] : latest)
      if (j.contains("/status/succeeded"_json_pointer)) ++n;
    return n;
  }
};

kube::BackoffPolicy fast_backoff() {
  kube::BackoffPolicy p;
  p.initial = 1ms;
  p.max = 20ms;
  return p;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(kube_watch)

BOOST_AUTO_TEST_CASE(stream_carries_added_modified_deleted_and_bookmarks) {
  kube::fake::ServerOptions so;
  so.bookmark_interval = 20ms;
  test::FakeCluster c{so};
  c.server.set_job_rule(quick);
  auto client = c.client();
  auto list = client->list_jobs(kube::managed_selector());
  auto stream = client->watch_jobs(kube::managed_selector(), list.resource_version);
  client->create_job(sample_job("w1"));
  std::vector<std::string> types;
  std::uint64_t last_rv = std::stoull(list.resource_version);
  bool monotonic = true;
  bool deleted = false;
  while (auto ev = stream->next()) {
    types.push_back(ev->type);
    auto rv = std::stoull(ev->object["metadata"]["resourceVersion"].get<std::string>());
    if (ev->type != "BOOKMARK") {
      monotonic = monotonic && rv > last_rv;
      last_rv = rv;
    }
    if (ev->type == "MODIFIED" && ev->object.contains("/status/succeeded"_json_pointer) && !deleted) {
      client->delete_job(kube::job_name("w1"));
      deleted = true;
    }
    if (ev->type == "DELETED") break;
  }
  BOOST_TEST(monotonic);
  std::vector<std::string> changes;
  for (const auto& t : types)
    if (t != "BOOKMARK") changes.push_back(t);
  std::vector<std::string> expected{"ADDED", "MODIFIED", "MODIFIED", "DELETED"};
  BOOST_TEST(changes == expected, boost::test_tools::per_element());
  // A bookmark arrives on an idle stream.
  auto idle = client->watch_jobs(kube::managed_selector(), std::to_string(last_rv));
  auto ev = idle->next();
  BOOST_TEST_REQUIRE(ev.has_value());
  BOOST_TEST(ev->type == "BOOKMARK");
  BOOST_TEST(ev->object["metadata"]["resourceVersion"] == std::to_string(c.server.resource_version()));
}

BOOST_AUTO_TEST_CASE(watcher_resumes_after_drops_without_losing_events) {
  test::FakeCluster c;
  c.server.set_job_rule(quick);
  auto client = c.client();
  Faults f;
  f.drop_after_events = 3;  // every stream dies after three events
  c.server.set_faults(Endpoint::watch_jobs, f);
  Seen seen;
  kube::JobWatcher w{*client, kube::managed_selector(), "default", seen.handlers(), fast_backoff()};
  std::thread t{[&] { w.run(); }};
  BOOST_TEST_REQUIRE(test::eventually([&] { return w.stats().watches >= 1; }, "w.stats().watches >= 1"));
  for (int i = 0; i < 20; ++i) client->create_job(sample_job("r" + std::to_string(i)));
  test::eventually([&] { return seen.complete() == 20; }, "seen.complete() == 20");
  w.stop();
  t.join();
  auto s = w.stats();
  BOOST_TEST_MESSAGE("lists " << s.lists << " watches " << s.watches << " resumes " << s.resumes << " events "
                              << s.events << " failures " << s.failures << " complete " << seen.complete());
  BOOST_TEST(s.lists == 1u);       // resumed from resourceVersions, never re-listed
  BOOST_TEST(s.resumes >= 10u);    // 60 events, 3 per stream
  BOOST_TEST(s.gone == 0u);
  BOOST_TEST(c.server.count(Endpoint::watch_jobs, 0) >= 10u);  // the drops, as the server saw them
}

BOOST_AUTO_TEST_CASE(watcher_relists_after_expired_error_event) {
  test::FakeCluster c;
  c.server.set_job_rule(quick);
  auto client = c.client();
  Seen seen;
  kube::JobWatcher w{*client, kube::managed_selector(), "default", seen.handlers(), fast_backoff()};
  std::thread t{[&] { w.run(); }};
  BOOST_TEST_REQUIRE(test::eventually([&] { return w.stats().watches >= 1; }, "w.stats().watches >= 1"));
  client->create_job(sample_job("g1"));
  BOOST_TEST_REQUIRE(test::eventually([&] { return seen.complete() == 1; }, "seen.complete() == 1"));
  // The stream is cut and cannot come back (503) while g2 is created and the
  // history compacted: the resume then gets 410 Expired.
  Faults down;
  down.error_rates = {{503, 1.0}};
  c.server.set_faults(Endpoint::watch_jobs, down);
  c.server.drop_watches();
  client->create_job(sample_job("g2"));
  BOOST_TEST_REQUIRE(test::eventually([&] { return c.server.count(Endpoint::watch_jobs, 503) >= 1; },
      "c.server.count(Endpoint::watch_jobs, 503) >= 1"));
  c.server.compact();
  c.server.clear_faults();
  test::eventually([&] { return seen.complete() == 2; }, "seen.complete() == 2");
  w.stop();
  t.join();
  BOOST_TEST(w.stats().gone >= 1u);
  BOOST_TEST(w.stats().lists >= 2u);
}

BOOST_AUTO_TEST_CASE(watcher_relists_after_forced_gone_on_resume) {
  for (bool as_http : {false, true}) {
    test::FakeCluster c;
    c.server.set_job_rule(quick);
    auto client = c.client();
    Faults f;
    f.gone_on_resume_next = 2;
    f.gone_as_http = as_http;
    f.drop_after_events = 2;
    c.server.set_faults(Endpoint::watch_jobs, f);
    Seen seen;
    kube::JobWatcher w{*client, kube::managed_selector(), "default", seen.handlers(), fast_backoff()};
    std::thread t{[&] { w.run(); }};
    BOOST_TEST_REQUIRE(test::eventually([&] { return w.stats().watches >= 1; }, "w.stats().watches >= 1"));
    for (int i = 0; i < 5; ++i) client->create_job(sample_job("h" + std::to_string(i)));
    BOOST_TEST(test::eventually([&] { return seen.complete() == 5; }, "seen.complete() == 5"), "as_http=" << as_http);
    w.stop();
    t.join();
    BOOST_TEST_MESSAGE("as_http " << as_http << " gone " << w.stats().gone << " lists " << w.stats().lists
                                   << " watches " << w.stats().watches << " failures " << w.stats().failures);
    BOOST_TEST(w.stats().gone == 2u, "as_http=" << as_http);
    BOOST_TEST(w.stats().lists == 3u, "as_http=" << as_http);
    BOOST_TEST(c.server.count(Endpoint::watch_jobs, as_http ? 410 : 200) >= (as_http ? 2u : 1u));
  }
}

BOOST_AUTO_TEST_CASE(stop_interrupts_a_blocked_watch_promptly) {
  test::FakeCluster c;
  auto client = c.client();
  kube::JobWatcher w{*client, kube::managed_selector(), "default", {}, fast_backoff()};
  std::thread t{[&] { w.run(); }};
  BOOST_TEST_REQUIRE(test::eventually([&] { return c.server.open_watches() == 1; }, "c.server.open_watches() == 1"));
  auto before = std::chrono::steady_clock::now();
  w.stop();
  t.join();
  BOOST_TEST((std::chrono::steady_clock::now() - before < 2s));
}

BOOST_AUTO_TEST_SUITE_END()
