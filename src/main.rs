//! Parse the command line, load settings, dispatch. Nothing else.

use clap::Parser;
use latchkey::cli::{self, Cli, CliError, Command, ServeArgs};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = Cli::parse();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Cli) -> Result<(), CliError> {
    let default_serve = ServeArgs::default();
    let serve_args = match &args.command {
        None => Some(&default_serve),
        Some(Command::Serve(s)) => Some(s),
        Some(Command::Doctor(d)) => Some(&d.serve),
        _ => None,
    };
    let settings = args.settings(serve_args)?;
    let json = args.json;
    match args.command {
        None | Some(Command::Serve(_)) => serve(settings),
        Some(Command::User(cmd)) => {
            cli::user::run(cmd, &cli::open_store(&settings)?, &settings, json)
        }
        Some(Command::Client(cmd)) => cli::client::run(cmd, &cli::open_store(&settings)?, json),
        Some(Command::Group(cmd)) => cli::group::run(cmd, &cli::open_store(&settings)?, json),
        Some(Command::Api(cmd)) => cli::api::run(cmd, &cli::open_store(&settings)?, json),
        Some(Command::Scope(cmd)) => cli::scope::run(cmd, &cli::open_store(&settings)?, json),
        Some(Command::AdminKey(cmd)) => {
            cli::admin_key::run(cmd, &cli::open_store(&settings)?, json)
        }
        Some(Command::Doctor(d)) => cli::doctor::run(&settings, d.check_smtp, json),
        Some(Command::Audit(a)) => cli::audit::run(a, &cli::open_store(&settings)?, json),
        Some(Command::Backup(a)) => cli::backup::backup(a, &settings, json),
        Some(Command::Restore(a)) => cli::backup::restore(a, &settings, json),
        Some(Command::MigrateStore(a)) => cli::migrate_store::run(a, &settings, json),
        Some(Command::Keys(cmd)) => {
            cli::keys::run(cmd, &cli::open_store(&settings)?, &settings, json)
        }
    }
}

fn serve(settings: latchkey::config::Settings) -> Result<(), CliError> {
    latchkey::startup::serve(settings).map_err(|e| CliError::Other(e.to_string()))
}
