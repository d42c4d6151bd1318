// The OCI image archives of scripts/build-images (`make images`): each is an OCI
// layout whose configuration holds the entrypoint, user and labels the deploy
// manifests rely on, and whose root file system runs that entrypoint in a chroot
// as that user — `--version`, then a short job: an inference on the engine image,
// a scheduling run on the service image that prints what it prints outside.
// Building needs root, mmdebstrap, umoci and the Debian mirror; without them the
// image suite is skipped and says why. Containerfile is held to the same packages.
#include "tests/support.hpp"

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

using namespace synergai;
namespace fs = std::filesystem;

namespace {

const fs::path program{SYNERGAI_PROGRAM};
const fs::path build_dir = program.parent_path().parent_path();  // BUILD/apps/synergai

std::string quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string{"'\\''"} : std::string(1, c);
  return out + "'";
}

std::string program_version() {
  auto r = test::run_shell(quoted(program.string()) + " --version");
  auto text = r.output.substr(0, r.output.find('\n'));
  return text.rfind("synergai ", 0) == 0 ? text.substr(9) : "";
}

bool on_path(const std::string& tool) {
  return test::run_shell("command -v " + tool + " >/dev/null").exit_code == 0;
}

// Why the images cannot be built here, or empty.
std::string missing_prerequisite() {
  if (::geteuid() != 0) return "not root: mmdebstrap's root mode and chroot need root";
  for (auto tool : {"mmdebstrap", "umoci", "unshare", "chroot"})
    if (!on_path(tool)) return std::string{tool} + " is not installed (scripts/install-deps installs it)";
  return "";
}

std::string read_blob(const fs::path& layout, const std::string& digest) {
  auto colon = digest.find(':');
  return test::read_text(layout / "blobs" / digest.substr(0, colon) / digest.substr(colon + 1));
}

// One image: its OCI configuration and its unpacked root file system.
struct Image {
  nlohmann::json config;  // the "config" object: Entrypoint, Cmd, User, Labels, Env
  fs::path rootfs;

  std::vector<std::string> entrypoint() const { return config.at("Entrypoint").get<std::vector<std::string>>(); }
  std::vector<std::string> cmd() const { return config.at("Cmd").get<std::vector<std::string>>(); }
  std::string label(const std::string& key) const {
    return config.at("Labels").value("org.opencontainers.image." + key, "");
  }

  // The entrypoint with `args`, run the way a runtime would: in its root file
  // system, as its user, with its environment, in fresh mount and PID namespaces.
  test::ProgramResult run(const std::vector<std::string>& args, bool with_stderr = true) const {
    std::string line = "unshare --mount --pid --fork --mount-proc=" + quoted((rootfs / "proc").string()) +
                       " chroot --userspec=" + quoted(config.at("User").get<std::string>()) + " " +
                       quoted(rootfs.string()) + " /usr/bin/env -i";
    for (const auto& e : config.value("Env", std::vector<std::string>{})) line += " " + quoted(e);
    for (const auto& a : entrypoint()) line += " " + quoted(a);
    for (const auto& a : args) line += " " + quoted(a);
    if (!with_stderr) line += " 2>/dev/null";
    return test::run_shell(line);
  }
};

// Builds the three images once (the Debian root file system is cached with
// `make images`' in build/images/cache) and unpacks each archive.
class Images {
 public:
  static Images& get() {
    static Images images;
    return images;
  }
  const Image& at(const std::string& name) const {
    BOOST_TEST_REQUIRE(error_.empty(), error_);
    return images_.at(name);
  }
 private:
  Images() : dir_{"images"}, version_{program_version()} {
    auto built = test::run_shell(quoted(test::source_path("scripts/build-images").string()) + " --build " +
                                 quoted(build_dir.string()) + " --out " + quoted((dir_ / "out").string()) +
                                 " --cache " + quoted(test::source_path("build/images/cache").string()) +
                                 " service agent engine");
    if (built.exit_code != 0) {
      error_ = "scripts/build-images failed:\n" + built.output;
      return;
    }
    for (auto name : {"service", "agent", "engine"}) {
      auto archive = dir_ / "out" / ("synergai-" + std::string{name} + "-" + version_ + ".oci.tar");
      auto layout = dir_ / (std::string{name} + ".layout");
      fs::create_directories(layout);
      auto unpacked = test::run_shell("tar -C " + quoted(layout.string()) + " -xf " + quoted(archive.string()) +
                                      " && umoci unpack --image " + quoted(layout.string() + ":" + version_) + " " +
                                      quoted((dir_ / name).string()) + " >/dev/null");
      if (unpacked.exit_code != 0) {
        error_ = "unpacking " + archive.string() + " failed:\n" + unpacked.output;
        return;
      }
      // index.json -> the manifest tagged with the version -> the configuration.
      auto index = nlohmann::json::parse(test::read_text(layout / "index.json"));
      std::string manifest_digest;
      for (const auto& m : index.at("manifests"))
        if (m.value("annotations", nlohmann::json::object()).value("org.opencontainers.image.ref.name", "") ==
            version_)
          manifest_digest = m.at("digest").get<std::string>();
      if (manifest_digest.empty()) {
        error_ = archive.string() + ": no manifest tagged " + version_;
        return;
      }
      auto manifest = nlohmann::json::parse(read_blob(layout, manifest_digest));
      auto config = nlohmann::json::parse(read_blob(layout, manifest.at("config").at("digest").get<std::string>()));
      images_[name] = Image{config.at("config"), dir_ / name / "rootfs"};
    }
  }

