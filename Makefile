# The two commands a newcomer needs:  make demo  and  make test.
# Everything else here is a building block of those two.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON        ?= python3.11
VENV          := .venv
PY            := $(VENV)/bin/python
BIN           := $(VENV)/bin
LOCAL_AWS_PORT ?= 5000
export LOCAL_AWS_PORT
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
# The local endpoint accepts any credentials; these keep boto3 off real accounts.
export AWS_ACCESS_KEY_ID ?= testing
export AWS_SECRET_ACCESS_KEY ?= testing
export AWS_DEFAULT_REGION ?= us-east-1
COLLECTION_LINK := .build/collections/ansible_collections/dbfleet/aws

.PHONY: help demo test up down status venv venv-test system-deps system-deps-test collection \
        lint sanity unit local-aws-tests integration molecule build docs clean

help:
	@echo "make demo   set everything up and provision the local environment"
	@echo "make test   set everything up and run every test"
	@echo "make up | down | status   the local AWS endpoint"

# --- setup -----------------------------------------------------------------
$(VENV)/.installed: requirements.txt
	@command -v $(PYTHON) >/dev/null || { echo "python 3.11 is required"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed requirements-test.txt
	$(PY) -m pip install -q -r requirements-test.txt
	touch $@

venv: $(VENV)/.installed
venv-test: $(VENV)/.installed-test

system-deps:
	@tools/setup/system-deps.sh

system-deps-test:
	@tools/setup/system-deps.sh shellcheck

collection: $(COLLECTION_LINK)
$(COLLECTION_LINK):
	mkdir -p $(dir $@)
	ln -sfn ../../../.. $@

# --- local AWS endpoint ------------------------------------------------------
up: venv system-deps collection
	$(PY) -m tools.local_aws up

down:
	@test -x $(PY) && $(PY) -m tools.local_aws down || true

status:
	$(PY) -m tools.local_aws status

# --- the demo -----------------------------------------------------------------
demo: up
	$(BIN)/ansible-playbook playbooks/provision.yml -i inventories/local

# --- tests --------------------------------------------------------------------
# pytest runs last and once, so its closing line sums up every test. tests/policy
# checks docs/iam/ against the calls the integration tests made: it comes after them.
test: venv-test system-deps-test collection
	$(MAKE) lint
	$(MAKE) sanity
	$(MAKE) molecule
	$(BIN)/pytest -q tests/unit tests/packaging tests/local_aws tests/integration tests/policy

lint: venv-test collection
	$(BIN)/yamllint -s .
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/ansible-lint --profile production

sanity: venv-test system-deps-test
	tools/setup/sanity.sh

unit: venv-test collection
	$(BIN)/pytest -q tests/unit tests/packaging

local-aws-tests: venv-test system-deps collection
	$(BIN)/pytest -q tests/local_aws

integration: venv-test system-deps collection
	$(BIN)/pytest -q tests/integration tests/policy

# Molecule keeps scenario state (e.g. "prepared") in its ephemeral directory,
# under ~/.ansible by default and shared by every clone; a project-local one,
# emptied first, makes each run start from scratch.
MOLECULE_STATE := $(CURDIR)/.build/molecule/rds-default

molecule: venv-test system-deps collection
	rm -rf $(MOLECULE_STATE)
	cd roles/rds && MOLECULE_EPHEMERAL_DIRECTORY=$(MOLECULE_STATE) \
		PATH=$(CURDIR)/$(BIN):$$PATH $(CURDIR)/$(BIN)/molecule test

# docs/reference/ from every module's DOCUMENTATION and every role's argument specs.
docs: venv-test collection
	$(PY) tools/docs/generate_reference.py

build: venv
	$(BIN)/ansible-galaxy collection build --force --output-path .build/dist

clean: down
	rm -rf .build .local .pytest_cache
