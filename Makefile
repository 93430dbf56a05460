# trails — every target sets itself up: a .venv with the project and its dev
# extras, and the Debian tools the tests and the demo drive for real.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SYSTEM_TOOLS := auditctl:auditd pdftoppm:poppler-utils openssl:openssl jq:jq git:git augtool:augeas-tools rpm:rpm java:openjdk-17-jre-headless

.PHONY: all setup system-deps demo test lint bench accuracy clean

all: test

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11"; exit 2; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,spark]'
	touch $(STAMP)

setup: system-deps $(STAMP)

# Installs only what is missing; needs root (as on CI and the demo VM).
system-deps:
	@missing=""; for pair in $(SYSTEM_TOOLS); do \
	  cmd=$${pair%%:*}; pkg=$${pair##*:}; \
	  command -v $$cmd >/dev/null 2>&1 || [ -x /usr/sbin/$$cmd ] || [ -x /sbin/$$cmd ] || missing="$$missing $$pkg"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing system packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else echo "warning: missing system packages:$$missing (run as root or apt-get install them)"; fi; \
	fi

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check trails tests bench scripts
	$(BIN)/mypy trails tests testkit bench scripts

test: setup
	$(BIN)/ruff check .
	$(BIN)/mypy trails tests testkit bench scripts
	$(BIN)/python -m pytest -n auto --dist loadfile --cov --cov-report=term

demo: setup
	$(BIN)/python scripts/demo.py

bench: setup
	@set -e; for f in bench/bench_*.py; do echo "== $$f"; $(BIN)/python $$f; done

# docs/accuracy.md: sampled controls against ComplianceAsCode and ansible-lockdown, trails
# check on this host and on a debootstrapped Debian root (cached in ACCURACY_ROOT).
# Needs root (debootstrap, and the mutated copies keep root-owned files) and git
# clones of the three references; not part of `make test`.
CAC ?= /work/.mirror/ComplianceAsCode+content/repo
UBUNTU_LOCKDOWN ?= /work/.mirror/ansible-lockdown+UBUNTU22-CIS/repo
RHEL_LOCKDOWN ?= /work/.mirror/ansible-lockdown+RHEL9-CIS/repo
ACCURACY_ROOT ?= /var/tmp/trails-accuracy-root
accuracy: setup
	@[ "$$(id -u)" = 0 ] || { echo "error: make accuracy needs root (debootstrap)"; exit 2; }
	$(BIN)/python scripts/gen_accuracy.py --cac $(CAC) --ubuntu-lockdown $(UBUNTU_LOCKDOWN) \
	  --rhel-lockdown $(RHEL_LOCKDOWN) --root-cache $(ACCURACY_ROOT)

clean:
	rm -rf $(VENV) dist demo-out .pytest_cache .mypy_cache .ruff_cache .coverage
