//! The durability setting, group commit and crash safety.

mod writes_and_crashes;
