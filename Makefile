# Thin entry points; CMake does the work. `make run` and `make test` are the
# README's quick start. PRESET picks a CMakePresets.json preset.
PRESET ?= release
BUILD  := build/$(PRESET)
JOBS   ?= $(shell nproc)

.PHONY: all deps build run testbed-report bench-experiment bench-service bench-engine bench-scheduler test asan asan-suites fuzz images soak clean

all: build

deps:
	scripts/install-deps

build: deps
	cmake --preset $(PRESET) >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

# The main job: the thesis's evaluation (experiments/paper.yaml) on the
# simulated thesis testbed; prints summary.md and where the tables and figures are.
run: build
	$(BUILD)/apps/synergai validate config/examples/tiny.yaml config/testbeds/thesis.yaml config/dictionaries/thesis.json experiments/paper.yaml >/dev/null
	$(BUILD)/apps/synergai experiment --config experiments/paper.yaml

# The calibrated testbed model against the published figures.
testbed-report: build
	$(BUILD)/apps/synergai testbed report --testbed config/testbeds/thesis.yaml

# Thread scaling of the local engine on this machine (docs/local.md,
# docs/results.md): a local profiling campaign of the whole machine, then its report.
bench-engine: build
	rm -rf $(BUILD)/bench-engine
	$(BUILD)/apps/synergai profile run --testbed config/testbeds/local-machine.yaml --executor local \
	    --repeats 3 --queries 30 --out $(BUILD)/bench-engine
	$(BUILD)/apps/synergai profile report --dictionary $(BUILD)/bench-engine/dictionary.json \
	    --figures $(BUILD)/bench-engine/figures

# Runs per second and the cost of one run of the paper experiment (docs/results.md).
bench-experiment: build
	experiments/bench.sh $(BUILD)/apps/synergai experiments/paper.yaml

# Accepted job submissions per second and their latency, journal on, at 1 to 32
# concurrent clients (docs/operations.md). JOURNAL_DIR=/dev/shm: without fsync cost.
JOURNAL_DIR ?= build
bench-service: build
	service/bench.sh $(BUILD)/apps/synergai $(JOURNAL_DIR)

# The scheduler at scale in virtual time (docs/results.md): workers x jobs x
# policies on replicas of the thesis's node types, each cell in a process of
# its own and stopped after CELL_LIMIT_S seconds.
CELL_LIMIT_S ?= 60
bench-scheduler: build
	$(BUILD)/apps/synergai bench-scheduler --cell-limit-s $(CELL_LIMIT_S)

# The fault-injection soak of the service (tests/soak/soak.py, docs/operations.md):
# kill -9, torn journal tails, a full disk, descriptor exhaustion and API-server
# faults against the real program, then every accepted job reconciled.
# SOAK_SEED=N repeats a run; `ctest -R soak_short` runs the short variant.
SOAK_SEED ?= 1
soak: deps
	cmake --preset $(PRESET) >/dev/null
	cmake --build $(BUILD) -j $(JOBS) --target synergai synergai-fake-apiserver
	python3 tests/soak/soak.py --seed $(SOAK_SEED) --synergai $(BUILD)/apps/synergai \
	    --fake-apiserver $(BUILD)/apps/synergai-fake-apiserver

# Sanitizer settings for the tests and every child process they start: any
# report fails the test (as in CMakePresets.json's asan test preset).
SANITIZER_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

test: build
	$(if $(filter asan,$(PRESET)),$(SANITIZER_ENV)) ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

# Every suite under the address and undefined-behaviour sanitizers (README).
asan:
	$(MAKE) test PRESET=asan

# The suites for the code that takes untrusted input or manages processes
# (engine, kube, service), built and run under the sanitizers: what CI runs.
asan-suites: deps
	cmake --preset asan >/dev/null
	cmake --build build/asan -j $(JOBS) --target engine_tests kube_tests service_tests
	$(SANITIZER_ENV) ctest --test-dir build/asan --output-on-failure -j $(JOBS) -R '^(engine|kube|service)_tests/'

# libFuzzer on the LoadGen and nvpmodel parsers (clang; tests/fuzz, docs/profiling.md).
FUZZ_SECONDS ?= 60
fuzz:
	scripts/fuzz $(FUZZ_SECONDS)

# OCI image archives of the service, the node agent and the local engine in
# build/images/, made from Debian packages without a container engine (needs
# root, mmdebstrap and umoci; docs/kubernetes.md, "From images to a running cluster").
images: build
	scripts/build-images --build $(BUILD) --out build/images

clean:
	rm -rf build
