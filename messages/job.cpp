#include "messages/job.hpp"

#include "messages/json_util.hpp"

#include <algorithm>
#include <array>

namespace synergai {
namespace {

constexpr std::array<std::string_view, 7> state_names{"queued",    "placed", "starting", "running",
                                                      "succeeded", "failed", "cancelled"};

}  // namespace

std::string_view to_string(JobState s) { return state_names[static_cast<std::size_t>(s)]; }

std::optional<JobState> parse_job_state(std::string_view s) {
  auto it = std::find(state_names.begin(), state_names.end(), s);
  if (it == state_names.end()) return std::nullopt;
  return static_cast<JobState>(it - state_names.begin());
}

bool is_terminal(JobState s) {
  return s == JobState::succeeded || s == JobState::failed || s == JobState::cancelled;
}

bool is_legal_transition(JobState from, JobState to) {
  using enum JobState;
  if (is_terminal(from)) return false;
  if (to == cancelled) return true;
  switch (from) {
    case queued: return to == placed;
    case placed: return to == starting || to == queued;
    case starting: return to == running || to == failed || to == queued;
    case running: return to == succeeded || to == failed;
    default: return false;
  }
}

std::optional<Seconds> JobRecord::waiting() const {
  if (!started_at) return std::nullopt;
  return *started_at - spec.submitted_at;
}

std::optional<Seconds> JobRecord::end_to_end() const {
  if (!finished_at) return std::nullopt;
  return *finished_at - spec.submitted_at;
}

std::optional<Seconds> JobRecord::excess() const {
  auto e2e = end_to_end();
  if (!e2e) return std::nullopt;
  return std::max(Seconds{0}, *e2e - spec.qos);
}

bool JobRecord::violated() const {
  if (state == JobState::failed) return true;
  if (state != JobState::succeeded) return false;
  return *end_to_end() > spec.qos;
}

std::string describe(JobState s) { return std::string{to_string(s)}; }

std::string describe(const JobSpec& j) {
  return fmt::format("{} ({} x{}, QoS {:.2f} s, submitted at {:.3f} s)", j.id, j.engine, j.queries, j.qos.count(),
                     seconds_of(j.submitted_at));
}

std::string describe(const JobRecord& r) {
  auto out = fmt::format("{} [{}]", r.spec, r.state);
  if (!r.node.empty()) out += fmt::format(" on {}", r.node);
  if (r.config) out += fmt::format(" ({})", *r.config);
  if (!r.message.empty()) out += fmt::format(": {}", r.message);
  return out;
}

void to_json(nlohmann::json& j, JobState s) { j = to_string(s); }

void from_json(const nlohmann::json& j, JobState& s) {
  auto parsed = parse_job_state(j.get<std::string>());
  if (!parsed) throw nlohmann::json::other_error::create(501, "unknown job state " + j.dump(), &j);
  s = *parsed;
}

void to_json(nlohmann::json& j, const JobSpec& s) {
  j = nlohmann::json{{"id", s.id},
                     {"engine", s.engine},
                     {"queries", s.queries},
                     {"qos_s", s.qos.count()},
                     {"submitted_s", seconds_of(s.submitted_at)}};
}

void from_json(const nlohmann::json& j, JobSpec& s) {
  s.id = j.at("id").get<std::string>();
  s.engine = j.at("engine").get<std::string>();
  s.queries = j.at("queries").get<int>();
  s.qos = Seconds{j.at("qos_s").get<double>()};
  s.submitted_at = at_seconds(j.at("submitted_s").get<double>());
}

void to_json(nlohmann::json& j, const JobRecord& r) {
  j = nlohmann::json{{"spec", r.spec},
                     {"state", r.state},
                     {"node", r.node},
                     {"placed_s", json_util::instant(r.placed_at)},
                     {"started_s", json_util::instant(r.started_at)},
                     {"finished_s", json_util::instant(r.finished_at)},
                     {"message", r.message}};
  json_util::put_optional(j, "config", r.config);
}

void from_json(const nlohmann::json& j, JobRecord& r) {
  r.spec = j.at("spec").get<JobSpec>();
  r.state = j.at("state").get<JobState>();
  r.node = j.at("node").get<std::string>();
  r.config = json_util::get_optional<ExecConfig>(j, "config");
  r.placed_at = json_util::get_instant(j, "placed_s");
  r.started_at = json_util::get_instant(j, "started_s");
  r.finished_at = json_util::get_instant(j, "finished_s");
  r.message = j.at("message").get<std::string>();
}

}  // namespace synergai
