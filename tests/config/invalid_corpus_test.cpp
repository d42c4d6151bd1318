// Every file of tests/data/invalid/ is one test case (a data test case, whose
// failure names the file): `synergai validate` must exit 2 and print each line
// of the file's `.expect` file. Dictionaries are checked against
// config/examples/tiny.yaml; service files (`svc-*`) name their own testbed.
#include "tests/support.hpp"

#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

using namespace synergai;

namespace {

// The corpus's files (not their .expect files), relative to the source tree, sorted.
std::vector<std::string> corpus() {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator{test::source_path("tests/data/invalid")})
    if (entry.path().extension() != ".expect")
      files.push_back(std::filesystem::relative(entry.path(), test::source_path("")).string());
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(invalid_corpus)

BOOST_AUTO_TEST_CASE(the_corpus_is_there) { BOOST_TEST(corpus().size() >= 20u); }

BOOST_DATA_TEST_CASE(every_bad_file_is_rejected_with_its_message, boost::unit_test::data::make(corpus()), file) {
  auto expect_path = test::source_path(file).replace_extension(".expect");
  std::ifstream expect{expect_path};
  BOOST_TEST_REQUIRE(expect.good(), file << " has no .expect file");
  auto result = test::run_program("validate --testbed config/examples/tiny.yaml " + file);
  BOOST_TEST(result.exit_code == 2, file << " exited " << result.exit_code);
  std::string fragment;
  while (std::getline(expect, fragment)) {
    if (fragment.empty()) continue;
    BOOST_TEST(result.output.find(fragment) != std::string::npos,
               file << ": expected \"" << fragment << "\" in:\n" << result.output);
  }
  BOOST_TEST(result.output.find("terminate") == std::string::npos, file);
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
