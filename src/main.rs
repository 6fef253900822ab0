//! The `launchpad` binary: parse the command line and dispatch.

use clap::Parser;
use launchpad::cli::{Cli, Command, ConfigCommand};
use launchpad::commands;
use launchpad::config::Overrides;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let overrides = Overrides {
        config_file: cli.global.config,
        data_dir: cli.global.data_dir,
        listen: cli.global.listen,
    };
    let result = match &cli.command {
        Command::Serve => commands::serve(&overrides),
        Command::Migrate(args) => commands::migrate(&overrides, args),
        Command::Config(ConfigCommand::Check(args)) => commands::config_check(&overrides, args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            e.exit_code()
        }
    }
}
