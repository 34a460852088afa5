# The two commands a new user needs: `make demo` and `make test`. Both create .venv on first
# use and reuse it afterwards; a changed pyproject.toml triggers a reinstall.
PYTHON ?= python3
VENV := .venv
VENV_PYTHON := $(VENV)/bin/python

.PHONY: demo test test-machine test-suite test-other-onednn compare study bench clean-output

POST_EXPERIMENTS := sgd_1x60 sgd_2x10 adam_1x60 adam_2x10

demo: $(VENV)/.installed-base
	$(VENV_PYTHON) train.py --config experiments/adam_2x10.yaml

# The whole suite, then the tests of the training's numbers once more under the oneDNN setting not
# in use here: TensorFlow turns oneDNN's kernels on by default only on some CPUs, and they round
# differently (cpu_kernels.py says which setting is in use: TF_ENABLE_ONEDNN_OPTS if given, else the
# CPU's default). (train.py's files, messages and Ctrl-C do not depend on the kernels: its numbers'
# tests alone.) Each pass is shared out between a process per core (at most 4; pytest-xdist): the
# suite by test file, so that a module's fixtures are made once; one pass after the other, for two
# at once only share the cores.
ONEDNN_TESTS := tests/test_engine.py tests/test_models.py tests/test_path.py \
	tests/test_train.py::test_the_final_training_error_is_that_of_the_final_weights \
	tests/test_train.py::test_two_processes_with_the_same_config_and_seed_write_bit_identical_arrays
PROCESSES := --numprocesses auto --maxprocesses 4

test: $(VENV)/.installed-test test-machine
	@$(MAKE) --no-print-directory test-suite; suite=$$?; \
		$(MAKE) --no-print-directory test-other-onednn; other=$$?; \
		[ $$suite = 0 ] && [ $$other = 0 ]

test-suite:
	$(VENV_PYTHON) -m pytest $(PROCESSES) --dist loadfile

test-other-onednn:
	@setting=$$($(VENV_PYTHON) cpu_kernels.py other); \
	echo "the engine, model and train tests again, under TF_ENABLE_ONEDNN_OPTS=$$setting:"; \
	TF_ENABLE_ONEDNN_OPTS=$$setting $(VENV_PYTHON) -m pytest $(PROCESSES) --dist worksteal --quiet $(ONEDNN_TESTS)

# What the tests need of the machine besides Python packages (a browser, a font with Japanese and
# Chinese characters), got where missing: see tests/machine.py. The tests themselves install nothing.
test-machine: $(VENV)/.installed-test
	$(VENV_PYTHON) tests/machine.py

# The post's four runs side by side; each is trained first unless output/ has it, completed, of the
# experiment file's settings and in the run format this version reads. A run of other settings
# there stops it (train.py says what differs), rather than being compared as the post's.
compare: $(VENV)/.installed-base
	@for name in $(POST_EXPERIMENTS); do \
		$(VENV_PYTHON) train.py --config experiments/$$name.yaml --reuse || { status=$$?; \
			[ $$status != 2 ] || echo "make compare compares output/$$name as experiments/$$name.yaml trains it;" \
				"to replace what is there: python train.py --config experiments/$$name.yaml --replace"; \
			exit $$status; }; \
	done
	$(VENV_PYTHON) animate.py compare $(addprefix output/,$(POST_EXPERIMENTS))

# The post's four experiments over 50 seeds each (about 3 minutes).
study: $(VENV)/.installed-base
	$(VENV_PYTHON) study.py experiments/study_optimizer_vs_layers.yaml

bench: $(VENV)/.installed-base
	$(VENV_PYTHON) benchmarks/bench_render.py
	$(VENV_PYTHON) benchmarks/bench_train.py
	$(VENV_PYTHON) benchmarks/bench_seeds.py
	$(VENV_PYTHON) benchmarks/bench_page.py
	$(VENV_PYTHON) benchmarks/bench_sweep.py
	$(VENV_PYTHON) benchmarks/bench_curvature.py
	$(VENV_PYTHON) benchmarks/bench_curvature.py --train

$(VENV_PYTHON):
	$(PYTHON) -m venv $(VENV)
	$(VENV_PYTHON) -m pip install --quiet --upgrade pip

$(VENV)/.installed-base: pyproject.toml | $(VENV_PYTHON)
	$(VENV_PYTHON) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(VENV_PYTHON)
	$(VENV_PYTHON) -m pip install --quiet -e '.[test,ray,video]'
	touch $@ $(VENV)/.installed-base

clean-output:
	rm -rf output
