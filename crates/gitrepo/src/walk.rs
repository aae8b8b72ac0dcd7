//! Reading the commits of a range fast: each commit is inflated once and its header parsed once,
//! and the walk can run on a second thread while the caller judges the commits it already has.
//!
//! Why not only gix's walker: in commit-time order, gix's `Simple` reads every parent once to
//! learn its commit time and again when it pops it, then `commit_info` read it a third time (two
//! of the three from the object cache, at the price of a copy and an LRU update each). Inflating
//! commits is most of what `git log` itself does, so those extra reads and parses were the whole
//! difference. [`RawWalk`] keeps the data it inflated for the time lookup in the queue entry and
//! hands it on, so each commit is read once.
//!
//! The fast walk reproduces gix's traversal exactly where it is used: the same queue type with
//! the same keys inserted and popped in the same sequence (so even commits with equal times come
//! out in the same order), the same `seen` rule, the same treatment of unreadable parents (time
//! 0). Where gix does more (hidden commits, a commit-graph, shallow clones) the walk is gix's own,
//! and only the decoding is shared. Tests compare both paths on generated repositories.

use std::sync::mpsc;

use gix::ObjectId;
use gix::bstr::ByteSlice;
use gix::objs::Find as _;
use gix::objs::commit::ref_iter::Token;
use gix::revision::walk::Sorting;
use gix::traverse::commit::simple::CommitTimeOrder;

use crate::error::GitError;
use crate::range::Resolved;
use crate::repo::{CommitInfo, GitRepo, Signature, SignatureKind};

/// Commits handed from the walking thread to the judging one at a time: big enough that the
/// channel is rarely touched, small enough that the first findings are not held back.
const BATCH: usize = 256;
/// Batches in flight: bounds how far the walk may run ahead (32 × 256 commits, about 4 MB of
/// commit data). Deep enough that on a busy machine neither thread waits for the other's next
/// time slice; a shallow queue made the two threads take turns instead of running together.
const IN_FLIGHT: usize = 32;

/// Commits read in walk order, as raw object data.
pub(crate) struct RawWalk<'r> {
    inner: Inner<'r>,
    label: String,
}

enum Inner<'r> {
    /// The whole ancestry of some tips, no commit-graph, not shallow: walked here.
    Fast(Box<FastWalk>),
    /// Everything else: gix's walk, the data read once more per commit.
    Gix { repo: &'r gix::Repository, walk: gix::revision::Walk<'r> },
}

/// Commit-time order over the ancestry of `tips`, newest first, as gix's `Simple` walks it.
struct FastWalk {
    repo: gix::Repository,
    queue: gix::revwalk::PriorityQueue<i64, Queued>,
    seen: gix::hashtable::HashSet<ObjectId>,
    /// Buffers of popped commits, reused for the next lookups.
    spare: Vec<Vec<u8>>,
    /// The parents of the commit being popped (reused).
    parents: Vec<ObjectId>,
}

/// A commit waiting in the queue with what was read of it to learn its time.
struct Queued {
    id: ObjectId,
    /// The object data; `None` when it could not be read (the pop reports why).
    data: Option<Vec<u8>>,
    /// The parents, when [`scan`] read the header already (at most two; else read at the pop).
    parents: Option<Parents>,
}

/// Up to two parents, inline (almost every commit has one or two).
#[derive(Clone, Copy)]
struct Parents {
    ids: [ObjectId; 2],
    len: usize,
}

