//! The SQL facade every store file writes against: one small API, modelled on rusqlite's
//! (`prepare_cached`, `execute`, `query_row`, `query_map`, `params!`, `optional()`), over both
//! backends. SQLite calls go straight to rusqlite; PostgreSQL calls go to `tokio-postgres` (see
//! `postgres::conn`), with `?N` placeholders rewritten to `$N` once per statement text.
//!
//! Values cross as [`ValueRef`]: SQLite's five storage classes, which is all the schema uses
//! (PostgreSQL columns are BIGINT, DOUBLE PRECISION, TEXT and BYTEA to match).

use crate::store::postgres::conn::PgConn;
use crate::store::{Result, StoreError};
use r2d2_sqlite::rusqlite;

/// One SQL value, borrowed from a parameter or a result row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValueRef<'a> {
    Null,
    Int(i64),
    Real(f64),
    Text(&'a str),
    Blob(&'a [u8]),
}

impl ValueRef<'_> {
    fn kind(&self) -> &'static str {
        match self {
            ValueRef::Null => "NULL",
            ValueRef::Int(_) => "an integer",
            ValueRef::Real(_) => "a real",
            ValueRef::Text(_) => "text",
            ValueRef::Blob(_) => "a blob",
        }
    }
}

/// A value that can be a statement parameter.
pub trait ToValue {
    fn to_value(&self) -> ValueRef<'_>;
}

macro_rules! int_to_value {
    ($($t:ty),*) => {$(
        impl ToValue for $t {
            fn to_value(&self) -> ValueRef<'_> {
                ValueRef::Int(*self as i64)
            }
        }
    )*};
}
int_to_value!(i64, i32, i16, i8, u32, u16, u8);

impl ToValue for u64 {
    fn to_value(&self) -> ValueRef<'_> {
        ValueRef::Int(i64::try_from(*self).unwrap_or(i64::MAX))
    }
}
impl ToValue for usize {
    fn to_value(&self) -> ValueRef<'_> {
        ValueRef::Int(i64::try_from(*self).unwrap_or(i64::MAX))
    }
}
impl ToValue for bool {
    fn to_value(&self) -> ValueRef<'_> {
        ValueRef::Int(i64::from(*self))
    }
}
impl ToValue for f64 {
    fn to_value(&self) -> ValueRef<'_> {
        ValueRef::Real(*self)
    }
}
impl ToValue for str {
    fn to_value(&self) -> ValueRef<'_> {
        ValueRef::Text(self)
    }
}
impl ToValue for String {
    fn to_value(&self) -> ValueRef<'_> {
        ValueRef::Text(self)
    }
}
impl ToValue for [u8] {
    fn to_value(&self) -> ValueRef<'_> {
        ValueRef::Blob(self)
    }
}
impl ToValue for Vec<u8> {
    fn to_value(&self) -> ValueRef<'_> {
        ValueRef::Blob(self)
    }
}
impl<const N: usize> ToValue for [u8; N] {
    fn to_value(&self) -> ValueRef<'_> {
        ValueRef::Blob(self)
    }
}
impl<T: ToValue> ToValue for Option<T> {
    fn to_value(&self) -> ValueRef<'_> {
        match self {
            Some(v) => v.to_value(),
            None => ValueRef::Null,
        }
    }
}
impl<T: ToValue + ?Sized> ToValue for &T {
    fn to_value(&self) -> ValueRef<'_> {
        (**self).to_value()
    }
}
impl ToValue for ValueRef<'_> {
    fn to_value(&self) -> ValueRef<'_> {
        *self
    }
}
impl ToValue for Value {
    fn to_value(&self) -> ValueRef<'_> {
        match self {
            Value::Null => ValueRef::Null,
            Value::Int(i) => ValueRef::Int(*i),
            Value::Real(f) => ValueRef::Real(*f),
            Value::Text(s) => ValueRef::Text(s),
            Value::Blob(b) => ValueRef::Blob(b),
        }
    }
}

