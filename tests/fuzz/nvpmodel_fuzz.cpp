// libFuzzer harness for the nvpmodel.conf importer (profiling/nvpmodel): any
// input either parses, and then converts to power modes, testbed YAML and
// JSON, or is rejected with an InputError. Anything else is a finding. Built
// by the `fuzz` preset (clang); run with `make fuzz`.
#include "profiling/nvpmodel.hpp"
#include "support/errors.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text{reinterpret_cast<const char*>(data), size};
  try {
    auto model = synergai::profiling::parse_nvpmodel(text, "fuzz-input");
    (void)synergai::profiling::to_json(model).dump();
    (void)synergai::profiling::testbed_yaml(model);
  } catch (const synergai::InputError&) {
  }
  return 0;
}
