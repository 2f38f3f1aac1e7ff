//! The command line: clap's types ([`args`]) and one runner per subcommand ([`commands`]).

pub mod args;
pub mod commands;
