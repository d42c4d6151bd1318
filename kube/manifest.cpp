#include "kube/manifest.hpp"

#include "support/errors.hpp"

#include <fmt/format.h>
#include <openssl/sha.h>

#include <cctype>
#include <charconv>

namespace synergai::kube {
namespace {

std::string sha256_hex(std::string_view s, std::size_t hex_chars) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), digest);
  std::string out;
  for (std::size_t i = 0; i < SHA256_DIGEST_LENGTH && out.size() < hex_chars; ++i)
    out += fmt::format("{:02x}", digest[i]);
  out.resize(hex_chars);
  return out;
}

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  for (std::size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
    s.replace(pos, from.size(), to);
}

nlohmann::json our_labels(const JobSpec& job) {
  return {{std::string{managed_by_label}, std::string{managed_by_value}},
          {std::string{job_id_label}, job_id_label_value(job.id)}};
}

}  // namespace

std::string managed_selector() { return fmt::format("{}={}", managed_by_label, managed_by_value); }

std::string job_name(std::string_view job_id) {
  std::string part;
  for (char c : job_id) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u)) part += static_cast<char>(std::tolower(u));
    else if (!part.empty() && part.back() != '-') part += '-';
  }
  constexpr std::size_t max_part = 63 - 9 - 1 - 8;  // "synergai-" + part + "-" + hash
  if (part.size() > max_part) part.resize(max_part);
  while (!part.empty() && part.back() == '-') part.pop_back();
  std::string name = "synergai-";
  if (!part.empty()) name += part + "-";
  return name + sha256_hex(job_id, 8);
}

std::string job_id_label_value(std::string_view job_id) {
  std::string v;
  for (char c : job_id) {
    auto u = static_cast<unsigned char>(c);
    v += (std::isalnum(u) || c == '-' || c == '_' || c == '.') ? c : '_';
  }
  if (v.size() > 63) v.resize(63);
  auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  while (!v.empty() && !alnum(v.back())) v.pop_back();
  while (!v.empty() && !alnum(v.front())) v.erase(v.begin());
  return v;
}

std::string thread_env_name(std::string_view thread_knob) {
  std::string v;
  for (char c : thread_knob) {
    auto u = static_cast<unsigned char>(c);
    v += std::isalnum(u) ? static_cast<char>(std::toupper(u)) : '_';
  }
  if (v.empty() || std::isdigit(static_cast<unsigned char>(v.front()))) v = "THREADS_" + v;
  return v;
}

std::string fill_placeholders(std::string_view item, const JobSpec& job, const ExecConfig& config) {
  std::string s{item};
  replace_all(s, "{queries}", std::to_string(job.queries));
  replace_all(s, "{threads}", std::to_string(config.threads));
  replace_all(s, "{engine}", job.engine);
  return s;
}

