//! Verifying commit signatures with the programs git itself uses, several at once.
//!
//! - OpenPGP: `gpg --status-fd=1 --verify <sig> -`, judged by the machine-readable status lines
//!   (GOODSIG + VALIDSIG good; BADSIG, EXPKEYSIG, REVKEYSIG, EXPSIG bad; ERRSIG / NO_PUBKEY
//!   unverifiable), never by the human text, which is localised.
//! - SSH: `ssh-keygen -Y verify -f <allowed_signers> -I <committer email> -n git -s <sig>` with the
//!   payload on standard input. When that fails, `ssh-keygen -Y check-novalidate` tells a signature
//!   that is intact but made by a key not allowed for the committer from one over altered content.
//! - x509: `gpgsm`, with the same status lines as gpg.
//!
//! Each verification is one short-lived process, so the pool keeps a few running at once.

use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::repo::{CommitInfo, GitRepo, SignatureKind};

/// Where the verifiers and their trust roots are.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// The SSH allowed-signers file; without it SSH signatures are unverifiable.
    pub allowed_signers: Option<PathBuf>,
    /// `gpg` (git's `gpg.program`).
    pub gpg_program: String,
    /// `gpgsm` (git's `gpg.x509.program`).
    pub gpgsm_program: String,
    /// `ssh-keygen` (git's `gpg.ssh.program`).
    pub ssh_program: String,
    /// The SSH key revocation list (git's `gpg.ssh.revocationFile`), passed as `-r`.
    pub revocation_file: Option<PathBuf>,
    /// `GNUPGHOME` for gpg and gpgsm; `None` keeps the environment's.
    pub gnupg_home: Option<PathBuf>,
    /// Verifier processes running at once (at least 1).
    pub jobs: usize,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            allowed_signers: None,
            revocation_file: None,
            gpg_program: "gpg".into(),
            gpgsm_program: "gpgsm".into(),
            ssh_program: "ssh-keygen".into(),
            gnupg_home: None,
            jobs: default_jobs(),
        }
    }
}

/// Verifier processes mostly wait on process start-up, so twice the cores keeps the cores busy
/// without a fork storm; capped so a big machine does not start hundreds.
fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(2, |n| (n.get() * 2).min(32))
}

impl GitRepo {
    /// Verifier settings from the repository's git configuration, the way git reads them
    /// (`gpg.program`, `gpg.x509.program`, `gpg.ssh.program`, `gpg.ssh.allowedSignersFile`;
    /// a relative allowed-signers path is relative to the working tree, `~/` to `HOME`).
    /// `allowed_signers` overrides the configured file.
    pub fn verify_options(&self, allowed_signers: Option<PathBuf>) -> VerifyOptions {
        let mut o = VerifyOptions::default();
        if let Some(p) =
            self.config_string("gpg.program").or_else(|| self.config_string("gpg.openpgp.program"))
        {
            o.gpg_program = p;
        }
        if let Some(p) = self.config_string("gpg.x509.program") {
            o.gpgsm_program = p;
        }
        if let Some(p) = self.config_string("gpg.ssh.program") {
            o.ssh_program = p;
        }
        o.revocation_file = self
            .config_string("gpg.ssh.revocationFile")
            .map(|raw| self.config_path(&raw))
            .filter(|p| p.exists());
        o.allowed_signers = allowed_signers.or_else(|| {
            let raw = self.config_string("gpg.ssh.allowedSignersFile")?;
            Some(self.config_path(&raw))
        });
        o
    }

    fn config_path(&self, raw: &str) -> PathBuf {
        if let Some(rest) = raw.strip_prefix("~/")
            && let Some(home) = std::env::var_os("HOME")
        {
            return PathBuf::from(home).join(rest);
        }
        let p = PathBuf::from(raw);
        if p.is_relative()
            && let Some(wd) = self.workdir()
        {
            return wd.join(p);
        }
        p
    }
}

/// The verdict on one commit's signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureStatus {
    /// No signature.
    Unsigned,
    /// Verified.
    Good {
        /// The kind of signature.
        kind: SignatureKind,
        /// Who signed, as the verifier named them.
        signer: String,
    },
    /// Verification failed: altered content, a key not allowed for the committer, an expired or
    /// revoked key.
    Bad {
        /// The kind of signature.
        kind: SignatureKind,
        /// What the verifier found.
        detail: String,
    },
    /// Signed, but it cannot be checked here: no public key, no allowed-signers file, no verifier.
    Unverifiable {
        /// The kind of signature.
        kind: SignatureKind,
        /// Why not.
        detail: String,
    },
}