/// An owned SQL value (for copying rows between stores and for generic readers).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

/// A value a result column can be read as.
pub trait FromValue: Sized {
    fn from_value(v: ValueRef<'_>) -> std::result::Result<Self, String>;
}

macro_rules! int_from_value {
    ($($t:ty),*) => {$(
        impl FromValue for $t {
            fn from_value(v: ValueRef<'_>) -> std::result::Result<Self, String> {
                match v {
                    ValueRef::Int(i) => <$t>::try_from(i)
                        .map_err(|_| format!("the integer {i} is out of range")),
                    other => Err(format!("expected an integer, found {}", other.kind())),
                }
            }
        }
    )*};
}
int_from_value!(i64, i32, i16, u64, u32, u16, u8, usize);

impl FromValue for bool {
    fn from_value(v: ValueRef<'_>) -> std::result::Result<Self, String> {
        match v {
            ValueRef::Int(i) => Ok(i != 0),
            other => Err(format!("expected an integer, found {}", other.kind())),
        }
    }
}
impl FromValue for f64 {
    fn from_value(v: ValueRef<'_>) -> std::result::Result<Self, String> {
        match v {
            ValueRef::Real(f) => Ok(f),
            ValueRef::Int(i) => Ok(i as f64),
            other => Err(format!("expected a real, found {}", other.kind())),
        }
    }
}
impl FromValue for String {
    fn from_value(v: ValueRef<'_>) -> std::result::Result<Self, String> {
        match v {
            ValueRef::Text(s) => Ok(s.to_owned()),
            other => Err(format!("expected text, found {}", other.kind())),
        }
    }
}
impl FromValue for Vec<u8> {
    fn from_value(v: ValueRef<'_>) -> std::result::Result<Self, String> {
        match v {
            ValueRef::Blob(b) => Ok(b.to_vec()),
            other => Err(format!("expected a blob, found {}", other.kind())),
        }
    }
}
impl<T: FromValue> FromValue for Option<T> {
    fn from_value(v: ValueRef<'_>) -> std::result::Result<Self, String> {
        match v {
            ValueRef::Null => Ok(None),
            other => T::from_value(other).map(Some),
        }
    }
}
impl FromValue for Value {
    fn from_value(v: ValueRef<'_>) -> std::result::Result<Self, String> {
        Ok(match v {
            ValueRef::Null => Value::Null,
            ValueRef::Int(i) => Value::Int(i),
            ValueRef::Real(f) => Value::Real(f),
            ValueRef::Text(s) => Value::Text(s.to_owned()),
            ValueRef::Blob(b) => Value::Blob(b.to_vec()),
        })
    }
}

/// Statement parameters: `params![a, b]`, an array `[a, b]`, `[]`, or a slice of `&dyn ToValue`.
pub trait Params {
    fn values(&self) -> Vec<ValueRef<'_>>;
}

impl Params for [&dyn ToValue; 0] {
    fn values(&self) -> Vec<ValueRef<'_>> {
        Vec::new()
    }
}
impl Params for &[&dyn ToValue] {
    fn values(&self) -> Vec<ValueRef<'_>> {
        self.iter().map(|v| v.to_value()).collect()
    }
}
impl Params for &[Value] {
    fn values(&self) -> Vec<ValueRef<'_>> {
        self.iter().map(|v| v.to_value()).collect()
    }
}
macro_rules! array_params {
    ($($n:literal),*) => {$(
        impl<T: ToValue> Params for [T; $n] {
            fn values(&self) -> Vec<ValueRef<'_>> {
                self.iter().map(|v| v.to_value()).collect()
            }
        }
    )*};
}
array_params!(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16);

/// `params![a, b, …]`: mixed-type parameters, like rusqlite's macro of the same name.
#[macro_export]
macro_rules! store_params {
    () => { [] as [&dyn $crate::store::db::ToValue; 0] };
    ($($p:expr),+ $(,)?) => {
        &[$(&$p as &dyn $crate::store::db::ToValue),+] as &[&dyn $crate::store::db::ToValue]
    };
}
pub use crate::store_params as params;