/// The parents and the committer time of a plainly written commit header, in one pass: `tree`,
/// up to two `parent` lines, then `author` and `committer` lines of the form `name <email>
/// seconds +hhmm` with one `<` and one `>`. For such a header gix's parser gives the same parents
/// and `committer().seconds()`; anything else returns `None` and is read with gix's parser.
fn scan(data: &[u8], hash: gix::hash::Kind) -> Option<(Parents, i64)> {
    let hex = hash.len_in_hex();
    let id_line = |rest: &mut &[u8], field: &[u8]| -> Option<ObjectId> {
        let after = rest.strip_prefix(field)?;
        let (id, tail) = (after.get(..hex)?, after.get(hex..)?);
        let tail = tail.strip_prefix(b"\n")?;
        if !id.iter().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b)) {
            return None;
        }
        let id = ObjectId::from_hex(id).ok()?;
        *rest = tail;
        Some(id)
    };
    let mut rest = data;
    id_line(&mut rest, b"tree ")?;
    let null = ObjectId::null(hash);
    let mut parents = Parents { ids: [null, null], len: 0 };
    while rest.starts_with(b"parent ") {
        let id = id_line(&mut rest, b"parent ")?;
        *parents.ids.get_mut(parents.len)? = id;
        parents.len += 1;
    }
    let line = |rest: &mut &[u8], field: &[u8]| -> Option<i64> {
        let after = rest.strip_prefix(field)?;
        let end = after.find_byte(b'\n')?;
        let (l, tail) = (&after[..end], &after[end + 1..]);
        *rest = tail;
        let lt = l.find_byte(b'<')?;
        let gt = l.find_byte(b'>')?;
        if gt < lt || l.rfind_byte(b'<') != Some(lt) || l.rfind_byte(b'>') != Some(gt) {
            return None;
        }
        let time = l.get(gt + 1..)?.strip_prefix(b" ")?;
        let (secs, tz) = (time.get(..time.len().checked_sub(6)?)?, time.get(time.len() - 6..)?);
        let tz_ok = tz[0] == b' '
            && (tz[1] == b'+' || tz[1] == b'-')
            && tz[2..].iter().all(u8::is_ascii_digit);
        if !tz_ok || secs.is_empty() || secs.len() > 18 || !secs.iter().all(u8::is_ascii_digit) {
            return None;
        }
        secs.to_str().ok()?.parse().ok()
    };
    line(&mut rest, b"author ")?;
    let time = line(&mut rest, b"committer ")?;
    Some((parents, time))
}

/// The walk over `range` in `repo`.
pub(crate) fn raw_walk<'r>(
    repo: &'r gix::Repository,
    range: &Resolved,
) -> Result<RawWalk<'r>, GitError> {
    let label = range.label.clone();
    let err = |e: &dyn std::fmt::Display| {
        GitError::read(format!("the commits of {label}"), e.to_string())
    };
    let fast = range.exclude.is_empty()
        && repo.commit_graph().is_err()
        && matches!(repo.shallow_commits(), Ok(None));
    let inner = if fast {
        let mut repo = repo.clone();
        // Every commit is read exactly once here: an object cache would only copy each.
        repo.object_cache_size(0);
        let mut walk = FastWalk {
            repo,
            queue: gix::revwalk::PriorityQueue::new(),
            seen: Default::default(),
            spare: Vec::new(),
            parents: Vec::new(),
        };
        for tip in range.include.iter().copied() {
            if walk.seen.insert(tip) {
                walk.push_tip(tip).map_err(|e| err(&e))?;
            }
        }
        Inner::Fast(Box::new(walk))
    } else {
        let walk = repo
            .rev_walk(range.include.iter().copied())
            .with_hidden(range.exclude.iter().copied())
            .sorting(Sorting::ByCommitTime(CommitTimeOrder::NewestFirst))
            .all()
            .map_err(|e| err(&e))?;
        Inner::Gix { repo, walk }
    };
    Ok(RawWalk { inner, label: range.label.clone() })
}

impl GitRepo {
    /// Calls `each` with every commit of `range` in the order of [`GitRepo::commits`], while a
    /// second thread walks ahead (at most about 8,000 commits). Stops at the first error,
    /// the walk's or `each`'s. Returns the number of commits handed over.
    ///
    /// This is the walk to use when each commit is judged as it comes: reading commits and
    /// judging them then take the two cores instead of one after the other.
    pub fn for_each_commit<E: From<GitError>>(
        &self,
        range: &Resolved,
        mut each: impl FnMut(CommitInfo) -> Result<(), E>,
    ) -> Result<usize, E> {
        let (full_tx, full_rx) = mpsc::sync_channel::<Result<Batch, GitError>>(IN_FLIGHT);
        let (empty_tx, empty_rx) = mpsc::channel::<Batch>();
        let hash = self.repo.object_hash();
        let repo = self.repo.clone();
        std::thread::scope(|s| {
            s.spawn(move || {
                let mut walk = match raw_walk(&repo, range) {
                    Ok(w) => w,
                    Err(e) => {
                        let _ = full_tx.send(Err(e));
                        return;
                    }
                };
                let mut batch = Batch::default();
                let mut data = Vec::new();
                while let Some(next) = walk.next_into(&mut data) {
                    match next {
                        Ok(id) => batch.push(id, &data),
                        Err(e) => {
                            let _ = full_tx.send(Err(e));
                            return;
                        }
                    }
                    if batch.len() == BATCH {
                        let fresh = empty_rx.try_recv().unwrap_or_default();
                        // The receiver is gone when `each` failed: nothing more to do.
                        if full_tx.send(Ok(std::mem::replace(&mut batch, fresh))).is_err() {
                            return;
                        }
                    }
                }
                if batch.len() > 0 {
                    let _ = full_tx.send(Ok(batch));
                }
            });
            let mut n = 0;
            for batch in full_rx {
                let mut batch = batch?;
                for (id, data) in batch.iter() {
                    each(decode(id, data, hash)?)?;
                    n += 1;
                }
                batch.clear();
                let _ = empty_tx.send(batch);
            }
            Ok(n)
        })
    }
}

