//! What the commands read: files and standard input (bounded, UTF-8, errors naming the file), and
//! the configuration layers given by `--org-config` and `--config`, loaded or compiled into the
//! policy. Shared here so every command reads the same way and says the same things when it
//! cannot.

use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use plasma_config::{self as config, ConfigSource, EffectiveConfig, Layer};
use plasma_policy::{Policy, compile_policy};

use crate::args::Global;

/// GitHub's webhook payload cap; nothing we read legitimately exceeds it.
const MAX_INPUT: u64 = 25 * 1024 * 1024;

/// Load the configuration layers and compile the policy; every error is located.
pub(crate) fn policy(g: &Global) -> Result<Policy> {
    let texts = read_layers(g.org_config.as_deref(), g.config.as_deref())?;
    Ok(compile_policy(layer(&texts, Layer::Org), layer(&texts, Layer::Repo))?)
}

pub(crate) type LayerTexts = Vec<(Layer, String, String)>;

/// The texts of the layers given on the command line.
pub(crate) fn read_layers(org: Option<&Path>, repo: Option<&Path>) -> Result<LayerTexts> {
    let mut texts: LayerTexts = Vec::new();
    if let Some(p) = org {
        texts.push((
            Layer::Org,
            p.display().to_string(),
            read_file(p, "organisation configuration")?,
        ));
    }
    if let Some(p) = repo {
        texts.push((
            Layer::Repo,
            p.display().to_string(),
            read_file(p, "repository configuration")?,
        ));
    }
    Ok(texts)
}

/// One layer's text, as the loader takes it.
pub(crate) fn layer(texts: &LayerTexts, layer: Layer) -> Option<ConfigSource<'_>> {
    texts.iter().find(|(l, _, _)| *l == layer).map(|(_, n, t)| ConfigSource { name: n, text: t })
}

pub(crate) fn load_layers(
    org: Option<&Path>,
    repo: Option<&Path>,
) -> Result<(EffectiveConfig, LayerTexts)> {
    let texts = read_layers(org, repo)?;
    let eff = config::load(layer(&texts, Layer::Org), layer(&texts, Layer::Repo))
        .map_err(|e| anyhow!("{e}"))?;
    Ok((eff, texts))
}

/// How an input path is named in messages: `-` is standard input.
pub(crate) fn display_name(path: &str) -> String {
    if path == "-" { "<stdin>".into() } else { path.into() }
}

/// A file, or standard input for `-`, as text; `what` names it in errors.
pub(crate) fn read_input(path: &str, what: &str) -> Result<String> {
    if path == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .take(MAX_INPUT + 1)
            .read_to_end(&mut buf)
            .with_context(|| format!("cannot read the {what} from standard input"))?;
        return to_text(buf, "<stdin>", what);
    }
    read_file(Path::new(path), what)
}

/// A file as text; `what` names it in errors.
pub(crate) fn read_file(path: &Path, what: &str) -> Result<String> {
    let file = std::fs::File::open(path)
        .with_context(|| format!("cannot open the {what} {}; check the path", path.display()))?;
    let mut buf = Vec::new();
    file.take(MAX_INPUT + 1)
        .read_to_end(&mut buf)
        .with_context(|| format!("cannot read the {what} {}", path.display()))?;
    to_text(buf, &path.display().to_string(), what)
}

fn to_text(buf: Vec<u8>, name: &str, what: &str) -> Result<String> {
    if buf.len() as u64 > MAX_INPUT {
        bail!(
            "{name}: the {what} is larger than {} MiB; refusing to read it",
            MAX_INPUT / 1024 / 1024
        );
    }
    String::from_utf8(buf).map_err(|e| {
        anyhow!(
            "{name}: the {what} is not UTF-8 (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        )
    })
}
