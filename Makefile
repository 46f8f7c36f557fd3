# FA2-rs: an index of one-line commands. `make demo` and `make test` are the two the README promises.
.PHONY: demo test build lint fmt validate-asl

# Analyse the bundled example incident offline with the production state machine.
demo:
	cargo run --quiet -p fa2 -- analyze

# Everything CI runs: formatting, lints, all tests, and the ASL definition through asl-validator.
test: lint validate-asl
	cargo test --workspace

build:
	cargo build --workspace

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --quiet -- -D warnings

fmt:
	cargo fmt --all

# Validates statemachine/fa2.asl.json with the npm asl-validator (installed locally from package-lock.json).
validate-asl:
	cd statemachine && npm ci --silent --no-audit --no-fund && npx --no-install asl-validator --json-path fa2.asl.json
