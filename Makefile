# The README's commands. Each first installs the Debian packages that are missing (scripts/setup-debian),
# so they work on a fresh Debian machine.
PREFIX ?= /usr/local
BUILD := build
PYTHON := /usr/bin/python3
CONFIGURE := cmake -G Ninja -DCMAKE_BUILD_TYPE=Release --log-level=WARNING

# One recipe at a time (two apt-get runs would fight over the lock); Ninja runs the build in parallel.
.NOTPARALLEL:
.PHONY: setup setup-bench build test test-install demo bench install clean check-asan

setup:
	@scripts/setup-debian

setup-bench:
	@scripts/setup-debian --bench

# Builds and leaves an install tree in $(BUILD)/install, which the install test and the benchmarks use.
build: setup
	$(CONFIGURE) -S . -B $(BUILD)
	cmake --build $(BUILD)
	cmake --install $(BUILD) --prefix $(BUILD)/install >/dev/null

test: build
	ctest --test-dir $(BUILD) --output-on-failure
	$(MAKE) --no-print-directory test-install INSTALLED=$(BUILD)/install

# Builds tests/install, a program using find_package(nabla), against the nabla installed under
# $(INSTALLED) (default $(PREFIX)), and runs it.
INSTALLED ?= $(PREFIX)
test-install:
	rm -rf $(BUILD)/install-test
	$(CONFIGURE) -S tests/install -B $(BUILD)/install-test -DCMAKE_PREFIX_PATH=$(abspath $(INSTALLED))
	cmake --build $(BUILD)/install-test
	$(BUILD)/install-test/app

demo: build
	$(BUILD)/examples/seed_tensors
	$(BUILD)/examples/linear_regression
	$(BUILD)/examples/numpy_interop
	$(BUILD)/examples/matmul
	$(BUILD)/examples/fashion_mnist --epochs 2 --out $(BUILD)/demo

bench: setup-bench build
	cmake --build $(BUILD) --target nabla_bench
	$(CONFIGURE) -S bench/libtorch -B $(BUILD)/bench-libtorch
	cmake --build $(BUILD)/bench-libtorch
	$(PYTHON) bench/compare.py --build-dir $(BUILD)

# The C++ tests and the two training examples under AddressSanitizer, UndefinedBehaviorSanitizer and
# LeakSanitizer (its own build dir); any report fails the run. The Python oracle is not instrumented.
ASAN_BUILD := build-asan
SANITIZER_ENV := ASAN_OPTIONS=detect_leaks=1:strict_init_order=1:check_initialization_order=1 \
	LSAN_OPTIONS=suppressions=$(abspath tests/sanitizers/lsan.supp):print_suppressions=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
check-asan: setup
	cmake -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo --log-level=WARNING -S . -B $(ASAN_BUILD) \
	  -DNABLA_SANITIZE=ON -DNABLA_BUILD_BENCH=OFF -DNABLA_BUILD_EXAMPLES=ON -DNABLA_BUILD_TESTS=ON
	cmake --build $(ASAN_BUILD)
	$(SANITIZER_ENV) $(ASAN_BUILD)/tests/cpp/nabla_tests --gtest_brief=1
	$(SANITIZER_ENV) $(ASAN_BUILD)/examples/linear_regression
	$(SANITIZER_ENV) $(ASAN_BUILD)/examples/fashion_mnist --epochs 1 --out $(ASAN_BUILD)/demo

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD)
