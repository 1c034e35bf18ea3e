//! The device authorization grant (RFC 8628).

mod device_flow;
