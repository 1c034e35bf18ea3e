//! Recomputing the audit hash chain (`latchkey audit verify`); the chain itself is described in
//! `audit_chain`. Reads only: rows not sealed yet stay unsealed and are reported as such.

use super::audit_chain::{Checkpoint, hex, link};
use crate::store::audit_chain::{ChainEnds, ChainRow, scan_chain};
use crate::store::{StoreError, Tx};

/// What is wrong with the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakKind {
    /// A row's content no longer matches its hash (or a break that hides which row moved).
    Changed,
    /// Chain positions are missing.
    Removed,
    /// A row that the rows around it do not build on.
    Inserted,
    /// The newest sealed rows are gone.
    CutOff,
    /// `--head`: the recorded head is not in the chain.
    HeadNotFound,
}

impl BreakKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BreakKind::Changed => "changed",
            BreakKind::Removed => "removed",
            BreakKind::Inserted => "inserted",
            BreakKind::CutOff => "cut off",
            BreakKind::HeadNotFound => "head not found",
        }
    }
}

/// The first place the chain does not hold.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Break {
    pub kind: BreakKind,
    /// The row named (the newest kept one when rows were cut off; none when nothing is left).
    pub id: Option<i64>,
    /// Its position in the chain.
    pub seq: Option<i64>,
    /// What is wrong, in words.
    pub detail: String,
}

impl std::fmt::Display for Break {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.id, self.seq) {
            (Some(id), Some(seq)) => write!(f, "row {id} (position {seq}) {}", self.detail),
            (Some(id), None) => write!(f, "row {id} {}", self.detail),
            _ => f.write_str(&self.detail),
        }
    }
}

/// Where a head recorded elsewhere is in the chain.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RecordedHead {
    pub hash: String,
    pub found: bool,
    /// Its position and row (the checkpoint's when it is the hash the kept chain starts from).
    pub seq: Option<i64>,
    pub id: Option<i64>,
}

/// The outcome of [`verify`].
#[derive(Debug, Clone, serde::Serialize)]
pub struct Verification {
    pub intact: bool,
    /// The newest row that verified (the checkpoint when there is none): its hash in lowercase
    /// hex, position and id. Record the hash elsewhere to check it later with `--head`.
    pub head: String,
    pub head_seq: i64,
    pub head_id: Option<i64>,
    /// Sealed rows that verified.
    pub rows: u64,
    /// Rows written but not sealed yet (not a break).
    pub unsealed: i64,
    pub first_unsealed_id: Option<i64>,
    /// Where the kept chain starts.
    pub checkpoint: Checkpoint,
    pub recorded_head: Option<RecordedHead>,
    pub problem: Option<Break>,
}

/// A row that verified.
#[derive(Debug, Clone, Copy)]
struct Seen {
    id: i64,
    seq: i64,
}

/// A row that did not verify, waiting for the row after it to tell how.
struct Suspect {
    row: ChainRow,
    seq: i64,
    /// The hash it should have built on, the row before it and what that one built on.
    prev: Vec<u8>,
    last: Option<Seen>,
    before_last: Vec<u8>,
}

#[derive(Default)]
struct Walk {
    started: bool,
    want: Option<[u8; 32]>,
    found: Option<(i64, Option<i64>)>,
    expected: i64,
    prev: Vec<u8>,
    last: Option<Seen>,
    before_last: Vec<u8>,
    rows: u64,
    head_seq: i64,
    /// The row sealed right after the stored head, if any (a row sealed outside latchkey).
    past_head: Option<Seen>,
    suspect: Option<Suspect>,
    problem: Option<Break>,
}

fn brk(kind: BreakKind, id: i64, seq: Option<i64>, detail: impl Into<String>) -> Break {
    Break {
        kind,
        id: Some(id),
        seq,
        detail: detail.into(),
    }
}

impl Walk {
    fn start(&mut self, ends: &ChainEnds) {
        self.started = true;
        self.expected = ends.pruned_seq + 1;
        self.prev = ends.pruned_hash.clone();
        self.head_seq = ends.head_seq;
        if self.want.is_some_and(|w| w[..] == ends.pruned_hash[..]) {
            self.found = Some((ends.pruned_seq, ends.pruned_id));
        }
    }

    /// Take the next sealed row in chain order; false once the first break is known.
    fn push(&mut self, row: ChainRow) -> bool {
        if let Some(s) = self.suspect.take() {
            self.problem = Some(classify(s, Some(&row)));
            return false;
        }
        let Some(seq) = row.seq else {
            self.problem = Some(brk(
                BreakKind::Changed,
                row.id,
                None,
                "has a chain position that is not a number",
            ));
            return false;
        };
        if seq < self.expected {
            self.problem = Some(brk(
                BreakKind::Inserted,
                row.id,
                Some(seq),
                format!(
                    "does not belong: its position is at or before the start of the kept chain (position {})",
                    self.expected - 1
                ),
            ));
            return false;
        }
        if seq > self.expected {
            let missing = if seq == self.expected + 1 {
                format!(
                    "position {} is missing before it: a row was removed",
                    self.expected
                )
            } else {
                format!(
                    "positions {} to {} are missing before it: rows were removed",
                    self.expected,
                    seq - 1
                )
            };
            self.problem = Some(brk(BreakKind::Removed, row.id, Some(seq), missing));
            return false;
        }
        let hash = link(&self.prev, &row, seq);
        if row.hash.as_deref() != Some(&hash[..]) {
            self.suspect = Some(Suspect {
                seq,
                prev: self.prev.clone(),
                last: self.last,
                before_last: self.before_last.clone(),
                row,
            });
            return true;
        }
        let seen = Seen { id: row.id, seq };
        if seq == self.head_seq + 1 {
            self.past_head = Some(seen);
        }
        if self.want.is_some_and(|w| w == hash) {
            self.found = Some((seq, Some(row.id)));
        }
        self.before_last = std::mem::replace(&mut self.prev, hash.to_vec());
        self.last = Some(seen);
        self.expected += 1;
        self.rows += 1;
        true
    }