/// Raw commits packed into one buffer (a few allocations per batch instead of one per commit).
#[derive(Default)]
struct Batch {
    ids: Vec<ObjectId>,
    ends: Vec<usize>,
    data: Vec<u8>,
}

impl Batch {
    fn push(&mut self, id: ObjectId, data: &[u8]) {
        self.ids.push(id);
        self.data.extend_from_slice(data);
        self.ends.push(self.data.len());
    }

    fn len(&self) -> usize {
        self.ids.len()
    }

    fn clear(&mut self) {
        self.ids.clear();
        self.ends.clear();
        self.data.clear();
    }

    fn iter(&self) -> impl Iterator<Item = (ObjectId, &[u8])> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        self.ids.iter().zip(starts.zip(self.ends.iter().copied())).map(|(id, (a, b))| {
            // `ends` is increasing and within `data` by construction.
            (*id, self.data.get(a..b).unwrap_or_default())
        })
    }
}

impl RawWalk<'_> {
    /// The next commit's id, its object data written to `out`.
    pub(crate) fn next_into(&mut self, out: &mut Vec<u8>) -> Option<Result<ObjectId, GitError>> {
        let label = &self.label;
        let err = |e: &dyn std::fmt::Display| {
            GitError::read(format!("the commits of {label}"), e.to_string())
        };
        match &mut self.inner {
            Inner::Fast(w) => w.next_into(out).map(|r| r.map_err(|e| err(&e))),
            Inner::Gix { repo, walk } => {
                let id = match walk.next()? {
                    Ok(info) => info.id,
                    Err(e) => return Some(Err(err(&e))),
                };
                Some(match repo.objects.try_find(&id, out) {
                    Ok(Some(d)) if d.kind == gix::object::Kind::Commit => Ok(id),
                    Ok(Some(d)) => Err(err(&format!("{id} is a {}, not a commit", d.kind))),
                    Ok(None) => Err(err(&format!("commit {id} is missing"))),
                    Err(e) => Err(err(&e)),
                })
            }
        }
    }
}

/// What gix's walk says of a commit it cannot decode (the fast walk says the same).
const DECODE_FAILED: &str = "A commit could not be decoded during traversal";

/// Why the fast walk stopped.
#[derive(Debug)]
struct WalkError(String);

impl std::fmt::Display for WalkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl FastWalk {
    /// Reads `id` into a reused buffer; `Ok(None)` when it is missing or not a commit.
    fn read(&mut self, id: &ObjectId) -> Result<Option<Vec<u8>>, WalkError> {
        let mut buf = self.spare.pop().unwrap_or_default();
        match self.repo.objects.try_find(id, &mut buf) {
            Ok(Some(d)) if d.kind == gix::object::Kind::Commit => Ok(Some(buf)),
            Ok(Some(d)) => Err(WalkError(format!("{id} is a {}, not a commit", d.kind))),
            Ok(None) => Ok(None),
            Err(e) => Err(WalkError(format!("cannot read commit {id}: {e}"))),
        }
    }

    /// A tip: unlike a parent, one that cannot be read or has no committer is an error (as in gix).
    fn push_tip(&mut self, id: ObjectId) -> Result<(), WalkError> {
        let data = self.read(&id)?.ok_or_else(|| WalkError(format!("commit {id} is missing")))?;
        let hash = self.repo.object_hash();
        let (time, parents) = match scan(&data, hash) {
            Some((parents, time)) => (time, Some(parents)),
            None => {
                let time = gix::objs::CommitRefIter::from_bytes(&data, hash)
                    .committer()
                    // gix's words, so the error reads as before.
                    .map_err(|_| WalkError(DECODE_FAILED.into()))?
                    .seconds();
                (time, None)
            }
        };
        self.queue.insert(time, Queued { id, data: Some(data), parents });
        Ok(())
    }

