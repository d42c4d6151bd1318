#include "experiments/plot.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace synergai::experiments {
namespace {

// `program` itself when it names a path, else the first executable in PATH.
std::string find_program(const std::string& program) {
  if (program.find('/') != std::string::npos) return ::access(program.c_str(), X_OK) == 0 ? program : "";
  const char* path = std::getenv("PATH");
  std::stringstream dirs{path ? path : "/usr/bin:/bin"};
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    auto candidate = (std::filesystem::path{dir.empty() ? "." : dir} / program).string();
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

std::string tail(const std::filesystem::path& file, std::size_t max_chars) {
  std::ifstream in{file};
  std::string text{std::istreambuf_iterator<char>{in}, {}};
  return text.size() > max_chars ? "..." + text.substr(text.size() - max_chars) : text;
}

}  // namespace

PlotResult render_figures(const std::filesystem::path& figures_dir) {
  const char* env = std::getenv("SYNERGAI_GNUPLOT");
  std::string wanted = env && *env ? env : "gnuplot";
  auto program = find_program(wanted);
  if (program.empty())
    return {PlotResult::Status::missing,
            fmt::format("{} not found, so no figures were drawn; the tables are complete. Install gnuplot "
                        "(scripts/install-deps installs gnuplot-nox), then run `gnuplot figures.gp` in {}",
                        wanted, figures_dir.string())};

  // Everything the child needs is prepared before fork(): after it, only
  // async-signal-safe calls.
  auto dir = std::filesystem::absolute(figures_dir).string();
  auto log = (std::filesystem::path{dir} / "gnuplot.log").string();
  std::string script = "figures.gp";
  std::vector<char*> argv{program.data(), script.data(), nullptr};

  pid_t pid = ::fork();
  if (pid < 0) return {PlotResult::Status::failed, fmt::format("cannot start {}: {}", program, std::strerror(errno))};
  if (pid == 0) {
    if (::chdir(dir.c_str()) != 0) ::_exit(126);
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) ::_exit(126);
    ::dup2(fd, STDOUT_FILENO);
    ::dup2(fd, STDERR_FILENO);
    ::close(fd);
    int null = ::open("/dev/null", O_RDONLY);
    if (null >= 0) ::dup2(null, STDIN_FILENO);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return {PlotResult::Status::failed, fmt::format("waiting for {}: {}", program, std::strerror(errno))};

  std::error_code ec;
  bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (ok) {
    if (std::filesystem::file_size(log, ec) == 0 && !ec) std::filesystem::remove(log, ec);
    return {PlotResult::Status::drawn, ""};
  }
  auto how = WIFEXITED(status) ? fmt::format("exited {}", WEXITSTATUS(status))
                               : fmt::format("was killed by signal {}", WTERMSIG(status));
  return {PlotResult::Status::failed,
          fmt::format("{} figures.gp {} in {}; its output (gnuplot.log):\n{}", program, how, dir, tail(log, 2000))};
}

}  // namespace synergai::experiments