/// `query_row(...).optional()`: no row is `None`, not an error.
pub trait OptionalExtension<T> {
    fn optional(self) -> Result<Option<T>>;
}

impl<T> OptionalExtension<T> for Result<T> {
    fn optional(self) -> Result<Option<T>> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(StoreError::NoRow) => Ok(None),
            Err(StoreError::Sqlite(rusqlite::Error::QueryReturnedNoRows)) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// Which SQL dialect a connection speaks, for the few statements that need one text per backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// A connection inside a unit of work ([`crate::store::Tx::conn`]).
#[derive(Clone, Copy)]
pub enum Conn<'a> {
    Sqlite(&'a rusqlite::Connection),
    Postgres(&'a PgConn),
}

impl<'a> Conn<'a> {
    pub fn dialect(&self) -> Dialect {
        match self {
            Conn::Sqlite(_) => Dialect::Sqlite,
            Conn::Postgres(_) => Dialect::Postgres,
        }
    }

    /// The SQLite connection, for the SQLite-only tools (backup, integrity checks, migrations).
    pub fn sqlite(&self) -> Option<&'a rusqlite::Connection> {
        match self {
            Conn::Sqlite(c) => Some(c),
            Conn::Postgres(_) => None,
        }
    }

    /// A statement, compiled once per connection and reused.
    pub fn prepare_cached(&self, sql: &str) -> Result<Stmt<'a>> {
        Ok(match self {
            Conn::Sqlite(c) => Stmt::Sqlite(c.prepare_cached(sql)?),
            Conn::Postgres(c) => Stmt::Postgres(c, c.prepare(sql)?),
        })
    }

