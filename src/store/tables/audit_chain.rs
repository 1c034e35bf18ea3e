//! The audit log's hash chain as stored (migration 0009): rows waiting to be sealed, sealing
//! them, the chain's two ends, reading it in order, and deleting a sealed prefix. What the
//! hashes are is `oidc::audit_chain`'s business; this file only moves the values.

use crate::store::db::ValueRef;
use crate::store::db::{Dialect, Row, params};
use crate::store::{Result, Tx};

/// One stored value, exactly as the database holds it (type included), so the chain's
/// encoding sees a number stored as text, or text stored as a blob, as the change it is.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Int(i64),
    Real(f64),
    Text(Vec<u8>),
    Blob(Vec<u8>),
}

/// An audit row as the chain sees it.
#[derive(Debug, Clone)]
pub struct ChainRow {
    pub id: i64,
    /// Its position in the chain; None while unsealed (or when the stored value is no integer).
    pub seq: Option<i64>,
    /// None while unsealed (or when the stored value is not a blob).
    pub hash: Option<Vec<u8>>,
    /// `at, kind, actor, subject, client_id, ip, detail`, in that order.
    pub cells: [Cell; 7],
}

/// Where the kept chain starts and ends.
#[derive(Debug, Clone)]
pub struct ChainEnds {
    /// The last pruned row's position and hash: the oldest kept row builds on `pruned_hash`
    /// (0 and 32 zero bytes while nothing was pruned).
    pub pruned_seq: i64,
    pub pruned_hash: Vec<u8>,
    /// The last pruned row's id and time (None while nothing was pruned).
    pub pruned_id: Option<i64>,
    pub pruned_at: Option<i64>,
    /// The newest sealed row's position, hash and id: the sealer continues from here.
    pub head_seq: i64,
    pub head_hash: Vec<u8>,
    pub head_id: i64,
}

/// What [`scan_chain`] saw besides the rows.
#[derive(Debug, Clone)]
pub struct ChainScan {
    pub ends: ChainEnds,
    /// Rows not sealed yet, and the lowest id among them (below `ends.head_id` only when
    /// someone wrote it outside latchkey: see [`unsealed_audit_rows`]).
    pub unsealed: i64,
    pub first_unsealed_id: Option<i64>,
}

const COLUMNS: &str = "id, seq, hash, at, kind, actor, subject, client_id, ip, detail";

fn cell(v: ValueRef<'_>) -> Cell {
    match v {
        ValueRef::Null => Cell::Null,
        ValueRef::Int(i) => Cell::Int(i),
        ValueRef::Real(f) => Cell::Real(f),
        ValueRef::Text(t) => Cell::Text(t.as_bytes().to_vec()),
        ValueRef::Blob(b) => Cell::Blob(b.to_vec()),
    }
}

fn chain_row(r: &Row<'_>) -> crate::store::Result<ChainRow> {
    let seq = match r.get_ref(1)? {
        ValueRef::Int(i) => Some(i),
        _ => None,
    };
    let hash = match r.get_ref(2)? {
        ValueRef::Blob(b) => Some(b.to_vec()),
        _ => None,
    };
    Ok(ChainRow {
        id: r.get(0)?,
        seq,
        hash,
        cells: [
            cell(r.get_ref(3)?),
            cell(r.get_ref(4)?),
            cell(r.get_ref(5)?),
            cell(r.get_ref(6)?),
            cell(r.get_ref(7)?),
            cell(r.get_ref(8)?),
            cell(r.get_ref(9)?),
        ],
    })
}

pub fn chain_ends(tx: &Tx<'_>) -> Result<ChainEnds> {
    tx.conn()
        .prepare_cached(
            "SELECT pruned_seq, pruned_hash, pruned_id, pruned_at, head_seq, head_hash, head_id \
             FROM audit_chain WHERE only_row = 1",
        )?
        .query_row([], |r| {
            Ok(ChainEnds {
                pruned_seq: r.get(0)?,
                pruned_hash: r.get(1)?,
                pruned_id: r.get(2)?,
                pruned_at: r.get(3)?,
                head_seq: r.get(4)?,
                head_hash: r.get(5)?,
                head_id: r.get(6)?,
            })
        })
}

