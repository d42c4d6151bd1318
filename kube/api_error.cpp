#include "kube/api_error.hpp"

#include <fmt/format.h>

namespace synergai::kube {
namespace {

std::string describe_error(int code, const std::string& reason, const std::string& message,
                           const std::vector<StatusCause>& causes) {
  std::string s = code == 0 ? fmt::format("Kubernetes API: {}", message)
                            : fmt::format("Kubernetes API: {} {}: {}", code, reason, message);
  for (const auto& c : causes) s += fmt::format("; {}: {}", c.field.empty() ? c.reason : c.field, c.message);
  return s;
}

std::string string_field(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

}  // namespace

ApiError::ApiError(int code, std::string reason, std::string message, std::vector<StatusCause> causes,
                   std::optional<std::chrono::seconds> retry_after)
    : RuntimeError{describe_error(code, reason, message, causes)},
      code_{code},
      reason_{std::move(reason)},
      message_{std::move(message)},
      causes_{std::move(causes)},
      retry_after_{retry_after} {}

std::string reason_for_code(int code) {
  switch (code) {
    case 400: return "BadRequest";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "NotFound";
    case 405: return "MethodNotAllowed";
    case 406: return "NotAcceptable";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 415: return "UnsupportedMediaType";
    case 422: return "Invalid";
    case 429: return "TooManyRequests";
    case 500: return "InternalError";
    case 503: return "ServiceUnavailable";
    case 504: return "Timeout";
    default: return code >= 500 ? "InternalError" : "Unknown";
  }
}

ApiError ApiError::from_status(const nlohmann::json& status, int fallback_code) {
  int code = fallback_code;
  if (auto it = status.find("code"); it != status.end() && it->is_number_integer()) code = it->get<int>();
  std::string reason = string_field(status, "reason");
  if (reason.empty()) reason = reason_for_code(code);
  std::string message = string_field(status, "message");
  std::vector<StatusCause> causes;
  if (auto d = status.find("details"); d != status.end() && d->is_object()) {
    if (auto cs = d->find("causes"); cs != d->end() && cs->is_array())
      for (const auto& c : *cs)
        if (c.is_object())
          causes.push_back({string_field(c, "reason"), string_field(c, "message"), string_field(c, "field")});
  }
  return ApiError{code, std::move(reason), std::move(message), std::move(causes)};
}

ApiError ApiError::from_response(int http_status, const std::string& body,
                                 std::optional<std::chrono::seconds> retry_after) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_object() && string_field(j, "kind") == "Status") {
    auto e = from_status(j, http_status);
    return ApiError{http_status, e.reason(), e.message(), e.causes(), retry_after};
  }
  std::string message = body.size() > 200 ? body.substr(0, 200) + "..." : body;
  if (message.empty()) message = reason_for_code(http_status);
  return ApiError{http_status, reason_for_code(http_status), std::move(message), {}, retry_after};
}

nlohmann::json make_status(int code, const std::string& reason, const std::string& message,
                           const nlohmann::json& details) {
  nlohmann::json s{{"kind", "Status"},     {"apiVersion", "v1"}, {"metadata", nlohmann::json::object()},
                   {"status", "Failure"},  {"message", message}, {"reason", reason},
                   {"code", code}};
  if (!details.is_null()) s["details"] = details;
  return s;
}

}  // namespace synergai::kube
