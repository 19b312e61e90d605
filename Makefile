# The README's commands. Each first installs the Debian packages that are missing (scripts/setup-debian),
# so they work on a fresh Debian machine.
PREFIX ?= /usr/local
BUILD := build
PYTHON := /usr/bin/python3
CONFIGURE := cmake -G Ninja -DCMAKE_BUILD_TYPE=Release --log-level=WARNING

# One recipe at a time (two apt-get runs would fight over the lock); Ninja runs the build in parallel.
.NOTPARALLEL:
.PHONY: setup setup-bench build test test-install demo bench install clean

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
	$(BUILD)/examples/fashion_mnist --epochs 2 --out $(BUILD)/demo

bench: setup-bench build
	cmake --build $(BUILD) --target nabla_bench
	$(CONFIGURE) -S bench/libtorch -B $(BUILD)/bench-libtorch
	cmake --build $(BUILD)/bench-libtorch
	$(PYTHON) bench/compare.py --build-dir $(BUILD)

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD)