/// Verifies every commit's signature, `opts.jobs` verifiers at a time; results in input order.
pub fn verify_all(commits: &[CommitInfo], opts: &VerifyOptions) -> Vec<SignatureStatus> {
    let mut out: Vec<SignatureStatus> = vec![SignatureStatus::Unsigned; commits.len()];
    let signed: Vec<usize> =
        (0..commits.len()).filter(|&i| commits[i].signature.is_some()).collect();
    if signed.is_empty() {
        return out;
    }
    let next = AtomicUsize::new(0);
    let workers = opts.jobs.clamp(1, signed.len());
    let results: Vec<Vec<(usize, SignatureStatus)>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let k = next.fetch_add(1, Ordering::Relaxed);
                        let Some(&i) = signed.get(k) else { break };
                        mine.push((i, verify_one(&commits[i], opts)));
                    }
                    mine
                })
            })
            .collect();
        // A worker only panics on a bug; its commits then stay `Unsigned`, which is reported as a
        // finding rather than hidden.
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    for (i, st) in results.into_iter().flatten() {
        out[i] = st;
    }
    out
}

/// Verifies one commit's signature.
pub fn verify_one(commit: &CommitInfo, opts: &VerifyOptions) -> SignatureStatus {
    let Some(sig) = &commit.signature else { return SignatureStatus::Unsigned };
    let kind = sig.kind;
    let files = match Scratch::new(&sig.signature, &sig.payload) {
        Ok(f) => f,
        Err(e) => {
            return SignatureStatus::Unverifiable {
                kind,
                detail: format!("cannot write a temporary file: {e}"),
            };
        }
    };
    match kind {
        SignatureKind::Ssh => verify_ssh(commit, opts, &files),
        SignatureKind::OpenPgp => verify_status_fd(kind, &opts.gpg_program, opts, &files),
        SignatureKind::X509 => verify_status_fd(kind, &opts.gpgsm_program, opts, &files),
        SignatureKind::Unknown => SignatureStatus::Unverifiable {
            kind,
            detail: "the signature's armour is neither OpenPGP, SSH nor x509".into(),
        },
    }
}

/// The signature and payload as files: verifiers read the signature from a path, and feeding the
/// payload from a file (not a pipe we write) cannot deadlock on a verifier that talks first.
struct Scratch {
    _dir: tempfile::TempDir,
    sig: PathBuf,
    payload: PathBuf,
}

impl Scratch {
    fn new(sig: &[u8], payload: &[u8]) -> std::io::Result<Self> {
        let dir = tempfile::Builder::new().prefix("plasma-verify-").tempdir()?;
        let sig_path = dir.path().join("sig");
        let payload_path = dir.path().join("payload");
        File::create(&sig_path)?.write_all(sig)?;
        File::create(&payload_path)?.write_all(payload)?;
        Ok(Scratch { _dir: dir, sig: sig_path, payload: payload_path })
    }

    fn stdin(&self) -> std::io::Result<Stdio> {
        Ok(Stdio::from(File::open(&self.payload)?))
    }
}

struct Ran {
    ok: bool,
    stdout: String,
    stderr: String,
}

