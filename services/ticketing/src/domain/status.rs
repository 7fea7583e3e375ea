//! The ticket status state machine: new → open → pending / on-hold → solved → closed.
//! Closed is final; a solved ticket reopens; nothing returns to new.

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    New = 1,
    Open = 2,
    /// Waiting on the requester.
    Pending = 3,
    /// Waiting on a third party.
    OnHold = 4,
    Solved = 5,
    Closed = 6,
}

impl Status {
    pub const ALL: [Status; 6] =
        [Status::New, Status::Open, Status::Pending, Status::OnHold, Status::Solved, Status::Closed];

    pub fn number(self) -> i64 {
        self as i64
    }

    pub fn from_number(number: i64) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.number() == number)
    }

    pub fn name(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Open => "open",
            Status::Pending => "pending",
            Status::OnHold => "on-hold",
            Status::Solved => "solved",
            Status::Closed => "closed",
        }
    }

    /// Solved or closed: nobody owes the requester anything more.
    pub fn is_solved(self) -> bool {
        matches!(self, Status::Solved | Status::Closed)
    }

    /// Whether a ticket may move from `self` to `next`. Staying put is always allowed.
    pub fn can_become(self, next: Status) -> bool {
        use Status::*;
        self == next
            || match self {
                New | Open | Pending | OnHold => matches!(next, Open | Pending | OnHold | Solved),
                Solved => matches!(next, Open | Closed),
                Closed => false,
            }
    }

    /// Statuses a ticket may be created in: any but closed (closing needs a solve first),
    /// so an import can bring in tickets already being worked or solved.
    pub fn allowed_at_creation(self) -> bool {
        self != Status::Closed
    }

    pub fn why_not(self, next: Status) -> String {
        match (self, next) {
            (Status::Closed, _) => {
                "the ticket is closed, and closed tickets are final; create a follow-up ticket instead".into()
            }
            (_, Status::New) => "a ticket cannot return to new".into(),
            (_, Status::Closed) => format!("only a solved ticket can be closed; this one is {}", self.name()),
            _ => format!("a {} ticket cannot become {}", self.name(), next.name()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Status::{self, *};

    #[test]
    fn closed_is_final() {
        for next in Status::ALL.into_iter().filter(|s| *s != Closed) {
            assert!(!Closed.can_become(next), "closed → {next:?}");
        }
    }

    #[test]
    fn nothing_returns_to_new() {
        for from in [Open, Pending, OnHold, Solved, Closed] {
            assert!(!from.can_become(New), "{from:?} → new");
        }
    }

    #[test]
    fn only_solved_tickets_close_and_solved_tickets_reopen() {
        for from in [New, Open, Pending, OnHold] {
            assert!(!from.can_become(Closed));
            assert!(from.can_become(Solved));
        }
        assert!(Solved.can_become(Closed));
        assert!(Solved.can_become(Open));
        assert!(!Solved.can_become(Pending));
    }

    #[test]
    fn numbers_round_trip() {
        for status in Status::ALL {
            assert_eq!(Status::from_number(status.number()), Some(status));
        }
        assert_eq!(Status::from_number(0), None);
    }
}
