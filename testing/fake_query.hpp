// Request query parameters read the way the Kubernetes API server reads them,
// for the fake API server's routes (testing/fake_routes.cpp). Real clients
// (kubectl, the official Python client, client-go) spell the same option in
// different ways, so each rule below follows the API server, not one client:
//   - booleans (watch, allowWatchBookmarks): absent, "0" and "false" in any
//     case are false; every other value, the empty one included, is true
//     (apimachinery's conversion of url.Values, which is more lenient than
//     Go's strconv.ParseBool);
//   - integers (timeoutSeconds, limit): base-10 int64, anything else is 400;
//   - labelSelector: the full grammar (=, ==, !=, in, notin, exists, !key,
//     gt, lt), with its value and key syntax;
//   - fieldSelector: =, ==, != on the fields a resource supports, with the
//     server's backslash escapes; an unsupported field is 400;
//   - limit/continue: opaque continue tokens carrying the list's
//     resourceVersion and the next key; a token older than the server's
//     history is 410 Expired.
// Every refusal is a QueryError carrying the Status code and reason to answer.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace synergai::kube::fake {

// A request refused before it reaches the store, answered as a Status.
struct QueryError : std::runtime_error {
  QueryError(int code, std::string reason, const std::string& message);
  int code;            // 400, 410, 422
  std::string reason;  // BadRequest, Expired, Invalid
};

using Query = std::map<std::string, std::string>;

// "a=1&b=x%20y": the first value of each name, '+' as a space; a malformed
// %-escape is a QueryError (400).
Query parse_query(std::string_view text);
// The %-decoding of one path segment or query component; throws QueryError.
std::string percent_decode(std::string_view text);

bool query_bool(const Query& query, const std::string& name);
std::optional<std::int64_t> query_int64(const Query& query, const std::string& name);

struct LabelRequirement {
  enum class Op { eq, ne, in, notin, exists, not_exists, gt, lt };
  std::string key;
  Op op = Op::eq;
  std::vector<std::string> values;
};
using LabelSelector = std::vector<LabelRequirement>;

// Throws QueryError(400, "BadRequest", "unable to parse requirement: ...").
LabelSelector parse_label_selector(std::string_view text);
bool matches(const LabelSelector& selector, const nlohmann::json& object);

struct FieldRequirement {
  std::string field;  // dotted path: metadata.name, status.phase, ...
  bool equals = true;
  std::string value;
};
using FieldSelector = std::vector<FieldRequirement>;

// `supported` lists the fields the resource can be selected by; another one
// is QueryError(400, "BadRequest", "field label not supported: F").
FieldSelector parse_field_selector(std::string_view text, const std::vector<std::string>& supported);
bool matches(const FieldSelector& selector, const nlohmann::json& object);

// Where the next page of a list starts.
struct ContinueToken {
  std::uint64_t resource_version = 0;  // of the list's first page
  std::string start;                   // the first name the next page may hold
};
std::string encode_continue(const ContinueToken& token);
ContinueToken decode_continue(std::string_view text);  // throws QueryError(400)

// The options of a list or watch request (metav1.ListOptions).
struct ListOptions {
  bool watch = false;
  bool allow_bookmarks = false;
  std::optional<std::chrono::seconds> timeout;
  std::optional<std::int64_t> limit;  // > 0; 0 or negative means no limit, as on the server
  std::optional<ContinueToken> continue_from;
  std::string resource_version;
  std::string resource_version_match;  // "", NotOlderThan, Exact
  LabelSelector labels;
  FieldSelector fields;
};

// Validates the combination as the server does (continue with a
// resourceVersion, resourceVersionMatch without one or on a watch,
// sendInitialEvents without the WatchList feature) and throws QueryError.
ListOptions parse_list_options(const Query& query, const std::vector<std::string>& field_labels);

// Names as the server validates them (selectors, object names, labels).
bool is_dns1123_label(const std::string& s);      // [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 63
bool is_dns1123_subdomain(const std::string& s);  // dot-separated labels, at most 253
bool is_label_key(const std::string& s);          // [prefix/]name, the prefix a DNS-1123 subdomain
bool is_label_value(const std::string& s);        // empty, or a name of at most 63

// The options of a delete (metav1.DeleteOptions), from the body and the query
// (the query wins, as on the server).
struct DeleteOptions {
  // Foreground, Background or Orphan; empty when the request names none, and
  // then batch/v1 Jobs are orphaned: their pods stay (the server's default
  // for that group version, kept for compatibility).
  std::string propagation_policy;
  bool dry_run = false;
};
// Throws QueryError: 400 for a body that is not DeleteOptions, 422 for an
// unsupported propagationPolicy or dryRun value.
DeleteOptions parse_delete_options(const Query& query, std::string_view body);

// dryRun=All on create and delete; other values are 400 as on the server.
bool query_dry_run(const Query& query);

// The fields each resource can be selected by here: the subset of the
// server's field labels for these kinds that read one field as it is stored.
const std::vector<std::string>& job_field_labels();
const std::vector<std::string>& pod_field_labels();
const std::vector<std::string>& node_field_labels();

}  // namespace synergai::kube::fake
