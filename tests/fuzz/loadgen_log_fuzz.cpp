// libFuzzer harness for the MLPerf LoadGen log parser (profiling/loadgen_log):
// any input either parses, and then renders as JSON, or is rejected with an
// InputError. Anything else — another exception, a crash, a sanitizer report —
// is a finding. Built by the `fuzz` preset (clang); run with `make fuzz`.
#include "profiling/loadgen_log.hpp"
#include "support/errors.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text{reinterpret_cast<const char*>(data), size};
  try {
    auto log = synergai::profiling::parse_loadgen_log(text, "fuzz-input");
    (void)synergai::profiling::to_json(log).dump();
  } catch (const synergai::InputError&) {
  }
  return 0;
}
