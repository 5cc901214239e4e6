# symkl — build, test and run with GNU make. No dependency beyond a C++17 compiler;
# OpenMP is used when the compiler has it; Catch2 (single header) for the tests only.
#
#   make              build build/symkl, the benchmark and the examples (build/example_*)
#                     (double, OpenMP when available)
#   make run          build and run the demo (about half a minute)
#   make test         build and run the test suite; ends with "N passed, N failed"
#   make bench        training steps, throughput and matmul GFLOP/s, 1 and 2 threads
#                     (table on stdout, CSV in bench/results-<real>.csv)
#   make bench-compare  the MLE, adaptive (EBM) and WGAN-GP steps in PyTorch, side by side
#                     (needs python3-torch)
#   make debug        tests under AddressSanitizer + UBSan, in build/san/
#   make experiments  the experiments of docs/results.md (E1-E4, about an hour on 2 cores; E5 as
#                     E5_ARGS says), runs in runs/experiments/, tables and figures copied to docs/results/
#   make experiments-quick  the same with --quick (a smoke test of about a minute)
#   make data         regenerate the CSV copies in data/
#   make check-layers the core library includes nothing from io/, plot/, app/ or cli/
#   make check-readme-demo  run the demo and compare its table with README.md's
#   make fuzz         build the libFuzzer harnesses (tests/fuzz/, clang++) and run each for
#                     FUZZ_SECONDS seconds (default 60) on seeds written by build/symkl
#   make clean        remove build/
#
# Variants (each builds into its own folder, so they never mix):
#   REAL=float        Real is float           -> build/float/
#   NO_OMP=1          build without OpenMP    -> build/noomp/
#   SAN=1             -fsanitize=address,undefined -> build/san/
#   NATIVE=1          add -march=native (this machine only) -> build/native/
#   FMA=0             no fused multiply-add in the kernels (same bits on every CPU) -> build/nofma/
#   NAIVE=1           the Linear layers run the reference loops of src/nn/linear.cpp instead
#                     of the blocked kernels (and SYMKL_CHECKS is on) -> build/naive/
#   CHECKS=1          internal checks (src/tensor/check.h: batch ≤ cache capacity, backward
#                     after the pass of its direction); also on with SAN=1 and NAIVE=1
# e.g. `make REAL=float test`, `make NO_OMP=1 test`.
#
# Never -ffast-math / -Ofast: they break NaN checks and finite differences.
# -ffp-contract=off: a·b + c is never fused into one FMA instruction, so every build
# rounds the same way; the one exception is the matmul kernels (below).
# -fopenmp-simd: `#pragma omp simd` vectorises a loop, even in the NO_OMP=1 build
# (it adds no threads and no runtime library).
# -fno-math-errno: sqrt need not set errno (symkl never reads it), so it vectorises;
# no value changes.
# DEBUG_INFO (default -g): `make DEBUG_INFO=` builds without debug information, a
# quarter faster to compile (CI does so but for the sanitizer build).
# TEST_OPT (default -O0): the tests' own files are assertions and small loops around
# library calls; unoptimised they compile three times faster, and the library they
# call keeps $(OPT). -ffp-contract=off makes -O0 and -O2 round alike.

SHELL    := /bin/bash
CXX      ?= g++
REAL     ?= double
NO_OMP   ?= 0
SAN      ?= 0
NATIVE   ?= 0
FMA      ?= 1
NAIVE    ?= 0
CHECKS   ?= 0
OPT      ?= -O2
DEBUG_INFO ?= -g
TEST_OPT ?= -O0
TEST_SHARDS ?= $(shell nproc 2>/dev/null || echo 1)

CXXFLAGS := -std=c++17 -ffp-contract=off -fno-math-errno -fopenmp-simd $(OPT) $(DEBUG_INFO) -Wall -Wextra -Wpedantic -Wshadow -Isrc -MMD -MP
LDFLAGS  :=
VARIANT  :=

ifeq ($(REAL),float)
  CXXFLAGS += -DSYMKL_REAL_FLOAT
  VARIANT  += float
else ifneq ($(REAL),double)
  $(error REAL must be double or float, not '$(REAL)')
