// `synergai bench-service`: the load client of `make bench-service`
// (service/bench.sh starts the service it measures). For each concurrency
// level in turn it runs that many clients, each on its own kept-alive
// connection, submitting jobs back to back until a number of jobs is accepted
// (or a time limit passes), and prints the accepted submissions per second,
// the latency percentiles and the errors, with the journal's fsyncs and the
// queue length read from /metrics; with --disk, against the rate of a plain
// write+fsync loop in the journal's folder, measured around each level (the
// limit one client waiting for each fsync could reach, were the rest of a
// request free). Submissions outpace the scheduler, whose
// cost per decision grows with its queue: the cap on jobs per level bounds
// that backlog, and the queue drains between levels, so every level starts alike.
#include "apps/cli.hpp"
#include "service/http_client.hpp"
#include "support/errors.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <unistd.h>
#include <atomic>
#include <chrono>
#include <cmath>
#include <map>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

namespace synergai::app {
namespace {

using Clock = std::chrono::steady_clock;

struct BenchArgs {
  std::string server = "http://127.0.0.1:8080";
  std::vector<int> concurrency{1, 2, 4, 8, 16, 32};
  std::uint64_t jobs = 2000;  // accepted submissions measured per level
  double seconds = 10;        // at most this long per level
  int warmup = 10;            // unmeasured submissions per client at the start of a level
  std::string engine = "tf-mobilenet";
  int queries = 10;
  double qos = 3600;
  double drain_timeout = 60;
  double ready_timeout = 30;
  std::string disk;  // folder of the journal: its plain write+fsync rate is the limit
  double probe_seconds = 1;  // each measurement of that limit
};

// One client's share of a level.
struct Tally {
  std::vector<double> latencies_ms;  // of every measured request, answered or not
  std::uint64_t accepted = 0;
  std::uint64_t errors = 0;
  std::string first_error;
  std::optional<Clock::time_point> first_measured;
  Clock::time_point last_answer{};
};

struct LevelResult {
  int clients = 0;
  std::uint64_t accepted = 0;
  std::uint64_t errors = 0;
  double measured_s = 0;
  std::vector<double> latencies_ms;  // sorted
  std::uint64_t fsyncs = 0;
  double queue_at_end = 0;
  double drain_s = 0;
  bool drained = true;
  std::string first_error;
};

// The samples of a Prometheus text answer, by series (name and labels).
std::map<std::string, double> read_metrics(service::HttpClient& http) {
  auto r = http.request("GET", "/metrics");
  if (r.status != 200) throw RuntimeError{fmt::format("GET /metrics: HTTP {}", r.status)};
  std::map<std::string, double> out;
  std::istringstream lines{r.body};
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto space = line.rfind(' ');
    if (space == std::string::npos) continue;
    try {
      out[line.substr(0, space)] = std::stod(line.substr(space + 1));
    } catch (const std::exception&) {
      // not a plain number: not one we read
    }
  }
  return out;
}

// The queue's length: the queued jobs' sample.
const std::string queued_series = "synergai_jobs{state=\"queued\"}";

double metric(const std::map<std::string, double>& m, const std::string& name) {
  auto it = m.find(name);
  if (it == m.end()) throw RuntimeError{fmt::format("/metrics has no {}: is this a synergai service?", name)};
  return it->second;
}

void wait_until_ready(const service::Url& url, double timeout_s) {
  auto deadline = Clock::now() + std::chrono::duration<double>(timeout_s);
  std::string last = "no answer";
  while (Clock::now() < deadline) {
    try {
      service::HttpClient http{url, {}, std::chrono::seconds{2}};
      auto r = http.request("GET", "/readyz");
      if (r.status == 200) return;
      last = fmt::format("HTTP {}", r.status);
    } catch (const RuntimeError& e) {
      last = e.what();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{100});
  }
  throw RuntimeError{fmt::format("http://{}:{} not ready after {} s: {}", url.host, url.port, timeout_s, last)};
}

// Submits back to back until the level has its jobs or `end` passes; the
// first `warmup` submissions (connecting, first allocations) are not measured.
void run_client(const service::Url& url, const std::string& body, int warmup, std::uint64_t jobs,
                std::atomic<std::uint64_t>& accepted_in_level, Clock::time_point end, Tally& tally) {
  service::HttpClient http{url, {}, std::chrono::seconds{10}};
  for (int sent_so_far = 0;; ++sent_so_far) {
    auto sent = Clock::now();
    if (sent >= end || accepted_in_level.load() >= jobs) break;
    bool measured = sent_so_far >= warmup;
    if (measured && !tally.first_measured) tally.first_measured = sent;
    bool accepted = false;
    std::string error;
    try {
      auto r = http.request("POST", "/v1/jobs", body);
      accepted = r.status == 201;
      if (!accepted) error = fmt::format("HTTP {}: {}", r.status, r.body);
    } catch (const RuntimeError& e) {
      error = e.what();
    }
    auto answered = Clock::now();
    if (measured) {
      tally.latencies_ms.push_back(std::chrono::duration<double, std::milli>(answered - sent).count());
      tally.last_answer = answered;
      if (accepted) {
        ++tally.accepted;
        ++accepted_in_level;
      } else {
        ++tally.errors;
      }
      if (!accepted && tally.first_error.empty()) tally.first_error = error;
    }
    if (!error.empty()) std::this_thread::sleep_for(std::chrono::milliseconds{10});  // a failing server: no spinning
  }
}

LevelResult run_level(const BenchArgs& a, const service::Url& url, const std::string& body, int clients) {
  service::HttpClient control{url, {}, std::chrono::seconds{10}};
  auto fsyncs_before = metric(read_metrics(control), "synergai_journal_fsyncs_total");

  std::vector<Tally> tallies(static_cast<std::size_t>(clients));
  std::atomic<std::uint64_t> accepted_in_level{0};
  auto end = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(a.seconds));
  {
    std::vector<std::jthread> threads;
    for (auto& t : tallies)
      threads.emplace_back(
          [&, tally = &t] { run_client(url, body, a.warmup, a.jobs, accepted_in_level, end, *tally); });
  }

