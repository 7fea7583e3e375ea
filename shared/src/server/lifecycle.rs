//! How a serving process stops, as one small state machine: what happens next is a pure
//! function of the phase it is in and what just happened, so every path to "stopped" is tested
//! here without a server, and the driver (the binary's `Application`) only performs the
//! actions this hands it and reports events. Each action comes out at most once, in order, so
//! nothing is ever awaited or closed twice.
//!
//! A stop request (SIGTERM, Ctrl-C) turns readiness NOT_SERVING and keeps serving for the drain
//! delay, while load balancers notice; then new calls are refused while running ones finish;
//! then servers and background work stop; then the databases close. Each further stop request
//! skips one wait (a second Ctrl-C skips the delay, a third cuts running calls off). A server
//! that ends by itself (its listener failed) skips the delay: nobody can reach it any more.

/// Where the process is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Readiness SERVING; every call is served.
    Serving,
    /// Readiness NOT_SERVING; calls are still served until the drain delay has passed.
    Leaving,
    /// New calls are refused with UNAVAILABLE and watch streams end; running calls finish.
    Draining,
    /// Servers and background work have been told to stop; waiting (bounded) for them.
    Closing,
    Stopped,
}

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// SIGTERM, Ctrl-C, or a caller of `shutdown`.
    StopRequested,
    /// A server task ended by itself: its listener failed or its connections source closed.
    ServerEnded,
    DrainDelayPassed,
    /// No call is running any more.
    CallsFinished,
    /// Calls are still running at the shutdown timeout; they are cut off.
    DrainTimedOut,
    /// Every server and background task has ended (or was given up on at its bound).
    TasksEnded,
}

/// What the driver must do on entering the next phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Readiness (each service's health status) turns NOT_SERVING.
    MarkNotServing,
    /// New calls get UNAVAILABLE; watch streams and the feed followers reading them end.
    RefuseNewCalls,
    /// Servers close their listeners and background work is cancelled.
    StopTasks,
    CloseDatabases,
}

impl Phase {
    /// The phase after `event`, and the actions to perform, in order, to get there.
    pub fn next(self, event: Event) -> (Phase, &'static [Action]) {
        use {Action::*, Event::*, Phase::*};
        match (self, event) {
            (Serving, StopRequested) => (Leaving, &[MarkNotServing]),
            (Serving, ServerEnded) => (Draining, &[MarkNotServing, RefuseNewCalls]),
            (Leaving, DrainDelayPassed | StopRequested | ServerEnded) => (Draining, &[RefuseNewCalls]),
            (Draining, CallsFinished | DrainTimedOut | StopRequested) => (Closing, &[StopTasks]),
            (Closing, TasksEnded) => (Stopped, &[CloseDatabases]),
            // Anything else changes nothing: a late timer, a second server ending while draining.
            (phase, _) => (phase, &[]),
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::{Action, Event, Phase};

    fn run(events: &[Event]) -> (Phase, Vec<Action>) {
        let mut phase = Phase::Serving;
        let mut actions = Vec::new();
        for &event in events {
            let (next, performed) = phase.next(event);
            actions.extend_from_slice(performed);
            phase = next;
        }
        (phase, actions)
    }

    #[test]
    fn a_stop_request_goes_through_every_phase_in_order() {
        let (phase, actions) =
            run(&[Event::StopRequested, Event::DrainDelayPassed, Event::CallsFinished, Event::TasksEnded]);
        assert_eq!(phase, Phase::Stopped);
        assert_eq!(
            actions,
            [Action::MarkNotServing, Action::RefuseNewCalls, Action::StopTasks, Action::CloseDatabases]
        );
    }

    #[test]
    fn a_server_that_ends_by_itself_skips_the_drain_delay() {
        assert_eq!(
            Phase::Serving.next(Event::ServerEnded),
            (Phase::Draining, &[Action::MarkNotServing, Action::RefuseNewCalls][..])
        );
    }

    #[test]
    fn each_further_stop_request_skips_one_wait() {
        let (phase, _) = run(&[Event::StopRequested, Event::StopRequested]);
        assert_eq!(phase, Phase::Draining, "the second request skips the drain delay");
        let (phase, _) = run(&[Event::StopRequested, Event::StopRequested, Event::StopRequested]);
        assert_eq!(phase, Phase::Closing, "the third cuts running calls off");
    }

    #[test]
    fn a_second_server_ending_while_draining_changes_nothing() {
        let (phase, actions) = run(&[Event::ServerEnded, Event::ServerEnded]);
        assert_eq!(phase, Phase::Draining);
        assert_eq!(actions, [Action::MarkNotServing, Action::RefuseNewCalls]);
    }

    #[test]
    fn stopped_is_final() {
        for event in EVENTS {
            assert_eq!(Phase::Stopped.next(event), (Phase::Stopped, &[][..]));
        }
    }

    const EVENTS: [Event; 6] = [
        Event::StopRequested,
        Event::ServerEnded,
        Event::DrainDelayPassed,
        Event::CallsFinished,
        Event::DrainTimedOut,
        Event::TasksEnded,
    ];

    proptest! {
        /// Whatever happens, in whatever order: each action at most once, and in the order
        /// readiness → refusing → stopping tasks → closing databases.
        #[test]
        fn every_action_happens_at_most_once_and_in_order(events in proptest::collection::vec(0..EVENTS.len(), 0..40)) {
            let events: Vec<Event> = events.into_iter().map(|index| EVENTS[index]).collect();
            let (_, actions) = run(&events);
            let order = [Action::MarkNotServing, Action::RefuseNewCalls, Action::StopTasks, Action::CloseDatabases];
            let positions: Vec<usize> = actions
                .iter()
                .map(|action| order.iter().position(|candidate| candidate == action).expect("known action"))
                .collect();
            prop_assert!(positions.windows(2).all(|pair| pair[0] < pair[1]), "actions {:?}", actions);
        }

        /// The driver's own events always reach Stopped once a stop is requested: the phases
        /// never wait for something that cannot come.
        #[test]
        fn a_requested_stop_always_ends(noise in proptest::collection::vec(0..EVENTS.len(), 0..10)) {
            let mut phase = Phase::Serving;
            for index in noise {
                phase = phase.next(EVENTS[index]).0;
            }
            phase = phase.next(Event::StopRequested).0;
            for event in [Event::DrainDelayPassed, Event::DrainTimedOut, Event::TasksEnded] {
                phase = phase.next(event).0;
            }
            prop_assert_eq!(phase, Phase::Stopped);
        }
    }
}
