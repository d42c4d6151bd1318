#include "messages/job.hpp"

#include <boost/test/unit_test.hpp>
#include <fmt/format.h>

using namespace synergai;

BOOST_AUTO_TEST_SUITE(job)

BOOST_AUTO_TEST_CASE(life_cycle_transitions) {
  using enum JobState;
  BOOST_TEST(is_legal_transition(queued, placed));
  BOOST_TEST(is_legal_transition(placed, starting));
  BOOST_TEST(is_legal_transition(placed, queued));  // reservation lost: back to the queue
  BOOST_TEST(is_legal_transition(starting, running));
  BOOST_TEST(is_legal_transition(running, succeeded));
  BOOST_TEST(is_legal_transition(running, failed));
  BOOST_TEST(is_legal_transition(running, cancelled));
  BOOST_TEST(!is_legal_transition(queued, running));
  BOOST_TEST(!is_legal_transition(succeeded, failed));
  BOOST_TEST(!is_legal_transition(cancelled, queued));
  BOOST_TEST(!is_legal_transition(running, queued));
}

BOOST_AUTO_TEST_CASE(states_round_trip_through_names) {
  for (int i = 0; i <= static_cast<int>(JobState::cancelled); ++i) {
    auto s = static_cast<JobState>(i);
    BOOST_TEST((parse_job_state(to_string(s)) == s));
  }
  BOOST_TEST(!parse_job_state("done").has_value());
  BOOST_TEST(is_terminal(JobState::failed));
  BOOST_TEST(!is_terminal(JobState::running));
}

BOOST_AUTO_TEST_CASE(derived_times_follow_the_thesis_metrics) {
  JobRecord r;
  r.spec = JobSpec{"j1", "tf-resnet50", 488, Seconds{100}, at_seconds(10)};
  BOOST_TEST(!r.waiting().has_value());
  r.started_at = at_seconds(40);
  r.finished_at = at_seconds(150);
  r.state = JobState::succeeded;
  BOOST_TEST(r.waiting()->count() == 30.0);
  BOOST_TEST(r.end_to_end()->count() == 140.0);
  BOOST_TEST(r.excess()->count() == 40.0);
  BOOST_TEST(r.violated());
  r.finished_at = at_seconds(100);
  BOOST_TEST(r.excess()->count() == 0.0);
  BOOST_TEST(!r.violated());
  r.state = JobState::failed;
  BOOST_TEST(r.violated());
}

BOOST_AUTO_TEST_CASE(formats_through_fmt) {
  JobSpec s{"j7", "onnx-mobilenet-op11", 975, Seconds{44.81}, at_seconds(3.5)};
  BOOST_TEST(fmt::format("{}", s) == "j7 (onnx-mobilenet-op11 x975, QoS 44.81 s, submitted at 3.500 s)");
  BOOST_TEST(fmt::format("{}", JobState::starting) == "starting");
}

BOOST_AUTO_TEST_SUITE_END()