    fn next_into(&mut self, out: &mut Vec<u8>) -> Option<Result<ObjectId, WalkError>> {
        let Queued { id, data, parents: scanned } = self.queue.pop_value()?;
        let Some(data) = data else {
            return Some(Err(WalkError(format!("commit {id} is missing"))));
        };
        let hash = self.repo.object_hash();
        // The parents: scanned when the commit was queued, or read as gix's pop reads them
        // (tree, parents, and stop at the next token).
        let mut parents = std::mem::take(&mut self.parents);
        parents.clear();
        if let Some(p) = scanned {
            parents.extend_from_slice(p.ids.get(..p.len).unwrap_or_default());
        }
        if scanned.is_none() {
            for token in gix::objs::CommitRefIter::from_bytes(&data, hash) {
                match token {
                    Ok(Token::Tree { .. }) => {}
                    Ok(Token::Parent { id }) => parents.push(id),
                    Ok(_) => break,
                    Err(_) => {
                        return Some(Err(WalkError(DECODE_FAILED.into())));
                    }
                }
            }
        }
        for parent in parents.drain(..) {
            if !self.seen.insert(parent) {
                continue;
            }
            // gix: a parent that cannot be read or decoded is queued with time 0 (and fails
            // when popped, if it cannot be read at all).
            let (time, data, parents) = match self.read(&parent) {
                Ok(Some(d)) => match scan(&d, hash) {
                    Some((parents, time)) => (time, Some(d), Some(parents)),
                    None => {
                        let t = gix::objs::CommitRefIter::from_bytes(&d, hash)
                            .committer()
                            .map(|c| c.seconds())
                            .unwrap_or_default();
                        (t, Some(d), None)
                    }
                },
                Ok(None) | Err(_) => (0, None, None),
            };
            self.queue.insert(time, Queued { id: parent, data, parents });
        }
        self.parents = parents;
        out.clear();
        out.extend_from_slice(&data);
        self.spare.push(data);
        Some(Ok(id))
    }
}

/// A commit decoded from its object data: one pass over the header. Anything the pass does not
/// read cleanly is decoded again the way [`decode_reference`] does, so errors and odd commits
/// come out exactly as before.
pub(crate) fn decode(
    id: ObjectId,
    data: &[u8],
    hash: gix::hash::Kind,
) -> Result<CommitInfo, GitError> {
    let mut parents = Vec::new();
    let mut author = None;
    let mut committer = None;
    let mut signed = false;
    let sig_field = gix::objs::commit::signature_field_name(hash);
    for token in gix::objs::CommitRefIter::from_bytes(data, hash) {
        match token {
            Ok(Token::Tree { .. } | Token::Encoding(_)) => {}
            Ok(Token::Parent { id }) => parents.push(hex(&id)),
            Ok(Token::Author { signature }) => author = author.or(Some(signature.trim())),
            Ok(Token::Committer { signature }) => {
                committer = committer.or(Some(signature.trim()));
            }
            Ok(Token::ExtraHeader((name, _))) => signed |= name == sig_field,
            Ok(Token::Message(_)) => break,
            Err(_) => return decode_reference(id, data, hash),
        }
    }
    let (Some(author), Some(committer)) = (author, committer) else {
        return decode_reference(id, data, hash);
    };
    let signature = if signed {
        let what = || format!("commit {id}");
        signature_of(data, hash).map_err(|e| GitError::read(what(), e))?
    } else {
        None
    };
    Ok(CommitInfo {
        id: hex(&id),
        parents,
        author_name: author.name.to_str_lossy().into_owned(),
        author_email: author.email.to_str_lossy().into_owned(),
        committer_email: committer.email.to_str_lossy().into_owned(),
        committer_time: committer.time().map(|t| t.seconds).unwrap_or(0),
        message: message_of(data).to_str_lossy().into_owned(),
        signature,
    })
}

/// A commit decoded field by field with gix's accessors, as `plasma-ops` always did: the
/// reference [`decode`] falls back to and is tested against.
pub(crate) fn decode_reference(
    id: ObjectId,
    data: &[u8],
    hash: gix::hash::Kind,
) -> Result<CommitInfo, GitError> {
    let what = || format!("commit {id}");
    let iter = || gix::objs::CommitRefIter::from_bytes(data, hash);
    let author = iter().author().map(|s| s.trim()).map_err(|e| GitError::read(what(), e))?;
    let committer = iter().committer().map(|s| s.trim()).map_err(|e| GitError::read(what(), e))?;
    Ok(CommitInfo {
        id: id.to_string(),
        parents: iter().parent_ids().map(|p| p.to_string()).collect(),
        author_name: author.name.to_str_lossy().into_owned(),
        author_email: author.email.to_str_lossy().into_owned(),
        committer_email: committer.email.to_str_lossy().into_owned(),
        committer_time: committer.time().map(|t| t.seconds).unwrap_or(0),
        message: message_of(data).to_str_lossy().into_owned(),
        signature: signature_of(data, hash).map_err(|e| GitError::read(what(), e))?,
    })
}

