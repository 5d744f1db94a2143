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

.PHONY: help demo demo-inventory psql test test-fast up down status venv venv-test venv-bench system-deps system-deps-test collection \
        lint sanity unit local-aws-tests integration awx-tests molecule build docs bench clean

help:
	@echo "make demo   set everything up and provision the local environment"
	@echo "make demo FLEET=<name> ENV=<env>   the same with an example fleet of examples/"
	@echo "make test   set everything up and run every test"
	@echo "make test-fast   unit and packaging tests, sanity on changed files"
	@echo "make up | down | status   the local AWS endpoint"
	@echo "make psql   psql on the demo's writer (SECRET=<connection secret> for another user)"
	@echo "make bench   the benchmarks of bench/ on the local endpoint (figures in .build/bench, docs/performance.md)"

# --- setup -----------------------------------------------------------------
# .venv links to a virtualenv cached per Python version and requirement files,
# shared by every clone (tools/setup/venv.sh; VENV_CACHE= keeps it in .venv).
venv:
	@PYTHON=$(PYTHON) tools/setup/venv.sh runtime

venv-test:
	@PYTHON=$(PYTHON) tools/setup/venv.sh test

venv-bench:
	@PYTHON=$(PYTHON) tools/setup/venv.sh bench

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
# make demo FLEET=<name> ENV=<env> provisions an example fleet (examples/<name>/<env>)
# instead, as written for AWS: tools/local_aws/example_overlay.yml supplies, as extra
# vars, what the local endpoint needs (endpoint, network, keys, TLS).
DEMO_INVENTORY = $(if $(FLEET),examples/$(FLEET)/$(ENV),inventories/local)
DEMO_OVERLAY = $(if $(FLEET),-e @tools/local_aws/example_overlay.yml)

demo: demo-inventory up
	$(BIN)/ansible-playbook playbooks/provision.yml -i $(DEMO_INVENTORY) $(DEMO_OVERLAY)

demo-inventory:
	@test -f "$(DEMO_INVENTORY)/hosts.yml" || { \
		echo "make demo: no inventory $(DEMO_INVENTORY)/hosts.yml."; \
		echo "  FLEET is one of: $$(ls examples | tr '\n' ' ')"; \
		echo "  ENV is one of the environments of examples/$(or $(FLEET),<name>): $$(ls -d examples/$(FLEET)/*/ 2>/dev/null | xargs -rn1 basename | tr '\n' ' ')"; \
		exit 2; }

# psql on the demo's writer (SECRET=<connection secret name> for another user's).
psql: up
	$(PY) -m tools.local_aws.psql $(if $(SECRET),--secret $(SECRET))

# --- tests --------------------------------------------------------------------
# Each stage is timed; a table of the times closes the output (and so CI's log).
# lint, sanity and molecule run beside pytest ("lint&" joins the next stage) at nice 19:
# pytest leaves part of a core idle (backoff, waiters, the data plane) and they fill it;
# at nice 10 they still took enough CPU to slow pytest's longest chain by a minute.
# pytest runs the tests on PYTEST_WORKERS xdist workers, each with its own local
# endpoint, then tests/policy on its own: it checks docs/iam/ against the calls every
# worker's playbook runs made (.build/iam/runs/, emptied first).
PYTEST_WORKERS ?= 4
PYTEST_PARALLEL := -n $(PYTEST_WORKERS)
PYTEST_TESTS := rm -rf .build/iam/runs && $(BIN)/pytest -q $(PYTEST_PARALLEL)

test:
	@$(PYTHON) tools/testing/stages.py \
		"setup=$(MAKE) --no-print-directory venv-test system-deps-test collection" \
		"lint&=nice -n 19 $(MAKE) --no-print-directory lint" \
		"sanity&=nice -n 19 $(MAKE) --no-print-directory sanity" \
		"molecule&=nice -n 19 $(MAKE) --no-print-directory molecule" \
		"pytest=$(PYTEST_TESTS) tests/unit tests/packaging tests/local_aws tests/integration tests/awx && $(BIN)/pytest -q tests/policy"

# The fast tier, for a developer between edits: unit and packaging tests, and
# ansible-test sanity on the files changed since the last commit (or in it).
test-fast: venv-test collection
	@$(PYTHON) tools/testing/stages.py \
		"unit=$(BIN)/pytest -q tests/unit tests/packaging" \
		"sanity-changed=tools/setup/sanity.sh --changed-only"

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
	$(PYTEST_TESTS) tests/integration
	$(BIN)/pytest -q tests/policy

# The job templates of awx/ launched through ansible-runner, as the controller does.
awx-tests: venv-test system-deps collection
	$(PYTEST_TESTS) tests/awx

# Molecule keeps scenario state (e.g. "prepared") in its ephemeral directory,
# under ~/.ansible by default and shared by every clone; a project-local one,
# emptied first, makes each run start from scratch.
MOLECULE_STATE := $(CURDIR)/.build/molecule/rds-default

molecule: venv-test system-deps collection
	rm -rf $(MOLECULE_STATE)
	$(PY) -m tools.local_aws up
	cd roles/rds && MOLECULE_EPHEMERAL_DIRECTORY=$(MOLECULE_STATE) \
		PATH=$(CURDIR)/$(BIN):$$PATH $(CURDIR)/$(BIN)/molecule test

# The parameter-group modules' RETURN blocks from their one template, then docs/reference/
# from every module's DOCUMENTATION and every role's argument specs.
docs: venv-test collection
	$(PY) tools/docs/parameter_group_returns.py
	$(PY) tools/docs/generate_reference.py

# Figures, never assertions (docs/performance.md): a converged provision.yml, a 100-parameter
# group and snapshot pruning against amazon.aws, snapshots and restores of the data plane,
# three environments in one run against one after the other (on an endpoint of its own),
# then one chart of them all. The peers' 2,000 deletions take about 25 minutes.
bench: venv-bench up
	mkdir -p .build/bench
	$(PY) bench/provision_converged.py --json .build/bench/provision_converged.json
	$(PY) bench/parameter_group.py --json .build/bench/parameter_group.json
	$(PY) bench/snapshot_prune.py --json .build/bench/snapshot_prune.json
	$(PY) bench/rds_backups.py
	$(PY) bench/parallel_environments.py --json .build/bench/parallel_environments.json
	$(PY) bench/chart.py --figures .build/bench --out .build/bench/performance.png

build: venv
	$(BIN)/ansible-galaxy collection build --force --output-path .build/dist

# purge also removes the clusters a 0700 checkout keeps under /var/tmp (docs/local_aws.md).
clean:
	@test -x $(PY) && for dir in .local .build/endpoints/*; do \
		[ ! -d "$$dir" ] || LOCAL_AWS_STATE_DIR=$$dir $(PY) -m tools.local_aws purge; done || true
	rm -rf .build .local .pytest_cache