  test::TempDir dir_;
  std::string version_;
  std::string error_;
  std::map<std::string, Image> images_;
};

// The objects of a manifest file in deploy/ of one kind.
std::vector<YAML::Node> manifests(const std::string& file, const std::string& kind) {
  std::vector<YAML::Node> out;
  for (const auto& doc : YAML::LoadAllFromFile(test::source_path(file).string()))
    if (doc["kind"].as<std::string>() == kind) out.push_back(doc);
  return out;
}

std::vector<std::string> words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(images, *test::requires_that(missing_prerequisite))

BOOST_AUTO_TEST_CASE(each_image_runs_the_program_as_its_user_with_labels) {
  auto version = program_version();
  BOOST_TEST_REQUIRE(!version.empty());
  for (auto name : {"service", "agent", "engine"}) {
    BOOST_TEST_CONTEXT("image " << name) {
      const auto& image = Images::get().at(name);
      BOOST_TEST(image.entrypoint() == (std::vector<std::string>{"/usr/bin/synergai"}),
                 boost::test_tools::per_element());
      // Only the node agent runs as root (deploy/agent.yaml says why).
      BOOST_TEST(image.config.at("User").get<std::string>() ==
                 (std::string{name} == "agent" ? "0:0" : "65532:65532"));
      BOOST_TEST(image.label("version") == version);
      BOOST_TEST(image.label("title") == "synergai-" + std::string{name});
      BOOST_TEST(!image.label("revision").empty());
      auto r = image.run({"--version"});
      BOOST_TEST(r.exit_code == 0, r.output);
      BOOST_TEST(r.output == "synergai " + version + "\n");
    }
  }
}

BOOST_AUTO_TEST_CASE(the_default_commands_name_what_the_manifests_run) {
  BOOST_TEST(Images::get().at("service").cmd() ==
                 (std::vector<std::string>{"--log-format", "json", "serve", "--config", "/etc/synergai/service.yaml"}),
             boost::test_tools::per_element());
  BOOST_TEST(Images::get().at("agent").cmd().at(0) == "agent");
  const auto& engine = Images::get().at("engine");
  BOOST_TEST_REQUIRE(engine.cmd().size() == 4u);
  BOOST_TEST(fs::is_regular_file(engine.rootfs / engine.cmd()[3].substr(1)), engine.cmd()[3]);
}

BOOST_AUTO_TEST_CASE(the_engine_image_runs_a_short_inference) {
  auto r = Images::get().at("engine").run(
      {"engine", "run", "--model", "/usr/share/synergai/models/mobilenet-tiny.onnx", "--queries", "5"}, false);
  BOOST_TEST_REQUIRE(r.exit_code == 0, r.output);
  auto result = nlohmann::json::parse(r.output);
  BOOST_TEST(result.at("queries").get<int>() == 5);
  BOOST_TEST(result.at("qps").get<double>() > 0.0);
}

BOOST_AUTO_TEST_CASE(the_service_image_schedules_as_the_program_does_outside) {
  const std::vector<std::string> args{"run", "--scenario", "DL-FH", "--jobs", "6", "--seed", "3"};
  std::vector<std::string> inside = args;
  for (auto extra : {"--testbed", "/usr/share/synergai/config/testbeds/thesis.yaml", "--dictionary",
                     "/usr/share/synergai/config/dictionaries/thesis.json"})
    inside.push_back(extra);
  auto in_image = Images::get().at("service").run(inside, false);
  BOOST_TEST_REQUIRE(in_image.exit_code == 0, in_image.output);
  std::string line;
  for (const auto& a : args) line += " " + a;
  auto outside = test::run_program(line + " 2>/dev/null");
  BOOST_TEST_REQUIRE(outside.exit_code == 0, outside.output);
  BOOST_TEST(in_image.output.find("jobs 6") != std::string::npos, in_image.output);
  BOOST_TEST(in_image.output == outside.output);
}

