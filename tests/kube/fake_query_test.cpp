// Query parameters as the Kubernetes API server reads them (testing/fake_query):
// booleans, integers, label and field selectors, continue tokens, list and
// delete options, without a server.
#include "testing/fake_query.hpp"

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

using namespace synergai::kube::fake;
using nlohmann::json;

namespace {

json labelled(std::initializer_list<std::pair<const std::string, std::string>> labels) {
  json l = json::object();
  for (const auto& [k, v] : labels) l[k] = v;
  return {{"metadata", {{"name", "x"}, {"labels", l}}}};
}

template <class F>
QueryError refusal_of(F&& f) {
  try {
    f();
  } catch (const QueryError& e) {
    return e;
  }
  BOOST_FAIL("expected a QueryError");
  return QueryError{0, "", ""};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(fake_query)

BOOST_AUTO_TEST_CASE(booleans_follow_the_servers_conversion_not_one_spelling) {
  // The official Python client sends watch=True; Go clients send true; curl users 1.
  for (const char* v : {"true", "True", "TRUE", "1", "t", "yes", ""})
    BOOST_TEST(query_bool(parse_query(std::string{"watch="} + v), "watch"), v);
  for (const char* v : {"false", "False", "FALSE", "0"})
    BOOST_TEST(!query_bool(parse_query(std::string{"watch="} + v), "watch"), v);
  BOOST_TEST(!query_bool(parse_query("limit=5"), "watch"));
  BOOST_TEST(query_bool(parse_query("watch"), "watch"));  // a name alone is the empty value
}

BOOST_AUTO_TEST_CASE(query_strings_decode_escapes_and_keep_the_first_value) {
  auto q = parse_query("labelSelector=app%3Dweb%2Ctier+in+%28a%2Cb%29&limit=2&limit=9");
  BOOST_TEST(q.at("labelSelector") == "app=web,tier in (a,b)");
  BOOST_TEST(q.at("limit") == "2");
  auto e = refusal_of([] { parse_query("labelSelector=%zz"); });
  BOOST_TEST(e.code == 400);
  BOOST_TEST(std::string{e.what()}.find("invalid URL escape") != std::string::npos);
  BOOST_TEST(refusal_of([] { parse_query("a=%4"); }).code == 400);
}

BOOST_AUTO_TEST_CASE(integers_are_base_ten_int64) {
  BOOST_TEST(query_int64(parse_query("timeoutSeconds=30"), "timeoutSeconds").value() == 30);
  BOOST_TEST(query_int64(parse_query("limit=-1"), "limit").value() == -1);
  BOOST_TEST(!query_int64(parse_query("x=1"), "limit"));
  for (const char* bad : {"limit=ten", "limit=1.5", "limit=", "limit=99999999999999999999"}) {
    auto e = refusal_of([&] { query_int64(parse_query(bad), "limit"); });
    BOOST_TEST(e.code == 400, bad);
    BOOST_TEST(e.reason == "BadRequest");
  }
}

BOOST_AUTO_TEST_CASE(label_selectors_have_the_whole_grammar) {
  const json web_a = labelled({{"app", "web"}, {"tier", "a"}, {"rank", "7"}});
  const json web_b = labelled({{"app", "web"}, {"tier", "b"}});
  const json bare = labelled({});
  auto sel = [](const char* text) { return parse_label_selector(text); };
  BOOST_TEST(matches(sel(""), bare));
  BOOST_TEST(matches(sel("app=web"), web_a));
  BOOST_TEST(matches(sel("app==web"), web_a));
  BOOST_TEST(!matches(sel("app!=web"), web_a));
  BOOST_TEST(matches(sel("app!=web"), bare));  // != also selects objects without the label
  BOOST_TEST(matches(sel("tier in (a, c)"), web_a));
  BOOST_TEST(!matches(sel("tier in (a,c)"), web_b));
  BOOST_TEST(!matches(sel("tier in (a,c)"), bare));
  BOOST_TEST(matches(sel("tier notin (a,c)"), web_b));
  BOOST_TEST(matches(sel("tier notin (a,c)"), bare));
  BOOST_TEST(matches(sel("tier"), web_b));
  BOOST_TEST(!matches(sel("tier"), bare));
  BOOST_TEST(matches(sel("!tier"), bare));
  BOOST_TEST(!matches(sel("!tier"), web_a));
  BOOST_TEST(matches(sel("rank>5"), web_a));
  BOOST_TEST(!matches(sel("rank<5"), web_a));
  BOOST_TEST(!matches(sel("rank>5"), web_b));
  BOOST_TEST(matches(sel("app=web,tier notin (b),!missing"), web_a));
  BOOST_TEST(!matches(sel("app=web,tier notin (b),!missing"), web_b));
  BOOST_TEST(matches(sel("synergai.io/job-id=job-1"), labelled({{"synergai.io/job-id", "job-1"}})));
  BOOST_TEST(matches(sel("app="), labelled({{"app", ""}})));
  for (const char* bad : {"app in a", "app in (a", "=web", "app=web=x", "app>x", "-bad=1", "app=(x)", "app notin"}) {
    auto e = refusal_of([&] { parse_label_selector(bad); });
    BOOST_TEST(e.code == 400, bad);
    BOOST_TEST(std::string{e.what()}.rfind("unable to parse requirement", 0) == 0, bad);
  }
}

BOOST_AUTO_TEST_CASE(field_selectors_read_the_supported_fields_only) {
  const json pod{{"metadata", {{"name", "p-1"}, {"namespace", "default"}}},
                 {"spec", {{"nodeName", "agx"}}},
                 {"status", {{"phase", "Running"}}}};
  auto sel = [](const char* text) { return parse_field_selector(text, pod_field_labels()); };
  BOOST_TEST(matches(sel("metadata.name=p-1"), pod));
  BOOST_TEST(matches(sel("metadata.name==p-1,status.phase!=Failed"), pod));
  BOOST_TEST(!matches(sel("spec.nodeName=nx"), pod));
  BOOST_TEST(matches(sel("spec.nodeName!=nx"), pod));
  BOOST_TEST(matches(parse_field_selector(R"(metadata.name=a\,b)", job_field_labels()),
                     json{{"metadata", {{"name", "a,b"}}}}));
  auto e = refusal_of([] { parse_field_selector("spec.nodeName=agx", job_field_labels()); });
  BOOST_TEST(e.code == 400);
  BOOST_TEST(std::string{e.what()} == "field label not supported: spec.nodeName");
  BOOST_TEST(refusal_of([] { parse_field_selector("metadata.name", job_field_labels()); }).code == 400);
}

BOOST_AUTO_TEST_CASE(continue_tokens_round_trip_and_refuse_garbage) {
  ContinueToken t{42, std::string{"job-7"} + '\0'};
  auto back = decode_continue(encode_continue(t));
  BOOST_TEST(back.resource_version == 42u);
  BOOST_TEST(back.start == t.start);
  for (const char* bad : {"not-base64!", "e30=" /* {} */, "bm90IGpzb24=" /* "not json" */})
    BOOST_TEST(refusal_of([&] { decode_continue(bad); }).code == 400, bad);
}

BOOST_AUTO_TEST_CASE(list_options_are_checked_together) {
  auto o = parse_list_options(parse_query("watch=True&allowWatchBookmarks=1&timeoutSeconds=5&labelSelector=a%3Db&"
                                          "fieldSelector=metadata.name%3Dx&resourceVersion=12"),
                              job_field_labels());
  BOOST_TEST(o.watch);
  BOOST_TEST(o.allow_bookmarks);
  BOOST_TEST(o.timeout.value().count() == 5);
  BOOST_TEST(o.labels.size() == 1u);
  BOOST_TEST(o.fields.size() == 1u);
  BOOST_TEST(o.resource_version == "12");
  BOOST_TEST(!parse_list_options(parse_query("limit=0"), job_field_labels()).limit);  // 0: no limit, as on the server
  const std::string token = encode_continue({3, "b"});
  BOOST_TEST(parse_list_options(parse_query("limit=2&continue=" + token), job_field_labels()).continue_from->start == "b");
  auto refused = [](const std::string& q) { return refusal_of([&] { parse_list_options(parse_query(q), job_field_labels()); }); };
  BOOST_TEST(refused("continue=" + token + "&resourceVersion=5").code == 400);
  BOOST_TEST(refused("resourceVersionMatch=Exact").code == 422);
  BOOST_TEST(refused("resourceVersion=1&resourceVersionMatch=Sometimes").code == 422);
  BOOST_TEST(refused("watch=1&resourceVersion=1&resourceVersionMatch=NotOlderThan").code == 422);
  BOOST_TEST(refused("watch=1&sendInitialEvents=true").code == 422);
  BOOST_TEST(refused("timeoutSeconds=soon").code == 400);
  BOOST_TEST(refused("fieldSelector=spec.foo%3D1").code == 400);
}

BOOST_AUTO_TEST_CASE(delete_options_come_from_the_body_and_the_query) {
  BOOST_TEST(parse_delete_options({}, "").propagation_policy.empty());
  BOOST_TEST(parse_delete_options({}, R"({"kind":"DeleteOptions","apiVersion":"v1","propagationPolicy":"Foreground"})")
                 .propagation_policy == "Foreground");
  BOOST_TEST(parse_delete_options(parse_query("propagationPolicy=Orphan"), R"({"propagationPolicy":"Background"})")
                 .propagation_policy == "Orphan");
  BOOST_TEST(parse_delete_options({}, R"({"orphanDependents":false})").propagation_policy == "Background");
  BOOST_TEST(parse_delete_options(parse_query("dryRun=All"), "").dry_run);
  BOOST_TEST(parse_delete_options({}, R"({"dryRun":["All"]})").dry_run);
  BOOST_TEST(refusal_of([] { parse_delete_options(parse_query("propagationPolicy=Sideways"), ""); }).code == 422);
  BOOST_TEST(refusal_of([] { parse_delete_options({}, "[1]"); }).code == 400);
  BOOST_TEST(refusal_of([] { parse_delete_options(parse_query("dryRun=Some"), ""); }).code == 400);
}

BOOST_AUTO_TEST_SUITE_END()
