//! Pages of long lists (users, sessions, the audit log): a size and where the last page ended.
//! Keyset pages, not offsets: the next page starts after the last row shown, so a page deep in
//! 100,000 users costs what the first one does, and rows added meanwhile shift nothing.

use super::AdminError;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 500;

/// Which page: at most `limit` rows (default [`DEFAULT_LIMIT`]) after the cursor `after` (the
/// `next` of the page before; none for the first page).
#[derive(Debug, Clone, Default)]
pub struct PageRequest {
    pub after: Option<String>,
    pub limit: Option<i64>,
}

impl PageRequest {
    pub fn limit(&self) -> Result<i64, AdminError> {
        match self.limit {
            None => Ok(DEFAULT_LIMIT),
            Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            Some(_) => Err(AdminError::Invalid(format!(
                "limit must be from 1 to {MAX_LIMIT}"
            ))),
        }
    }

    /// The cursor as a row id (sessions, audit events).
    pub fn after_id(&self) -> Result<Option<i64>, AdminError> {
        self.after
            .as_deref()
            .map(|a| {
                a.parse::<i64>()
                    .map_err(|_| AdminError::Invalid(format!("{a:?} is not a page cursor")))
            })
            .transpose()
    }
}

/// One page of rows and the cursor of the next one (none on the last page).
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

impl<T> Page<T> {
    /// `rows` fetched with `limit + 1`: the extra row only says that there is a next page.
    pub fn of(mut rows: Vec<T>, limit: i64, cursor: impl Fn(&T) -> String) -> Self {
        let limit = usize::try_from(limit).unwrap_or(0);
        let next = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(cursor)
        } else {
            None
        };
        Page { items: rows, next }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_has_a_next_cursor_only_when_a_row_was_left_over() {
        let p = Page::of(vec![1, 2, 3], 2, |n| n.to_string());
        assert_eq!((p.items, p.next.as_deref()), (vec![1, 2], Some("2")));
        let p = Page::of(vec![1, 2], 2, |n| n.to_string());
        assert_eq!((p.items, p.next), (vec![1, 2], None));
    }

    #[test]
    fn limits_outside_one_to_the_maximum_and_foreign_cursors_are_refused() {
        let req = |limit, after: Option<&str>| PageRequest {
            limit,
            after: after.map(str::to_owned),
        };
        assert_eq!(req(None, None).limit().ok(), Some(DEFAULT_LIMIT));
        assert!(req(Some(0), None).limit().is_err());
        assert!(req(Some(MAX_LIMIT + 1), None).limit().is_err());
        assert_eq!(req(None, Some("42")).after_id().ok(), Some(Some(42)));
        assert!(req(None, Some("alice")).after_id().is_err());
    }
}