  LevelResult r;
  r.clients = clients;
  std::optional<Clock::time_point> first_measured;
  Clock::time_point last_answer{};
  for (auto& t : tallies) {
    r.accepted += t.accepted;
    r.errors += t.errors;
    r.latencies_ms.insert(r.latencies_ms.end(), t.latencies_ms.begin(), t.latencies_ms.end());
    if (t.first_measured) {
      first_measured = first_measured ? std::min(*first_measured, *t.first_measured) : *t.first_measured;
      last_answer = std::max(last_answer, t.last_answer);
    }
    if (r.first_error.empty()) r.first_error = t.first_error;
  }
  std::sort(r.latencies_ms.begin(), r.latencies_ms.end());
  if (first_measured) r.measured_s = std::chrono::duration<double>(last_answer - *first_measured).count();

  auto after = read_metrics(control);
  r.fsyncs = static_cast<std::uint64_t>(metric(after, "synergai_journal_fsyncs_total") - fsyncs_before);
  r.queue_at_end = metric(after, queued_series);
  auto drain_start = Clock::now();
  auto drain_deadline = drain_start + std::chrono::duration_cast<Clock::duration>(
                                          std::chrono::duration<double>(a.drain_timeout));
  while (metric(read_metrics(control), queued_series) > 0) {
    if (Clock::now() >= drain_deadline) {
      r.drained = false;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{200});
  }
  r.drain_s = std::chrono::duration<double>(Clock::now() - drain_start).count();
  return r;
}

// Appends of a journal-sized line, each followed by fsync, for `seconds` in a
// scratch file in `folder`: what the disk allows, measured beside the service.
double fsync_limit(const std::string& folder, double seconds) {
  auto path = std::filesystem::path{folder} / ".bench-service-fsync-probe";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw RuntimeError{fmt::format("bench-service: cannot open {}: {}", path.string(), std::strerror(errno))};
  const std::string line(300, 'x');
  std::uint64_t n = 0;
  auto start = Clock::now();
  auto end = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  while (Clock::now() < end) {
    if (::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size()) || ::fsync(fd) != 0) break;
    ++n;
  }
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  ::close(fd);
  std::filesystem::remove(path);
  return elapsed > 0 ? static_cast<double>(n) / elapsed : 0;
}

// Nearest-rank percentile of sorted values.
double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