fn run(
    program: &str,
    args: &[&std::ffi::OsStr],
    stdin: Stdio,
    gnupg_home: Option<&Path>,
) -> std::io::Result<Ran> {
    let mut cmd = Command::new(program);
    cmd.args(args).stdin(stdin).stdout(Stdio::piped()).stderr(Stdio::piped());
    if let Some(h) = gnupg_home {
        cmd.env("GNUPGHOME", h);
    }
    // Verifiers must not stop to ask anything (pinentry, a TTY prompt).
    cmd.env("GPG_TTY", "");
    let out = cmd.output()?;
    Ok(Ran {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

fn first_line(s: &str) -> String {
    s.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("no output").to_string()
}

fn verify_ssh(commit: &CommitInfo, opts: &VerifyOptions, f: &Scratch) -> SignatureStatus {
    let kind = SignatureKind::Ssh;
    let Some(allowed) = &opts.allowed_signers else {
        return SignatureStatus::Unverifiable {
            kind,
            detail: "no SSH allowed-signers file (git config gpg.ssh.allowedSignersFile or --allowed-signers)".into(),
        };
    };
    if !allowed.is_file() {
        return SignatureStatus::Unverifiable {
            kind,
            detail: format!("the allowed-signers file {} does not exist", allowed.display()),
        };
    }
    let stdin = match f.stdin() {
        Ok(s) => s,
        Err(e) => return SignatureStatus::Unverifiable { kind, detail: e.to_string() },
    };
    // As git does: the key must have been valid (allowed signers' `valid-after`/`valid-before`)
    // when the commit was made, not now.
    let verify_time = format!("-Overify-time={}", ssh_time(commit.committer_time));
    let mut args: Vec<&std::ffi::OsStr> = vec![
        "-Y".as_ref(),
        "verify".as_ref(),
        "-f".as_ref(),
        allowed.as_os_str(),
        "-I".as_ref(),
        commit.committer_email.as_ref(),
        "-n".as_ref(),
        "git".as_ref(),
        "-s".as_ref(),
        f.sig.as_os_str(),
        verify_time.as_ref(),
    ];
    if let Some(r) = &opts.revocation_file {
        args.push("-r".as_ref());
        args.push(r.as_os_str());
    }
    let ran = match run(&opts.ssh_program, &args, stdin, None) {
        Ok(r) => r,
        Err(e) => {
            return SignatureStatus::Unverifiable {
                kind,
                detail: format!("cannot run {}: {e}", opts.ssh_program),
            };
        }
    };
    if ran.ok {
        return SignatureStatus::Good {
            kind,
            signer: ssh_signer(&ran.stdout, &commit.committer_email),
        };
    }
    // Tell "intact, but this key may not sign as the committer" from "content altered".
    let intact = f.stdin().ok().and_then(|stdin| {
        let args: [&std::ffi::OsStr; 6] = [
            "-Y".as_ref(),
            "check-novalidate".as_ref(),
            "-n".as_ref(),
            "git".as_ref(),
            "-s".as_ref(),
            f.sig.as_os_str(),
        ];
        run(&opts.ssh_program, &args, stdin, None).ok()
    });
    match intact {
        Some(r) if r.ok => SignatureStatus::Bad {
            kind,
            detail: format!(
                "the signature is intact but its key is not allowed to sign as {} in {}",
                commit.committer_email,
                allowed.display()
            ),
        },
        _ => SignatureStatus::Bad {
            kind,
            detail: format!(
                "the signature does not match the commit ({})",
                first_line(&ran.stderr)
            ),
        },
    }
}

/// `YYYYMMDDHHMMSS` in UTC, the form `ssh-keygen -Overify-time` takes (git passes the same).
fn ssh_time(epoch: i64) -> String {
    let days = epoch.div_euclid(86_400);
    let secs = epoch.rem_euclid(86_400);
    // Howard Hinnant's civil-from-days: the proleptic Gregorian date of a day count.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}{m:02}{d:02}{:02}{:02}{:02}", secs / 3600, secs % 3600 / 60, secs % 60)
}

/// `Good "git" signature for EMAIL with ED25519 key SHA256:...` -> `EMAIL (ED25519 key SHA256:...)`.
fn ssh_signer(stdout: &str, fallback: &str) -> String {
    let line = first_line(stdout);
    match line.split_once(" signature for ") {
        Some((_, rest)) => {
            rest.replacen(" with ", " (", 1) + if rest.contains(" with ") { ")" } else { "" }
        }
        None => fallback.to_string(),
    }
}

fn verify_status_fd(
    kind: SignatureKind,
    program: &str,
    opts: &VerifyOptions,
    f: &Scratch,
) -> SignatureStatus {
    let stdin = match f.stdin() {
        Ok(s) => s,
        Err(e) => return SignatureStatus::Unverifiable { kind, detail: e.to_string() },
    };
    let args: [&std::ffi::OsStr; 5] = [
        "--status-fd=1".as_ref(),
        "--keyid-format=long".as_ref(),
        "--verify".as_ref(),
        f.sig.as_os_str(),
        "-".as_ref(),
    ];
    // gpgsm does not know --keyid-format; give it only what it understands.
    let args: Vec<&std::ffi::OsStr> = if kind == SignatureKind::X509 {
        args.iter().copied().filter(|a| *a != std::ffi::OsStr::new("--keyid-format=long")).collect()
    } else {
        args.to_vec()
    };
    match run(program, &args, stdin, opts.gnupg_home.as_deref()) {
        Ok(r) => parse_status(kind, &r.stdout),
        Err(e) => {
            SignatureStatus::Unverifiable { kind, detail: format!("cannot run {program}: {e}") }
        }
    }
}

/// Judges gpg's `--status-fd` lines (doc/DETAILS in GnuPG). Bad outcomes win over good ones so a
/// status stream with both (several signatures) is never reported good.
pub(crate) fn parse_status(kind: SignatureKind, status: &str) -> SignatureStatus {
    let mut good = None;
    let mut valid = false;
    let mut no_key = None;
    let mut err = None;
    for line in status.lines() {
        let Some(rest) = line.strip_prefix("[GNUPG:] ") else { continue };
        let (word, args) = rest.split_once(' ').unwrap_or((rest, ""));
        match word {
            "BADSIG" => {
                return SignatureStatus::Bad {
                    kind,
                    detail: format!("bad signature from key {}", args.trim()),
                };
            }
            "EXPKEYSIG" => {
                return SignatureStatus::Bad {
                    kind,
                    detail: format!("signed by an expired key {}", args.trim()),
                };
            }
            "REVKEYSIG" => {
                return SignatureStatus::Bad {
                    kind,
                    detail: format!("signed by a revoked key {}", args.trim()),
                };
            }
            "EXPSIG" => {
                return SignatureStatus::Bad {
                    kind,
                    detail: format!("the signature has expired ({})", args.trim()),
                };
            }
            "GOODSIG" => good = Some(args.trim().to_string()),
            "VALIDSIG" => valid = true,
            "NO_PUBKEY" => no_key = Some(args.trim().to_string()),
            "ERRSIG" => err = Some(args.split(' ').next().unwrap_or("").to_string()),
            _ => {}
        }
    }
    match (good, valid, no_key, err) {
        (Some(who), true, _, _) => {
            // `GOODSIG <long keyid> <user id>`.
            let signer = who.split_once(' ').map_or(who.clone(), |(k, uid)| format!("{uid} ({k})"));
            SignatureStatus::Good { kind, signer }
        }
        (_, _, Some(key), _) => SignatureStatus::Unverifiable {
            kind,
            detail: format!("no public key {key} in the keyring"),
        },
        (_, _, _, Some(key)) => SignatureStatus::Unverifiable {
            kind,
            detail: format!("the verifier could not check the signature of key {key}"),
        },
        _ => SignatureStatus::Unverifiable { kind, detail: "the verifier gave no verdict".into() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines_table() {
        let k = SignatureKind::OpenPgp;
        let cases: &[(&str, &str)] = &[
            (
                "[GNUPG:] NEWSIG\n[GNUPG:] GOODSIG ABCDEF0123456789 Ann <a@x>\n[GNUPG:] VALIDSIG F00 2026\n",
                "good",
            ),
            ("[GNUPG:] GOODSIG ABCDEF0123456789 Ann <a@x>\n", "unverifiable"),
            ("[GNUPG:] BADSIG ABCDEF0123456789 Ann <a@x>\n", "bad"),
            ("[GNUPG:] GOODSIG A Ann\n[GNUPG:] VALIDSIG F\n[GNUPG:] BADSIG B Bob\n", "bad"),
            (
                "[GNUPG:] ERRSIG ABCDEF0123456789 1 10 00 1700000000 9 -\n[GNUPG:] NO_PUBKEY ABCDEF0123456789\n",
                "unverifiable",
            ),
            ("[GNUPG:] EXPKEYSIG ABCDEF0123456789 Ann\n", "bad"),
            ("[GNUPG:] REVKEYSIG ABCDEF0123456789 Ann\n", "bad"),
            ("", "unverifiable"),
            ("gpg: Good signature from \"Ann\"\n", "unverifiable"),
        ];
        for (input, want) in cases {
            let got = match parse_status(k, input) {
                SignatureStatus::Good { .. } => "good",
                SignatureStatus::Bad { .. } => "bad",
                SignatureStatus::Unverifiable { .. } => "unverifiable",
                SignatureStatus::Unsigned => "unsigned",
            };
            assert_eq!(got, *want, "{input:?}");
        }
        assert_eq!(
            parse_status(k, "[GNUPG:] GOODSIG ABCD Ann <a@x>\n[GNUPG:] VALIDSIG F\n"),
            SignatureStatus::Good { kind: k, signer: "Ann <a@x> (ABCD)".into() }
        );
        assert_eq!(
            parse_status(k, "[GNUPG:] NO_PUBKEY 0011\n"),
            SignatureStatus::Unverifiable {
                kind: k,
                detail: "no public key 0011 in the keyring".into()
            }
        );
    }

    #[test]
    fn ssh_time_is_utc_civil_time() {
        assert_eq!(ssh_time(0), "19700101000000");
        assert_eq!(ssh_time(1_700_000_000), "20231114221320");
        assert_eq!(ssh_time(951_782_400), "20000229000000");
        assert_eq!(ssh_time(-1), "19691231235959");
    }

    #[test]
    fn ssh_signer_text() {
        assert_eq!(
            ssh_signer("Good \"git\" signature for a@x with ED25519 key SHA256:abc\n", "f"),
            "a@x (ED25519 key SHA256:abc)"
        );
        assert_eq!(ssh_signer("", "f"), "f");
    }

    #[test]
    fn armour_detection() {
        assert_eq!(SignatureKind::detect(b"-----BEGIN SSH SIGNATURE-----\nx"), SignatureKind::Ssh);
        assert_eq!(
            SignatureKind::detect(b"-----BEGIN PGP SIGNATURE-----\nx"),
            SignatureKind::OpenPgp
        );
        assert_eq!(
            SignatureKind::detect(b"-----BEGIN SIGNED MESSAGE-----\nx"),
            SignatureKind::X509
        );
        assert_eq!(SignatureKind::detect(b"garbage"), SignatureKind::Unknown);
    }
}
