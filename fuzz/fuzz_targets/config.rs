//! Configuration parsing: the layered YAML loader on a repository file (and, split at the first
//! NUL byte, an organisation file beneath it), then compiling whatever loads into a policy.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plasma_policy::Policy;
use plasma_config::{ConfigSource, load};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (org, repo) = match text.split_once('\0') {
        Some((o, r)) => (Some(ConfigSource { name: "org.yml", text: o }), r),
        None => (None, text),
    };
    let repo = ConfigSource { name: ".github/plasma.yml", text: repo };
    if let Ok(eff) = load(org, Some(repo)) {
        let _ = Policy::new(eff.config);
    }
});
