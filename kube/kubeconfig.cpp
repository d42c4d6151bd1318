#include "kube/kubeconfig.hpp"

#include "config/document.hpp"
#include "support/errors.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

namespace synergai::kube {
namespace {

using config::Cursor;
using config::Diagnostic;
using config::Diagnostics;
using config::Document;

std::string read_file(const std::filesystem::path& p, const std::string& what) {
  std::ifstream in{p, std::ios::binary};
  if (!in) throw InputError{fmt::format("{} \"{}\" cannot be read", what, p.string())};
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string trim(std::string s) {
  auto b = s.find_first_not_of(" \t\r\n");
  auto e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? std::string{} : s.substr(b, e - b + 1);
}

// A named entry of a kubeconfig list (clusters, users, contexts), with the
// file it came from: relative paths in it resolve against that file's folder.
struct Entry {
  const Document* doc = nullptr;
  Cursor body;
};

// A string field that YAML may have typed as a number (a numeric token).
std::optional<std::string> text(const Cursor& c) {
  if (!c.present()) return std::nullopt;
  if (c.raw()->is_number()) return c.raw()->dump();
  return c.string();
}

std::optional<bool> flag(const Cursor& c) {
  if (!c.present()) return std::nullopt;
  if (c.raw()->is_string()) {
    auto s = c.raw()->get<std::string>();
    if (s == "true") return true;
    if (s == "false") return false;
  }
  return c.boolean();
}

std::filesystem::path resolve_path(const Document& doc, const std::string& p) {
  std::filesystem::path path{p};
  if (path.is_relative()) path = std::filesystem::path{doc.file}.parent_path() / path;
  return path;
}

// `<name>-data` (base64) or `<name>` (a file, relative to the kubeconfig).
std::string data_or_file(const Entry& e, const std::string& name, Diagnostics& diags) {
  auto data = e.body.field(name + "-data");
  if (data.present()) {
    auto s = data.string();
    if (!s) return {};
    try {
      return base64_decode(*s);
    } catch (const InputError& err) {
      data.error(err.what());
      return {};
    }
  }
  auto file = e.body.field(name);
  if (file.present()) {
    auto s = file.string();
    if (!s) return {};
    try {
      return read_file(resolve_path(*e.doc, *s), name);
    } catch (const InputError& err) {
      file.error(err.what());
      return {};
    }
  }
  (void)diags;
  return {};
}

}  // namespace

EnvLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    if (const char* v = std::getenv(name.c_str())) return std::string{v};
    return std::nullopt;
  };
}

std::string base64_decode(const std::string& text) {
  static const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned int acc = 0;
  int bits = 0;
  int padding = 0;
  for (char c : text) {
    if (c == '\n' || c == '\r' || c == ' ' || c == '\t') continue;
    if (c == '=') {
      ++padding;
      continue;
    }
    auto pos = alphabet.find(c);
    if (pos == std::string::npos || padding > 0) throw InputError{"not valid base64"};
    acc = (acc << 6) | static_cast<unsigned int>(pos);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  if (padding > 2 || bits >= 6) throw InputError{"not valid base64"};
  return out;
}

std::string base64_encode(const std::string& bytes) {
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned int acc = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += alphabet[(acc >> bits) & 0x3f];
    }
  }
  if (bits > 0) out += alphabet[(acc << (6 - bits)) & 0x3f];
  while (out.size() % 4) out += '=';
  return out;
}