endif

# OpenMP: on when the compiler accepts -fopenmp, unless NO_OMP=1.
ifeq ($(NO_OMP),1)
  VARIANT  += noomp
  CXXFLAGS += -Wno-unknown-pragmas
else
  OMPFLAG  := $(shell echo 'int main(){return 0;}' | $(CXX) -fopenmp -x c++ - -o /dev/null 2>/dev/null && echo -fopenmp)
  CXXFLAGS += $(OMPFLAG)
  LDFLAGS  += $(OMPFLAG)
  ifeq ($(OMPFLAG),)
    CXXFLAGS += -Wno-unknown-pragmas
  endif
endif

# NATIVE=1: -march=native, this CPU's instructions in all code (not portable). The
# kernels then need no versions of their own (SYMKL_NO_CLONES). On x86 GCC tunes some
# AVX-512 CPUs for 256-bit vectors, which halves the kernels' registers: ask for 512.
ifeq ($(NATIVE),1)
  VARIANT  += native
  WIDE     := $(shell echo 'int main(){return 0;}' | $(CXX) -march=native -mprefer-vector-width=512 -x c++ - -o /dev/null 2>/dev/null && echo -mprefer-vector-width=512)
  CXXFLAGS += -march=native $(WIDE) -DSYMKL_NO_CLONES
endif

ifeq ($(FMA),0)
  VARIANT  += nofma
endif

ifeq ($(SAN),1)
  VARIANT  += san
  CXXFLAGS += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
  LDFLAGS  += -fsanitize=address,undefined
  CHECKS   := 1
endif

# NAIVE=1: the reference loops (src/nn/linear.cpp) in every Linear layer.
ifeq ($(NAIVE),1)
  VARIANT  += naive
  CXXFLAGS += -DSYMKL_NAIVE
  CHECKS   := 1
endif

# CHECKS=1 (or SAN=1, NAIVE=1): SYMKL_CHECK conditions are tested (src/tensor/check.h).
# Not a variant folder of its own: the plain build with CHECKS=1 goes to build/checks/.
ifeq ($(CHECKS),1)
  CXXFLAGS += -DSYMKL_CHECKS
  ifeq ($(SAN)$(NAIVE),00)
    VARIANT += checks
  endif
endif

empty :=
space := $(empty) $(empty)
BUILD := build$(if $(strip $(VARIANT)),/$(subst $(space),-,$(strip $(VARIANT))))

