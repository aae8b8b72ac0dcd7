//! Issue key parsing: the strict `PE-12` parser, and finding a key (or a near miss) in free text
//! under the default and a fuzzed prefix.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plasma_config::{Config, IssueKeyConfig};
use plasma_config::issue_key::{IssueKey, IssueKeyFormat, is_valid_prefix};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(key) = IssueKey::parse(&text) {
        // What parses must print back to something that parses to the same key.
        let again = IssueKey::parse(&key.to_string());
        assert_eq!(again.ok(), Some(key), "issue key round trip");
    }
    let default = Config::default().issue_key;
    if let Ok(format) = IssueKeyFormat::new(&default) {
        let _ = format.parse(&text);
        if let Some(m) = format.find_in(&text) {
            let _ = m.explain();
        }
    }
    // The first line as a prefix, the rest as text.
    let (prefix, rest) = text.split_once('\n').unwrap_or((&text, ""));
    let _ = is_valid_prefix(prefix);
    let config = IssueKeyConfig { prefix: prefix.to_string(), tracker: None };
    if let Ok(format) = IssueKeyFormat::new(&config) {
        let _ = format.parse(rest);
        let _ = format.find_in(rest);
        let _ = format.shape();
    }
});
