// Errors of the Kubernetes client. The API server reports failures as a
// `Status` object (kind Status: code, reason, message, details.causes); the
// client turns it into an ApiError. Transport failures (no connection, TLS,
// timeouts, a stream cut short) are ApiErrors with code 0.
#pragma once

#include "support/errors.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace synergai::kube {

struct StatusCause {
  std::string reason;   // e.g. FieldValueRequired
  std::string message;  // e.g. Required value
  std::string field;    // e.g. spec.template.spec.containers[0].image
};

class ApiError : public RuntimeError {
 public:
  ApiError(int code, std::string reason, std::string message, std::vector<StatusCause> causes = {},
           std::optional<std::chrono::seconds> retry_after = std::nullopt);

  // From a response: the Status body if it is one, otherwise the HTTP status
  // and a reason derived from the code.
  static ApiError from_response(int http_status, const std::string& body,
                                std::optional<std::chrono::seconds> retry_after = std::nullopt);
  static ApiError from_status(const nlohmann::json& status, int fallback_code = 0);
  static ApiError transport(std::string message) { return ApiError{0, "Transport", std::move(message)}; }

  int code() const { return code_; }                    // HTTP status; 0 for transport failures
  const std::string& reason() const { return reason_; }  // AlreadyExists, NotFound, Invalid, Expired ...
  const std::string& message() const { return message_; }
  const std::vector<StatusCause>& causes() const { return causes_; }
  std::optional<std::chrono::seconds> retry_after() const { return retry_after_; }

  bool is_transport() const { return code_ == 0; }
  bool is_gone() const { return code_ == 410; }
  bool is_not_found() const { return code_ == 404; }
  bool is_already_exists() const { return code_ == 409 && reason_ == "AlreadyExists"; }
  // Worth another attempt: connection failures, 429 and 5xx.
  bool is_retryable() const { return code_ == 0 || code_ == 429 || (code_ >= 500 && code_ <= 599); }

 private:
  int code_;
  std::string reason_;
  std::string message_;
  std::vector<StatusCause> causes_;
  std::optional<std::chrono::seconds> retry_after_;
};

// The reason the API server uses for an HTTP status without a Status body.
std::string reason_for_code(int code);

// A Status object as the API server writes it (used by the fake API server).
nlohmann::json make_status(int code, const std::string& reason, const std::string& message,
                           const nlohmann::json& details = nullptr);

}  // namespace synergai::kube
