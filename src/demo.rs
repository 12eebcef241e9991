//! Deterministic synthesis of the demo sessions' stems (placeholder).
