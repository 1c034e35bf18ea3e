//! The tamper-evident audit log: every audit row is sealed into a hash chain, and
//! `latchkey audit verify` recomputes it.
//!
//! # Writing and sealing
//!
//! A request writes its audit row *unsealed* (`seq` and `hash` NULL) in its own transaction:
//! one plain INSERT, no shared state, no index beyond the ones the table always had, no lock
//! beyond the one the transaction already holds. One background task ([`seal_pending`], every
//! second from `crate::audit_sealer::run`, and once more at shutdown) takes the unsealed rows,
//! lowest id first, and gives each the next position `seq` in the chain and
//!
//! ```text
//! hash = SHA-256(prev || encode(row))
//! ```
//!
//! where `prev` is the hash of the row at position `seq - 1`: 32 zero bytes for the very first
//! row, and after pruning the checkpoint's hash (see below). The chain's newest position, hash
//! and row id are kept in the one-row table `audit_chain` (`head_seq`, `head_hash`,
//! `head_id`), in the same transaction, so sealing reads and writes one row besides the rows
//! it seals. In SQLite the rows to seal are simply those with an id above `head_id`: writers
//! take turns and a new row gets the highest id plus one, so ids are handed out in commit
//! order and no row can appear below a sealed one. (For that, pruning always keeps the
//! newest sealed row: an emptied table would hand out its ids again.) A row that does turn up
//! unsealed below `head_id` was written outside latchkey; [`verify`] names it as inserted.
//!
//! **Order with several writers (PostgreSQL, later).** Ids from a sequence can commit out of
//! order: id 41 may become visible after id 42 was sealed. So the chain is ordered by `seq`, the
//! order in which the sealer *found* rows committed, not by id: a late row simply gets the next
//! position when it shows up, with nothing waiting for a settling time. A PostgreSQL backend
//! finds unsealed rows by a partial index (`WHERE seq IS NULL`) instead of the id range, and
//! [`verify`] must then give an unsealed row below `head_id` a grace period (a transaction
//! still committing) before calling it inserted. Several sealers (one per node) serialise on
//! the `audit_chain` row (`SELECT ... FOR UPDATE`); request writers never touch it, so the
//! chain is never a lock on the write path.
//!
//! # The encoding
//!
//! `encode(row)` is the byte string
//!
//! ```text
//! 0x01                      version of this encoding
//! be64(seq)                 the row's position in the chain
//! value(id)                 then the stored columns, in this order:
//! value(at) value(kind) value(actor) value(subject) value(client_id) value(ip) value(detail)
//! ```
//!
//! where `be64` is 8 bytes big-endian two's complement and `value` encodes one stored value
//! with its type, so that no two different rows encode alike:
//!
//! ```text
//! NULL     0x00
//! INTEGER  0x01 be64(n)
//! REAL     0x02 be64(IEEE-754 bits)
//! TEXT     0x03 be32(byte length) UTF-8 bytes as stored
//! BLOB     0x04 be32(byte length) bytes
//! ```
//!
//! # Verifying
//!
//! [`verify`] walks the sealed rows in `seq` order from the checkpoint and recomputes every
//! hash. The first row that does not fit is named: *changed* (its content no longer matches
//! its hash, while the next row still builds on that hash), *removed* (positions missing
//! before it), *inserted* (the rows around it build on each other without it), or changed in a
//! way that hides which. Rows not sealed yet (the last second's, or written while no server ran)
//! are reported, not a break. The stored head catches the newest sealed rows being deleted;
//! a head recorded elsewhere (`--head HEX`) catches that even when `audit_chain` was edited too.
//!
//! # Pruning
//!
//! `audit_retention_days` prunes a *prefix* of the chain: the oldest sealed rows, in `seq`
//! order, while they are older than the cutoff (a row with an older time behind a newer one
//! waits for it), never the newest sealed row. Each pruned prefix is checked first (a row that does not verify is kept, as
//! evidence); then the last pruned row's position and hash become the checkpoint
//! (`pruned_seq`, `pruned_hash`) that the oldest kept row builds on.
//!
//! # What it proves
//!
//! SHA-256 has no key: someone who can write the database can rewrite the whole chain so that
//! it verifies. The chain proves that the rows up to a head *recorded elsewhere* (a ticket, a
//! chat message, another machine) are exactly the rows that were sealed then; and without such a
//! record, it turns every edit short of a full rewrite into a visible break.

use crate::store::audit_chain::{
    self, Cell, ChainEnds, ChainRow, PrunedRow, oldest_sealed_audit_rows, seal_audit_row,
    set_chain_head, unsealed_audit_rows,
};
use crate::store::{Store, StoreError, Tx};
use sha2::{Digest, Sha256};

