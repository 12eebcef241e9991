//! Session errors (placeholder replaced by the session file work).
/// One problem found in a session file.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SessionError(pub String);
/// Every problem found in one load.
#[derive(Debug, thiserror::Error)]
#[error("session errors")]
pub struct SessionErrors(pub Vec<SessionError>);
