// Testbeds the config suites share.
#pragma once

#include "config/testbed.hpp"
#include "tests/support.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

namespace synergai::test {

// config/examples/tiny.yaml with its edge board declared three times by one
// entry (`replicas: 3`): nodes edge-1 .. edge-3, profiled as "edge".
inline config::Testbed tiny_with_three_edge_boards() {
  auto text = read_text(source_path("config/examples/tiny.yaml"));
  const std::string entry = "  - name: edge\n";
  auto at = text.find(entry);
  BOOST_REQUIRE(at != std::string::npos);
  text.insert(at + entry.size(), "    replicas: 3\n");
  return config::read_testbed(config::parse_yaml(text, "tiny-replicas.yaml"));
}

}  // namespace synergai::test
