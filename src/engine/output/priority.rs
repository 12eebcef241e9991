//! Realtime priority for the audio thread. Runs on the supervisor thread (`earmix-output`),
//! never on the audio thread: the feeder only publishes which thread calls it (see
//! [`StreamHealth::publish_audio_thread`](super::backend::StreamHealth::publish_audio_thread)),
//! and the supervisor promotes that thread once it has called, again after every restart.
//!
//! The order: a thread the host already runs at realtime priority (JACK's process thread,
//! `PipeWire`'s data thread where its `module-rt` got it) is left alone; else `SCHED_FIFO` is set
//! directly, which works where `RLIMIT_RTPRIO` allows it (the `audio` group with a
//! `/etc/security/limits.d` entry) or the process has `CAP_SYS_NICE`; else rtkit is asked over
//! the system D-Bus (desktops run `rtkit-daemon`; it insists on an `RLIMIT_RTTIME`, which
//! `audio_thread_priority` sets to rtkit's own maximum). Only the audio thread is promoted:
//! `SCHED_FIFO` is not inherited by threads it does not start, and it starts none.

use std::fmt;

/// The `SCHED_FIFO` priority asked for (1..=99), lowered to `RLIMIT_RTPRIO` when that is
/// smaller: under audio servers (`PipeWire`'s data threads run at 83-88, JACK's at its `-P`),
/// above everything else.
pub const RT_PRIORITY: u8 = 70;

/// How the audio thread got its realtime priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    /// It already had it when earmix first saw it: the host (JACK, `PipeWire`) set it.
    Host,
    /// earmix set `SCHED_FIFO` itself (`RLIMIT_RTPRIO` or `CAP_SYS_NICE` allowed it).
    Direct,
    /// rtkit set it on earmix's request.
    Rtkit,
}

/// Whether the audio thread runs at realtime priority.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Realtime {
    /// Not known yet: the stream has not called back.
    Pending,
    /// The audio thread runs with realtime scheduling.
    Granted {
        /// Who set it.
        by: Grant,
        /// `SCHED_FIFO` (or `SCHED_RR`) priority, 1..=99.
        priority: i32,
    },
    /// The audio thread runs at normal priority.
    Refused {
        /// Why, in a few words for the status line ("`RLIMIT_RTPRIO` is 0 and rtkit did
        /// not answer").
        why: String,
        /// What the system said, for the log.
        detail: String,
    },
}

impl Realtime {
    /// The status line's words: `RT`, `no RT: <why>`, nothing while pending.
    pub fn lamp(&self) -> Option<String> {
        match self {
            Realtime::Pending => None,
            Realtime::Granted { .. } => Some("RT".to_string()),
            Realtime::Refused { why, .. } => Some(format!("no RT: {why}")),
        }
    }
}

impl fmt::Display for Realtime {
    /// "realtime priority: `SCHED_FIFO` 70, set by earmix", "no realtime priority: ...".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Realtime::Pending => f.write_str("realtime priority: not known yet"),
            Realtime::Granted { by, priority } => {
                let by = match by {
                    Grant::Host => "set by the audio host",
                    Grant::Direct => "set by earmix",
                    Grant::Rtkit => "granted by rtkit",
                };
                write!(f, "realtime priority: SCHED_FIFO {priority}, {by}")
            }
            Realtime::Refused { why, detail } => {
                write!(f, "no realtime priority: {why} ({detail})")
            }
        }
    }
}