int bench(const BenchArgs& a) {
  auto url = service::parse_url(a.server);
  wait_until_ready(url, a.ready_timeout);
  nlohmann::json job{{"engine", a.engine}, {"queries", a.queries}, {"qos_seconds", a.qos}};
  auto body = job.dump();
  {
    // One submission first: a bad engine or a refused request stops here, not after every level.
    service::HttpClient probe{url, {}, std::chrono::seconds{10}};
    auto r = probe.request("POST", "/v1/jobs", body);
    if (r.status != 201) throw InputError{fmt::format("POST /v1/jobs {}: HTTP {}: {}", body, r.status, r.body)};
  }

  fmt::print("load: POST /v1/jobs {} to {}:{}\n", body, url.host, url.port);
  fmt::print("each level: N clients, one kept-alive connection each, submitting back to back after {} unmeasured "
             "submissions each, until {} are accepted (at most {} s); the queue drains between levels\n",
             a.warmup, a.jobs, a.seconds);
  fmt::print("client: {} hardware threads on this machine, shared with the server on loopback\n",
             std::thread::hardware_concurrency());
  // A shared disk's fsync rate drifts by whole factors within seconds (other
  // writers' journal commits): the limit is measured just before each level
  // and once after the last, and each level is held to the higher of the two
  // measurements around it.
  const bool probing = !a.disk.empty();
  if (probing)
    fmt::print("disk limit: appends/s of one 300-byte write + fsync each, for {} s in {}, measured before each "
               "level and after the last; vs_limit = accepted/s / the higher of the limits before and after the "
               "level\n",
               a.probe_seconds, a.disk);
  fmt::print("\n");
  fmt::print("{:>7} {:>9} {:>10} {:>8} {:>8} {:>8} {:>8} {:>6} {:>7} {:>10} {:>9} {:>7} {:>13}\n", "clients",
             "accepted", "accepted/s", "vs_limit", "p50_ms", "p99_ms", "max_ms", "errors", "fsyncs", "jobs/fsync",
             "queue_end", "drain_s", "limit_bef/aft");
  std::fflush(stdout);
  std::string errors_seen;
  double limit_before = probing ? fsync_limit(a.disk, a.probe_seconds) : 0;
  for (std::size_t level = 0; level < a.concurrency.size(); ++level) {
    const int clients = a.concurrency[level];
    auto r = run_level(a, url, body, clients);
    // The next level's "before" is this one's "after".
    const double limit_after = probing ? fsync_limit(a.disk, a.probe_seconds) : 0;
    const double limit = std::max(limit_before, limit_after);
    double rate = r.measured_s > 0 ? static_cast<double>(r.accepted) / r.measured_s : 0;
    double per_fsync = r.fsyncs > 0 ? static_cast<double>(r.accepted) / static_cast<double>(r.fsyncs) : 0;
    auto vs_limit = limit > 0 ? fmt::format("{:.2f}x", rate / limit) : std::string{"-"};
    auto limits = probing ? fmt::format("{:.0f}/{:.0f}", limit_before, limit_after) : std::string{"-"};
    fmt::print("{:>7} {:>9} {:>10.0f} {:>8} {:>8.2f} {:>8.2f} {:>8.2f} {:>6} {:>7} {:>10.1f} {:>9.0f} {:>7.1f} {:>13}{}\n",
               clients, r.accepted, rate, vs_limit, percentile(r.latencies_ms, 0.50), percentile(r.latencies_ms, 0.99),
               r.latencies_ms.empty() ? 0.0 : r.latencies_ms.back(), r.errors, r.fsyncs, per_fsync, r.queue_at_end,
               r.drain_s, limits, r.drained ? "" : " (queue not drained)");
    std::fflush(stdout);
    limit_before = limit_after;
    if (!r.first_error.empty() && errors_seen.empty())
      errors_seen = fmt::format("first error, at {} clients: {}", clients, r.first_error);
  }
  if (!errors_seen.empty()) fmt::print("\n{}\n", errors_seen);
  fmt::print("\nlatency: from sending a submission to its 201 (which waits for the journal's fsync); "
             "fsyncs: journal fsyncs during the level (every line pending shares one; transitions ride in "
             "submissions' fsyncs, alone only 50 ms after the oldest was queued)\n");
  return exit_ok;
}

}  // namespace

void add_bench_service_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "bench-service", "Load a running service with job submissions at increasing concurrency (make bench-service)");
  static BenchArgs a;
  cmd->add_option("--server", a.server, "Service URL")->capture_default_str();
  cmd->add_option("--concurrency", a.concurrency, "Numbers of concurrent clients, one level each")
      ->check(CLI::Range(1, 1024))
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--jobs", a.jobs, "Accepted submissions measured per level (bounds the scheduler's backlog)")
      ->check(CLI::Range(1, 100000000))
      ->capture_default_str();
  cmd->add_option("--seconds", a.seconds, "Longest measurement per level")
      ->check(CLI::Range(0.1, 3600.0))
      ->capture_default_str();
  cmd->add_option("--warmup", a.warmup, "Unmeasured submissions per client at the start of each level")
      ->check(CLI::Range(0, 100000))
      ->capture_default_str();
  cmd->add_option("--engine", a.engine, "Engine of the submitted jobs")->capture_default_str();
  cmd->add_option("--queries", a.queries, "Queries per job (few: short jobs)")
      ->check(CLI::Range(1, 1000000000))
      ->capture_default_str();
  cmd->add_option("--qos", a.qos, "QoS seconds of the submitted jobs")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--drain-timeout", a.drain_timeout, "Longest wait for the queue to empty between levels")
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  cmd->add_option("--ready-timeout", a.ready_timeout, "Longest wait for /readyz at the start")
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  cmd->add_option("--disk", a.disk,
                  "The journal's folder: measure its plain write+fsync rate first and print each level against it")
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--probe-seconds", a.probe_seconds, "Length of each measurement of the disk's limit (--disk)")
      ->check(CLI::Range(0.1, 60.0))
      ->capture_default_str();
  set_action(cmd, [] { return bench(a); });
}

}  // namespace synergai::app
