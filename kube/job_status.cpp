#include "kube/job_status.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <ctime>

namespace synergai::kube {

std::optional<TimePoint> parse_rfc3339(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)
  std::string s{text};
  int y, mo, d, h, mi, se;
  int used = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2d%*[Tt ]%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &se, &used) != 6) return std::nullopt;
  std::size_t pos = static_cast<std::size_t>(used);
  double frac = 0;
  if (pos < s.size() && s[pos] == '.') {
    std::size_t start = ++pos;
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) ++pos;
    if (pos == start) return std::nullopt;
    frac = std::stod("0." + s.substr(start, pos - start));
  }
  long offset = 0;
  if (pos >= s.size()) return std::nullopt;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int oh, om;
    if (std::sscanf(s.c_str() + pos + 1, "%2d:%2d", &oh, &om) != 2) return std::nullopt;
    offset = (s[pos] == '+' ? 1 : -1) * (oh * 3600L + om * 60L);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return std::nullopt;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = se;
  std::time_t t = timegm(&tm);
  return at_seconds(static_cast<double>(t - offset) + frac);
}

std::string format_rfc3339(TimePoint t) {
  double s = seconds_of(t);
  std::time_t whole = static_cast<std::time_t>(std::floor(s));
  std::tm tm{};
  gmtime_r(&whole, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

JobProgress job_progress(const nlohmann::json& job) {
  JobProgress p;
  auto it = job.find("status");
  if (it == job.end() || !it->is_object()) return p;
  const auto& status = *it;
  auto time_of = [&](const nlohmann::json& obj, const char* key) -> std::optional<TimePoint> {
    auto f = obj.find(key);
    if (f == obj.end() || !f->is_string()) return std::nullopt;
    return parse_rfc3339(f->get<std::string>());
  };
  p.started_at = time_of(status, "startTime");
  auto active = status.find("active");
  p.started = p.started_at.has_value() || (active != status.end() && active->is_number() && active->get<int>() > 0);
  if (p.started) p.phase = JobProgress::Phase::running;
  if (auto conds = status.find("conditions"); conds != status.end() && conds->is_array()) {
    for (const auto& c : *conds) {
      if (!c.is_object() || c.value("status", std::string{}) != "True") continue;
      const auto type = c.value("type", std::string{});
      if (type == "Complete") {
        p.phase = JobProgress::Phase::succeeded;
        p.finished_at = time_of(status, "completionTime");
        if (!p.finished_at) p.finished_at = time_of(c, "lastTransitionTime");
        break;
      }
      if (type == "Failed") {
        p.phase = JobProgress::Phase::failed;
        p.finished_at = time_of(c, "lastTransitionTime");
        auto reason = c.value("reason", std::string{});
        auto message = c.value("message", std::string{});
        p.message = reason.empty() ? message : message.empty() ? reason : fmt::format("{}: {}", reason, message);
        if (p.message.empty()) p.message = "the Job failed";
        break;
      }
    }
  }
  return p;
}

}  // namespace synergai::kube
