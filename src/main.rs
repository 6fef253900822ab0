//! The `launchpad` binary: parse the command line and dispatch.

use clap::Parser;
use launchpad::cli::{
    Cli, Command, ConfigCommand, JournalCommand, KeysCommand, StoreCommand, TokenCommand,
    UserCommand,
};
use launchpad::commands;
use launchpad::config::Overrides;
use std::process::ExitCode;

fn main() -> ExitCode {
    // Everything LaunchPad writes (the store, backups, logs, reports) is for
    // its owner alone, whatever umask it was started with.
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
    let cli = Cli::parse();
    let overrides = Overrides {
        config_file: cli.global.config,
        data_dir: cli.global.data_dir,
        listen: cli.global.listen,
        identity: cli.global.identity,
        identity_not_needed: false,
    };
    let result = match &cli.command {
        Command::Serve => commands::serve(&overrides),
        Command::Migrate(args) => commands::migrate(&overrides, args),
        Command::Config(ConfigCommand::Check(args)) => commands::config_check(&overrides, args),
        Command::Diagnose(args) => commands::diagnose::diagnose(&overrides, args),
        Command::Keys(KeysCommand::Init) => commands::keys::init(&overrides),
        Command::Keys(KeysCommand::Status) => commands::keys::status(&overrides),
        Command::Keys(KeysCommand::Rotate) => commands::keys::rotate(&overrides),
        Command::Keys(KeysCommand::Rewrap(args)) => commands::keys::rewrap(&overrides, &args.to),
        Command::Backup(args) => commands::backup::backup(&overrides, args),
        Command::Verify(args) => commands::backup::verify(&overrides, args),
        Command::Restore(args) => commands::backup::restore(&overrides, args),
        Command::Journal(JournalCommand::Export(args)) => {
            commands::backup::journal_export(&overrides, args)
        }
        Command::Journal(JournalCommand::Replay(args)) => {
            commands::backup::journal_replay(&overrides, args)
        }
        Command::User(UserCommand::Add(args)) => commands::account::user_add(&overrides, args),
        Command::Token(TokenCommand::Create(args)) => {
            commands::account::token_create(&overrides, args)
        }
        Command::Store(StoreCommand::Copy(args)) => commands::store_copy::copy(&overrides, args),
        Command::Report(args) => commands::readiness::report(&overrides, args),
        Command::Gate(args) => commands::readiness::gate(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            e.exit_code()
        }
    }
}
