// The log line formats (support/log.hpp): key/value fields after the message
// in text, quoted when they would split the line; each field a key in JSON,
// numbers as numbers, in the order given.
#include "support/log.hpp"

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

using namespace synergai;

BOOST_AUTO_TEST_SUITE(log_format)

BOOST_AUTO_TEST_CASE(text_appends_fields_in_order_after_the_message) {
  std::string id = "j1";
  auto line = log::format_text(log::Level::info, "bridge", "job created",
                               {{"job", id}, {"node", "jetson-nx-1"}, {"attempt", 2}, {"waited_s", 0.25}});
  BOOST_TEST(line == "info  [bridge] job created job=j1 node=jetson-nx-1 attempt=2 waited_s=0.25");
}

BOOST_AUTO_TEST_CASE(text_quotes_values_that_would_split_the_line) {
  auto line = log::format_text(log::Level::error, "journal", "write failed",
                               {{"error", "No space left on device"},
                                {"path", "/tmp/a=b"},
                                {"empty", ""},
                                {"quote", "say \"hi\"\\now"},
                                {"lines", "one\ntwo"},
                                {"ok", true}});
  BOOST_TEST(line == "error [journal] write failed error=\"No space left on device\" path=\"/tmp/a=b\" empty=\"\" "
                     "quote=\"say \\\"hi\\\"\\\\now\" lines=\"one\\ntwo\" ok=true");
}

BOOST_AUTO_TEST_CASE(a_message_with_a_newline_stays_one_line) {
  auto line = log::format_text(log::Level::warn, "x", "first\nsecond", {});
  BOOST_TEST(line == "warn  [x] first second");
}

BOOST_AUTO_TEST_CASE(json_has_each_field_as_a_key_with_its_type) {
  std::uint64_t big = 18446744073709551615ull;
  auto line = log::format_json(log::Level::info, "service", "journal replayed",
                               {{"jobs", 12}, {"bytes", big}, {"seconds", 1.5}, {"journal", "/tmp/j.jsonl"},
                                {"ready", false}, {"message", "clashes"}},
                               "2026-11-28T08:00:00.000Z");
  auto j = nlohmann::ordered_json::parse(line);
  BOOST_TEST(j["time"] == "2026-11-28T08:00:00.000Z");
  BOOST_TEST(j["level"] == "info");
  BOOST_TEST(j["component"] == "service");
  BOOST_TEST(j["message"] == "journal replayed");
  BOOST_TEST(j["jobs"].is_number_integer());
  BOOST_TEST(j["jobs"] == 12);
  BOOST_TEST(j["bytes"].get<std::uint64_t>() == big);
  BOOST_TEST(j["seconds"] == 1.5);
  BOOST_TEST(j["journal"] == "/tmp/j.jsonl");
  BOOST_TEST(j["ready"] == false);
  BOOST_TEST(j["message_"] == "clashes");  // a field never replaces the line's own keys
  std::string keys;
  for (const auto& [k, _] : j.items()) keys += k + ",";
  BOOST_TEST(keys == "time,level,component,message,jobs,bytes,seconds,journal,ready,message_,");
}

BOOST_AUTO_TEST_CASE(json_replaces_bytes_that_are_not_utf8) {
  auto line = log::format_json(log::Level::warn, "http", "bad request", {{"target", std::string{"/\xff"}}}, "t");
  auto j = nlohmann::json::parse(line);
  BOOST_TEST(j["target"] == "/\xEF\xBF\xBD");
}

BOOST_AUTO_TEST_CASE(levels_and_formats_parse_by_name) {
  BOOST_TEST((log::parse_level("warn") == log::Level::warn));
  BOOST_TEST(!log::parse_level("loud"));
  BOOST_TEST((log::parse_format("json") == log::Format::json));
  BOOST_TEST(!log::parse_format("xml"));
}

BOOST_AUTO_TEST_SUITE_END()
