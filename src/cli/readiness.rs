//! The readiness commands: the project report and the CI gate.

use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The project's id
    #[arg(long, value_name = "ID")]
    pub project: String,
    /// md (Markdown, the default) or html (printable)
    #[arg(long, value_name = "FORMAT", default_value = "md", value_parser = ["md", "html"])]
    pub format: String,
    /// Include personal data (owners, emails)
    #[arg(long)]
    pub include_personal: bool,
    /// Write to this file instead of standard output
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct GateArgs {
    /// The LaunchPad base URL, e.g. https://launchpad.example.com
    #[arg(long, value_name = "URL")]
    pub url: String,
    /// The project's id
    #[arg(long, value_name = "ID")]
    pub project: String,
    /// The level the project must have reached
    #[arg(long, value_name = "LEVEL", value_parser = ["prototype", "hardened", "production-ready", "operationalized"])]
    pub level: String,
}
