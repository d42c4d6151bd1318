#include "testing/fake_job_validation.hpp"

#include "testing/fake_query.hpp"

#include <fmt/format.h>

#include <initializer_list>
#include <set>
#include <tuple>

namespace synergai::kube::fake {

using json = nlohmann::json;

// Type errors the API server reports as 400 BadRequest (decoding fails).
std::optional<std::string> decode_error(const json& job) {
  auto type_at = [&](const char* pointer, auto pred, const char* go_type) -> std::optional<std::string> {
    json::json_pointer p{pointer};
    if (!job.contains(p)) return std::nullopt;
    if (pred(job.at(p))) return std::nullopt;
    return fmt::format("Job in version \"v1\" cannot be handled as a Job: json: cannot unmarshal {} into Go struct "
                       "field {} of type {}",
                       job.at(p).type_name(), pointer, go_type);
  };
  auto is_int = [](const json& v) { return v.is_number_integer(); };
  auto is_obj = [](const json& v) { return v.is_object(); };
  auto is_str = [](const json& v) { return v.is_string(); };
  auto is_arr = [](const json& v) { return v.is_array(); };
  for (auto [ptr, pred, t] : std::initializer_list<std::tuple<const char*, bool (*)(const json&), const char*>>{
           {"/metadata", +is_obj, "ObjectMeta"},
           {"/metadata/name", +is_str, "string"},
           {"/metadata/labels", +is_obj, "map[string]string"},
           {"/metadata/annotations", +is_obj, "map[string]string"},
           {"/spec", +is_obj, "JobSpec"},
           {"/spec/backoffLimit", +is_int, "int32"},
           {"/spec/completions", +is_int, "int32"},
           {"/spec/parallelism", +is_int, "int32"},
           {"/spec/ttlSecondsAfterFinished", +is_int, "int32"},
           {"/spec/activeDeadlineSeconds", +is_int, "int64"},
           {"/spec/template", +is_obj, "PodTemplateSpec"},
           {"/spec/template/spec", +is_obj, "PodSpec"},
           {"/spec/template/spec/containers", +is_arr, "[]Container"},
           {"/spec/template/spec/restartPolicy", +is_str, "RestartPolicy"},
           {"/spec/template/spec/nodeSelector", +is_obj, "map[string]string"},
       })
    if (auto e = type_at(ptr, pred, t)) return e;
  for (const char* m : {"/metadata/labels", "/metadata/annotations", "/spec/template/spec/nodeSelector"}) {
    json::json_pointer p{m};
    if (job.contains(p))
      for (const auto& [k, v] : job.at(p).items())
        if (!v.is_string())
          return fmt::format("Job in version \"v1\" cannot be handled as a Job: json: cannot unmarshal {} into Go "
                             "value of type string ({}/{})",
                             v.type_name(), m, k);
  }
  if (job.contains("/spec/template/spec/containers"_json_pointer)) {
    for (const auto& c : job.at("/spec/template/spec/containers"_json_pointer)) {
      if (!c.is_object()) return std::string{"Job in version \"v1\" cannot be handled as a Job: json: cannot unmarshal "
                                             "into Go value of type v1.Container"};
      for (const char* f : {"name", "image"})
        if (c.contains(f) && !c[f].is_string())
          return fmt::format("Job in version \"v1\" cannot be handled as a Job: json: cannot unmarshal {} into Go "
                             "struct field Container.spec.template.spec.containers.{} of type string",
                             c[f].type_name(), f);
      for (const char* f : {"command", "args"})
        if (c.contains(f)) {
          if (!c[f].is_array()) return fmt::format("Job in version \"v1\" cannot be handled as a Job: {} must be a list", f);
          for (const auto& a : c[f])
            if (!a.is_string())
              return fmt::format("Job in version \"v1\" cannot be handled as a Job: json: cannot unmarshal {} into Go "
                                 "struct field Container.spec.template.spec.containers.{} of type string",
                                 a.type_name(), f);
        }
      if (c.contains("env")) {
        if (!c["env"].is_array()) return std::string{"Job in version \"v1\" cannot be handled as a Job: env must be a list"};
        for (const auto& e : c["env"])
          if (!e.is_object() || (e.contains("value") && !e["value"].is_string()))
            return std::string{"Job in version \"v1\" cannot be handled as a Job: json: cannot unmarshal into Go "
                               "struct field EnvVar.spec.template.spec.containers.env.value of type string"};
      }
    }
  }
  return std::nullopt;
}

std::vector<Cause> validate_job(const json& job) {
  std::vector<Cause> causes;
  auto required = [&](const std::string& field) { causes.push_back({"FieldValueRequired", "Required value", field}); };
  auto invalid = [&](const std::string& field, const std::string& msg) {
    causes.push_back({"FieldValueInvalid", msg, field});
  };
  const std::string name = job.value("/metadata/name"_json_pointer, std::string{});
  if (name.empty()) {
    causes.push_back({"FieldValueRequired", "name or generateName is required", "metadata.name"});
  } else if (!is_dns1123_subdomain(name)) {
    invalid("metadata.name", fmt::format("Invalid value: \"{}\": a lowercase RFC 1123 subdomain must consist of lower "
                                         "case alphanumeric characters, '-' or '.'",
                                         name));
  } else if (name.size() > 63) {
    invalid("metadata.name", fmt::format("Invalid value: \"{}\": must be no more than 63 characters", name));
  }
  if (job.contains("/metadata/labels"_json_pointer)) {
    for (const auto& [k, v] : job.at("/metadata/labels"_json_pointer).items()) {
      auto s = v.get<std::string>();
      if (!is_label_value(s))
        invalid(fmt::format("metadata.labels"), fmt::format("Invalid value: \"{}\": a valid label must be an empty "
                                                            "string or consist of alphanumeric characters, '-', '_' "
                                                            "or '.' (at most 63)",
                                                            s));
    }
  }
  for (const char* f : {"backoffLimit", "completions", "parallelism", "ttlSecondsAfterFinished"})
    if (job.contains("spec") && job["spec"].contains(f) && job["spec"][f].get<long long>() < 0)
      invalid(fmt::format("spec.{}", f), fmt::format("Invalid value: {}: must be greater than or equal to 0",
                                                     job["spec"][f].get<long long>()));
  if (!job.contains("/spec/template/spec"_json_pointer)) {
    required("spec.template.spec.containers");
    causes.push_back({"FieldValueNotSupported", "Unsupported value: \"Always\": supported values: \"OnFailure\", "
                                                "\"Never\"",
                      "spec.template.spec.restartPolicy"});
    return causes;
  }
  const auto& pod = job.at("/spec/template/spec"_json_pointer);
  if (!pod.contains("containers") || pod["containers"].empty()) {
    required("spec.template.spec.containers");
  } else {
    std::set<std::string> names;
    for (std::size_t i = 0; i < pod["containers"].size(); ++i) {
      const auto& c = pod["containers"][i];
      const auto base = fmt::format("spec.template.spec.containers[{}]", i);
      const std::string cname = c.value("name", std::string{});
      if (cname.empty()) required(base + ".name");
      else if (!is_dns1123_label(cname))
        invalid(base + ".name", fmt::format("Invalid value: \"{}\": a lowercase RFC 1123 label must consist of lower "
                                            "case alphanumeric characters or '-'",
                                            cname));
      else if (!names.insert(cname).second)
        causes.push_back({"FieldValueDuplicate", fmt::format("Duplicate value: \"{}\"", cname), base + ".name"});
      if (c.value("image", std::string{}).empty()) required(base + ".image");
      if (c.contains("env"))
        for (std::size_t k = 0; k < c["env"].size(); ++k)
          if (c["env"][k].value("name", std::string{}).empty()) required(fmt::format("{}.env[{}].name", base, k));
    }
  }
  const std::string restart = pod.value("restartPolicy", std::string{"Always"});
  if (restart != "Never" && restart != "OnFailure")
    causes.push_back({"FieldValueNotSupported",
                      fmt::format("Unsupported value: \"{}\": supported values: \"OnFailure\", \"Never\"", restart),
                      "spec.template.spec.restartPolicy"});
  return causes;
}

}  // namespace synergai::kube::fake