/// The hash the first row of a never-pruned chain builds on.
pub const GENESIS: [u8; 32] = [0; 32];

/// Rows sealed per transaction: each holds the write turn for about a millisecond.
const SEAL_BATCH: i64 = 1_000;

/// The encoding of a row at position `seq` (see the module documentation).
pub fn encode(row: &ChainRow, seq: i64) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    out.push(1);
    out.extend_from_slice(&seq.to_be_bytes());
    value(&mut out, &Cell::Int(row.id));
    for c in &row.cells {
        value(&mut out, c);
    }
    out
}

fn value(out: &mut Vec<u8>, c: &Cell) {
    let bytes = |out: &mut Vec<u8>, tag: u8, b: &[u8]| {
        out.push(tag);
        // Audit fields are far below 4 GiB; a longer one still encodes unambiguously enough
        // to fail verification rather than collide (its length saturates).
        out.extend_from_slice(&u32::try_from(b.len()).unwrap_or(u32::MAX).to_be_bytes());
        out.extend_from_slice(b);
    };
    match c {
        Cell::Null => out.push(0),
        Cell::Int(n) => {
            out.push(1);
            out.extend_from_slice(&n.to_be_bytes());
        }
        Cell::Real(f) => {
            out.push(2);
            out.extend_from_slice(&f.to_bits().to_be_bytes());
        }
        Cell::Text(t) => bytes(out, 3, t),
        Cell::Blob(b) => bytes(out, 4, b),
    }
}

/// `SHA-256(prev || encode(row, seq))`.
pub fn link(prev: &[u8], row: &ChainRow, seq: i64) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(prev);
    h.update(encode(row, seq));
    h.finalize().into()
}

/// Seal at most `limit` unsealed rows, lowest id first, in the caller's write unit; returns how
/// many were sealed.
pub fn seal_batch(tx: &Tx<'_>, limit: i64) -> Result<usize, StoreError> {
    let rows = unsealed_audit_rows(tx, limit)?;
    if rows.is_empty() {
        return Ok(0);
    }
    let ends = audit_chain::chain_ends(tx)?;
    let (mut seq, mut prev, mut id) = (ends.head_seq, ends.head_hash, ends.head_id);
    let mut n = 0;
    for row in &rows {
        let hash = link(&prev, row, seq + 1);
        if seal_audit_row(tx, row.id, seq + 1, &hash)? {
            seq += 1;
            prev = hash.to_vec();
            id = row.id;
            n += 1;
        }
    }
    set_chain_head(tx, seq, &prev, id)?;
    Ok(n)
}

/// Seal every row written so far, in short transactions; returns how many were sealed.
pub fn seal_pending(store: &Store) -> Result<usize, StoreError> {
    let mut total = 0;
    loop {
        let n = store.write(|tx| seal_batch(tx, SEAL_BATCH))?;
        total += n;
        if n < SEAL_BATCH as usize {
            return Ok(total);
        }
    }
}

/// Prune the chain's oldest rows written before `before`, at most `batch` per transaction and
/// `max_batches` transactions; returns how many went. Rows not sealed yet are sealed first (a
/// pruned row's hash becomes the checkpoint). A row that does not verify stops the pruning
/// and is kept: pruning never deletes the evidence of a break. The newest sealed row is
/// always kept.
pub fn prune(
    store: &Store,
    before: i64,
    batch: i64,
    max_batches: usize,
) -> Result<usize, StoreError> {
    seal_pending(store)?;
    let mut total = 0;
    for _ in 0..max_batches {
        let (n, broken_at) = store.write(|tx| prune_batch(tx, before, batch))?;
        total += n;
        if let Some(id) = broken_at {
            tracing::warn!(
                id,
                "the audit chain does not verify at this row; it and the rows after it are kept past their retention (run `latchkey audit verify`)"
            );
            break;
        }
        if n < batch as usize {
            break;
        }
    }
    Ok(total)
}