Credentials load_kubeconfig(const std::vector<std::filesystem::path>& files, const std::string& wanted_context) {
  std::vector<Document> docs;
  docs.reserve(files.size());
  for (const auto& f : files) docs.push_back(config::read_yaml_file(f));

  Diagnostics diags;
  std::map<std::string, Entry> clusters, users, contexts;
  std::string current_context;
  for (const auto& doc : docs) {
    Cursor root{doc, diags};
    if (!doc.root.is_object()) {
      if (!doc.root.is_null()) root.expected("a kubeconfig mapping");
      continue;
    }
    // kubectl writes `current-context: ""` into files without one.
    if (current_context.empty())
      if (auto cc = root.field("current-context"); cc.present()) {
        if (cc.raw()->is_string()) current_context = cc.raw()->get<std::string>();
        else cc.expected("a string");
      }
    auto collect = [&](const char* list, const char* body_key, std::map<std::string, Entry>& into) {
      auto l = root.field(list);
      if (!l.present()) return;
      for (const auto& item : l.items(true)) {
        auto name = item.field("name").string();
        if (!name) continue;
        into.emplace(*name, Entry{&doc, item.field(body_key)});  // first file wins
      }
    };
    collect("clusters", "cluster", clusters);
    collect("users", "user", users);
    collect("contexts", "context", contexts);
  }
  diags.throw_if_any();

  std::string files_text;
  for (const auto& f : files) files_text += (files_text.empty() ? "" : ":") + f.string();
  const std::string context_name = wanted_context.empty() ? current_context : wanted_context;
  if (context_name.empty())
    throw InputError{fmt::format("kubeconfig {}: no current-context is set and no context was chosen", files_text)};
  auto ctx_it = contexts.find(context_name);
  if (ctx_it == contexts.end())
    throw InputError{fmt::format("kubeconfig {}: context \"{}\" does not exist", files_text, context_name)};

  Credentials creds;
  creds.origin = fmt::format("kubeconfig {} (context {})", files_text, context_name);
  const Entry& ctx = ctx_it->second;
  auto cluster_name = ctx.body.field("cluster").string();
  auto user_name = text(ctx.body.field("user"));
  if (auto ns = ctx.body.field("namespace"); ns.present()) creds.namespace_name = ns.string().value_or("default");
  diags.throw_if_any();

  auto cl_it = clusters.find(*cluster_name);
  if (cl_it == clusters.end())
    throw InputError{fmt::format("kubeconfig {}: context \"{}\" names cluster \"{}\", which does not exist",
                                 files_text, context_name, *cluster_name)};
  const Entry& cluster = cl_it->second;
  if (auto server = cluster.body.field("server").string()) creds.server = *server;
  creds.ca_pem = data_or_file(cluster, "certificate-authority", diags);
  creds.insecure_skip_tls_verify = flag(cluster.body.field("insecure-skip-tls-verify")).value_or(false);
  if (auto name = cluster.body.field("tls-server-name"); name.present()) creds.tls_server_name = name.string().value_or("");
  if (cluster.body.field("proxy-url").present())
    cluster.body.field("proxy-url").error("proxies are not supported by this client");

  if (user_name && !user_name->empty()) {
    auto us_it = users.find(*user_name);
    if (us_it == users.end())
      throw InputError{fmt::format("kubeconfig {}: context \"{}\" names user \"{}\", which does not exist", files_text,
                                   context_name, *user_name)};
    const Entry& user = us_it->second;
    creds.client_cert_pem = data_or_file(user, "client-certificate", diags);
    creds.client_key_pem = data_or_file(user, "client-key", diags);
    if (auto t = user.body.field("token"); t.present()) creds.token = text(t).value_or("");
    if (auto tf = user.body.field("tokenFile"); tf.present()) {
      if (auto s = tf.string()) {
        creds.token_file = resolve_path(*user.doc, *s).string();
        if (creds.token.empty()) {
          try {
            creds.token = trim(read_file(creds.token_file, "tokenFile"));
          } catch (const InputError& e) {
            tf.error(e.what());
          }
        }
      }
    }
    for (const char* unsupported : {"exec", "auth-provider", "username", "password"})
      if (auto f = user.body.field(unsupported); f.present())
        f.error(fmt::format("\"{}\" credentials are not supported by this client (use a token or a client "
                            "certificate)", unsupported));
    if (creds.client_cert_pem.empty() != creds.client_key_pem.empty())
      user.body.error("client-certificate and client-key must be given together");
  }
  if (creds.insecure_skip_tls_verify && !creds.ca_pem.empty())
    cluster.body.field("insecure-skip-tls-verify")
        .error("a certificate authority and insecure-skip-tls-verify cannot be used together");
  diags.throw_if_any();
  return creds;
}

Credentials load_in_cluster(const EnvLookup& env, const std::filesystem::path& dir) {
  auto host = env("KUBERNETES_SERVICE_HOST");
  auto port = env("KUBERNETES_SERVICE_PORT");
  if (!host || !port || host->empty() || port->empty())
    throw InputError{"not running in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set"};
  Credentials c;
  c.server = fmt::format("https://{}:{}", host->find(':') != std::string::npos ? "[" + *host + "]" : *host, *port);
  c.token_file = (dir / "token").string();
  c.token = trim(read_file(c.token_file, "service-account token"));
  c.ca_pem = read_file(dir / "ca.crt", "service-account CA");
  std::error_code ec;
  if (std::filesystem::exists(dir / "namespace", ec)) {
    auto ns = trim(read_file(dir / "namespace", "service-account namespace"));
    if (!ns.empty()) c.namespace_name = ns;
  }
  c.origin = fmt::format("in-cluster service account ({})", dir.string());
  return c;
}

Credentials resolve_credentials(const CredentialSource& source) {
  if (!source.explicit_path.empty()) return load_kubeconfig({source.explicit_path}, source.context);
  if (auto list = source.env("KUBECONFIG"); list && !list->empty()) {
    std::vector<std::filesystem::path> files;
    std::stringstream in{*list};
    std::string item;
    std::error_code ec;
    while (std::getline(in, item, ':'))
      if (!item.empty() && std::filesystem::exists(item, ec)) files.emplace_back(item);  // missing ones are skipped, as kubectl does
    if (files.empty()) throw InputError{fmt::format("KUBECONFIG={}: none of these files exists", *list)};
    return load_kubeconfig(files, source.context);
  }
  if (auto home = source.env("HOME"); home && !home->empty()) {
    auto path = std::filesystem::path{*home} / ".kube" / "config";
    std::error_code ec;
    if (std::filesystem::exists(path, ec)) return load_kubeconfig({path}, source.context);
  }
  try {
    return load_in_cluster(source.env, source.service_account_dir);
  } catch (const InputError& e) {
    throw InputError{fmt::format("no Kubernetes credentials: no --kubeconfig, no $KUBECONFIG, no ~/.kube/config, "
                                 "and {}",
                                 e.what())};
  }
}

}  // namespace synergai::kube
