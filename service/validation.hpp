// What the service checks before a request reaches the job table or the
// scheduler: the request target (path and query, percent-decoded, UTF-8), a
// submission's body field by field, a job list's parameters, and the same
// rules for jobs replayed from the journal. Each refusal names its field
// (docs/operations.md, "HTTP API").
#pragma once

#include "config/testbed.hpp"
#include "config/dictionary.hpp"
#include "messages/job.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace synergai::service {

inline constexpr long long max_queries = 1'000'000'000;
inline constexpr double max_qos_seconds = 30.0 * 24 * 3600;

// A request the API answers with an error: status, message, field (empty: none).
struct Refusal {
  int status = 400;
  std::string message;
  std::string field;
};

// Well-formed UTF-8: no stray continuation bytes, overlong forms, surrogates
// or code points past U+10FFFF.
bool valid_utf8(std::string_view s);
// 1 to 63 of [A-Za-z0-9._-], starting and ending with a letter or digit.
bool valid_id(const std::string& id);
// The percent-decoded path and query parameters of a request target.
std::pair<std::string, std::map<std::string, std::string>> split_target(const std::string& target);
// A whole number from 0 to `max`, nothing else in `s`.
std::optional<long long> parse_count(const std::string& s, long long max);

// Why the API would refuse this job, or nothing: replayed records obey the
// same rules as new submissions.
std::optional<std::string> refusal_of(const JobSpec& spec, const config::Testbed& testbed);

// A POST /v1/jobs body: the job (submitted_at unset; id empty when the
// service is to make one), or why it is refused.
std::variant<JobSpec, Refusal> parse_submission(const std::string& body, const config::Testbed& testbed,
                                                const config::Dictionary& dictionary);

// GET /v1/jobs parameters.
struct ListQuery {
  std::optional<JobState> state;
  std::size_t limit = 100;
  std::size_t offset = 0;
  std::optional<std::uint64_t> after;  // `continue`: the jobs submitted after this position
};
std::variant<ListQuery, Refusal> parse_list_query(const std::map<std::string, std::string>& query);

}  // namespace synergai::service
