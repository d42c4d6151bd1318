// A stand-in for `synergai` in the local executor's failure tests: it takes
// the engine's command line and misbehaves according to the model's file name
// (crash.onnx: SIGSEGV, hang.onnx: sleeps, garbage.onnx: prints no JSON,
// fail.onnx: exits 3 with a message); any other model: a valid result.
#include <csignal>
#include <cstdio>
#include <string>
#include <unistd.h>

int main(int argc, char** argv) {
  std::string model;
  for (int i = 1; i + 1 < argc; ++i)
    if (std::string{argv[i]} == "--model") model = argv[i + 1];
  auto is = [&](const char* name) { return model.size() >= std::string{name}.size() &&
                                           model.compare(model.size() - std::string{name}.size(), std::string::npos, name) == 0; };
  if (is("crash.onnx")) {
    // A sanitizer's SEGV handler would report the crash and exit with status 1
    // instead; the default action makes the crash the same in every build.
    std::signal(SIGSEGV, SIG_DFL);
    std::raise(SIGSEGV);
  }
  if (is("hang.onnx")) {
    for (;;) ::pause();
  }
  if (is("garbage.onnx")) {
    std::puts("this is not JSON");
    return 0;
  }
  if (is("fail.onnx")) {
    std::fputs("fake engine: cannot load the model\n", stderr);
    return 3;
  }
  std::puts("{\"qps\": 100.0, \"preprocessing_s\": 0.01, \"inference_s\": 0.01}");
  return 0;
}
