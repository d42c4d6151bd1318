#include "config/document.hpp"

#include <boost/test/unit_test.hpp>

using namespace synergai::config;

BOOST_AUTO_TEST_SUITE(document)

BOOST_AUTO_TEST_CASE(yaml_scalars_get_core_schema_types_unless_quoted) {
  auto doc = parse_yaml("a: 16\nb: \"16\"\nc: 2.5\nd: true\ne: ~\nf: text\n", "t.yaml");
  BOOST_TEST(doc.root["a"].is_number_integer());
  BOOST_TEST(doc.root["b"].is_string());
  BOOST_TEST(doc.root["c"].get<double>() == 2.5);
  BOOST_TEST(doc.root["d"].get<bool>());
  BOOST_TEST(doc.root["e"].is_null());
  BOOST_TEST(doc.root["f"] == "text");
}

BOOST_AUTO_TEST_CASE(yaml_remembers_where_each_value_stood) {
  auto doc = parse_yaml("nodes:\n  - name: x\n    cpus: 4\n", "t.yaml");
  auto m = doc.mark_of("nodes[0].cpus");
  BOOST_TEST_REQUIRE(m.has_value());
  BOOST_TEST(m->line == 3);
  BOOST_TEST(m->column == 11);
  // A missing field is reported where its parent stands.
  BOOST_TEST(doc.mark_of("nodes[0].memory_gib")->line == 2);
}

BOOST_AUTO_TEST_CASE(duplicate_keys_are_errors_in_both_formats) {
  BOOST_CHECK_EXCEPTION(parse_yaml("a: 1\na: 2\n", "t.yaml"), ValidationError, [](const ValidationError& e) {
    return std::string{e.what()}.find("t.yaml:2:1: a: duplicate key \"a\"") != std::string::npos;
  });
  BOOST_CHECK_EXCEPTION(parse_json(R"({"x": [{"k": 1, "k": 2}]})", "t.json"), ValidationError,
                        [](const ValidationError& e) {
                          return std::string{e.what()}.find("x[0].k: duplicate key") != std::string::npos;
                        });
}

BOOST_AUTO_TEST_CASE(malformed_json_reports_line_and_column) {
  BOOST_CHECK_EXCEPTION(parse_json("{\n  \"a\": 1,\n  \"b\": ]\n}", "t.json"), ValidationError,
                        [](const ValidationError& e) {
                          const auto& d = e.diagnostics().at(0);
                          return d.mark && d.mark->line == 3 && d.message.find("malformed JSON") == 0;
                        });
}

BOOST_AUTO_TEST_CASE(cursor_collects_every_problem) {
  auto doc = parse_yaml("n: -1\ns: 3\nlist: []\nextra: 1\n", "t.yaml");
  Diagnostics diags;
  Cursor root{doc, diags};
  root.object({"n", "s", "list"});
  BOOST_TEST(!root.field("n").integer(1, 10).has_value());
  BOOST_TEST(!root.field("s").string().has_value());
  BOOST_TEST(root.field("list").items().empty());
  BOOST_TEST(!root.field("absent").number(0, 1).has_value());
  BOOST_TEST_REQUIRE(diags.items().size() == 5u);
  BOOST_TEST(diags.items()[0].message.find("unknown field \"extra\"") == 0);
  BOOST_TEST(diags.items()[1].message == "expected an integer in [1, 10], found -1");
  BOOST_TEST(diags.items()[2].message == "expected a non-empty string, found 3");
  BOOST_TEST(diags.items()[3].message == "expected a non-empty list, found an empty list");
  BOOST_TEST(diags.items()[4].message == "missing; expected a number >= 0 and <= 1");
  BOOST_CHECK_THROW(diags.throw_if_any(), ValidationError);
}

BOOST_AUTO_TEST_CASE(integers_do_not_accept_fractions) {
  auto doc = parse_json(R"({"n": 4.5, "m": 18446744073709551615})", "t.json");
  Diagnostics diags;
  Cursor root{doc, diags};
  BOOST_TEST(!root.field("n").integer(0, 10).has_value());
  BOOST_TEST(!root.field("m").integer(0, 10).has_value());
  BOOST_TEST(diags.items().size() == 2u);
}

BOOST_AUTO_TEST_CASE(missing_file_is_a_validation_error) {
  BOOST_CHECK_EXCEPTION(read_yaml_file("/nonexistent/x.yaml"), ValidationError, [](const ValidationError& e) {
    return std::string{e.what()} == "/nonexistent/x.yaml: file does not exist";
  });
}

BOOST_AUTO_TEST_SUITE_END()
