// Where the client's credentials come from: kubeconfig files (as kubectl
// writes them) or the in-cluster service account. Resolution order, as
// kubectl/client-go: an explicit file; else the $KUBECONFIG list (merged, the
// first file to define a name or current-context wins); else ~/.kube/config
// if it exists; else the in-cluster configuration; else an error.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace synergai::kube {

struct Credentials {
  std::string server;  // https://host:port[/path]
  std::string ca_pem;  // empty: the system's trusted CAs
  bool insecure_skip_tls_verify = false;
  std::string tls_server_name;  // verify the certificate for this name instead of the host
  std::string client_cert_pem;
  std::string client_key_pem;
  std::string token;       // bearer token
  std::string token_file;  // re-read periodically when set (service-account tokens rotate)
  std::string namespace_name = "default";
  std::string origin;  // for messages: "kubeconfig FILE (context C)" or "in-cluster service account"
};

using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
EnvLookup process_environment();

struct CredentialSource {
  std::string explicit_path;  // --kubeconfig
  std::string context;        // --context; empty: current-context
  EnvLookup env = process_environment();
  std::filesystem::path service_account_dir = "/var/run/secrets/kubernetes.io/serviceaccount";
};

// Throws InputError (config::ValidationError for file problems, with the file,
// line and field path) when nothing usable is found.
Credentials resolve_credentials(const CredentialSource& source);

// Kubeconfig files merged in order (as $KUBECONFIG), one context picked.
Credentials load_kubeconfig(const std::vector<std::filesystem::path>& files, const std::string& context = "");
// The pod's service account; throws InputError outside a cluster.
Credentials load_in_cluster(const EnvLookup& env, const std::filesystem::path& service_account_dir);

std::string base64_decode(const std::string& text);  // throws InputError on bad input
std::string base64_encode(const std::string& bytes);

}  // namespace synergai::kube