nlohmann::json job_manifest(const JobSpec& job, const EngineSpec& engine, const NodeSpec& node,
                            const ExecConfig& config, const ManifestOptions& options) {
  if (job.id.empty()) throw InputError{"job manifest: the job id is empty"};
  if (engine.container.image.empty())
    throw InputError{fmt::format("job manifest: engine {} has no container image", engine.id)};
  if (config.threads < 1) throw InputError{fmt::format("job manifest: threads must be >= 1, got {}", config.threads)};
  if (config.mode && !node.find_mode(*config.mode))
    throw InputError{fmt::format("job manifest: node {} has no power mode {}", node.name, *config.mode)};
  if (node.kubernetes_node.empty())
    throw InputError{fmt::format("job manifest: node {} has no Kubernetes node name", node.name)};
  if (options.namespace_name.empty()) throw InputError{"job manifest: the namespace is empty"};

  auto args = nlohmann::json::array();
  for (const auto& a : engine.container.args) args.push_back(fill_placeholders(a, job, config));
  auto env = nlohmann::json::array();
  const std::string knob_env = engine.thread_knob.empty() ? "" : thread_env_name(engine.thread_knob);
  for (const auto& [k, v] : engine.container.env)
    if (k != knob_env) env.push_back({{"name", k}, {"value", fill_placeholders(v, job, config)}});
  if (!knob_env.empty()) env.push_back({{"name", knob_env}, {"value", std::to_string(config.threads)}});
  env.push_back({{"name", "SYNERGAI_JOB_ID"}, {"value", job.id}});

  nlohmann::json container{{"name", options.container_name},
                           {"image", engine.container.image},
                           {"args", args},
                           {"env", env},
                           {"resources", {{"requests", {{"cpu", std::to_string(config.threads)}}}}}};
  if (!engine.container.command.empty()) {
    auto command = nlohmann::json::array();
    for (const auto& c : engine.container.command) command.push_back(fill_placeholders(c, job, config));
    container["command"] = command;
  }

  nlohmann::json annotations{
      {std::string{job_id_annotation}, job.id},
      {"synergai.io/engine", engine.id},
      {"synergai.io/queries", std::to_string(job.queries)},
      {"synergai.io/qos-seconds", fmt::format("{}", job.qos.count())},
      {"synergai.io/threads", std::to_string(config.threads)},
      {"synergai.io/node", node.name},
  };
  if (config.mode) annotations[std::string{power_mode_annotation}] = std::to_string(*config.mode);

  nlohmann::json spec{
      {"backoffLimit", 0},
      {"template",
       {{"metadata", {{"labels", our_labels(job)}}},
        {"spec",
         {{"restartPolicy", "Never"},
          {"nodeSelector", {{std::string{hostname_label}, node.kubernetes_node}}},
          {"containers", nlohmann::json::array({container})}}}}},
  };
  if (options.ttl_seconds_after_finished) spec["ttlSecondsAfterFinished"] = *options.ttl_seconds_after_finished;

  return {{"apiVersion", "batch/v1"},
          {"kind", "Job"},
          {"metadata",
           {{"name", job_name(job.id)},
            {"namespace", options.namespace_name},
            {"labels", our_labels(job)},
            {"annotations", annotations}}},
          {"spec", spec}};
}

std::optional<JobPlacement> placement_of(const nlohmann::json& job) {
  const auto ptr = nlohmann::json::json_pointer{"/metadata/annotations"};
  if (!job.contains(ptr) || !job.at(ptr).is_object()) return std::nullopt;
  const auto& a = job.at(ptr);
  auto text = [&](std::string_view key) -> std::optional<std::string> {
    auto it = a.find(std::string{key});
    if (it == a.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
  };
  auto number = [&](std::string_view key) -> std::optional<int> {
    auto t = text(key);
    if (!t) return std::nullopt;
    int v = 0;
    auto [p, ec] = std::from_chars(t->data(), t->data() + t->size(), v);
    if (ec != std::errc{} || p != t->data() + t->size()) return std::nullopt;
    return v;
  };
  auto id = text(job_id_annotation);
  auto node = text("synergai.io/node");
  auto threads = number("synergai.io/threads");
  if (!id || !node || !threads) return std::nullopt;
  JobPlacement p{*id, *node, ExecConfig{*threads, std::nullopt}};
  if (text(power_mode_annotation)) {
    auto mode = number(power_mode_annotation);
    if (!mode) return std::nullopt;
    p.config.mode = *mode;
  }
  return p;
}

bool is_our_job(const nlohmann::json& job, std::string_view job_id) {
  const auto* labels = job.contains("metadata") ? &job["metadata"] : nullptr;
  if (!labels || !labels->contains("labels") || !(*labels)["labels"].is_object()) return false;
  const auto& l = (*labels)["labels"];
  auto value = [&](const nlohmann::json& obj, std::string_view key) -> std::string {
    auto it = obj.find(std::string{key});
    return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string{};
  };
  if (value(l, managed_by_label) != managed_by_value) return false;
  if (value(l, job_id_label) != job_id_label_value(job_id)) return false;
  const auto& meta = job["metadata"];
  if (meta.contains("annotations") && meta["annotations"].is_object()) {
    auto a = value(meta["annotations"], job_id_annotation);
    if (!a.empty() && a != job_id) return false;
  }
  return true;
}

}  // namespace synergai::kube
