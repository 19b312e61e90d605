# The README's commands. Each first installs the Debian packages that are missing (scripts/setup-debian),
# so they work on a fresh Debian machine.
PREFIX ?= /usr/local
BUILD := build
PYTHON := /usr/bin/python3
CONFIGURE := cmake -G Ninja -DCMAKE_BUILD_TYPE=Release --log-level=WARNING

# One recipe at a time (two apt-get runs would fight over the lock); Ninja runs the build in parallel.
.NOTPARALLEL:
.PHONY: setup setup-bench setup-check build test test-install demo bench install clean asan-build check-asan \
	check-tsan fuzz

setup:
	@scripts/setup-debian

setup-bench:
	@scripts/setup-debian --bench

setup-check:
	@scripts/setup-debian --check

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

# The sanitizer and fuzzing builds use clang (libFuzzer; the OpenMP runtime ThreadSanitizer understands),
# each in its own build dir, without CUDA. Any sanitizer report fails the run.
SANITIZE_CONFIGURE := CC=clang CXX=clang++ cmake -G Ninja --log-level=WARNING -DCMAKE_BUILD_TYPE=Sanitize \
	-DCMAKE_CXX_FLAGS="-O1 -gline-tables-only" -DNABLA_CUDA=OFF -DNABLA_BUILD_BENCH=OFF
CLANG_LIB_DIR = $(dir $(realpath $(shell command -v clang++)))../lib

# AddressSanitizer + UndefinedBehaviorSanitizer + LeakSanitizer: the C++ tests, the fuzz corpus, the two
# training examples, and the Python tests with the extension built the same way (the ASan runtime
# preloaded into Debian's python3; leak checking off there, as CPython keeps its objects at exit).
# allocator_may_return_null: a request too big for any machine reaches nabla's "out of memory" error, as
# without ASan (the tests check it); the fuzzers still report a parser's huge request (-malloc_limit_mb).
# For Python, max_allocation_size_mb stands in for the address-space cap tests/python/bad_input_worker.py
# sets without ASan (ASan needs the address space for its shadow memory).
ASAN_BUILD := build-asan
ASAN_ENV := ASAN_OPTIONS=detect_leaks=1:strict_init_order=1:check_initialization_order=1:allocator_may_return_null=1 \
	LSAN_OPTIONS=suppressions=$(abspath tests/sanitizers/lsan.supp):print_suppressions=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
asan-build: setup-check
	$(SANITIZE_CONFIGURE) -S . -B $(ASAN_BUILD) -DNABLA_SANITIZE=address -DNABLA_BUILD_FUZZERS=ON
	cmake --build $(ASAN_BUILD)

check-asan: asan-build
	$(ASAN_ENV) $(ASAN_BUILD)/tests/cpp/nabla_tests --gtest_brief=1
	$(ASAN_ENV) $(ASAN_BUILD)/tests/fuzz/nabla_fuzz_replay tests/fuzz/corpus
	$(ASAN_ENV) $(ASAN_BUILD)/examples/linear_regression >/dev/null
	$(ASAN_ENV) $(ASAN_BUILD)/examples/fashion_mnist --epochs 1 --out $(ASAN_BUILD)/demo
	$(ASAN_ENV) ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1:max_allocation_size_mb=3072 LD_PRELOAD=$$(clang++ -print-file-name=libclang_rt.asan-x86_64.so) \
	  NABLA_FUZZ_EXAMPLES=60 PYTHONPATH=$(ASAN_BUILD)/python $(PYTHON) -m pytest -q -p no:cacheprovider tests/python

# ThreadSanitizer over the threaded code: the OpenMP kernels (with LLVM's Archer tool, which tells
# ThreadSanitizer about OpenMP's synchronisation), the data loader's workers, concurrent inference and
# training, the allocator. Without BLAS, so the matmul's own threaded loop is what runs.
TSAN_BUILD := build-tsan
check-tsan: setup-check
	$(SANITIZE_CONFIGURE) -S . -B $(TSAN_BUILD) -DNABLA_SANITIZE=thread -DNABLA_BUILD_PYTHON=OFF \
	  -DNABLA_BUILD_EXAMPLES=OFF -DCMAKE_DISABLE_FIND_PACKAGE_BLAS=ON
	cmake --build $(TSAN_BUILD) --target nabla_thread_tests
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:ignore_noninstrumented_modules=1 OMP_TOOL_LIBRARIES=$(CLANG_LIB_DIR)/libarcher.so \
	  $(TSAN_BUILD)/tests/cpp/nabla_thread_tests --gtest_brief=1

# Each libFuzzer target for FUZZ_SECONDS, starting from the kept corpus; new inputs go to
# $(ASAN_BUILD)/fuzz/<target>, a crashing input to $(ASAN_BUILD)/fuzz/findings (keep it under
# tests/fuzz/corpus/<target>/regress-* once fixed, so nabla_fuzz_replay runs it in `make test`).
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := npy npz safetensors idx nested_list
fuzz: asan-build
	@mkdir -p $(ASAN_BUILD)/fuzz/findings
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(ASAN_BUILD)/fuzz/$$t; \
	  $(ASAN_ENV) $(ASAN_BUILD)/tests/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    -artifact_prefix=$(ASAN_BUILD)/fuzz/findings/$$t- $(ASAN_BUILD)/fuzz/$$t tests/fuzz/corpus/$$t \
	    >$(ASAN_BUILD)/fuzz/$$t.log 2>&1 || { tail -n 60 $(ASAN_BUILD)/fuzz/$$t.log; exit 1; }; \
	  printf '%-12s %s executions in %s s\n' $$t \
	    "$$(sed -n 's/^stat::number_of_executed_units: *//p' $(ASAN_BUILD)/fuzz/$$t.log)" $(FUZZ_SECONDS); \
	done

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD)
