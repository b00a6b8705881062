//! The decision on a finding: reject the request, or only log it.

use crate::event::SecurityEventKind;

use super::Finding;

/// The action request validation takes on a finding (`validation.mode`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ValidationMode {
    /// Reject the request with 400, write the event and count the attack toward auto-block.
    #[default]
    Block,
    /// Write the event and let the request through; nothing counts toward auto-block. For
    /// trying the rules on live traffic before enforcing them.
    Log,
}

impl ValidationMode {
    /// Parses `block` or `log`.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim() {
            "block" => Some(Self::Block),
            "log" => Some(Self::Log),
            _ => None,
        }
    }

    /// Returns the configuration name of the mode.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Block => "block",
            Self::Log => "log",
        }
    }

    /// Decides what to do with a finding.
    pub fn judge(self, finding: &Finding) -> InspectionVerdict {
        let enforce = self == Self::Block;
        InspectionVerdict {
            event: finding.kind.event_kind(),
            reject: enforce,
            counts_as_attack: enforce,
        }
    }
}

/// The decision on one finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InspectionVerdict {
    /// The security event to write.
    pub event: SecurityEventKind,
    /// Whether the request is rejected.
    pub reject: bool,
    /// Whether the finding counts toward the client's auto-block.
    pub counts_as_attack: bool,
}

#[cfg(test)]
mod tests {
    use super::super::AttackKind;
    use super::*;

    fn finding() -> Finding {
        Finding {
            kind: AttackKind::Xss,
            location: "query.q".into(),
        }
    }

    #[test]
    fn block_mode_rejects_and_counts() {
        let verdict = ValidationMode::Block.judge(&finding());

        assert_eq!(verdict.event, SecurityEventKind::Xss);
        assert!(verdict.reject);
        assert!(verdict.counts_as_attack);
    }

    #[test]
    fn log_mode_only_records() {
        let verdict = ValidationMode::Log.judge(&finding());

        assert_eq!(verdict.event, SecurityEventKind::Xss);
        assert!(!verdict.reject);
        assert!(!verdict.counts_as_attack);
    }

    #[test]
    fn modes_parse_by_name() {
        assert_eq!(ValidationMode::parse("block"), Some(ValidationMode::Block));
        assert_eq!(ValidationMode::parse(" log "), Some(ValidationMode::Log));
        assert_eq!(ValidationMode::parse("off"), None);
    }
}
