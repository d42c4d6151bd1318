// The API client against the fake API server, every call over TLS with
// certificate verification and a bearer token (or a client certificate).
#include "config/testbed.hpp"
#include "kube/manifest.hpp"
#include "kube/tls_cert.hpp"
#include "tests/kube/fake_fixture.hpp"
#include "tests/support.hpp"

#include <boost/test/unit_test.hpp>

#include <optional>
#include <set>
#include <sys/resource.h>
#include <unistd.h>

using namespace synergai;
using nlohmann::json;
using kube::fake::Endpoint;
using test::sample_job;

namespace {

template <class F>
kube::ApiError api_error_of(F&& f) {
  try {
    f();
  } catch (const kube::ApiError& e) {
    return e;
  }
  BOOST_FAIL("expected an ApiError");
  return kube::ApiError{0, "", ""};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(kube_client)

BOOST_AUTO_TEST_CASE(version_over_verified_tls_with_token) {
  test::FakeCluster c;
  auto v = c.client()->version();
  BOOST_TEST(v["gitVersion"] == "v1.30.0-synergai-fake");
  auto reqs = c.server.requests();
  BOOST_TEST_REQUIRE(reqs.size() == 1u);
  BOOST_TEST(reqs[0].user == "token-user");
}

BOOST_AUTO_TEST_CASE(host_name_localhost_is_verified_too) {
  test::FakeCluster c;
  auto creds = c.credentials();
  creds.server = "https://localhost:" + std::to_string(c.server.port());
  kube::Client client{creds, test::FakeCluster::fast_options()};
  BOOST_TEST(client.version().contains("major"));
  creds.server = c.server.url();
  creds.tls_server_name = "not-the-server.example";
  kube::Client wrong_name{creds, test::FakeCluster::fast_options()};
  auto e = api_error_of([&] { wrong_name.version(); });
  BOOST_TEST(e.is_transport());
}

BOOST_AUTO_TEST_CASE(wrong_ca_fails_verification_and_is_not_retried_forever) {
  test::FakeCluster c;
  auto creds = c.credentials();
  creds.ca_pem = kube::make_certificate_authority("some-other-ca").cert_pem;
  auto opts = test::FakeCluster::fast_options();
  opts.backoff.max_attempts = 2;
  kube::Client client{creds, opts};
  auto e = api_error_of([&] { client.version(); });
  BOOST_TEST(e.is_transport());
  BOOST_TEST(std::string{e.what()}.find("certificate verify failed") != std::string::npos, e.what());
  BOOST_TEST(c.server.requests().empty());  // no request got through
  BOOST_TEST(client.stats().attempts == 2u);
}

// The sanitizers' runtime needs descriptors of its own (it checks memory
// through a pipe), so under them this test would see their failures, not ours.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool under_sanitizers = true;
#else
constexpr bool under_sanitizers = false;
#endif

BOOST_AUTO_TEST_CASE(running_out_of_descriptors_is_a_transport_error_not_a_crash,
                     *boost::unit_test::enable_if<!under_sanitizers>()) {
  test::FakeCluster c;
  auto opts = test::FakeCluster::fast_options();
  opts.backoff.max_attempts = 2;
  kube::Client client{c.credentials(), opts};
  std::optional<kube::ApiError> error;
  {
    // No descriptor can be opened: the lowest free one is at the limit.
    int lowest = ::dup(0);
    ::close(lowest);
    rlimit saved{};
    ::getrlimit(RLIMIT_NOFILE, &saved);
    rlimit none = saved;
    none.rlim_cur = static_cast<rlim_t>(lowest);
    ::setrlimit(RLIMIT_NOFILE, &none);
    try {
      client.version();
    } catch (const kube::ApiError& e) {
      error = e;
    } catch (const std::exception& e) {  // before: boost::system::system_error, which ended the watcher's thread
      BOOST_TEST_MESSAGE("not an ApiError: " << e.what());
    }
    ::setrlimit(RLIMIT_NOFILE, &saved);
  }
  BOOST_TEST_REQUIRE(error.has_value());
  BOOST_TEST(error->is_transport());
  BOOST_TEST(client.version().contains("major"));  // and it works again once descriptors are back
}

BOOST_AUTO_TEST_CASE(wrong_token_is_unauthorized_and_not_retried) {
  test::FakeCluster c;
  auto creds = c.credentials();
  creds.token = "wrong";
  kube::Client client{creds, test::FakeCluster::fast_options()};
  auto e = api_error_of([&] { client.list_jobs(""); });
  BOOST_TEST(e.code() == 401);
  BOOST_TEST(e.reason() == "Unauthorized");
  BOOST_TEST(c.server.count(Endpoint::list_jobs, 401) == 1u);
}

BOOST_AUTO_TEST_CASE(client_certificate_authenticates) {
  test::FakeCluster c;
  auto creds = c.credentials();
  creds.token.clear();
  auto cert = c.server.issue_client_certificate("carol");
  creds.client_cert_pem = cert.cert_pem;
  creds.client_key_pem = cert.key_pem;
  kube::Client client{creds, test::FakeCluster::fast_options()};
  client.version();
  BOOST_TEST(c.server.requests().back().user == "carol");
  // A certificate from another CA fails the handshake.
  auto other = kube::issue_certificate(kube::make_certificate_authority("x"), "mallory", {}, false);
  creds.client_cert_pem = other.cert_pem;
  creds.client_key_pem = other.key_pem;
  kube::Client bad{creds, test::FakeCluster::fast_options()};
  BOOST_TEST(api_error_of([&] { bad.version(); }).is_transport());
}

BOOST_AUTO_TEST_CASE(job_create_get_list_delete) {
  test::FakeCluster c;
  c.server.set_job_rule([](const json&) { return kube::fake::JobPlan{false}; });  // stay pending
  auto client = c.client();
  auto created = client->create_job(sample_job("a"));
  const auto name = kube::job_name("a");
  BOOST_TEST(created["metadata"]["name"] == name);
  BOOST_TEST(created["metadata"]["uid"].is_string());
  const auto rv1 = std::stoull(created["metadata"]["resourceVersion"].get<std::string>());
  client->create_job(sample_job("b"));
  auto other = sample_job("c");
  other["metadata"]["labels"]["app.kubernetes.io/managed-by"] = "someone-else";
  client->create_job(other);

  auto got = client->get_job(name);
  BOOST_TEST(got["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]);
  auto ours = client->list_jobs(kube::managed_selector());
  BOOST_TEST(ours.items.size() == 2u);
  BOOST_TEST(std::stoull(ours.resource_version) > rv1);
  BOOST_TEST(client->list_jobs("").items.size() == 3u);
  BOOST_TEST(client->list_jobs("synergai.io/job-id=b").items.size() == 1u);
  BOOST_TEST(client->list_jobs("app.kubernetes.io/managed-by!=synergai").items.size() == 1u);
  BOOST_TEST(client->list_jobs("synergai.io/job-id in (b, c)").items.size() == 2u);
  BOOST_TEST(api_error_of([&] { client->list_jobs("a in (b"); }).code() == 400);

  client->delete_job(name);
  auto e = api_error_of([&] { client->get_job(name); });
  BOOST_TEST(e.code() == 404);
  BOOST_TEST(e.reason() == "NotFound");
  BOOST_TEST(e.message() == "jobs.batch \"" + name + "\" not found");
  BOOST_TEST(api_error_of([&] { client->delete_job(name); }).is_not_found());
  auto reqs = c.server.requests();
  BOOST_TEST(std::any_of(reqs.begin(), reqs.end(), [](const auto& r) {
    return r.method == "DELETE" && r.target.find("propagationPolicy=Background") != std::string::npos;
  }));
}

BOOST_AUTO_TEST_CASE(already_exists_is_adopted_only_when_ours) {
  test::FakeCluster c;
  auto client = c.client();
  auto first = client->create_or_adopt_job(sample_job("x"), "x");
  BOOST_TEST(!first.adopted);
  auto e = api_error_of([&] { client->create_job(sample_job("x")); });
  BOOST_TEST(e.code() == 409);
  BOOST_TEST(e.reason() == "AlreadyExists");
  auto again = client->create_or_adopt_job(sample_job("x"), "x");
  BOOST_TEST(again.adopted);
  BOOST_TEST(again.job["metadata"]["uid"] == first.job["metadata"]["uid"]);
  BOOST_TEST(c.server.jobs().size() == 1u);

  auto foreign = sample_job("y");
  foreign["metadata"]["labels"].erase("app.kubernetes.io/managed-by");
  client->create_job(foreign);
  auto clash = api_error_of([&] { client->create_or_adopt_job(sample_job("y"), "y"); });
  BOOST_TEST(clash.code() == 409);
  BOOST_TEST(clash.message().find("not made by synergai") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(invalid_job_gets_422_with_causes) {
  test::FakeCluster c;
  auto client = c.client();
  auto job = sample_job("bad");
  auto& pod = job["spec"]["template"]["spec"];
  pod["containers"][0].erase("image");
  pod["restartPolicy"] = "Always";
  auto e = api_error_of([&] { client->create_job(job); });
  BOOST_TEST(e.code() == 422);
  BOOST_TEST(e.reason() == "Invalid");
  std::set<std::string> fields;
  for (const auto& cause : e.causes()) fields.insert(cause.field);
  BOOST_TEST(fields.count("spec.template.spec.containers[0].image") == 1u);
  BOOST_TEST(fields.count("spec.template.spec.restartPolicy") == 1u);

  auto no_containers = sample_job("bad2");
  no_containers["spec"]["template"]["spec"]["containers"] = json::array();
  auto e2 = api_error_of([&] { client->create_job(no_containers); });
  BOOST_TEST(e2.code() == 422);
  BOOST_TEST_REQUIRE(e2.causes().size() == 1u);
  BOOST_TEST(e2.causes()[0].reason == "FieldValueRequired");

  auto wrong_type = sample_job("bad3");
  wrong_type["spec"]["backoffLimit"] = "0";
  BOOST_TEST(api_error_of([&] { client->create_job(wrong_type); }).code() == 400);

  kube::ManifestOptions elsewhere;
  elsewhere.namespace_name = "elsewhere";
  auto wrong_ns = sample_job("bad4", elsewhere);
  wrong_ns["metadata"]["namespace"] = "elsewhere";
  auto path_ns = api_error_of([&] {
    client->request("POST", "/apis/batch/v1/namespaces/default/jobs", wrong_ns.dump());
  });
  BOOST_TEST(path_ns.code() == 400);
  BOOST_TEST(c.server.jobs().empty());
}

BOOST_AUTO_TEST_CASE(the_simulated_controller_completes_or_fails_jobs) {
  test::FakeCluster c;
  c.server.set_job_rule([](const json& j) {
    kube::fake::JobPlan p;
    p.start_after = std::chrono::milliseconds{1};
    p.run_for = std::chrono::milliseconds{20};
    p.succeeds = j["metadata"]["name"] == kube::job_name("ok");
    return p;
  });
  auto client = c.client();
  client->create_job(sample_job("ok"));
  client->create_job(sample_job("ko"));
  auto condition = [&](const std::string& id) -> std::string {
    auto j = client->get_job(kube::job_name(id));
    if (!j["status"].contains("conditions")) return "";
    return j["status"]["conditions"][0]["type"].get<std::string>();
  };
  test::eventually([&] { return condition("ok") == "Complete" && condition("ko") == "Failed"; },
      "condition(\"ok\") == \"Complete\" && condition(\"ko\") == \"Failed\"");
  auto ok = client->get_job(kube::job_name("ok"));
  BOOST_TEST(ok["status"]["succeeded"] == 1);
  BOOST_TEST(ok["status"]["startTime"].is_string());
  BOOST_TEST(ok["status"]["completionTime"].is_string());
}

BOOST_AUTO_TEST_CASE(nodes_list_get_patch) {
  test::FakeCluster c;
  c.server.add_node("server-1", {{"kubernetes.io/arch", "amd64"}});
  c.server.add_node("jetson-nx-1", {{"kubernetes.io/arch", "arm64"}});
  auto client = c.client();
  BOOST_TEST(client->list_nodes().items.size() == 2u);
  BOOST_TEST(client->list_nodes("kubernetes.io/arch=arm64").items.size() == 1u);
  auto patched = client->patch_node("jetson-nx-1", {{"metadata", {{"annotations", {{"synergai.io/power-mode", "9"}}}}}});
  BOOST_TEST(patched["metadata"]["annotations"]["synergai.io/power-mode"] == "9");
  BOOST_TEST(client->get_node("jetson-nx-1")["metadata"]["labels"]["kubernetes.io/arch"] == "arm64");
  BOOST_TEST(api_error_of([&] { client->get_node("nope"); }).is_not_found());
  BOOST_TEST(api_error_of([&] { client->patch_node("nope", {{"metadata", {{"labels", {{"a", "b"}}}}}}); }).is_not_found());
  BOOST_TEST(api_error_of([&] { client->patch_node("server-1", {{"spec", {{"unschedulable", true}}}}); }).code() == 422);
}

BOOST_AUTO_TEST_CASE(keep_alive_reuses_one_connection) {
  test::FakeCluster c;
  auto client = c.client();
  for (int i = 0; i < 10; ++i) client->version();
  BOOST_TEST(client->stats().connections == 1u);
  BOOST_TEST(client->stats().attempts == 10u);
}

BOOST_AUTO_TEST_SUITE_END()
