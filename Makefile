# Thin entry points; CMake does the work. `make run` and `make test` are the
# README's quick start. PRESET picks a CMakePresets.json preset.
PRESET ?= release
BUILD  := build/$(PRESET)
JOBS   ?= $(shell nproc)

.PHONY: all deps build run test asan clean

all: build

deps:
	scripts/install-deps

build: deps
	cmake --preset $(PRESET) >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

# The main job on the embedded default: the simulated thesis testbed.
run: build
	$(BUILD)/apps/synergai validate config/examples/tiny.yaml
	$(BUILD)/apps/synergai validate config/testbeds/thesis.yaml config/dictionaries/thesis.json
	$(BUILD)/apps/synergai testbed report --testbed config/testbeds/thesis.yaml

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

asan:
	$(MAKE) test PRESET=asan

clean:
	rm -rf build