/// Everything after the first empty line (gix's `message_raw_sloppy`).
fn message_of(data: &[u8]) -> &[u8] {
    data.find(b"\n\n").and_then(|p| data.get(p + 2..)).unwrap_or_default()
}

fn signature_of(data: &[u8], hash: gix::hash::Kind) -> Result<Option<Signature>, String> {
    let found = gix::objs::CommitRefIter::signature(data, hash).map_err(|e| e.to_string())?;
    Ok(found.map(|(sig, signed)| {
        // The header value keeps git's one-space continuation indent stripped already.
        let signature = sig.as_bytes().to_vec();
        Signature {
            kind: SignatureKind::detect(&signature),
            signature,
            payload: signed.to_bstring().into(),
        }
    }))
}

/// Lower-case hex of `id`, without going through `Display`'s formatter machinery.
fn hex(id: &ObjectId) -> String {
    let mut buf = [0u8; 64];
    let s: &str = id.hex_to_buf(&mut buf);
    s.to_owned()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const T: &str = "4b825dc642cb6eb9a060e54bf8d69288fbc4904c";
    const P: &str = "0123456789abcdef0123456789abcdef01234567";

    fn header(parents: usize, author: &str, committer: &str) -> Vec<u8> {
        let mut s = format!("tree {T}\n");
        for _ in 0..parents {
            s.push_str(&format!("parent {P}\n"));
        }
        format!("{s}author {author}\ncommitter {committer}\n\nmsg\n").into_bytes()
    }

    /// What gix's parser says: the parents and `committer().seconds()`.
    fn gix_view(data: &[u8]) -> (Vec<ObjectId>, i64) {
        let it = || gix::objs::CommitRefIter::from_bytes(data, gix::hash::Kind::Sha1);
        (it().parent_ids().collect(), it().committer().unwrap().seconds())
    }

    #[test]
    fn scan_reads_plain_headers_as_gix_does_and_leaves_the_rest_to_it() {
        let ok = "A B <a@example.com> 1700000000 +0100";
        // (parents, author, committer, scanned?)
        let table: &[(usize, &str, &str, bool)] = &[
            (0, ok, ok, true),
            (1, ok, ok, true),
            (2, ok, "C <c@example.com> 5 -0130", true),
            (3, ok, ok, false),                    // octopus: gix reads it
            (1, "A <a> B <b> 1 +0000", ok, false), // two `<`
            (1, ok, "C <c@example.com> soon +0000", false), // not a number
            (1, ok, "C <c@example.com> 1700000000", false), // no zone
            (1, ok, "C <c@example.com> -5 +0000", false), // negative
            (1, ok, "C <c@example.com>  170 +0000", false), // two spaces
            (1, "<a@example.com> 1 +0000", ok, true), // empty name
        ];
        for (parents, author, committer, scanned) in table {
            let data = header(*parents, author, committer);
            let got = scan(&data, gix::hash::Kind::Sha1);
            assert_eq!(got.is_some(), *scanned, "{author} / {committer} / {parents}");
            if let Some((p, t)) = got {
                let (gp, gt) = gix_view(&data);
                assert_eq!(p.ids.get(..p.len).unwrap(), gp.as_slice());
                assert_eq!(t, gt);
            }
        }
        assert!(
            scan(b"tree 4B825DC642CB6EB9A060E54BF8D69288FBC4904C\n", gix::hash::Kind::Sha1)
                .is_none()
        );
        assert!(scan(b"", gix::hash::Kind::Sha1).is_none());
    }

    #[test]
    fn batches_hand_back_each_commit_whole() {
        let mut b = Batch::default();
        let id = ObjectId::from_hex(P.as_bytes()).unwrap();
        b.push(id, b"one");
        b.push(id, b"");
        b.push(id, b"three");
        let got: Vec<&[u8]> = b.iter().map(|(_, d)| d).collect();
        assert_eq!(got, vec![&b"one"[..], b"", b"three"]);
        b.clear();
        assert_eq!(b.len(), 0);
    }
}
