//! Prometheus metrics on the `metrics_bind` listener: scraped and parsed after real requests,
//! never on the public port, off by default; the setting's errors and doctor's warning.

mod listener;
mod scrape;
