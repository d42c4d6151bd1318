// The journal's group commit (service/journal.hpp): every line pending when a
// batch starts shares its one fsync, transitions ride in submissions' fsyncs
// instead of costing their own, a failing disk refuses a whole batch and
// every appender waiting on it hears so, and on_written() answers everyone,
// also at close.
#include "service/journal.hpp"
#include "support/errors.hpp"
#include "tests/support.hpp"

#include <boost/test/unit_test.hpp>
#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <sys/resource.h>
#include <vector>

using namespace synergai;
using namespace std::chrono_literals;

namespace {

JobRecord submission(const std::string& id) {
  JobRecord r;
  r.spec = JobSpec{id, "onnx-mobilenet-op11", 5, Seconds{9}, at_seconds(1000)};
  return r;
}

JobRecord transition(const std::string& id, JobState state) {
  auto r = submission(id);
  r.state = state;
  r.node = "server";
  return r;
}

// Holds the journal's thread: the callback of a first durable line blocks it
// until release(), so that lines queued meanwhile are all pending together.
struct HeldThread {
  std::promise<void> released;
  std::shared_future<void> release_signal = released.get_future().share();
  std::atomic<bool> holding{false};

  explicit HeldThread(service::Journal& j, const std::string& id = "holder") {
    auto line = j.enqueue(submission(id), true);
    j.on_written(line, [this, signal = release_signal](const std::string*) {
      holding = true;
      signal.wait();
    });
    BOOST_TEST_REQUIRE(test::eventually([&] { return holding.load(); }, 5000ms, "the journal's thread is held"));
  }
  void release() {
    if (!done) released.set_value();
    done = true;
  }
  ~HeldThread() { release(); }  // a failed check must not leave the thread held (close() would wait forever)
  bool done = false;
};

// Counts the outcomes of on_written() callbacks.
struct Outcomes {
  std::mutex mutex;
  std::size_t written = 0;
  std::vector<std::string> errors;
  service::Journal::Done callback() {
    return [this](const std::string* error) {
      std::lock_guard lock{mutex};
      if (error) errors.push_back(*error);
      else ++written;
    };
  }
  std::size_t answered() {
    std::lock_guard lock{mutex};
    return written + errors.size();
  }
};

// Writes to files of this process fail with EFBIG past `bytes` (as on a full
// disk), until the scope ends.
struct FileSizeLimit {
  explicit FileSizeLimit(rlim_t bytes) {
    std::signal(SIGXFSZ, SIG_IGN);
    ::getrlimit(RLIMIT_FSIZE, &saved);
    rlimit l = saved;
    l.rlim_cur = bytes;
    ::setrlimit(RLIMIT_FSIZE, &l);
  }
  ~FileSizeLimit() { ::setrlimit(RLIMIT_FSIZE, &saved); }
  rlimit saved{};
};

std::map<std::string, JobRecord> replayed(const std::filesystem::path& path) {
  std::map<std::string, JobRecord> out;
  for (const auto& r : service::read_journal(path).jobs) out[r.spec.id] = r;
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(service_journal_group_commit)

BOOST_AUTO_TEST_CASE(submissions_pending_together_share_one_fsync) {
  test::TempDir dir{"group"};
  auto path = dir / "j.jsonl";
  service::Journal j{path, 1 << 20, {}};
  HeldThread held{j};
  const auto fsyncs_before = j.stats().fsyncs;
  Outcomes outcomes;
  std::vector<std::uint64_t> lines;
  for (int i = 0; i < 32; ++i) lines.push_back(j.enqueue(submission(fmt::format("job-{}", i)), true));
  for (int i = 0; i < 8; ++i) j.enqueue(transition(fmt::format("job-{}", i), JobState::placed), false);
  for (auto line : lines) j.on_written(line, outcomes.callback());
  BOOST_TEST(outcomes.answered() == 0u);  // nothing is answered before its fsync
  held.release();
  BOOST_TEST_REQUIRE(test::eventually([&] { return outcomes.answered() == 32u; }, 5000ms, "32 answers"));
  BOOST_TEST(outcomes.written == 32u);
  BOOST_TEST(j.stats().fsyncs - fsyncs_before == 1u);  // one batch: the 32 submissions and the 8 transitions
  BOOST_TEST(j.written() >= lines.back() + 8);
  BOOST_TEST(j.close() == 0u);
  auto jobs = replayed(path);
  BOOST_TEST(jobs.size() == 33u);
  BOOST_TEST((jobs["job-7"].state == JobState::placed));
}

BOOST_AUTO_TEST_CASE(transitions_cost_no_fsync_of_their_own_while_submissions_come) {
  test::TempDir dir{"ride"};
  auto path = dir / "j.jsonl";
  // A linger far longer than the loop: a transition written alone would show
  // as a second fsync per round.
  service::Journal j{path, 1 << 20, {}, 500ms, 10000ms};
  const auto fsyncs_before = j.stats().fsyncs;
  for (int i = 0; i < 50; ++i) {
    const auto id = fmt::format("job-{}", i);
    j.append(submission(id), true);
    for (auto state : {JobState::placed, JobState::starting, JobState::running, JobState::succeeded})
      j.append(transition(id, state), false);
  }
  j.append(submission("last"), true);  // carries the last job's transitions
  BOOST_TEST(j.stats().fsyncs - fsyncs_before == 51u);
  BOOST_TEST(j.stats().lines_written == 51u + 200u);
  BOOST_TEST(j.stats().pending == 0u);
  BOOST_TEST(j.close() == 0u);
  auto jobs = replayed(path);
  BOOST_TEST(jobs.size() == 51u);
  BOOST_TEST((jobs["job-49"].state == JobState::succeeded));
}

BOOST_AUTO_TEST_CASE(transitions_alone_are_written_after_the_linger) {
  test::TempDir dir{"linger"};
  auto path = dir / "j.jsonl";
  service::Journal j{path, 1 << 20, {}, 500ms, 1500ms};
  j.append(submission("a"), true);
  const auto fsyncs_before = j.stats().fsyncs;
  const auto started = std::chrono::steady_clock::now();
  auto line = j.enqueue(transition("a", JobState::placed), false);
  j.enqueue(transition("a", JobState::running), false);
  BOOST_TEST(j.written() < line);  // waiting for a submission to carry it
  BOOST_TEST_REQUIRE(test::eventually([&] { return j.written() >= line + 1; }, 10000ms, "the transitions written"));
  BOOST_TEST((std::chrono::steady_clock::now() - started >= 1000ms));
  BOOST_TEST(j.stats().fsyncs - fsyncs_before == 1u);  // both in one fsync
  BOOST_TEST(j.close() == 0u);
  BOOST_TEST((replayed(path)["a"].state == JobState::running));
}

BOOST_AUTO_TEST_CASE(a_failing_disk_refuses_the_whole_batch_and_tells_every_waiter) {
  test::TempDir dir{"refuse"};
  auto path = dir / "j.jsonl";
  service::Journal j{path, 1 << 20, {}, 10ms};
  j.append(submission("kept"), true);
  Outcomes outcomes;
  std::vector<std::uint64_t> lines;
  std::uintmax_t size = 0;
  {
    HeldThread held{j};
    size = std::filesystem::file_size(path);
    FileSizeLimit full{size + 100};  // room for part of a line, not for a line
    for (int i = 0; i < 8; ++i) lines.push_back(j.enqueue(submission(fmt::format("refused-{}", i)), true));
    j.enqueue(transition("kept", JobState::running), false);
    for (auto line : lines) j.on_written(line, outcomes.callback());
    held.release();
    BOOST_TEST_REQUIRE(test::eventually([&] { return outcomes.answered() == 8u; }, 5000ms, "8 answers"));
    BOOST_TEST(outcomes.written == 0u);  // a batch is refused whole: no submission of it is acknowledged
    BOOST_TEST(std::filesystem::file_size(path) == size);  // and none of it stays in the file
    BOOST_TEST(j.stats().failing);
  }
  for (auto line : lines) j.settle(line);
  j.append(submission("after"), true);  // space again: this batch also carries the kept transition
  BOOST_TEST(!j.stats().failing);
  BOOST_TEST(j.close() == 0u);
  auto jobs = replayed(path);
  for (int i = 0; i < 8; ++i) BOOST_TEST(jobs.count(fmt::format("refused-{}", i)) == 0u);
  BOOST_TEST(jobs.count("holder") == 1u);  // its batch came before the limit
  BOOST_TEST(jobs.count("after") == 1u);
  BOOST_TEST((jobs["kept"].state == JobState::running));
}

BOOST_AUTO_TEST_CASE(on_written_answers_at_once_for_a_tried_line_and_after_close) {
  test::TempDir dir{"answers"};
  auto path = dir / "j.jsonl";
  service::Journal j{path, 1 << 20, {}};
  auto line = j.enqueue(submission("a"), true);
  j.await(line);
  Outcomes now;
  j.on_written(line, now.callback());  // already in the file: answered on this thread
  BOOST_TEST(now.written == 1u);
  j.close();
  Outcomes late;
  j.on_written(line + 1, late.callback());  // never queued before close: never written
  BOOST_TEST_REQUIRE(late.errors.size() == 1u);
  BOOST_TEST(late.errors[0].find("closed") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
