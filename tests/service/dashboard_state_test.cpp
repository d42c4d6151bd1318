// GET /v1/dashboard's figures on hand-made job records (service/dashboard.hpp):
// the queue in the urgency actor's order with each job's slack, counters, the
// timeline's window and the placement latency. The page itself is checked in
// a browser by dashboard_test.cpp.
#include "config/performance.hpp"
#include "service/dashboard.hpp"
#include "tests/support.hpp"

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

using namespace synergai;
using nlohmann::json;

namespace {

JobRecord job(const std::string& id, int queries, double qos, double submitted) {
  JobRecord r;
  r.spec = JobSpec{id, "tf-resnet50", queries, Seconds{qos}, at_seconds(submitted)};
  return r;
}

JobRecord ran(JobRecord r, const std::string& node, double placed, double finished, JobState state) {
  r.node = node;
  r.config = ExecConfig{16, std::nullopt};
  r.placed_at = at_seconds(placed);
  r.started_at = at_seconds(placed);
  r.finished_at = at_seconds(finished);
  r.state = state;
  return r;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(dashboard_state)

BOOST_AUTO_TEST_CASE(the_queue_is_ranked_by_slack_then_late_jobs_oldest_first) {
  auto testbed = config::load_testbed(test::source_path("config/testbeds/thesis.yaml"));
  auto dictionary = config::load_dictionary(test::source_path("config/dictionaries/thesis.json"), &testbed);
  const double t0 = 1000;
  std::vector<JobRecord> jobs{
      job("relaxed", 500, 1000, t0),                                        // queued, much slack
      job("late-old", 500, 1, t0),                                          // queued, cannot make it
      ran(job("met", 500, 30, t0 + 9), "x86", t0 + 10, t0 + 20, JobState::succeeded),
      job("urgent", 500, 200, t0 + 50),                                     // queued, little slack
      ran(job("missed", 500, 5, t0 + 12), "x86", t0 + 20.5, t0 + 30, JobState::succeeded),
      job("late-new", 500, 0.5, t0 + 10),                                   // queued, cannot make it
      ran(job("broken", 500, 60, t0), "agx", t0 + 1, t0 + 2, JobState::failed),
      job("dropped", 500, 60, t0)};
  jobs.back().state = JobState::cancelled;
  const TimePoint now = at_seconds(t0 + 100);
  const service::DashboardContext context{testbed, dictionary, "unit", "synergai", now};

  auto r = service::dashboard_state(jobs, context, {});
  BOOST_TEST(r.status == 200);
  auto d = json::parse(r.body);
  std::vector<std::string> order;
  for (const auto& q : d["queue"]) order.push_back(q["id"].get<std::string>());
  BOOST_TEST((order == std::vector<std::string>{"urgent", "relaxed", "late-old", "late-new"}));
  const Performance performance{testbed, dictionary};
  const double best = performance.optimal_candidates("tf-resnet50", 500).front().estimate.count();
  BOOST_TEST(d["queue"][0]["best_estimate_s"].get<double>() == best);
  BOOST_TEST(d["queue"][0]["remaining_s"].get<double>() == 200 - 50);
  BOOST_TEST(d["queue"][0]["slack_s"].get<double>() == 200 - 50 - best);
  BOOST_TEST(d["queue"][0]["late"] == false);
  BOOST_TEST(d["queue"][2]["late"] == true);
  BOOST_TEST(d["queue"][2]["slack_s"].get<double>() < 0);

  auto c = d["counters"];
  BOOST_TEST(c["submitted"] == 8);
  BOOST_TEST(c["queued"] == 4);
  BOOST_TEST(c["running"] == 0);
  BOOST_TEST(c["met"] == 1);
  BOOST_TEST(c["violated"] == 1);
  BOOST_TEST(c["failed"] == 1);
  BOOST_TEST(c["cancelled"] == 1);

  // met: submitted 1009, placed 1010 on a free node: 1 s. missed: submitted 1012,
  // x86 freed at 1020 (met finished), placed 1020.5: 0.5 s. broken: 1 s.
  auto l = d["placement_latency"];
  BOOST_TEST(l["count"] == 3);
  BOOST_TEST(l["p50_ms"].get<double>() == 1000, boost::test_tools::tolerance(1e-6));
  BOOST_TEST(l["max_ms"].get<double>() == 1000, boost::test_tools::tolerance(1e-6));
  BOOST_TEST(d["timeline"].size() == 3u);
  BOOST_TEST(d["timeline"][2]["id"] == "missed");  // by placement
  BOOST_TEST(d["timeline"][2]["qos_violated"] == true);

  // A 75 s window keeps what finished after 1025: only "missed".
  d = json::parse(service::dashboard_state(jobs, context, {{"window", "75"}}).body);
  BOOST_TEST(d["timeline"].size() == 1u);
  BOOST_TEST(d["placement_latency"]["max_ms"].get<double>() == 500, boost::test_tools::tolerance(1e-6));

  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
           {"window", "0"}, {"window", "1e9"}, {"window", "soon"}, {"limit", "5"}}) {
    auto bad = service::dashboard_state(jobs, context, {{key, value}});
    BOOST_TEST(bad.status == 400, key << "=" << value);
    BOOST_TEST(json::parse(bad.body)["field"] == key);
  }
}

BOOST_AUTO_TEST_CASE(the_page_is_self_contained_html) {
  auto page = service::dashboard_page();
  BOOST_TEST(page.status == 200);
  BOOST_TEST(page.content_type.rfind("text/html", 0) == 0u);
  BOOST_TEST(page.body.rfind("<!doctype html>", 0) == 0u);
  BOOST_TEST(page.body.find("/v1/dashboard") != std::string::npos);
  bool csp = false;
  for (const auto& [name, value] : page.headers)
    csp = csp || (name == "Content-Security-Policy" && value.find("default-src 'none'") != std::string::npos);
  BOOST_TEST(csp);
}

BOOST_AUTO_TEST_SUITE_END()
