//! APIs, groups and who may get tokens for what.

mod access_control;