/// Promotes the audio thread `thread` (published by the feeder of a stream that is still
/// running: its pthread handle must be alive) at `rate` Hz and says what it got.
///
/// Not realtime-safe (system calls, /proc, D-Bus).
#[cfg(target_os = "linux")]
pub(crate) fn promote(thread: &super::backend::AudioThread, rate: u32) -> Realtime {
    use thread_priority::{
        RealtimeThreadSchedulePolicy, ThreadPriority, ThreadPriorityValue, ThreadSchedulePolicy,
        set_thread_priority_and_policy, thread_schedule_policy_param,
    };
    let realtime_now = || match thread_schedule_policy_param(thread.pthread) {
        Ok((ThreadSchedulePolicy::Realtime(_), params)) => Some(params.sched_priority),
        _ => None,
    };
    if let Some(priority) = realtime_now() {
        return Realtime::Granted {
            by: Grant::Host,
            priority,
        };
    }
    let limit = rtprio_limit();
    let wanted = match limit {
        Some(limit) if limit > 0 => RT_PRIORITY.min(u8::try_from(limit).unwrap_or(RT_PRIORITY)),
        _ => RT_PRIORITY,
    };
    let direct = ThreadPriorityValue::try_from(wanted).and_then(|priority| {
        set_thread_priority_and_policy(
            thread.pthread,
            ThreadPriority::Crossplatform(priority),
            ThreadSchedulePolicy::Realtime(RealtimeThreadSchedulePolicy::Fifo),
        )
        .map_err(|e| match e {
            thread_priority::Error::OS(code) => std::io::Error::from_raw_os_error(code).to_string(),
            other => format!("{other:?}"),
        })
    });
    let direct_error = match direct {
        Ok(()) => match realtime_now() {
            Some(priority) => {
                return Realtime::Granted {
                    by: Grant::Direct,
                    priority,
                };
            }
            None => "SCHED_FIFO was set but did not hold".to_string(),
        },
        Err(e) => e,
    };
    let direct_why = match limit {
        Some(0) => "RLIMIT_RTPRIO is 0".to_string(),
        Some(limit) => format!("SCHED_FIFO {wanted} was refused (RLIMIT_RTPRIO is {limit})"),
        None => "SCHED_FIFO was refused".to_string(),
    };
    if thread.info == [0; 32] {
        return Realtime::Refused {
            why: direct_why,
            detail: direct_error,
        };
    }
    let info = audio_thread_priority::thread_info_deserialize(thread.info);
    // The budget asked for is a whole second, which the library caps at rtkit's maximum
    // (RTTimeUSecMax, 200 ms by default).
    let rtkit = audio_thread_priority::promote_thread_to_real_time(info, rate, rate);
    match rtkit.map(|_handle| realtime_now()) {
        Ok(Some(priority)) => Realtime::Granted {
            by: Grant::Rtkit,
            priority,
        },
        Ok(None) => Realtime::Refused {
            why: format!("{direct_why} and rtkit's grant did not hold"),
            detail: direct_error,
        },
        Err(e) => {
            let text = e.to_string();
            let rtkit_why = if text.contains("AccessDenied") || text.contains("NotPermitted") {
                "rtkit refused"
            } else {
                "rtkit did not answer"
            };
            Realtime::Refused {
                why: format!("{direct_why} and {rtkit_why}"),
                detail: format!("SCHED_FIFO: {direct_error}; rtkit: {text}"),
            }
        }
    }
}

/// Elsewhere earmix does not ask for realtime priority (hosts there run their own).
#[cfg(not(target_os = "linux"))]
pub(crate) fn promote(_thread: &super::backend::AudioThread, _rate: u32) -> Realtime {
    Realtime::Refused {
        why: "not supported on this system".to_string(),
        detail: "earmix asks for realtime priority on Linux only".to_string(),
    }
}

/// The soft `RLIMIT_RTPRIO` of this process (`None`: unknown or unlimited), read from
/// /proc/self/limits.
#[cfg(target_os = "linux")]
fn rtprio_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    parse_rtprio_limit(&limits)
}

/// The soft limit on the "Max realtime priority" line of a /proc/PID/limits text.
fn parse_rtprio_limit(limits: &str) -> Option<u64> {
    limits
        .lines()
        .find_map(|line| line.strip_prefix("Max realtime priority"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|soft| soft.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The soft limit is read from /proc/PID/limits; "unlimited" or a missing line is `None`.
    #[test]
    fn rtprio_limit_parsing() {
        let limits = "Limit                     Soft Limit           Hard Limit           Units\n\
                      Max nice priority         0                    0\n\
                      Max realtime priority     95                   99\n\
                      Max realtime timeout      unlimited            unlimited            us\n";
        assert_eq!(parse_rtprio_limit(limits), Some(95));
        assert_eq!(
            parse_rtprio_limit("Max realtime priority     unlimited   unlimited\n"),
            None
        );
        assert_eq!(parse_rtprio_limit("Max nice priority 0 0\n"), None);
    }

    /// The status line reads "RT" when granted, "no RT: <why>" when refused, nothing before.
    #[test]
    fn lamp_words() {
        assert_eq!(Realtime::Pending.lamp(), None);
        let granted = Realtime::Granted {
            by: Grant::Direct,
            priority: 70,
        };
        assert_eq!(granted.lamp().as_deref(), Some("RT"));
        assert_eq!(
            granted.to_string(),
            "realtime priority: SCHED_FIFO 70, set by earmix"
        );
        let refused = Realtime::Refused {
            why: "RLIMIT_RTPRIO is 0 and rtkit did not answer".into(),
            detail: "EPERM".into(),
        };
        assert_eq!(
            refused.lamp().as_deref(),
            Some("no RT: RLIMIT_RTPRIO is 0 and rtkit did not answer")
        );
    }
}