// What the cluster would run: the Deployment's arguments to the image's
// entrypoint, the ConfigMap's configuration and a token where the pod mounts
// them; `--check` loads the configuration (testbed and dictionary from the
// image, the token file) and stops before serving.
BOOST_AUTO_TEST_CASE(the_service_image_accepts_the_deployments_configuration) {
  const auto& image = Images::get().at("service");
  auto deployment = manifests("deploy/synergai.yaml", "Deployment").at(0);
  auto pod = deployment["spec"]["template"]["spec"];
  BOOST_TEST(image.config.at("User").get<std::string>() ==
             pod["securityContext"]["runAsUser"].as<std::string>() + ":" +
                 pod["securityContext"]["runAsGroup"].as<std::string>());
  auto config = manifests("deploy/synergai.yaml", "ConfigMap").at(0)["data"]["service.yaml"].as<std::string>();
  fs::create_directories(image.rootfs / "etc/synergai/auth");
  { std::ofstream{image.rootfs / "etc/synergai/service.yaml"} << config; }
  { std::ofstream{image.rootfs / "etc/synergai/auth/token"} << "a-token\n"; }
  for (const auto& m : pod["containers"][0]["volumeMounts"]) {
    auto at = m["mountPath"].as<std::string>();
    BOOST_TEST((at == "/etc/synergai/service.yaml" || at == "/etc/synergai/auth" || at == "/var/lib/synergai"), at);
  }
  auto args = pod["containers"][0]["args"].as<std::vector<std::string>>();
  args.push_back("--check");
  auto r = image.run(args);
  BOOST_TEST(r.exit_code == 0, r.output);
  BOOST_TEST(r.output.find("executor kubernetes") != std::string::npos, r.output);
}

// The DaemonSets' arguments, with the node the downward API would give, parse
// and name a node of the image's testbed: the agent gets as far as looking for
// its in-cluster credentials, which a chroot does not have.
BOOST_AUTO_TEST_CASE(the_agent_image_accepts_the_daemonsets_arguments) {
  const auto& image = Images::get().at("agent");
  for (const auto& ds : manifests("deploy/agent.yaml", "DaemonSet")) {
    BOOST_TEST_CONTEXT("DaemonSet " << ds["metadata"]["name"].as<std::string>()) {
      auto pod = ds["spec"]["template"]["spec"];
      BOOST_TEST(image.config.at("User").get<std::string>() ==
                 pod["securityContext"]["runAsUser"].as<std::string>() + ":" +
                     pod["securityContext"]["runAsGroup"].as<std::string>());
      auto args = pod["containers"][0]["args"].as<std::vector<std::string>>();
      for (auto& a : args)
        if (a == "$(NODE_NAME)") a = "jetson-agx";  // a node with power modes in thesis.yaml
      auto r = image.run(args);
      BOOST_TEST(r.exit_code == 2, r.output);
      BOOST_TEST(r.output.find("Kubernetes credentials") != std::string::npos, r.output);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

// Containerfile builds the same images for Docker and Podman users: it must
// install exactly the runtime packages the program links and name its version.
BOOST_AUTO_TEST_SUITE(containerfile)

BOOST_AUTO_TEST_CASE(installs_the_packages_the_program_links) {
  auto listed = test::run_shell(quoted(test::source_path("scripts/build-images").string()) + " --build " +
                                quoted(build_dir.string()) + " --list-packages");
  BOOST_TEST_REQUIRE(listed.exit_code == 0, listed.output);
  // A sanitizer build also links the sanitizers' runtimes; Containerfile builds for release.
  std::vector<std::string> want;
  for (const auto& p : words(listed.output))
    if (p.rfind("libasan", 0) != 0 && p.rfind("libubsan", 0) != 0) want.push_back(p);
  BOOST_TEST_REQUIRE(want.size() > 5u);

  auto text = test::read_text(test::source_path("Containerfile"));
  const std::string marker = "ARG RUNTIME_PACKAGES=\"";
  auto at = text.find(marker);
  BOOST_TEST_REQUIRE(at != std::string::npos, "Containerfile has no " + marker);
  at += marker.size();
  auto have = words(text.substr(at, text.find('"', at) - at));
  BOOST_TEST(std::set<std::string>(have.begin(), have.end()) == std::set<std::string>(want.begin(), want.end()),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(labels_the_program_version) {
  auto text = test::read_text(test::source_path("Containerfile"));
  BOOST_TEST(text.find("org.opencontainers.image.version=\"" + program_version() + "\"") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
