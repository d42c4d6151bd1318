#include "config/service.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>

namespace synergai::config {
namespace {

// A Kubernetes namespace name: an RFC 1123 label.
bool is_dns_label(const std::string& s) {
  auto alnum = [](char ch) { return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'); };
  if (s.empty() || s.size() > 63 || !alnum(s.front()) || !alnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(), [&](char ch) { return alnum(ch) || ch == '-'; });
}

void read_simulated(const Cursor& c, SimulatedExecutorSettings& s) {
  if (!c.present() || !c.object({"speedup", "noise_sigma", "seed"})) return;
  if (auto f = c.field("speedup"); f.present())
    if (auto v = f.number(0, 10000, true)) s.speedup = *v;
  if (auto f = c.field("noise_sigma"); f.present())
    if (auto v = f.number(0, 2)) s.noise_sigma = *v;
  if (auto f = c.field("seed"); f.present())
    if (auto v = f.integer(0, std::numeric_limits<long long>::max())) s.seed = static_cast<std::uint64_t>(*v);
}

void read_kubernetes(const Cursor& c, KubernetesExecutorSettings& k, bool required, const std::filesystem::path& base) {
  if (!c.present()) {
    if (required) c.error("the kubernetes executor needs this section (kubeconfig or in_cluster: true)");
    return;
  }
  if (!c.object({"kubeconfig", "in_cluster", "context", "namespace", "job_ttl_s", "api_qps", "api_burst"})) return;
  bool in_cluster = false;
  if (auto f = c.field("in_cluster"); f.present())
    if (auto v = f.boolean()) in_cluster = *v;
  if (auto f = c.field("kubeconfig"); f.present()) {
    if (in_cluster) f.error("give either kubeconfig or in_cluster: true, not both");
    else if (auto p = f.existing_file(base)) k.kubeconfig = *p;
  } else if (!in_cluster && required) {
    c.error("give kubeconfig (a file) or in_cluster: true");
  }
  if (auto f = c.field("context"); f.present())
    if (auto v = f.string()) k.context = *v;
  if (auto f = c.field("namespace"); f.present())
    if (auto v = f.string()) {
      if (is_dns_label(*v)) k.namespace_name = *v;
      else f.expected("a namespace name (1-63 of [a-z0-9-], starting and ending with a letter or digit)");
    }
  if (auto f = c.field("job_ttl_s"); f.present())
    if (auto v = f.integer(0, 7 * 24 * 3600)) k.job_ttl_seconds = static_cast<int>(*v);
  if (auto f = c.field("api_qps"); f.present())
    if (auto v = f.number(0, 10000, true)) k.api_qps = *v;
  if (auto f = c.field("api_burst"); f.present())
    if (auto v = f.integer(1, 10000)) k.api_burst = static_cast<int>(*v);
}

void read_local(const Cursor& c, LocalExecutorSettings& l, const std::filesystem::path& base) {
  if (!c.present() || !c.object({"models", "job_timeout_s", "profile_if_missing", "profile_queries"})) return;
  if (auto f = c.field("models"); f.present())
    if (auto v = f.string()) l.models = std::filesystem::path{*v}.is_absolute() ? std::filesystem::path{*v} : base / *v;
  if (auto f = c.field("job_timeout_s"); f.present())
    if (auto v = f.number(0, 7 * 24 * 3600, true)) l.job_timeout_s = *v;
  if (auto f = c.field("profile_if_missing"); f.present())
    if (auto v = f.boolean()) l.profile_if_missing = *v;
  if (auto f = c.field("profile_queries"); f.present())
    if (auto v = f.integer(1, 100000)) l.profile_queries = static_cast<int>(*v);
}

}  // namespace

std::optional<ListenAddress> parse_listen_address(std::string_view text) {
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 >= text.size()) return std::nullopt;
  ListenAddress a;
  a.host = std::string{text.substr(0, colon)};
  auto port = text.substr(colon + 1);
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc{} || end != port.data() + port.size() || value > 65535) return std::nullopt;
  for (char ch : a.host)
    if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '-')) return std::nullopt;
  a.port = static_cast<std::uint16_t>(value);
  return a;
}

std::string_view to_string(ExecutorKind k) {
  return k == ExecutorKind::simulated ? "simulated" : k == ExecutorKind::kubernetes ? "kubernetes" : "local";
}