    pub fn prepare(&self, sql: &str) -> Result<Stmt<'a>> {
        self.prepare_cached(sql)
    }

    pub fn execute<P: Params>(&self, sql: &str, params: P) -> Result<usize> {
        self.prepare_cached(sql)?.execute(params)
    }

    pub fn query_row<P: Params, T>(
        &self,
        sql: &str,
        params: P,
        f: impl FnOnce(&Row<'_>) -> Result<T>,
    ) -> Result<T> {
        self.prepare_cached(sql)?.query_row(params, f)
    }

    /// Every row of a query through `f`, collected (the statement cached like `prepare_cached`).
    pub fn query_all<P: Params, T>(
        &self,
        sql: &str,
        params: P,
        f: impl FnMut(&Row<'_>) -> Result<T>,
    ) -> Result<Vec<T>> {
        self.prepare_cached(sql)?.query_map(params, f)?.collect()
    }

    /// Run an INSERT into a table whose key is `id`; the new row's id.
    pub fn insert<P: Params>(&self, sql: &str, params: P) -> Result<i64> {
        match self {
            Conn::Sqlite(c) => {
                Stmt::Sqlite(c.prepare_cached(sql)?).execute(params)?;
                Ok(c.last_insert_rowid())
            }
            Conn::Postgres(c) => {
                let mut st = Stmt::Postgres(c, c.prepare(&format!("{sql} RETURNING id"))?);
                st.query_row(params, |r| r.get(0))
            }
        }
    }

    /// Several statements without parameters (schema changes, `BEGIN`…).
    pub fn execute_batch(&self, sql: &str) -> Result<()> {
        match self {
            Conn::Sqlite(c) => Ok(c.execute_batch(sql)?),
            Conn::Postgres(c) => c.batch(sql),
        }
    }
}

/// A compiled statement.
pub enum Stmt<'a> {
    Sqlite(rusqlite::CachedStatement<'a>),
    Postgres(&'a PgConn, tokio_postgres::Statement),
}

impl Stmt<'_> {
    /// Run a statement that returns no rows; the number of rows it changed.
    pub fn execute<P: Params>(&mut self, params: P) -> Result<usize> {
        let values = params.values();
        match self {
            Stmt::Sqlite(st) => Ok(st.execute(rusqlite::params_from_iter(values.iter()))?),
            Stmt::Postgres(c, st) => c.execute(st, &values),
        }
    }

    /// The first row through `f`; [`StoreError::NoRow`] when there is none (see `optional`).
    pub fn query_row<P: Params, T>(
        &mut self,
        params: P,
        f: impl FnOnce(&Row<'_>) -> Result<T>,
    ) -> Result<T> {
        let values = params.values();
        match self {
            Stmt::Sqlite(st) => {
                let mut rows = st.query(rusqlite::params_from_iter(values.iter()))?;
                match rows.next()? {
                    Some(r) => f(&Row::Sqlite(r)),
                    None => Err(StoreError::NoRow),
                }
            }
            Stmt::Postgres(c, st) => match c.query(st, &values)?.first() {
                Some(r) => f(&Row::Postgres(r)),
                None => Err(StoreError::NoRow),
            },
        }
    }

    /// Every row through `f`, read at once.
    pub fn query_map<P: Params, T>(
        &mut self,
        params: P,
        mut f: impl FnMut(&Row<'_>) -> Result<T>,
    ) -> Result<std::vec::IntoIter<Result<T>>> {
        let values = params.values();
        let mut out = Vec::new();
        match self {
            Stmt::Sqlite(st) => {
                let mut rows = st.query(rusqlite::params_from_iter(values.iter()))?;
                while let Some(r) = rows.next()? {
                    out.push(f(&Row::Sqlite(r)));
                }
            }
            Stmt::Postgres(c, st) => {
                for r in c.query(st, &values)? {
                    out.push(f(&Row::Postgres(&r)));
                }
            }
        }
        Ok(out.into_iter())
    }

    /// Rows through `f` one at a time, until `f` returns false (SQLite streams them).
    pub fn for_each<P: Params>(
        &mut self,
        params: P,
        mut f: impl FnMut(&Row<'_>) -> Result<bool>,
    ) -> Result<()> {
        let values = params.values();
        match self {
            Stmt::Sqlite(st) => {
                let mut rows = st.query(rusqlite::params_from_iter(values.iter()))?;
                while let Some(r) = rows.next()? {
                    if !f(&Row::Sqlite(r))? {
                        break;
                    }
                }
            }
            Stmt::Postgres(c, st) => {
                for r in c.query(st, &values)? {
                    if !f(&Row::Postgres(&r))? {
                        break;
                    }
                }
            }
        }
        Ok(())
    }

    /// Whether the query returns at least one row.
    pub fn exists<P: Params>(&mut self, params: P) -> Result<bool> {
        self.query_row(params, |_| Ok(()))
            .optional()
            .map(|r| r.is_some())
    }

    /// The result's column names, in order.
    pub fn column_names(&self) -> Vec<String> {
        match self {
            Stmt::Sqlite(st) => st.column_names().iter().map(|s| s.to_string()).collect(),
            Stmt::Postgres(_, st) => st.columns().iter().map(|c| c.name().to_owned()).collect(),
        }
    }
}

/// One result row.
pub enum Row<'a> {
    Sqlite(&'a rusqlite::Row<'a>),
    Postgres(&'a tokio_postgres::Row),
}

impl Row<'_> {
    /// Column `idx` as `T`; a column of another type is [`StoreError::Corrupt`].
    pub fn get<I: RowIndex, T: FromValue>(&self, idx: I) -> Result<T> {
        let idx = idx.index();
        T::from_value(self.get_ref(idx)?)
            .map_err(|e| StoreError::Corrupt(format!("column {idx}: {e}")))
    }

    /// Column `idx` as it is stored.
    pub fn get_ref<I: RowIndex>(&self, idx: I) -> Result<ValueRef<'_>> {
        let idx = idx.index();
        match self {
            Row::Sqlite(r) => Ok(match r.get_ref(idx)? {
                rusqlite::types::ValueRef::Null => ValueRef::Null,
                rusqlite::types::ValueRef::Integer(i) => ValueRef::Int(i),
                rusqlite::types::ValueRef::Real(f) => ValueRef::Real(f),
                rusqlite::types::ValueRef::Text(t) => {
                    ValueRef::Text(std::str::from_utf8(t).map_err(|_| {
                        StoreError::Corrupt(format!("column {idx}: text that is not UTF-8"))
                    })?)
                }
                rusqlite::types::ValueRef::Blob(b) => ValueRef::Blob(b),
            }),
            Row::Postgres(r) => crate::store::postgres::conn::value_at(r, idx),
        }
    }

    pub fn column_count(&self) -> usize {
        match self {
            Row::Sqlite(r) => r.as_ref().column_count(),
            Row::Postgres(r) => r.len(),
        }
    }
}

/// A column position (names are not used: every query lists its columns).
pub trait RowIndex {
    fn index(self) -> usize;
}
impl RowIndex for usize {
    fn index(self) -> usize {
        self
    }
}

impl rusqlite::ToSql for ValueRef<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef as V};
        Ok(ToSqlOutput::Borrowed(match *self {
            ValueRef::Null => V::Null,
            ValueRef::Int(i) => V::Integer(i),
            ValueRef::Real(f) => V::Real(f),
            ValueRef::Text(s) => V::Text(s.as_bytes()),
            ValueRef::Blob(b) => V::Blob(b),
        }))
    }
}

