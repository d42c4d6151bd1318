#!/usr/bin/env bash
# Regenerates the kubeconfig fixtures of tests/kube/kubeconfig_test.cpp with
# openssl (a test-only CA and client certificate, valid 10 years) and kubectl
# (the kubeconfig files themselves: what kubectl writes, the client must read).
# Run from this folder; the server port 6443 is rewritten by the tests.
set -euo pipefail
cd "$(dirname "$0")"
rm -f ./*.yaml ./*.crt ./*.key ./token
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
  -subj /CN=synergai-test-ca -keyout ca.key -out ca.crt \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign,digitalSignature 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/O=system:masters/CN=alice" \
  -keyout client.key -out client.csr 2>/dev/null
printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n' > client.ext
openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 -extfile client.ext \
  -out client.crt 2>/dev/null
rm -f client.csr client.ext ca.srl
printf 'synergai-file-token\n' > token

k() { kubectl --kubeconfig="$1" config "${@:2}" >/dev/null; }

# 1. Embedded CA, bearer token, context namespace.
k token-embedded.yaml set-cluster fake --server=https://127.0.0.1:6443 --certificate-authority=ca.crt --embed-certs=true
k token-embedded.yaml set-credentials bob --token=synergai-test-token
k token-embedded.yaml set-context fake-ctx --cluster=fake --user=bob --namespace=ml-jobs
k token-embedded.yaml use-context fake-ctx

# 2. CA and client certificate as file paths (relative to this file), no token.
k client-cert-files.yaml set-cluster fake --server=https://127.0.0.1:6443 --certificate-authority=ca.crt
k client-cert-files.yaml set-credentials alice --client-certificate=client.crt --client-key=client.key
k client-cert-files.yaml set-context fake-ctx --cluster=fake --user=alice
k client-cert-files.yaml use-context fake-ctx
# kubectl stores absolute paths; the fixture keeps them relative so it works from any checkout.
sed -i "s#$(pwd)/##g" client-cert-files.yaml

# 3. Embedded client certificate and key.
k client-cert-embedded.yaml set-cluster fake --server=https://127.0.0.1:6443 --certificate-authority=ca.crt --embed-certs=true
k client-cert-embedded.yaml set-credentials alice --client-certificate=client.crt --client-key=client.key --embed-certs=true
k client-cert-embedded.yaml set-context fake-ctx --cluster=fake --user=alice
k client-cert-embedded.yaml use-context fake-ctx

# 4. Two contexts; the current one is broken on purpose (wrong token), the other uses tokenFile.
k two-contexts.yaml set-cluster fake --server=https://127.0.0.1:6443 --certificate-authority=ca.crt --embed-certs=true
k two-contexts.yaml set-credentials wrong --token=not-the-token
k two-contexts.yaml set-credentials filetoken
k two-contexts.yaml set users.filetoken.tokenFile token
k two-contexts.yaml set-context broken --cluster=fake --user=wrong
k two-contexts.yaml set-context good --cluster=fake --user=filetoken --namespace=team-a
k two-contexts.yaml use-context broken

# 5. insecure-skip-tls-verify (no CA).
k insecure.yaml set-cluster fake --server=https://127.0.0.1:6443 --insecure-skip-tls-verify=true
k insecure.yaml set-credentials bob --token=synergai-test-token
k insecure.yaml set-context fake-ctx --cluster=fake --user=bob
k insecure.yaml use-context fake-ctx

# 6./7. A KUBECONFIG list: clusters+users in one file, the context in another.
k merge-a.yaml set-cluster fake --server=https://127.0.0.1:6443 --certificate-authority=ca.crt --embed-certs=true
k merge-a.yaml set-credentials bob --token=synergai-test-token
k merge-b.yaml set-context merged --cluster=fake --user=bob --namespace=merged-ns
k merge-b.yaml use-context merged
echo "fixtures written"
