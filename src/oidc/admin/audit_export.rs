//! The audit log as files to download: CSV for spreadsheets and JSON lines for a SIEM or `jq`
//! (the format of `latchkey audit --json-lines`, from the same function).
//!
//! Every text field may hold what a stranger typed (a username at a failed sign-in), so a CSV
//! cell that a spreadsheet would read as a formula gets a leading `'` (OWASP, "CSV Injection").

use crate::clock::show_time;
use crate::store::audit::AuditRecord;
use std::io::{self, Write};

/// The CSV columns, in order.
pub const CSV_HEADER: [&str; 9] = [
    "id",
    "time",
    "at",
    "kind",
    "actor",
    "subject",
    "client_id",
    "ip",
    "detail",
];

/// One event as one line of JSON (no trailing newline): its id, `at` (Unix time), `kind`,
/// `actor`, `subject`, `client_id`, `ip` and `detail`.
pub fn json_line(r: &AuditRecord) -> Result<String, serde_json::Error> {
    serde_json::to_string(r)
}

/// The events as JSON lines, one object a line, each line ending in `\n`.
pub fn write_json_lines(out: &mut impl Write, records: &[AuditRecord]) -> io::Result<()> {
    for r in records {
        out.write_all(json_line(r).map_err(io::Error::other)?.as_bytes())?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// The events as CSV (RFC 4180: a header row, CRLF line ends, fields quoted when they hold a
/// comma, a quote or a line break), with formula-like cells defused.
pub fn write_csv(out: &mut impl Write, records: &[AuditRecord]) -> io::Result<()> {
    write_row(out, CSV_HEADER.iter().map(|h| h.to_string()))?;
    for r in records {
        let e = &r.event;
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        write_row(
            out,
            [
                r.id.to_string(),
                show_time(e.at),
                e.at.to_string(),
                e.kind.clone(),
                text(&e.actor),
                text(&e.subject),
                text(&e.client_id),
                text(&e.ip),
                text(&e.detail),
            ],
        )?;
    }
    Ok(())
}

fn write_row(out: &mut impl Write, cells: impl IntoIterator<Item = String>) -> io::Result<()> {
    let line: Vec<String> = cells.into_iter().map(|c| csv_cell(&c)).collect();
    out.write_all(line.join(",").as_bytes())?;
    out.write_all(b"\r\n")
}

/// One CSV field: defused (see [`defuse_formula`]), then quoted if it must be.
pub fn csv_cell(value: &str) -> String {
    let v = defuse_formula(value);
    if v.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v.into_owned()
    }
}

/// A value a spreadsheet would run as a formula (it starts with `=`, `+`, `-`, `@`, a tab or
/// a carriage return) with a `'` in front, which makes it text; others as they are. Our own
/// numbers (id, at) never start so.
pub fn defuse_formula(value: &str) -> std::borrow::Cow<'_, str> {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}").into()
    } else {
        value.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::audit::AuditEvent;

    fn record(actor: &str, detail: &str) -> AuditRecord {
        AuditRecord {
            id: 7,
            event: AuditEvent {
                at: 1_700_000_000,
                kind: "login.failed".into(),
                actor: Some(actor.into()),
                subject: None,
                client_id: Some("app".into()),
                ip: Some("192.0.2.1".into()),
                detail: Some(detail.into()),
            },
        }
    }

    fn csv(records: &[AuditRecord]) -> String {
        let mut out = Vec::new();
        write_csv(&mut out, records).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn formula_cells_get_a_leading_apostrophe_and_plain_ones_stay() {
        for (value, cell) in [
            (
                "=HYPERLINK(\"http://evil.example\",\"x\")",
                "\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\"",
            ),
            ("=1+2", "'=1+2"),
            ("+1", "'+1"),
            ("-2", "'-2"),
            ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
            ("\tcmd", "'\tcmd"),
            ("\r=1", "\"'\r=1\""),
            ("alice", "alice"),
            ("a=b", "a=b"),
            ("", ""),
            ("'quoted", "'quoted"),
        ] {
            assert_eq!(csv_cell(value), cell, "{value:?}");
        }
    }

    #[test]
    fn quotes_commas_and_line_breaks_are_quoted_as_rfc_4180_says() {
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("line1\nline2"), "\"line1\nline2\"");
        assert_eq!(csv_cell("line1\r\nline2"), "\"line1\r\nline2\"");
        assert_eq!(csv_cell("-1,\"x\""), "\"'-1,\"\"x\"\"\"");
    }

    #[test]
    fn the_csv_has_a_header_and_one_row_per_event_with_crlf_line_ends() {
        let out = csv(&[record("=cmd|' /C calc'!A0", "wrong password, twice")]);
        assert_eq!(
            out,
            "id,time,at,kind,actor,subject,client_id,ip,detail\r\n\
             7,2023-11-14T22:13:20Z,1700000000,login.failed,'=cmd|' /C calc'!A0,,app,192.0.2.1,\"wrong password, twice\"\r\n"
        );
        assert_eq!(
            csv(&[]),
            "id,time,at,kind,actor,subject,client_id,ip,detail\r\n"
        );
    }

    #[test]
    fn json_lines_are_one_object_a_line_with_the_raw_values() {
        let mut out = Vec::new();
        write_json_lines(&mut out, &[record("=1+2", "a\nb"), record("bob", "")]).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        let first: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(
            first["actor"], "=1+2",
            "JSON is not a spreadsheet: values stay as typed"
        );
        assert_eq!(first["detail"], "a\nb");
        assert_eq!(first["id"], 7);
        assert_eq!(first["kind"], "login.failed");
        assert_eq!(lines[0], json_line(&record("=1+2", "a\nb")).unwrap());
    }
}
