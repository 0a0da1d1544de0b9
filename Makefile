# hoop: two commands.
#
#   make demo   configure and build the release preset, then run the demo
#               (FILE=path to read another file than /etc/os-release)
#   make test   install missing dependencies (.ci/deps), then configure, build
#               and run every test under the release, asan and tsan presets;
#               prints a summary and fails if anything failed
#
# Plain CMake works too: cmake --preset release && cmake --build --preset
# release && ctest --preset release (presets: release debug asan tsan).

PRESETS ?= release asan tsan
FILE ?=

.PHONY: demo test deps clean

demo:
	cmake --preset release
	cmake --build --preset release --target demo
	./build/release/examples/demo $(FILE)

deps:
	bash .ci/deps

test: deps
	bash .ci/test-presets $(PRESETS)

clean:
	rm -rf build/release build/debug build/asan build/tsan build/logs
