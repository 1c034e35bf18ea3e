pub mod healthz;