# Two libraries. libsymkl.a, the core, is the maths: tensors to training steps, no files
# and no figures. libsymkl_tools.a holds what reads, writes and draws (io, plot, app; a
# missing folder is skipped). The CLI and the tests link both, the bench the core only.
# Layers, lowest first: a file includes only from its own layer and those before it,
# and no core file includes a tools layer (`make check-layers`).
LIB_LAYERS   := tensor nn flow proxy data baseline objectives train sbi
TOOLS_LAYERS := io plot app
LIB_SRC   := $(wildcard $(addsuffix /*.cpp,$(addprefix src/,$(LIB_LAYERS))))
TOOLS_SRC := $(wildcard $(addsuffix /*.cpp,$(addprefix src/,$(TOOLS_LAYERS))))
CLI_SRC   := $(wildcard src/cli/*.cpp)
TEST_SRC  := $(wildcard tests/*.cpp)
BENCH_SRC := $(wildcard bench/*.cpp)
EXAMPLE_SRC := $(wildcard examples/*.cpp)

LIB_OBJ   := $(LIB_SRC:%.cpp=$(BUILD)/obj/%.o)
TOOLS_OBJ := $(TOOLS_SRC:%.cpp=$(BUILD)/obj/%.o)
CLI_OBJ   := $(CLI_SRC:%.cpp=$(BUILD)/obj/%.o)
TEST_OBJ  := $(TEST_SRC:%.cpp=$(BUILD)/obj/%.o)
BENCH_OBJ := $(BENCH_SRC:%.cpp=$(BUILD)/obj/%.o)
EXAMPLE_OBJ := $(EXAMPLE_SRC:%.cpp=$(BUILD)/obj/%.o)

LIB   := $(BUILD)/libsymkl.a
TOOLS := $(BUILD)/libsymkl_tools.a
BIN   := $(BUILD)/symkl
TESTS := $(BUILD)/symkl_tests
BENCH := $(BUILD)/symkl_bench
# examples/NAME.cpp -> build/example_NAME: programs on the library API alone
EXAMPLES := $(EXAMPLE_SRC:examples/%.cpp=$(BUILD)/example_%)

.PHONY: all run test test-build bench bench-compare debug clean catch2 check-determinism data experiments experiments-quick \
        check-layers check-readme-demo fuzz fuzz-build fuzz-seeds

all: $(BIN) $(BENCH) $(EXAMPLES) $(BUILD)/tabular_study $(BUILD)/conditional_study

$(BUILD)/obj/%.o: %.cpp
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@rm -f $@
	$(AR) rcs $@ $^

$(TOOLS): $(TOOLS_OBJ)
	@mkdir -p $(dir $@)
	@rm -f $@
	$(AR) rcs $@ $^

# the tools library first: its files call into the core
$(BIN): $(CLI_OBJ) $(TOOLS) $(LIB)
	$(CXX) $(CXXFLAGS) $^ -o $@ $(LDFLAGS)

$(TESTS): $(TEST_OBJ) $(TOOLS) $(LIB)
	$(CXX) $(CXXFLAGS) $^ -o $@ $(LDFLAGS)

$(BENCH): $(BENCH_OBJ) $(LIB)
	$(CXX) $(CXXFLAGS) $^ -o $@ $(LDFLAGS)

$(BUILD)/example_%: $(BUILD)/obj/examples/%.o $(LIB)
	$(CXX) $(CXXFLAGS) $^ -o $@ $(LDFLAGS)

# The matmul kernels alone may fuse a·b + c into one FMA (their AVX2 and AVX-512
# versions do; see src/nn/kernels.cpp): twice the arithmetic per cycle. FMA=0 keeps
# them unfused: the naive loops' bits on every CPU, about a quarter slower.
ifneq ($(FMA),0)
$(BUILD)/obj/src/nn/kernels.o: CXXFLAGS += -ffp-contract=fast
endif

# The study of docs/method.md §9: flows on a small CSV, test NLL at the best-validation step.
$(BUILD)/tabular_study: $(BUILD)/obj/tools/tabular_study.o $(TOOLS) $(LIB)
	$(CXX) $(CXXFLAGS) $^ -o $@ $(LDFLAGS)
$(BUILD)/conditional_study: $(BUILD)/obj/tools/conditional_study.o $(TOOLS) $(LIB)
	$(CXX) $(CXXFLAGS) $^ -o $@ $(LDFLAGS)

# The tests find the CLI binary through this define (they run it to check exit codes).
$(BUILD)/obj/tests/%.o: CXXFLAGS += $(TEST_OPT) -DSYMKL_BIN='"$(abspath $(BIN))"' -DSYMKL_SOURCE_DIR='"$(CURDIR)"'
$(TEST_OBJ): | catch2

# The demo: MLE on 8gaussians with 200 training points.
run: $(BIN)
	./$(BIN) demo

# Catch2 v2 is a single header, <catch2/catch.hpp> (Debian package `catch2`).
catch2:
	@if ! echo '#include <catch2/catch.hpp>' | $(CXX) -std=c++17 -E -x c++ - >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Catch2 header missing: installing Debian's catch2 ..."; \
	    (apt-get install -y -qq catch2 >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq catch2 >/dev/null)) \
	      || { echo "could not install catch2; run: sudo apt-get install catch2"; exit 1; }; \
	  else \
	    echo "The tests need the Catch2 v2 header <catch2/catch.hpp>. Install it with:"; \
	    echo "    sudo apt-get install catch2"; \
	    exit 1; \
	  fi; \
	fi

# Runs every test case but the hidden ones ([.slow]: run them with build/symkl_tests "[slow]"),
# in TEST_SHARDS processes side by side (default: the number of cores; each takes every
# k-th test case, and the logs follow one another in build/test.log, without Catch2's long
# "Filters:" line of test names);
# tests that need double precision are skipped in the float build. TEST_ARGS narrows the
# run further (a Catch2 test spec, ANDed with the above: TEST_ARGS='~[cli]').
# The last line is the plain count "symkl: N passed, N failed[, N skipped]".
# What `test` runs, built (CI builds it before running the tests).
test-build: $(BIN) $(TESTS)

test: $(BIN) $(TESTS)
	@filter='~[.]'; skipped=0; \
	if [ "$(REAL)" = float ]; then filter='~[double] ~[.]'; \
	  skipped=$$(./$(TESTS) --list-test-names-only '[double]' | grep -c . ); fi; \
	./$(TESTS) --list-test-names-only "$$filter" $(TEST_ARGS) | grep . | sed -e 's/[],[\\]/\\&/g' > $(BUILD)/tests.list; \
	n=$$(grep -c . $(BUILD)/tests.list); k=$(TEST_SHARDS); [ "$$k" -ge 1 ] 2>/dev/null || k=1; [ "$$n" -lt "$$k" ] && k=$$n; \
	pids=(); for ((s = 0; s < k; s++)); do \
	  awk -v k=$$k -v s=$$s '(NR - 1) % k == s' $(BUILD)/tests.list > $(BUILD)/tests.$$s; \
	  ./$(TESTS) -f $(BUILD)/tests.$$s > $(BUILD)/test.$$s.log 2>&1 & pids+=($$!); done; \
	status=0; for p in "$${pids[@]}"; do wait $$p || status=1; done; \
	passed=0; failed=0; : > $(BUILD)/test.log; \
	if [ "$$n" = 0 ]; then echo "no test case matches the filter"; status=1; failed=1; fi; \
	for ((s = 0; s < k; s++)); do grep -v '^Filters: ' $(BUILD)/test.$$s.log | tee -a $(BUILD)/test.log; \
	  summary=$$(grep -E '^(All tests passed|test cases:)' $(BUILD)/test.$$s.log | tail -n 1); \
	  if [[ "$$summary" =~ ^All\ tests\ passed.*in\ ([0-9]+)\ test\ case ]]; then passed=$$((passed + $${BASH_REMATCH[1]})); \
	  elif [[ "$$summary" =~ ([0-9]+)\ passed.*\|\ ([0-9]+)\ failed ]]; then passed=$$((passed + $${BASH_REMATCH[1]})); failed=$$((failed + $${BASH_REMATCH[2]})); \
	  elif [[ "$$summary" =~ test\ cases:\ *([0-9]+).*\|\ *([0-9]+)\ failed ]]; then passed=$$((passed + $${BASH_REMATCH[1]} - $${BASH_REMATCH[2]})); failed=$$((failed + $${BASH_REMATCH[2]})); \
	  else failed=$$((failed + 1)); fi; done; \
	if [ "$$status" != 0 ] && [ "$$failed" = 0 ]; then failed=1; fi; \
	line="symkl: $$passed passed, $$failed failed"; \
	if [ "$$skipped" != 0 ]; then line="$$line, $$skipped skipped"; fi; \
	echo "$$line"; \
	[ "$$status" = 0 ]

bench: $(BENCH)
	./$(BENCH) $(BENCH_ARGS)

# symkl against PyTorch on the same model and steps (MLE, adaptive with the EBM proxy,
# WGAN-GP), float and double, 1 and 2 threads
# (bench/compare.py). Optional: runs only where $(PYTHON) imports torch and numpy.
PYTHON ?= python3
bench-compare:
	@if ! $(PYTHON) -c 'import torch, numpy' 2>/dev/null; then \
	  echo "bench-compare needs PyTorch and NumPy for $(PYTHON). On Debian or Ubuntu:"; \
	  echo "    sudo apt-get install python3-torch python3-numpy libopenblas0-pthread"; \
	  echo "(then run with PYTHON=<the python3 that has them> if it is not the first on PATH)"; \
	  exit 0; \
	fi; \
	$(MAKE) --no-print-directory build/symkl build/symkl_bench && \
	$(MAKE) --no-print-directory REAL=float build/float/symkl_bench && \
	$(PYTHON) bench/compare.py --bench-float build/float/symkl_bench --bench-double build/symkl_bench \
	  --cli build/symkl $(COMPARE_ARGS)

debug:
	$(MAKE) SAN=1 OPT=-O1 test

# Same seed, 1 and 2 threads: metrics.csv and model.safetensors must be byte-identical.
check-determinism: $(BIN)
	@rm -rf $(BUILD)/det && mkdir -p $(BUILD)/det
	./$(BIN) train --data 8gaussians --n-train 200 --steps 300 --log-every 100 --threads 1 --seed 7 --out $(BUILD)/det/t1 --quiet
	./$(BIN) train --data 8gaussians --n-train 200 --steps 300 --log-every 100 --threads 2 --seed 7 --out $(BUILD)/det/t2 --quiet
	cmp $(BUILD)/det/t1/metrics.csv $(BUILD)/det/t2/metrics.csv
	cmp $(BUILD)/det/t1/model.safetensors $(BUILD)/det/t2/model.safetensors
	@echo "determinism: 1 and 2 threads give byte-identical outputs"

# The CSV copies in data/ (see data/README.md); a test checks they match.
TOY_SETS := 8gaussians moons circles rings checkerboard pinwheel swissroll 2spirals
# Every figure and table of docs/results.md: the runs stay in runs/experiments/, their
# summaries (results.csv, summary.md, fig/) are copied into docs/results/E*/.
# E5 (simulation-based inference) as docs/results.md reports it: one seed and a C2ST
# classifier of at most 50 epochs per fold (symkl experiment E5 alone: 5 seeds and sbibm's
# full classifier training, many hours on 2 cores).
E5_ARGS ?= --seeds 1 --c2st-epochs 50
experiments: $(BIN)
	./$(BIN) experiment all --out runs/experiments
	./$(BIN) experiment E5 $(E5_ARGS) --out runs/experiments
	@for e in E1 E2 E3 E4 E5; do rm -rf docs/results/$$e && mkdir -p docs/results/$$e && \
	  cp -r runs/experiments/$$e/results.csv runs/experiments/$$e/summary.md runs/experiments/$$e/fig docs/results/$$e/; done
	@echo "copied the tables and figures to docs/results/"

experiments-quick: $(BIN)
	./$(BIN) experiment all --quick --out runs/experiments-quick
	./$(BIN) experiment E5 --quick --out runs/experiments-quick

data: $(BIN)
	@for d in $(TOY_SETS); do ./$(BIN) generate --data $$d --n 500 --seed 1 --out data/$$d.csv; done

# --- checks that need no test binary ---------------------------------------------
# The core library (LIB_LAYERS) includes nothing from the tools layers or the CLI.
check-layers:
	@bad=$$(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"($(subst $(space),|,$(TOOLS_LAYERS) cli))/' \
	  $(wildcard $(addsuffix /*.h,$(addprefix src/,$(LIB_LAYERS)))) $(LIB_SRC)); \
	if [ -n "$$bad" ]; then echo "check-layers: the core library includes a tools layer or the CLI:"; \
	  echo "$$bad"; exit 1; fi; \
	echo "check-layers: no core file ($(LIB_LAYERS)) includes $(TOOLS_LAYERS) or cli"

# The demo's printed table against README.md's (about half a minute).
check-readme-demo: $(BIN)
	tests/check_readme_demo.sh $(BIN) README.md
# Fuzzing with clang's libFuzzer under AddressSanitizer + UBSan, in build/fuzz/:
# tests/fuzz/fuzz_<name>.cpp for the CSV reader (csv), the JSON parser (json), the
# safetensors reader (safetensors) and the flow, EBM and posterior loaders (loaders).
# The seeds are files build/symkl writes (tests/fuzz/seeds.sh); each harness keeps
# what it finds in build/fuzz/corpus/<name>/, and a crash leaves its input in
# build/fuzz/crash-* (rerun it with build/fuzz/fuzz_<name> FILE).
FUZZ_CXX     ?= clang++
FUZZ_SECONDS ?= 60
FUZZ_DIR     := build/fuzz
FUZZ_NAMES   := csv json safetensors loaders
# (-Wno-psabi -Wno-pass-failed: clang's notes on the kernels' vector types and on simd
# loops it leaves scalar at -O1, which say nothing about the readers.)
FUZZ_FLAGS   := -std=c++17 -O1 -g -fno-omit-frame-pointer -ffp-contract=off -fopenmp-simd -Wno-unknown-pragmas \
                -Wno-psabi -Wno-pass-failed -Isrc -fsanitize=address,undefined -fno-sanitize-recover=undefined
# What the readers and loaders need of the library.
FUZZ_LIB_SRC := $(addprefix src/io/,checkpoint.cpp csv.cpp file.cpp json.cpp posterior.cpp safetensors.cpp text.cpp) \
                $(wildcard src/flow/*.cpp src/nn/*.cpp src/baseline/*.cpp) src/proxy/ebm.cpp src/tensor/rng.cpp \
                src/sbi/tasks.cpp
FUZZ_LIB_OBJ := $(FUZZ_LIB_SRC:%.cpp=$(FUZZ_DIR)/obj/%.o)
FUZZ_LIB     := $(FUZZ_DIR)/libsymkl-fuzz.a
FUZZ_BINS    := $(FUZZ_NAMES:%=$(FUZZ_DIR)/fuzz_%)
# Every run: a 10 s timeout per input, 2 GB RSS; the loaders and the reader may not
# malloc more than 256 MB at once (a huge model described by 8 KB of metadata would).
FUZZ_ARGS             := -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
FUZZ_ARGS_csv         :=
FUZZ_ARGS_json        := -dict=tests/fuzz/json.dict
FUZZ_ARGS_safetensors := -max_len=8192 -malloc_limit_mb=256 -dict=tests/fuzz/json.dict
FUZZ_ARGS_loaders     := -max_len=8192 -malloc_limit_mb=256 -dict=tests/fuzz/json.dict

$(FUZZ_DIR)/obj/%.o: %.cpp
	@mkdir -p $(dir $@)
	$(FUZZ_CXX) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(FUZZ_LIB): $(FUZZ_LIB_OBJ)
	$(AR) rcs $@ $^

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.cpp tests/fuzz/fuzz_util.h $(FUZZ_LIB)
	$(FUZZ_CXX) $(FUZZ_FLAGS) -fsanitize=fuzzer $< $(FUZZ_LIB) -o $@

fuzz-build: $(FUZZ_BINS)

fuzz-seeds: $(BIN)
	@tests/fuzz/seeds.sh ./$(BIN) $(FUZZ_DIR)/seeds

fuzz: fuzz-build fuzz-seeds
	@for n in $(FUZZ_NAMES); do \
	  mkdir -p $(FUZZ_DIR)/corpus/$$n; \
	  echo "== fuzz_$$n for $(FUZZ_SECONDS) s"; \
	  ./$(FUZZ_DIR)/fuzz_$$n -max_total_time=$(FUZZ_SECONDS) $(FUZZ_ARGS) $(FUZZ_ARGS_$$n) \
	    -artifact_prefix=$(FUZZ_DIR)/ $(FUZZ_DIR)/corpus/$$n $(FUZZ_DIR)/seeds/$$n 2>$(FUZZ_DIR)/fuzz_$$n.log; \
	  status=$$?; grep -E '^#[0-9]+' $(FUZZ_DIR)/fuzz_$$n.log | tail -n 1; \
	  grep -E '^stat::(number_of_executed_units|peak_rss_mb)' $(FUZZ_DIR)/fuzz_$$n.log; \
	  if [ $$status != 0 ]; then tail -n 40 $(FUZZ_DIR)/fuzz_$$n.log; echo "fuzz_$$n FAILED (log: $(FUZZ_DIR)/fuzz_$$n.log)"; exit 1; fi; \
	done; echo "fuzz: no crash in $(FUZZ_NAMES)"

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(TOOLS_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_OBJ:.o=.d) $(BENCH_OBJ:.o=.d) $(EXAMPLE_OBJ:.o=.d) $(FUZZ_LIB_OBJ:.o=.d)
