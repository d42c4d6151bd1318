// The journal's group commit (service/journal.hpp): every line pending when a
// batch starts shares its one fsync, submissions that come while a batch is
// written share the next one, transitions ride in submissions' fsyncs instead
// of costing their own, a failing disk refuses a whole batch and every
// appender waiting on it hears so, and on_written() answers everyone, also
// at close.
#include "service/journal.hpp"
#include "support/errors.hpp"
#include "tests/service/service_fixture.hpp"
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
#include <thread>
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

std::map<std::string, JobRecord> replayed(const std::filesystem::path& path) {
  std::map<std::string, JobRecord> out;
  for (const auto& r : service::read_journal(path).jobs) out[r.spec.id] = r;
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(service_journal_group_commit)

BOOST_AUTO_TEST_CASE(a_batch_takes_every_line_pending) {
  test::TempDir dir{"group"};
  auto path = dir / "j.jsonl";
  service::Journal j{path, 1 << 20, {}};
  Outcomes outcomes;
  std::vector<std::uint64_t> lines;
  for (int i = 0; i < 32; ++i) lines.push_back(j.enqueue(submission(fmt::format("job-{}", i)), true));
  for (int i = 0; i < 8; ++i) j.enqueue(transition(fmt::format("job-{}", i), JobState::placed), false);
  BOOST_TEST(j.written() == 0u);  // nobody asked yet
  for (auto line : lines) j.on_written(line, outcomes.callback());  // the first writes the batch, here
  BOOST_TEST(outcomes.answered() == 32u);
  BOOST_TEST(outcomes.written == 32u);
  BOOST_TEST(j.stats().fsyncs == 1u);  // the 32 submissions and the 8 transitions
  BOOST_TEST(j.written() == lines.back() + 8);
  BOOST_TEST(j.close() == 0u);
  auto jobs = replayed(path);
  BOOST_TEST(jobs.size() == 32u);
  BOOST_TEST((jobs["job-7"].state == JobState::placed));
}

BOOST_AUTO_TEST_CASE(submissions_that_come_during_a_write_share_the_next_fsync) {
  // The writer is held inside its batch (the compaction it starts waits in
  // the snapshot): 32 submissions coming meanwhile wait, and the next batch
  // takes them all.
  test::TempDir dir{"follow"};
  auto path = dir / "j.jsonl";
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> hold{true}, holding{false};
  std::vector<JobRecord> table{submission("holder")};
  std::mutex table_mutex;
  service::Journal j{path, 1, [&] {
                       if (hold.exchange(false)) {
                         holding = true;
                         released.wait();
                       }
                       std::lock_guard lock{table_mutex};
                       return table;
                     }};
  Outcomes holder;
  std::thread writer{[&] { j.on_written(j.enqueue(table[0], true), holder.callback()); }};
  struct Join {
    std::promise<void>& release;
    std::thread& writer;
    bool released = false;
    ~Join() {  // a failed check must not leave the writer held
      if (!released) release.set_value();
      writer.join();
    }
  } join{release, writer};
  BOOST_TEST_REQUIRE(test::eventually([&] { return holding.load(); }, 5000ms, "the writer is held"));
  const auto fsyncs_before = j.stats().fsyncs;
  Outcomes outcomes;
  std::vector<std::uint64_t> lines;
  {
    std::lock_guard lock{table_mutex};
    for (int i = 0; i < 32; ++i) {
      table.push_back(submission(fmt::format("job-{}", i)));
      lines.push_back(j.enqueue(table.back(), true));
      j.on_written(lines.back(), outcomes.callback());  // someone writes: it waits for the next batch
    }
  }
  BOOST_TEST(outcomes.answered() == 0u);
  release.set_value();
  join.released = true;
  BOOST_TEST_REQUIRE(test::eventually([&] { return outcomes.answered() == 32u; }, 5000ms, "32 answers"));
  BOOST_TEST(outcomes.written == 32u);
  // The writer answers its own batch after writing it, maybe after the 32.
  BOOST_TEST_REQUIRE(test::eventually([&] { return holder.answered() == 1u; }, 5000ms, "the holder's answer"));
  BOOST_TEST(holder.written == 1u);
  BOOST_TEST(j.stats().fsyncs - fsyncs_before == 1u);  // one batch for the 32
  BOOST_TEST(j.close() == 0u);
  BOOST_TEST(replayed(path).size() == 33u);
}

BOOST_AUTO_TEST_CASE(concurrent_appenders_share_fsyncs) {
  test::TempDir dir{"concurrent"};
  auto path = dir / "j.jsonl";
  service::Journal j{path, 1 << 20, {}};
  constexpr int threads = 16, each = 20;
  Outcomes outcomes;
  {
    std::vector<std::jthread> appenders;
    for (int t = 0; t < threads; ++t)
      appenders.emplace_back([&, t] {
        for (int i = 0; i < each; ++i) {
          std::promise<void> answered;
          auto callback = outcomes.callback();
          j.on_written(j.enqueue(submission(fmt::format("job-{}-{}", t, i)), true),
                       [&](const std::string* error) {
                         callback(error);
                         answered.set_value();
                       });
          answered.get_future().wait();  // a client waiting for its 201
        }
      });
  }
  BOOST_TEST(outcomes.written == std::size_t{threads * each});
  // Alone, each submission would cost one; waiting together, they share.
  BOOST_TEST(j.stats().fsyncs <= std::uint64_t{threads * each * 3 / 4});
  BOOST_TEST_MESSAGE("fsyncs for " << threads * each << " submissions from " << threads
                                   << " threads: " << j.stats().fsyncs);
  BOOST_TEST(j.close() == 0u);
  BOOST_TEST(replayed(path).size() == std::size_t{threads * each});
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
  const auto size = std::filesystem::file_size(path);
  {
    test::FileSizeLimit full{size + 100};  // room for part of a line, not for a line
    for (int i = 0; i < 8; ++i) lines.push_back(j.enqueue(submission(fmt::format("refused-{}", i)), true));
    j.enqueue(transition("kept", JobState::running), false);
    for (auto line : lines) j.on_written(line, outcomes.callback());
    BOOST_TEST(outcomes.answered() == 8u);
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
