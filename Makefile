# terraform-provider-blockchain — developer entry points.
# Quick start: `make demo` (three emulated consoles: the multi-region HA example applied, a
# clean plan, destroy) and `make test`.

CARGO        ?= cargo
VERSION      := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
OS_ARCH      := $(shell uname -s | tr A-Z a-z)_$(shell uname -m | sed -e 's/x86_64/amd64/' -e 's/aarch64/arm64/')
PROVIDER     := registry.terraform.io/ibm-blockchain/blockchain
MIRROR_DIR   ?= $(HOME)/.terraform.d/plugins
INSTALL_DIR  := $(MIRROR_DIR)/$(PROVIDER)/$(VERSION)/$(OS_ARCH)

.PHONY: build install demo test lint fmt bench docs clean

## build: release binaries of the provider and the emulator
build:
	$(CARGO) build --release --workspace --locked

## install: put the provider into a local filesystem mirror (then `terraform init` finds it)
install: build
	mkdir -p "$(INSTALL_DIR)"
	cp target/release/terraform-provider-blockchain "$(INSTALL_DIR)/terraform-provider-blockchain_v$(VERSION)"
	@echo "installed $(PROVIDER) $(VERSION) into $(INSTALL_DIR)"

## demo: three emulated consoles; apply examples/multi-region-ha, summarise each console,
## show that the next plan is clean, destroy
demo:
	$(CARGO) build --workspace --locked
	bash tests/scripts/demo.sh

## test: unit, golden and acceptance tests (the acceptance tests drive the real terraform binary)
test:
	@command -v terraform >/dev/null || { echo "terraform is not installed: the acceptance tests need terraform 1.11+ on PATH" >&2; exit 1; }
	$(CARGO) build --workspace --locked
	$(CARGO) test --workspace --locked

## lint: formatting and clippy, warnings are errors
lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

fmt:
	$(CARGO) fmt --all

## bench: speed and memory benchmarks, provider start-up, and refresh at console scale
## (SCALE_N CAs in each of three emulated consoles; N=200 takes many minutes today), and the
## three-region HA apply against its critical path (HA_DELAY per deployed component)
SCALE_N ?= 50 200
bench:
	$(CARGO) bench --workspace --locked
	$(CARGO) build --release --workspace --locked
	bash tests/scripts/handshake.sh
	bash tests/scripts/measure.sh
	SCALE_N="$(SCALE_N)" bash tests/scripts/scale.sh
	bash tests/scripts/ha_bench.sh

## docs: regenerate docs/ from the provider schema
docs:
	UPDATE_DOCS=1 $(CARGO) test --locked --test docs

clean:
	$(CARGO) clean
