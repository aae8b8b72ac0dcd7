//! The commands: read input, call the policy core, hand the result to `output`.

use std::io::IsTerminal;

use anyhow::{Context, Result, anyhow, bail};
use plasma_config::{self as config, ConfigError, ConfigSource, INIT_TEMPLATE};
use plasma_github::{Snapshot, snapshot_from_payload};
use plasma_policy::{IssueSnapshot, PrSnapshot, compile_policy, evaluate, evaluate_issue};

use crate::args::{Check, Cli, Command, ConfigCmd, Format, Global};
use crate::exit;
use crate::input::{display_name, load_layers, policy, read_file, read_input};
use crate::output::Out;

/// Run one command, returning its exit code.
pub fn run(cli: Cli) -> Result<u8> {
    let g = &cli.global;
    if g.format == Format::Sarif && !cli.command.speaks_sarif() {
        bail!(
            "--format sarif is only for repository findings (audit, history, coverage); use --format json here"
        );
    }
    let out = Out::new(g.format);
    match cli.command {
        Command::Check(Check::Branch { name, repo, title }) => {
            let policy = policy(g)?;
            let f = policy.check_branch(&name, repo.as_deref(), title.as_deref());
            Ok(out.findings("branch", &name, &f))
        }
        Command::Check(Check::Title { text }) => {
            let policy = policy(g)?;
            Ok(out.findings("title", &text, &policy.check_title(&text)))
        }
        Command::Check(Check::Body { file }) => {
            let policy = policy(g)?;
            let body = read_input(&file, "pull request body")?;
            Ok(out.findings("body", &display_name(&file), &policy.check_body(&body)))
        }
        Command::Check(Check::Pr { event, snapshot }) => {
            let policy = policy(g)?;
            let pr = load_pr(event, snapshot)?;
            let verdict = evaluate(&pr, &policy);
            Ok(out.verdict(&verdict))
        }
        Command::Check(Check::Issue { event }) => {
            let policy = policy(g)?;
            let issue = load_issue(&event)?;
            Ok(out.issue_verdict(&evaluate_issue(&issue, &policy)))
        }
        Command::Dispatch { files } => {
            let policy = policy(g)?;
            let paths = paths_from(files)?;
            let report = policy.dispatcher().classify_all(paths.iter().map(String::as_str));
            Ok(out.dispatch(&report))
        }
        Command::Labels => {
            let policy = policy(g)?;
            Ok(out.labels(&policy.config().labels.definitions))
        }
        Command::Snapshot { event, event_name } => {
            let body = read_input(&event, "webhook payload")?;
            let snap = snapshot_from_payload(event_name.as_deref(), body.as_bytes())
                .map_err(|e| anyhow!("{}: {e}", display_name(&event)))?;
            let json = match snap {
                Snapshot::Pr(p) => serde_json::to_string_pretty(&p)?,
                Snapshot::Issue(i) => serde_json::to_string_pretty(&i)?,
            };
            println!("{json}");
            Ok(exit::OK)
        }
        Command::Config(cmd) => config_cmd(g, cmd, &out),
        Command::Coverage(args) => crate::coverage_cmd::run(g, &out, &args),
        Command::History(args) => crate::history_cmd::run(&policy(g)?, &out, args),
        Command::Release(cmd) => crate::release_cmd::release(&policy(g)?, &out, cmd),
        Command::Hotfix(cmd) => crate::release_cmd::hotfix(&policy(g)?, &out, cmd),
        Command::Serve { service_config } => crate::service_cmds::serve(service_config.as_deref()),
        Command::Replay { file, event, url, secret, delivery } => {
            let body = read_input(&file, "webhook payload")?;
            crate::service_cmds::replay(body.into_bytes(), &event, &url, secret, delivery)
        }
        Command::Reconcile { target, dry_run, service_config } => {
            crate::service_cmds::reconcile(&target, dry_run, service_config.as_deref(), &out)
        }
        Command::Audit(args) => crate::audit_cmd::run(g, &args, &out),
        Command::Jobs { dead, retry, service_config } => {
            crate::service_cmds::jobs(dead, retry.as_deref(), service_config.as_deref(), &out)
        }
    }
}

fn config_cmd(g: &Global, cmd: ConfigCmd, out: &Out) -> Result<u8> {
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

fn load_pr(event: Option<String>, snapshot: Option<String>) -> Result<PrSnapshot> {
    if let Some(s) = snapshot {
        let text = read_input(&s, "snapshot")?;
        return serde_json::from_str(&text).map_err(|e| {
            anyhow!(
                "{}:{}:{}: not a pull request snapshot: {e}\n  hint: produce one with `plasma-ops snapshot --event FILE`; the format is in docs/snapshot.md",
                display_name(&s),
                e.line(),
                e.column()
            )
        });
    }
    let (path, name) = match event {
        Some(e) => (e, None),
        None => match std::env::var("GITHUB_EVENT_PATH") {
            Ok(p) if !p.is_empty() => (p, std::env::var("GITHUB_EVENT_NAME").ok()),
            _ => bail!(
                "no input: pass --event FILE or --snapshot FILE (inside GitHub Actions GITHUB_EVENT_PATH is read)"
            ),
        },
    };
    let body = read_input(&path, "webhook payload")?;
    match snapshot_from_payload(name.as_deref(), body.as_bytes())
        .map_err(|e| anyhow!("{}: {e}", display_name(&path)))?
    {
        Snapshot::Pr(p) => Ok(p),
        Snapshot::Issue(_) => bail!(
            "{}: this is an issue event, not a pull request event\n  hint: use `plasma-ops check issue --event FILE`",
            display_name(&path)
        ),
    }
}

fn load_issue(event: &str) -> Result<IssueSnapshot> {
    let body = read_input(event, "webhook payload")?;
    match snapshot_from_payload(None, body.as_bytes())
        .map_err(|e| anyhow!("{}: {e}", display_name(event)))?
    {
        Snapshot::Issue(i) => Ok(i),
        Snapshot::Pr(_) => bail!(
            "{}: this is a pull request event, not an issue event\n  hint: use `plasma-ops check pr --event FILE`",
            display_name(event)
        ),
    }
}

fn paths_from(files: Vec<String>) -> Result<Vec<String>> {
    if files.is_empty() || files == ["-"] {
        if files.is_empty() && std::io::stdin().is_terminal() {
            bail!(
                "no files: pass paths as arguments, or `-` and one path per line on standard input"
            );
        }
        let text = read_input("-", "list of paths")?;
        return Ok(text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect());
    }
    Ok(files)
}
