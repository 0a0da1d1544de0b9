# hoop: two commands.
#
#   make demo   install missing dependencies (.ci/deps), configure and build
#               everything in the release preset (library, hoop command,
#               examples, benches, tests), then run the demo: `hoop probe`
#               (what io_uring allows here) and `hoop bench --quick` (hoop
#               side by side with liburing, system calls and cp; one table,
#               under a minute; JSON lines in build/release/hoop-bench.jsonl)
#   make test   install missing dependencies (.ci/deps), then configure, build
#               and run every test under the release, asan and tsan presets;
#               prints a summary and fails if anything failed
#
# Plain CMake works too: cmake --preset release && cmake --build --preset
# release && ctest --preset release (presets: release debug asan tsan).

PRESETS ?= release asan tsan

.PHONY: demo test deps clean

demo: deps
	cmake --preset release
	cmake --build --preset release
	@echo
	@echo '$$ hoop probe'
	@./build/release/cli/hoop probe
	@echo
	@echo '$$ hoop bench --quick'
	@./build/release/cli/hoop bench --quick --json build/release/hoop-bench.jsonl

deps:
	bash .ci/deps

test: deps
	bash .ci/test-presets $(PRESETS)

clean:
	rm -rf build/release build/debug build/asan build/tsan build/logs
