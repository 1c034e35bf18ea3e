//! QR codes for the authenticator-app setup pages: an SVG made here (the `qrcode` crate), put
//! inline in the page — no image service, no script, nothing the CSP has to allow.

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

/// An inline `<svg>` QR code of `data` with an accessible name; empty if `data` is too long.
pub fn svg(data: &str) -> String {
    let Ok(code) = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M) else {
        return String::new();
    };
    let image = code
        .render::<svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    // Inline in HTML: no XML declaration, and a name for screen readers.
    let Some(start) = image.find("<svg") else {
        return String::new();
    };
    image[start..].replacen(
        "<svg",
        r#"<svg role="img" aria-label="QR code to add this account to an authenticator app" class="qr-code""#,
        1,
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_svg_is_inline_markup_with_a_name_and_no_style_attributes() {
        let s = super::svg("otpauth://totp/example.com:alice?secret=GEZDGNBVGY3TQOJQ");
        assert!(
            s.starts_with("<svg role=\"img\" aria-label="),
            "{}",
            &s[..60]
        );
        assert!(s.ends_with("</svg>"));
        assert!(!s.contains("style=") && !s.contains("<?xml"));
    }
}