ServiceConfig read_service_config(const Document& doc, const std::filesystem::path& base_dir,
                                  const std::set<std::string>& known_policies) {
  Diagnostics diagnostics;
  Cursor root{doc, diagnostics};
  ServiceConfig s;
  if (root.object({"service", "listen", "listen_probes", "policy", "tick_s", "reservation_ttl_s", "testbed", "dictionary", "executor",
                   "journal", "auth", "limits", "retention", "learning"})) {
    if (auto v = root.field("service").string()) s.name = *v;
    if (auto c = root.field("listen"); auto v = c.string()) {
      if (auto a = parse_listen_address(*v)) s.listen = *a;
      else c.error(fmt::format("expected HOST:PORT (e.g. 127.0.0.1:8080), found \"{}\"", *v));
    }
    if (auto c = root.field("listen_probes"); c.present()) {
      if (auto v = c.string()) {
        if (auto a = parse_listen_address(*v)) s.listen_probes = *a;
        else c.error(fmt::format("expected HOST:PORT (e.g. 0.0.0.0:9090), found \"{}\"", *v));
      }
    }
    if (auto c = root.field("policy"); auto v = c.string()) {
      if (known_policies.count(*v)) s.policy = *v;
      else c.expected(fmt::format("one of {}", fmt::join(known_policies, " | ")));
    }
    if (auto f = root.field("tick_s"); f.present())
      if (auto v = f.number(0, 3600, true)) s.tick = Seconds{*v};
    if (auto f = root.field("reservation_ttl_s"); f.present())
      if (auto v = f.number(0, 3600, true)) s.reservation_ttl = Seconds{*v};
    if (auto p = root.field("testbed").existing_file(base_dir)) s.testbed = *p;

    auto ex = root.field("executor");
    if (ex.object({"kind", "simulated", "kubernetes", "local"})) {
      if (auto k = ex.field("kind").string_in({"simulated", "kubernetes", "local"}))
        s.executor = *k == "simulated"    ? ExecutorKind::simulated
                     : *k == "kubernetes" ? ExecutorKind::kubernetes
                                          : ExecutorKind::local;
      read_simulated(ex.field("simulated"), s.simulated);
      read_kubernetes(ex.field("kubernetes"), s.kubernetes, s.executor == ExecutorKind::kubernetes, base_dir);
      read_local(ex.field("local"), s.local, base_dir);
    }
    // The local executor's dictionary is measured on this machine: it may not
    // exist yet, and then serve makes it (profile_if_missing) or says how to.
    if (s.executor == ExecutorKind::local) {
      auto f = root.field("dictionary");
      if (auto v = f.string()) {
        s.dictionary = (std::filesystem::path{*v}.is_absolute() ? std::filesystem::path{*v} : base_dir / *v)
                           .lexically_normal();
        if (!std::filesystem::exists(s.dictionary) && !s.local.profile_if_missing)
          f.error(fmt::format(
              "{} does not exist yet: measure this machine with `synergai profile run --testbed {} --executor local "
              "--repeats 1 --queries 10 --out CAMPAIGN` and copy CAMPAIGN/dictionary.json there, or set "
              "executor.local.profile_if_missing: true to have the service do it at start",
              s.dictionary.string(), s.testbed.string()));
      }
    } else if (auto p = root.field("dictionary").existing_file(base_dir)) {
      s.dictionary = *p;
    }

    auto journal = root.field("journal");
    if (journal.object({"path", "compact_bytes"})) {
      if (auto v = journal.field("path").string()) s.journal = *v;
      if (auto f = journal.field("compact_bytes"); f.present())
        if (auto v = f.integer(4096, 1LL << 40)) s.journal_compact_bytes = static_cast<std::uint64_t>(*v);
    }

    // An auth section without its token would silently serve /v1 to anyone.
    if (auto auth = root.field("auth"); auth.present() && auth.object({"token_file"}))
      if (auto p = auth.field("token_file").existing_file(base_dir)) s.token_file = *p;

    if (auto limits = root.field("limits");
        limits.present() && limits.object({"max_body_bytes", "http_threads", "max_connections"})) {
      if (auto f = limits.field("max_body_bytes"); f.present())
        if (auto v = f.integer(256, 64LL << 20)) s.max_body_bytes = static_cast<std::size_t>(*v);
      if (auto f = limits.field("http_threads"); f.present())
        if (auto v = f.integer(1, 256)) s.http_threads = static_cast<int>(*v);
      if (auto f = limits.field("max_connections"); f.present())
        if (auto v = f.integer(2, 1 << 20)) s.max_connections = static_cast<int>(*v);
    }

    if (auto retention = root.field("retention");
        retention.present() && retention.object({"max_finished_jobs", "finished_ttl_s"})) {
      if (auto f = retention.field("max_finished_jobs"); f.present())
        if (auto v = f.integer(0, 1LL << 40)) s.retention.max_finished_jobs = static_cast<std::size_t>(*v);
      if (auto f = retention.field("finished_ttl_s"); f.present())
        if (auto v = f.number(0, 10.0 * 365 * 24 * 3600)) s.retention.finished_ttl = Seconds{*v};
    }

    if (auto learning = root.field("learning");
        learning.present() &&
        learning.object({"enabled", "path", "alpha", "min_observations", "min_ratio", "max_ratio"})) {
      if (auto b = learning.field("enabled").boolean()) s.learning.enabled = *b;
      if (auto f = learning.field("path"); f.present())
        if (auto v = f.string()) s.learning.path = *v;
      read_learning_settings(learning, s.learning.settings);
    }
  }
  diagnostics.throw_if_any();
  return s;
}

std::filesystem::path learned_profiles_path(const ServiceConfig& config) {
  if (!config.learning.path.empty()) return config.learning.path;
  return config.journal.parent_path() / "learned-profiles.json";
}

ServiceConfig load_service_config(const std::filesystem::path& path, const std::set<std::string>& known_policies) {
  return read_service_config(read_yaml_file(path), path.parent_path(), known_policies);
}

}  // namespace synergai::config
