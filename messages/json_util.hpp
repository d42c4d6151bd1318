// Helpers for the vocabulary's JSON conversion: optional fields and seconds.
#pragma once

#include "messages/time.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string_view>

namespace synergai::json_util {

template <class T>
void put_optional(nlohmann::json& j, std::string_view key, const std::optional<T>& v) {
  if (v) j[std::string{key}] = *v;
  else j[std::string{key}] = nullptr;
}

template <class T>
std::optional<T> get_optional(const nlohmann::json& j, std::string_view key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  return it->template get<T>();
}

inline std::optional<TimePoint> get_instant(const nlohmann::json& j, std::string_view key) {
  if (auto s = get_optional<double>(j, key)) return at_seconds(*s);
  return std::nullopt;
}

inline nlohmann::json instant(const std::optional<TimePoint>& t) {
  return t ? nlohmann::json(seconds_of(*t)) : nlohmann::json(nullptr);
}

}  // namespace synergai::json_util
