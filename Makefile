# The README's two commands: `make run` and `make test`. Both set up .venv from the lock first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
PIP := $(BIN)/python -m pip --disable-pip-version-check --quiet
PIP_WHEEL := tools/pip-26.3-py3-none-any.whl

.PHONY: run test lint install lock bench clean

run: $(STAMP)
	$(BIN)/paperbot run

test: $(STAMP) lint
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy --strict bot cogs

install: $(STAMP)

# Debian's python3 has no ensurepip (that is python3-venv): fall back to a venv without pip
# and install pip from the wheel kept in tools/.
$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) 2>/dev/null || { \
		rm -rf $(VENV) && $(PYTHON) -m venv --without-pip $(VENV) && \
		$(BIN)/python $(PIP_WHEEL)/pip install --quiet --no-index $(PIP_WHEEL); }
	$(PIP) install -c requirements.lock pip setuptools
	$(PIP) install -c requirements.lock --no-build-isolation -e '.[test]'
	@rm -f $(VENV)/.installed-*
	@touch $@

lock: $(STAMP)
	$(BIN)/python -m pip freeze --exclude-editable > requirements.lock.new
	@echo "review requirements.lock.new and move it over requirements.lock"

bench: $(STAMP)
	$(PIP) install -c requirements.lock --no-build-isolation -e '.[test,bench]'
	@for script in bench/[a-z]*.py; do name=$$(basename $$script .py); \
		echo "== bench.$$name"; $(BIN)/python -m bench.$$name || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .ruff_cache .pytest_cache
