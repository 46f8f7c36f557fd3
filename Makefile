# FA2-rs: an index of one-line commands. `make demo` and `make test` are the two the README promises.
.PHONY: demo test emulator build lint fmt validate-asl eval bench

# Analyse the bundled example incident offline with the production state machine.
demo:
	cargo run --quiet -p fa2 -- analyze

# Everything CI runs: formatting, lints, the ASL definition through asl-validator, all tests (with the local AWS
# emulator), and the table of the analyzer's evaluation over the project's own examples. That is a test, run again
# with the same `--workspace` feature set: `cargo run` or `-p` would build the AWS SDK once more with other features.
test: lint validate-asl emulator
	FA2_REQUIRE_EMULATOR=1 cargo test --workspace
	cargo test --quiet --workspace --test integration e2e::eval_scores_every_example -- --nocapture

# Score the analyzer on the shared development incidents and a fresh synthetic corpus (32 kinds x 4).
eval:
	cargo run --quiet --release -p fa2 -- eval ../shared/incidents
	rm -rf target/corpus && cargo run --quiet --release -p fa2 -- synth --out target/corpus --kind all --count 4 --seed 1000
	cargo run --quiet --release -p fa2 -- eval target/corpus

# The template miner on 1M lines against drain3 (installed into .venv from PyPI).
bench:
	test -x .venv/bin/python || (python3 -m venv .venv && .venv/bin/pip install --quiet drain3)
	cargo run --quiet --release -p fa2 -- bench --python .venv/bin/python

# The local AWS API emulator the adapter tests run against (moto server from PyPI, into .venv).
emulator:
	test -x .venv/bin/python || python3 -m venv .venv
	test -x .venv/bin/moto_server || .venv/bin/pip install --quiet --disable-pip-version-check 'moto[server]==5.2.5'

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
