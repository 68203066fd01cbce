//! Exit statuses (SPEC "Exit status"), in one place.

/// The run's outcome as the shell sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ExitCode {
    /// Everything was read and reported.
    Success = 0,
    /// Some input could not be read; the rest was reported, and the
    /// unreadable input named on stderr.
    InputError = 1,
    /// Bad options or a bad pattern file: nothing was reported.
    Usage = 2,
    /// A `--fail-if` condition was crossed (the report is still written).
    /// Wins over `InputError`: the alert matters more to cron.
    Alert = 3,
}

impl ExitCode {
    pub fn code(self) -> i32 {
        self as i32
    }

    /// Combines two outcomes of one run: the more important one wins
    /// (alert over input error over success).
    pub fn and(self, other: ExitCode) -> ExitCode {
        self.max(other)
    }
}

#[cfg(test)]
mod tests {
    use super::ExitCode::*;

    #[test]
    fn codes_are_the_specs() {
        assert_eq!(Success.code(), 0);
        assert_eq!(InputError.code(), 1);
        assert_eq!(Usage.code(), 2);
        assert_eq!(Alert.code(), 3);
    }

    #[test]
    fn alert_beats_input_error_beats_success() {
        assert_eq!(InputError.and(Alert), Alert);
        assert_eq!(Alert.and(InputError), Alert);
        assert_eq!(Success.and(InputError), InputError);
        assert_eq!(Success.and(Success), Success);
    }
}
