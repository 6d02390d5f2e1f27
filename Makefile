# The two commands a new machine needs:
#   make demo   run callscope on its embedded default (SQLite, local files) with demo data
#   make test   install everything and run lint, types and the whole test suite
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install system-deps lint test demo clean lock

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

system-deps:
	bash scripts/system-deps.sh

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

test: install system-deps lint
	$(BIN)/pytest

demo: install
	$(BIN)/callscope demo

# Re-pin every installed package after changing pyproject.toml.
lock: install
	$(BIN)/pip freeze --exclude-editable --disable-pip-version-check | grep -v '^callscope' > constraints.txt

clean:
	rm -rf $(VENV) var test-artifacts .mypy_cache .ruff_cache .pytest_cache
