// Walks tests/data/invalid/: every file must make `synergai validate` exit 2
// and print each line of its `.expect` file. Dictionaries are checked against
// config/examples/tiny.yaml; service files (`svc-*`) name their own testbed.
#include "tests/support.hpp"

#include <boost/test/unit_test.hpp>

#include <fstream>

using namespace synergai;

BOOST_AUTO_TEST_SUITE(invalid_corpus)

BOOST_AUTO_TEST_CASE(every_bad_file_is_rejected_with_its_message) {
  auto dir = test::source_path("tests/data/invalid");
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator{dir}) {
    auto path = entry.path();
    if (path.extension() == ".expect") continue;
    ++files;
    auto expect_path = path;
    expect_path.replace_extension(".expect");
    std::ifstream expect{expect_path};
    BOOST_TEST_REQUIRE(expect.good(), path << " has no .expect file");
    auto relative = std::filesystem::relative(path, test::source_path("")).string();
    auto result = test::run_program("validate --testbed config/examples/tiny.yaml " + relative);
    BOOST_TEST(result.exit_code == 2, relative << " exited " << result.exit_code);
    std::string fragment;
    while (std::getline(expect, fragment)) {
      if (fragment.empty()) continue;
      BOOST_TEST(result.output.find(fragment) != std::string::npos,
                 relative << ": expected \"" << fragment << "\" in:\n" << result.output);
    }
    BOOST_TEST(result.output.find("terminate") == std::string::npos);
  }
  BOOST_TEST(files >= 20);
}

BOOST_AUTO_TEST_CASE(valid_files_pass) {
  auto result = test::run_program(
      "validate config/examples/tiny.yaml tests/data/valid/tiny-dictionary.json tests/data/valid/experiment.yaml "
      "tests/data/valid/service.yaml");
  BOOST_TEST(result.exit_code == 0, result.output);
  BOOST_TEST(result.output.find("testbed \"tiny\": 2 nodes, 2 engines") != std::string::npos);
  BOOST_TEST(result.output.find("service \"valid\": listen 127.0.0.1:0, policy synergai, tick 0.5 s, executor "
                                "simulated, testbed \"tiny\"") != std::string::npos,
             result.output);
}

BOOST_AUTO_TEST_CASE(usage_errors_exit_2) {
  BOOST_TEST(test::run_program("").exit_code == 2);
  BOOST_TEST(test::run_program("validate").exit_code == 2);
  BOOST_TEST(test::run_program("frobnicate").exit_code == 2);
  BOOST_TEST(test::run_program("--version").exit_code == 0);
  BOOST_TEST(test::run_program("--log-level loud validate config/examples/tiny.yaml").exit_code == 2);
}

BOOST_AUTO_TEST_SUITE_END()