    /// After the last row: a pending suspect, then the chain's end against the stored head,
    /// then rows left unsealed below it.
    fn finish(&mut self, ends: &ChainEnds, first_unsealed_id: Option<i64>) {
        if let Some(s) = self.suspect.take() {
            self.problem = Some(classify(s, None));
        }
        if self.problem.is_some() {
            return;
        }
        let end = self.expected - 1;
        let last_id = self.last.map(|s| s.id);
        let problem = if ends.head_seq > end {
            Some(Break {
                kind: BreakKind::CutOff,
                id: last_id,
                seq: Some(end),
                detail: format!(
                    "the newest sealed rows were removed: the chain ends at position {end}, latchkey had sealed up to position {}",
                    ends.head_seq
                ),
            })
        } else if ends.head_seq < end {
            self.past_head.map(|s| {
                brk(
                    BreakKind::Inserted,
                    s.id,
                    Some(s.seq),
                    format!(
                        "was sealed outside latchkey: latchkey had sealed up to position {}",
                        ends.head_seq
                    ),
                )
            })
        } else if ends.head_hash != self.prev {
            Some(Break {
                kind: BreakKind::Changed,
                id: last_id,
                seq: Some(end),
                detail: "ends a chain that was rewritten: it is not the hash latchkey sealed at this position".into(),
            })
        } else {
            first_unsealed_id.filter(|&id| id < ends.head_id).map(|id| {
                brk(
                    BreakKind::Inserted,
                    id,
                    None,
                    format!(
                        "was inserted: it is not sealed, but row {} written after it is",
                        ends.head_id
                    ),
                )
            })
        };
        self.problem = problem.or_else(|| match (self.want, self.found) {
            (Some(w), None) => Some(Break {
                kind: BreakKind::HeadNotFound,
                id: None,
                seq: None,
                detail: format!(
                    "the recorded head {} is not in the chain: the rows up to it were removed or rewritten, or pruned (the kept chain starts after position {})",
                    hex(&w),
                    ends.pruned_seq
                ),
            }),
            _ => None,
        });
    }
}

/// Why `s` did not verify, judged by its neighbours.
fn classify(s: Suspect, next: Option<&ChainRow>) -> Break {
    let seq = s.seq;
    let Some(hash) = s.row.hash.as_deref() else {
        return brk(
            BreakKind::Changed,
            s.row.id,
            Some(seq),
            "has a chain position but no hash",
        );
    };
    if let Some(n) = next.filter(|n| n.seq == Some(seq + 1)) {
        if n.hash.as_deref() == Some(&link(hash, n, seq + 1)[..]) {
            return brk(
                BreakKind::Changed,
                s.row.id,
                Some(seq),
                "was changed: its content no longer matches its hash",
            );
        }
        if n.hash.as_deref() == Some(&link(&s.prev, n, seq)[..]) {
            return brk(
                BreakKind::Inserted,
                s.row.id,
                Some(seq),
                "was inserted: the row after it builds on the row before it",
            );
        }
    }
    if let Some(last) = s.last
        && hash == link(&s.before_last, &s.row, seq - 1)
    {
        return brk(
            BreakKind::Inserted,
            last.id,
            Some(last.seq),
            "was inserted: the row after it builds on the row before it",
        );
    }
    let detail = if next.is_none() {
        "was changed: its content no longer matches its hash"
    } else {
        "does not build on the row before it: it was changed, or rows before it were removed or inserted and the chain renumbered"
    };
    brk(BreakKind::Changed, s.row.id, Some(seq), detail)
}

/// Recompute the chain from its checkpoint in one consistent snapshot; `head` is a hash
/// recorded earlier that must still be in it. Writes nothing.
pub fn verify(tx: &Tx<'_>, head: Option<[u8; 32]>) -> Result<Verification, StoreError> {
    let mut walk = Walk {
        want: head,
        ..Walk::default()
    };
    let scan = scan_chain(tx, &mut |ends, row| {
        if !walk.started {
            walk.start(ends);
        }
        Ok(walk.push(row))
    })?;
    if !walk.started {
        walk.start(&scan.ends);
    }
    walk.finish(&scan.ends, scan.first_unsealed_id);
    Ok(Verification {
        intact: walk.problem.is_none(),
        head: hex(&walk.prev),
        head_seq: walk.last.map_or(scan.ends.pruned_seq, |s| s.seq),
        head_id: walk.last.map(|s| s.id).or(scan.ends.pruned_id),
        rows: walk.rows,
        unsealed: scan.unsealed,
        first_unsealed_id: scan.first_unsealed_id,
        checkpoint: Checkpoint::from(&scan.ends),
        recorded_head: head.map(|h| RecordedHead {
            hash: hex(&h),
            found: walk.found.is_some(),
            seq: walk.found.map(|f| f.0),
            id: walk.found.and_then(|f| f.1),
        }),
        problem: walk.problem,
    })
}
