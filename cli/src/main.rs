//! `fa2`: analyse a recorded incident offline with the production state machine, and the tooling around it.

use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;

fn main() -> ExitCode {
    let cli = fa2::Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("fa2: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let progress: fa2::Progress = Arc::new(|line: &str| eprintln!("{line}"));
    let mut stdout = std::io::stdout();
    match runtime.block_on(fa2::run(cli, &mut stdout, progress)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("fa2: {error}");
            ExitCode::FAILURE
        }
    }
}
