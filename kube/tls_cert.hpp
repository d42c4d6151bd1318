// Certificates made in code with OpenSSL: a throw-away certificate authority
// and certificates it signs (the fake API server's serving certificate, client
// certificates for kubeconfig tests). Keys are ECDSA P-256; PEM in and out.
#pragma once

#include <string>
#include <vector>

namespace synergai::kube {

struct KeyPair {
  std::string cert_pem;
  std::string key_pem;
};

// A self-signed CA certificate valid for `days` days.
KeyPair make_certificate_authority(const std::string& common_name, int days = 2);

// A leaf certificate signed by `ca`. `subject_alt_names` are OpenSSL
// notation ("DNS:localhost", "IP:127.0.0.1"); `server` picks serverAuth,
// otherwise clientAuth. `organization` becomes O= (Kubernetes: the groups).
KeyPair issue_certificate(const KeyPair& ca, const std::string& common_name,
                          const std::vector<std::string>& subject_alt_names, bool server,
                          const std::string& organization = "", int days = 2);

// The subject common name of a PEM certificate ("" if unreadable).
std::string certificate_common_name(const std::string& cert_pem);

}  // namespace synergai::kube