/// At most `limit` rows to seal, lowest id first. SQLite: the unsealed rows above the newest
/// sealed row's id. SQLite hands out ids in commit order (writers take turns and a new row
/// gets the highest id plus one), so no row can commit below that id once it was sealed, and
/// finding the work is a range of the primary key, with no index to update on every insert.
/// PostgreSQL: sequence values commit out of order (id 41 may become visible after 42 was
/// sealed), so every unsealed row, found by the partial index `audit_events_unsealed`
/// (PostgreSQL migration 0003); a late row gets the next position when it shows up. Call it in
/// the write unit that seals (the write lock makes sealers on several nodes take turns).
pub fn unsealed_audit_rows(tx: &Tx<'_>, limit: i64) -> Result<Vec<ChainRow>> {
    let sql = match tx.dialect() {
        Dialect::Sqlite => format!(
            "SELECT {COLUMNS} FROM audit_events \
             WHERE id > (SELECT head_id FROM audit_chain WHERE only_row = 1) AND seq IS NULL \
             ORDER BY id LIMIT ?1"
        ),
        Dialect::Postgres => {
            format!("SELECT {COLUMNS} FROM audit_events WHERE seq IS NULL ORDER BY id LIMIT ?1")
        }
    };
    let mut st = tx.conn().prepare_cached(&sql)?;
    let rows = st.query_map([limit], chain_row)?;
    rows.collect::<Result<Vec<_>, _>>()
}

/// Give an unsealed row its place and hash; false when it was sealed already (or is gone).
pub fn seal_audit_row(tx: &Tx<'_>, id: i64, seq: i64, hash: &[u8]) -> Result<bool> {
    Ok(tx
        .conn()
        .prepare_cached(
            "UPDATE audit_events SET seq = ?2, hash = ?3 WHERE id = ?1 AND seq IS NULL",
        )?
        .execute(params![id, seq, hash])?
        == 1)
}

/// Move the chain's end to the newest sealed row.
pub fn set_chain_head(tx: &Tx<'_>, seq: i64, hash: &[u8], id: i64) -> Result<()> {
    tx.conn()
        .prepare_cached(
            "UPDATE audit_chain SET head_seq = ?1, head_hash = ?2, head_id = ?3 WHERE only_row = 1",
        )?
        .execute(params![seq, hash, id])?;
    Ok(())
}

/// The oldest `limit` sealed rows, in chain order.
pub fn oldest_sealed_audit_rows(tx: &Tx<'_>, limit: i64) -> Result<Vec<ChainRow>> {
    let mut st = tx.conn().prepare_cached(&format!(
        "SELECT {COLUMNS} FROM audit_events WHERE seq IS NOT NULL ORDER BY seq LIMIT ?1"
    ))?;
    let rows = st.query_map([limit], chain_row)?;
    rows.collect::<Result<Vec<_>, _>>()
}

/// Delete the sealed rows up to and including position `through_seq` and make `last` (the
/// last of them) the chain's start; returns how many went.
pub fn prune_audit_chain(tx: &Tx<'_>, through_seq: i64, last: &PrunedRow<'_>) -> Result<usize> {
    let c = tx.conn();
    let n = c
        .prepare_cached("DELETE FROM audit_events WHERE seq IS NOT NULL AND seq <= ?1")?
        .execute([through_seq])?;
    c.prepare_cached(
        "UPDATE audit_chain SET pruned_seq = ?1, pruned_hash = ?2, pruned_id = ?3, pruned_at = ?4 \
         WHERE only_row = 1",
    )?
    .execute(params![through_seq, last.hash, last.id, last.at])?;
    Ok(n)
}

/// The last row a prune deletes: the kept chain starts from its hash.
pub struct PrunedRow<'a> {
    pub id: i64,
    pub at: i64,
    pub hash: &'a [u8],
}

/// The chain in one consistent snapshot: its ends, how many rows wait to be sealed, then every
/// sealed row in chain order, given to `visit` (with the ends) one at a time (never all in memory) until it
/// returns false. Runs in a savepoint, so it is one read transaction on its own and nests in a
/// larger unit.
pub fn scan_chain(
    tx: &Tx<'_>,
    visit: &mut dyn FnMut(&ChainEnds, ChainRow) -> Result<bool>,
) -> Result<ChainScan> {
    let c = tx.conn();
    c.execute_batch("SAVEPOINT scan_chain")?;
    let out = scan_in_snapshot(tx, visit);
    // Read-only: releasing and rolling back are the same; roll back so an error leaves nothing.
    let end = c.execute_batch("ROLLBACK TO scan_chain; RELEASE scan_chain");
    let out = out?;
    end?;
    Ok(out)
}

fn scan_in_snapshot(
    tx: &Tx<'_>,
    visit: &mut dyn FnMut(&ChainEnds, ChainRow) -> Result<bool>,
) -> Result<ChainScan> {
    let c = tx.conn();
    let ends = chain_ends(tx)?;
    let (unsealed, first_unsealed_id) = c.query_row(
        "SELECT COUNT(*), MIN(id) FROM audit_events WHERE seq IS NULL",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let mut st = c.prepare(&format!(
        "SELECT {COLUMNS} FROM audit_events WHERE seq IS NOT NULL ORDER BY seq"
    ))?;
    st.for_each([], |r| visit(&ends, chain_row(r)?))?;
    Ok(ChainScan {
        ends,
        unsealed,
        first_unsealed_id,
    })
}
