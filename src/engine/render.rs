//! Offline bounce (in progress).