/// One pruning transaction: how many rows went, and the id of a row that stopped it by not
/// verifying.
fn prune_batch(tx: &Tx<'_>, before: i64, limit: i64) -> Result<(usize, Option<i64>), StoreError> {
    let ends = audit_chain::chain_ends(tx)?;
    let rows = oldest_sealed_audit_rows(tx, limit)?;
    let mut prev = ends.pruned_hash;
    let mut last = None;
    let mut broken = None;
    for (i, row) in rows.iter().enumerate() {
        // A time that is no number is never "older than the cutoff": the row stays.
        let Cell::Int(at) = row.cells[0] else { break };
        if at >= before {
            break;
        }
        let seq = ends.pruned_seq + 1 + i as i64;
        // The newest sealed row stays, so SQLite never hands out its id again (see
        // `store::audit_chain::unsealed_audit_rows`).
        if seq >= ends.head_seq {
            break;
        }
        let hash = link(&prev, row, seq);
        if row.seq != Some(seq) || row.hash.as_deref() != Some(&hash[..]) {
            broken = Some(row.id);
            break;
        }
        prev = hash.to_vec();
        last = Some((row.id, seq, at));
    }
    let Some((id, seq, at)) = last else {
        return Ok((0, broken));
    };
    let pruned = PrunedRow {
        id,
        at,
        hash: &prev,
    };
    Ok((audit_chain::prune_audit_chain(tx, seq, &pruned)?, broken))
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Parse a 64-digit hex hash (either case).
pub fn parse_hex_hash(s: &str) -> Option<[u8; 32]> {
    let s = s.trim();
    if s.len() != 64 || !s.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

pub use super::audit_verify::{Break, BreakKind, Verification, verify};

/// The checkpoint as reports show it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Checkpoint {
    /// Chain positions up to this one were pruned (0: none).
    pub pruned_through_seq: i64,
    pub pruned_through_id: Option<i64>,
    pub pruned_through_at: Option<i64>,
    /// The hash the oldest kept row builds on.
    pub hash: String,
}

impl From<&ChainEnds> for Checkpoint {
    fn from(e: &ChainEnds) -> Self {
        Checkpoint {
            pruned_through_seq: e.pruned_seq,
            pruned_through_id: e.pruned_id,
            pruned_through_at: e.pruned_at,
            hash: hex(&e.pruned_hash),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> ChainRow {
        let t = |s: &str| Cell::Text(s.as_bytes().to_vec());
        ChainRow {
            id: 1,
            seq: None,
            hash: None,
            cells: [
                Cell::Int(1_700_000_000),
                t("login.succeeded"),
                t("alice"),
                Cell::Null,
                t("app"),
                t("192.0.2.1"),
                Cell::Null,
            ],
        }
    }

    #[test]
    fn the_encoding_and_the_first_hash_match_the_documented_format() {
        // Computed independently (Python's struct and hashlib) from the module documentation:
        // changing the encoding breaks every chain already stored.
        assert_eq!(
            hex(&encode(&row(), 1)),
            "01000000000000000101000000000000000101000000006553f100030000000f6c6f67696e2e73756363\
             65656465640300000005616c69636500030000000361707003000000093139322e302e322e3100"
        );
        assert_eq!(
            hex(&link(&GENESIS, &row(), 1)),
            "d068e5c1fa45dae75c439bca17136bad2916dbc53bd8bc0651964f6fdf46b124"
        );
    }

    #[test]
    fn every_field_its_type_and_the_position_change_the_hash() {
        let base = link(&GENESIS, &row(), 1);
        assert_ne!(link(&GENESIS, &row(), 2), base, "position");
        assert_ne!(link(&[1; 32], &row(), 1), base, "previous hash");
        let mut r = row();
        r.id = 2;
        assert_ne!(link(&GENESIS, &r, 1), base, "id");
        for i in 0..7 {
            let mut r = row();
            r.cells[i] = match &r.cells[i] {
                Cell::Text(t) => Cell::Blob(t.clone()),
                Cell::Int(n) => Cell::Text(n.to_string().into_bytes()),
                _ => Cell::Text(Vec::new()),
            };
            assert_ne!(
                link(&GENESIS, &r, 1),
                base,
                "column {i}, same bytes, other type"
            );
        }
        // Field boundaries are unambiguous: "ab" + "c" is not "a" + "bc".
        let mut a = row();
        let mut b = row();
        a.cells[2] = Cell::Text(b"ab".to_vec());
        a.cells[3] = Cell::Text(b"c".to_vec());
        b.cells[2] = Cell::Text(b"a".to_vec());
        b.cells[3] = Cell::Text(b"bc".to_vec());
        assert_ne!(encode(&a, 1), encode(&b, 1));
    }

    #[test]
    fn head_hashes_parse_from_hex_in_either_case_and_nothing_else() {
        let h = link(&GENESIS, &row(), 1);
        assert_eq!(parse_hex_hash(&hex(&h)), Some(h));
        assert_eq!(parse_hex_hash(&hex(&h).to_uppercase()), Some(h));
        assert_eq!(parse_hex_hash(&hex(&h)[..62]), None);
        assert_eq!(parse_hex_hash(&format!("{}zz", &hex(&h)[..62])), None);
        assert_eq!(parse_hex_hash(&"é".repeat(32)), None);
    }
}
