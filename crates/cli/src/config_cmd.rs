//! `plasma-ops config show|validate|schema|init`: the configuration itself, its layers and
//! where each value came from.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use plasma_config::{self as config, ConfigError, ConfigSource, INIT_TEMPLATE};
use plasma_policy::compile_policy;

use crate::args::{Format, Global};
use crate::exit;
use crate::input::{load_layers, read_file};
use crate::output::Out;

/// `config` subcommands.
#[derive(Debug, Subcommand)]
pub enum ConfigCmd {
    /// The effective configuration, each value annotated with the layer it came from.
    Show {
        /// Repository file (same as the global `--config`).
        #[arg(long, value_name = "FILE")]
        repo_config: Option<PathBuf>,
    },
    /// Validate a configuration file; errors as `file:line:col: message`.
    Validate {
        /// The file.
        file: PathBuf,
    },
    /// Print the JSON Schema of `.github/plasma.yml`.
    Schema,
    /// Write a commented file holding the defaults.
    Init {
        /// Where to write it (standard output when omitted).
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
    },
}

/// Runs `config`.
pub fn run(g: &Global, out: &Out, cmd: ConfigCmd) -> Result<u8> {
    match cmd {
        ConfigCmd::Show { repo_config } => {
            let repo = repo_config.as_ref().or(g.config.as_ref());
            let (eff, _) = load_layers(g.org_config.as_deref(), repo.map(|p| p.as_path()))?;
            match out.format {
                Format::Json | Format::Sarif => {
                    let v = serde_json::json!({ "config": eff.tree, "origins": eff.origins });
                    println!("{}", serde_json::to_string_pretty(&v)?);
                }
                _ => print!("{}", config::show(&eff)),
            }
            Ok(exit::OK)
        }
        ConfigCmd::Validate { file } => {
            let name = file.display().to_string();
            let text = read_file(&file, "configuration file")?;
            let src = ConfigSource { name: &name, text: &text };
            let errors: Vec<ConfigError> = match compile_policy(None, Some(src)) {
                Ok(_) => vec![],
                Err(located) => located.0,
            };
            Ok(out.config_errors(&name, &errors))
        }
        ConfigCmd::Schema => {
            print!("{}", config::json_schema_text());
            Ok(exit::OK)
        }
        ConfigCmd::Init { output, force } => {
            match output {
                None => print!("{INIT_TEMPLATE}"),
                Some(path) => {
                    if path.exists() && !force {
                        bail!("{} already exists; pass --force to overwrite it", path.display());
                    }
                    std::fs::write(&path, INIT_TEMPLATE)
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    eprintln!("wrote {}", path.display());
                }
            }
            Ok(exit::OK)
        }
    }
}