/// Rewrite SQLite's `?N` (and bare `?`) placeholders as PostgreSQL's `$N`, leaving string
/// literals, quoted names and comments alone.
pub fn to_postgres_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut next = 0u32;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                out.push(c);
                for d in chars.by_ref() {
                    out.push(d);
                    if d == c {
                        break;
                    }
                }
            }
            '-' if chars.peek() == Some(&'-') => {
                out.push(c);
                for d in chars.by_ref() {
                    out.push(d);
                    if d == '\n' {
                        break;
                    }
                }
            }
            '?' => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                out.push('$');
                if digits.is_empty() {
                    next += 1;
                    out.push_str(&next.to_string());
                } else {
                    if let Ok(n) = digits.parse::<u32>() {
                        next = next.max(n);
                    }
                    out.push_str(&digits);
                }
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_for_postgres_outside_literals() {
        assert_eq!(
            to_postgres_placeholders("SELECT a FROM t WHERE b = ?1 AND c = '?' AND d = ?2"),
            "SELECT a FROM t WHERE b = $1 AND c = '?' AND d = $2"
        );
        assert_eq!(
            to_postgres_placeholders("INSERT INTO t VALUES (?, ?, ?)"),
            "INSERT INTO t VALUES ($1, $2, $3)"
        );
        assert_eq!(
            to_postgres_placeholders("SELECT \"?x\" -- what?\n FROM t WHERE a = ?12"),
            "SELECT \"?x\" -- what?\n FROM t WHERE a = $12"
        );
    }

    #[test]
    fn values_convert_both_ways_and_refuse_the_wrong_type() {
        assert_eq!(i64::from_value(ValueRef::Int(7)), Ok(7));
        assert_eq!(bool::from_value(ValueRef::Int(1)), Ok(true));
        assert_eq!(Option::<String>::from_value(ValueRef::Null), Ok(None));
        assert!(i64::from_value(ValueRef::Text("7")).is_err());
        assert!(u8::from_value(ValueRef::Int(300)).is_err());
        assert_eq!(Some("x").to_value(), ValueRef::Text("x"));
        assert_eq!(true.to_value(), ValueRef::Int(1));
        let p = params![1i64, "a", None::<i64>];
        assert_eq!(
            p.values(),
            vec![ValueRef::Int(1), ValueRef::Text("a"), ValueRef::Null]
        );
    }
}
