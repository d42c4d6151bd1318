// fmt support for the vocabulary: every type with a `describe(const T&)`
// overload in namespace synergai formats as that string, e.g.
//   fmt::format("{}", exec_config)  ->  "threads=16 mode=6"
#pragma once

#include <fmt/format.h>

#include <concepts>
#include <string>

namespace synergai {

template <class T>
concept Describable = requires(const T& x) {
  { describe(x) } -> std::convertible_to<std::string>;
};

}  // namespace synergai

template <synergai::Describable T>
struct fmt::formatter<T> : fmt::formatter<std::string_view> {
  auto format(const T& x, fmt::format_context& ctx) const {
    return fmt::formatter<std::string_view>::format(describe(x), ctx);
  }
};
