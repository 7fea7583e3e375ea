//! Staffing mathematics for one planning interval: how many agents a forecast needs.
//!
//! A planner gives contact volume, average handle time (AHT), a service-level goal ("80% answered within 20 s"),
//! an occupancy cap and shrinkage; [`requirement`] returns the fewest agents meeting both goals, and
//! [`performance`] returns what a given head count achieves.
//!
//! # Models
//!
//! * **Erlang C** (M/M/N: Poisson arrivals, exponential handle times, N agents, infinite patience). With offered
//!   traffic `A = volume × AHT / interval` Erlangs, the probability of waiting is `C = B / (1 − (A/N)(1 − B))`
//!   where `B` is Erlang B; then service level `= 1 − C·exp(−(N − A)·T/AHT)` and ASA `= C·AHT/(N − A)`. Only
//!   `N > A` is stable; at or below it the queue grows without bound, so the probability of waiting is 1, the
//!   service level 0 and the ASA infinite.
//! * **Erlang A** (Palm's M/M/N+M: the same, plus exponential patience with mean `average_patience_seconds`), used
//!   when a patience is given. Callers who hang up keep the queue finite at any head count and shorten the wait of
//!   everyone behind them, so Erlang A never needs more agents than Erlang C and usually needs fewer.
//!
//! # Why the Erlang B recursion
//!
//! The textbook formula `B = (Aᴺ/N!) / Σₖ Aᵏ/k!` is a number in [0, 1] written as a ratio of two numbers that
//! overflow `f64`: N! does past N = 170, and Aᴺ sooner (480¹¹⁵ > 10³⁰⁸), while a large centre runs 500+ agents.
//! The recursion `B(0) = 1, B(n) = A·B(n−1) / (n + A·B(n−1))` keeps every intermediate in [0, 1], adds only
//! positive numbers, and is the standard stable evaluation (D. L. Jagerman, "Some properties of the Erlang loss
//! function", Bell System Technical Journal 53, 1974; V. B. Iversen, *Teletraffic Engineering and Network Planning*,
//! ITU-D). `C` then follows from `B` with a denominator `1 − (A/N)(1 − B)` that is never below `(A/N)·B > 0` when
//! `N > A`. Nothing here ever forms a factorial or a power.
//!
//! # Erlang A: the method
//!
//! Model from C. Palm (1943/1957); formulas from O. Garnett, A. Mandelbaum & M. Reiman, "Designing a call center with
//! impatient customers", Manufacturing & Service Operations Management 4(3), 2002, and A. Mandelbaum & S. Zeltyn,
//! "The Palm/Erlang-A queue, with applications to call centers" (Technion, 2007). With
//! `μ = 1/AHT`, `θ = 1/patience`, `a = Nμ/θ`, `x = λ/θ`:
//!
//! * the stationary chain below N is Erlang's, and above it `π(N+k) = π(N)·tₖ` with `tₖ = Πᵢ₌₁..ₖ x/(a+i)`; with
//!   `S(a, x) = Σₖ tₖ` (a Kummer function, `= a·eˣ·x⁻ᵃ·γ(a, x)`), the probability of waiting is
//!   `B·S / (1 − B + B·S)`;
//! * a contact arriving behind `k` waiting contacts is answered after `V = Σᵢ₌₀..ₖ Exp(Nμ + iθ)` unless its own
//!   patience runs out first, so it is answered with probability `a/(a+k+1)`, and among the answered its mean wait
//!   is `(1/θ)·Σᵢ₌₁..ₖ₊₁ 1/(a+i)`; summing these over `k` gives abandonment and ASA exactly;
//! * the waiting-time tail has the closed form `P(V > T | wait) = γ(a, x·e^{−θT}) / γ(a, x)`, evaluated here as
//!   `exp(−NμT + x(1 − e^{−θT}) + ln S(a, x·e^{−θT}) − ln S(a, x))`.
//!
//! So this is a numerical evaluation of the M/M/N+M birth–death chain, with the incomplete-gamma closed form used
//! only for the waiting-time tail. `S` (and the abandonment and ASA sums alongside it) is summed outward from its
//! largest term, every term scaled by that one, so nothing overflows and only negligible terms underflow. Each side
//! stops once a geometric bound (the term ratios fall monotonically) shows the rest is below 10⁻¹⁸ of the sum: the
//! chain is truncated only where its remaining mass is provably negligible. The largest term's logarithm is summed
//! directly when it sits at most 4096 states in, otherwise taken from Stirling's series arranged so that nothing
//! large cancels. The cost grows with √(traffic × patience / AHT), which is why patience is capped at
//! 100 000 × AHT and traffic at a million Erlangs; past that cap abandonment is negligible and Erlang C (`None`)
//! is the right model.
//!
//! **Service level under Erlang A** is `P(V ≤ T)`: the share of contacts that the centre reaches within the target
//! time (its *virtual* wait), whether or not the contact would have stayed that long. Counting only answered
//! contacts, or counting hang-ups as met, would let abandonment itself "improve" the service level; this measure
//! cannot be inflated that way, reduces to Erlang C's as patience grows, and is what makes "Erlang A never needs
//! more agents than Erlang C" a theorem rather than an accident. ASA is the mean wait of *answered* contacts.
//! Abandonment is reported separately and not targeted. Because of that, [`requirement`] searches only above the
//! traffic under both models: Erlang A is stable below it too, but only because at least `1 − N/A` of contacts
//! hang up, which no planner should get from a search that never looked at abandonment.
//!
//! # Occupancy
//!
//! Occupancy is `A/N` (Erlang A: carried traffic `A·(1 − abandonment)/N`). Where Erlang C is unstable the agents
//! are saturated and occupancy is reported as 1 rather than the meaningless `A/N > 1`; with no agents it is 0.

use std::fmt;

/// What a planner asks for one interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StaffingInput {
    /// Contacts arriving in the interval.
    pub volume: f64,
    /// Length of the interval, seconds (e.g. 1800).
    pub interval_seconds: f64,
    /// Average handle time, seconds.
    pub average_handle_seconds: f64,
    /// Target share answered within `target_answer_seconds`, 0..1 (e.g. 0.8).
    pub service_level_target: f64,
    pub target_answer_seconds: f64,
    /// Upper bound on occupancy, 0..1 (e.g. 0.85); agents are added until occupancy is at or below it.
    pub max_occupancy: f64,
    /// Share of paid time not available for contacts (breaks, training…), 0..1 (e.g. 0.3).
    pub shrinkage: f64,
    /// Erlang A only: average patience before abandoning, seconds; None = Erlang C.
    pub average_patience_seconds: Option<f64>,
}

/// The standard outputs for a given number of agents.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Performance {
    pub agents: u32,
    /// Erlangs: volume × handle time / interval.
    pub traffic_intensity: f64,
    /// Probability an arriving contact waits (Erlang C formula; for Erlang A the probability of waiting > 0).
    pub probability_of_waiting: f64,
    /// Share answered within the target time (Erlang A: share whose wait until an agent is free is within it).
    pub service_level: f64,
    /// Average speed of answer, seconds (Erlang A: over answered contacts).
    pub average_speed_of_answer: f64,
    /// traffic / agents (for Erlang A use carried traffic).
    pub occupancy: f64,
    /// Erlang A only: share abandoning (0 for Erlang C).
    pub abandonment_rate: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Requirement {
    /// Fewest agents meeting the service level target and the occupancy cap.
    pub agents: u32,
    /// `agents` raised for shrinkage: ceil(agents / (1 - shrinkage)).
    pub agents_with_shrinkage: u32,
    pub performance: Performance,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StaffingError {
    /// An input is outside its domain; `field` names the `StaffingInput` field at fault.
    InvalidInput { field: &'static str, reason: String },
    /// No head count up to `max_agents` meets the service level target and the occupancy cap.
    Unreachable { max_agents: u32 },
}

impl fmt::Display for StaffingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidInput { field, reason } => write!(f, "invalid {field}: {reason}"),
            Self::Unreachable { max_agents } => {
                write!(f, "the service level target and occupancy cap cannot be met with {max_agents} agents or fewer")
            }
        }
    }
}

impl std::error::Error for StaffingError {}

/// The search gives up here: no single interval of a real centre needs more, and it bounds the work.
const MAX_AGENTS: u32 = 100_000;
/// Largest offered traffic accepted, Erlangs; bounds the Erlang A evaluation (see the module docs).
const MAX_TRAFFIC_ERLANGS: f64 = 1e6;
/// Largest patience accepted, as a multiple of the handle time; bounds the Erlang A evaluation.
const MAX_PATIENCE_PER_HANDLE: f64 = 1e5;
/// Up to this index the largest term of `S(a, x)` is located by summing logarithms exactly.
const DIRECT_PEAK_LIMIT: u64 = 4096;
/// Summation of `S(a, x)` stops once the remaining terms are provably below this share of the sum.
const TAIL_EPSILON: f64 = 1e-18;

/// The performance `agents` agents achieve on `input` (Erlang C, or Erlang A when a patience is given).
pub fn performance(input: &StaffingInput, agents: u32) -> Result<Performance, StaffingError> {
    let model = Model::new(input)?;
    Ok(model.evaluate(agents, erlang_b(agents, model.traffic)))
}

/// The fewest agents meeting `input`'s service level target and occupancy cap, and that head count raised for
/// shrinkage.
pub fn requirement(input: &StaffingInput) -> Result<Requirement, StaffingError> {
    let model = Model::new(input)?;
    let goal = Goal { service_level: input.service_level_target, max_occupancy: input.max_occupancy };
    let (agents, performance) = if model.traffic == 0.0 {
        (0, model.evaluate(0, 1.0))
    } else {
        let erlang_c = model.search_erlang_c(goal);
        match model.patience {
            None => erlang_c?,
            // Erlang C's answer bounds Erlang A's from above; if the occupancy cap puts Erlang C out of reach,
            // Erlang A (whose carried traffic is lower) may still get there.
            Some(patience) => model.search_erlang_a(goal, patience, erlang_c.ok().map(|(agents, _)| agents))?,
        }
    };
    let agents_with_shrinkage = raise_for_shrinkage(agents, input.shrinkage)?;
    Ok(Requirement { agents, agents_with_shrinkage, performance })
}

#[derive(Debug, Clone, Copy)]
struct Goal {
    service_level: f64,
    max_occupancy: f64,
}

impl Goal {
    fn met_by(self, performance: &Performance) -> bool {
        performance.service_level >= self.service_level && performance.occupancy <= self.max_occupancy
    }
}

/// Validated inputs, reduced to what the queueing formulas use.
#[derive(Debug, Clone, Copy)]
struct Model {
    /// Offered traffic `A`, Erlangs.
    traffic: f64,
    handle: f64,
    answer_target: f64,
    patience: Option<f64>,
}

fn invalid(field: &'static str, reason: impl Into<String>) -> StaffingError {
    StaffingError::InvalidInput { field, reason: reason.into() }
}

fn finite(field: &'static str, value: f64) -> Result<f64, StaffingError> {
    if value.is_finite() { Ok(value) } else { Err(invalid(field, format!("must be a finite number, got {value}"))) }
}

impl Model {
    fn new(input: &StaffingInput) -> Result<Self, StaffingError> {
        let volume = finite("volume", input.volume)?;
        if volume < 0.0 {
            return Err(invalid("volume", format!("must not be negative, got {volume}")));
        }
        let interval = finite("interval_seconds", input.interval_seconds)?;
        if interval <= 0.0 {
            return Err(invalid("interval_seconds", format!("must be positive, got {interval}")));
        }
        let handle = finite("average_handle_seconds", input.average_handle_seconds)?;
        if handle <= 0.0 {
            return Err(invalid("average_handle_seconds", format!("must be positive, got {handle}")));
        }
        let target = finite("service_level_target", input.service_level_target)?;
        if target <= 0.0 || target >= 1.0 {
            return Err(invalid("service_level_target", format!("must lie strictly between 0 and 1, got {target}")));
        }
        let answer_target = finite("target_answer_seconds", input.target_answer_seconds)?;
        if answer_target < 0.0 {
            return Err(invalid("target_answer_seconds", format!("must not be negative, got {answer_target}")));
        }
        let max_occupancy = finite("max_occupancy", input.max_occupancy)?;
        if max_occupancy <= 0.0 || max_occupancy > 1.0 {
            return Err(invalid("max_occupancy", format!("must be above 0 and at most 1, got {max_occupancy}")));
        }
        let shrinkage = finite("shrinkage", input.shrinkage)?;
        if !(0.0..1.0).contains(&shrinkage) {
            return Err(invalid("shrinkage", format!("must be at least 0 and below 1, got {shrinkage}")));
        }
        let patience = match input.average_patience_seconds {
            None => None,
            Some(patience) => {
                let patience = finite("average_patience_seconds", patience)?;
                if patience <= 0.0 {
                    return Err(invalid("average_patience_seconds", format!("must be positive, got {patience}")));
                }
                if patience / handle > MAX_PATIENCE_PER_HANDLE {
                    return Err(invalid(
                        "average_patience_seconds",
                        format!(
                            "{patience} s is over {MAX_PATIENCE_PER_HANDLE} times the handle time; abandonment is \
                             negligible there, use None (Erlang C)"
                        ),
                    ));
                }
                Some(patience)
            }
        };
        // Multiply first so that round inputs stay exact: 100 × 180 / 1800 is exactly 10 Erlangs.
        let traffic = volume * handle / interval;
        if !traffic.is_finite() || traffic > MAX_TRAFFIC_ERLANGS {
            return Err(invalid(
                "volume",
                format!("offered traffic volume × handle / interval = {traffic} Erlangs exceeds {MAX_TRAFFIC_ERLANGS}"),
            ));
        }
        Ok(Self { traffic, handle, answer_target, patience })
    }

    /// Performance of `agents` agents, given `blocking` = Erlang B(agents, traffic) from [`erlang_b`].
    fn evaluate(&self, agents: u32, blocking: f64) -> Performance {
        match self.patience {
            _ if self.traffic == 0.0 => Performance {
                agents,
                traffic_intensity: 0.0,
                probability_of_waiting: 0.0,
                service_level: 1.0,
                average_speed_of_answer: 0.0,
                occupancy: 0.0,
                abandonment_rate: 0.0,
            },
            None => self.erlang_c(agents, blocking),
            Some(patience) => self.erlang_a(agents, blocking, patience),
        }
    }

    fn erlang_c(&self, agents: u32, blocking: f64) -> Performance {
        let traffic = self.traffic;
        let n = f64::from(agents);
        if n <= traffic {
            return Performance {
                agents,
                traffic_intensity: traffic,
                probability_of_waiting: 1.0,
                service_level: 0.0,
                average_speed_of_answer: f64::INFINITY,
                occupancy: if agents == 0 { 0.0 } else { 1.0 },
                abandonment_rate: 0.0,
            };
        }
        let occupancy = traffic / n;
        // The denominator 1 − ρ + ρ·B is at least ρ·B > 0, so it cannot vanish.
        let waiting = (blocking / (1.0 - occupancy * (1.0 - blocking))).clamp(0.0, 1.0);
        let spare = n - traffic;
        Performance {
            agents,
            traffic_intensity: traffic,
            probability_of_waiting: waiting,
            service_level: (1.0 - waiting * (-spare * self.answer_target / self.handle).exp()).clamp(0.0, 1.0),
            average_speed_of_answer: waiting * self.handle / spare,
            occupancy,
            abandonment_rate: 0.0,
        }
    }

    fn erlang_a(&self, agents: u32, blocking: f64, patience: f64) -> Performance {
        let traffic = self.traffic;
        if agents == 0 {
            // Nobody answers: everyone waits, and everyone eventually hangs up.
            return Performance {
                agents,
                traffic_intensity: traffic,
                probability_of_waiting: 1.0,
                service_level: 0.0,
                average_speed_of_answer: f64::INFINITY,
                occupancy: 0.0,
                abandonment_rate: 1.0,
            };
        }
        let n = f64::from(agents);
        // Rates in units of the abandonment rate θ: a = Nμ/θ, x = λ/θ.
        let per_handle = patience / self.handle;
        let a = n * per_handle;
        let x = traffic * per_handle;
        let queue = QueueSums::new(a, x);

        // P(wait) = B·S / (1 − B + B·S) = 1 / (1 + ((1 − B)/B) / S), formed in logs because S can be astronomically
        // large when agents are far below the traffic. B = 0 (underflow, far above the traffic) gives 0 cleanly.
        let log_odds = (-blocking).ln_1p() - blocking.ln();
        let waiting = 1.0 / (1.0 + (log_odds - queue.ln_sum).exp());

        let late_given_waiting = if self.answer_target == 0.0 {
            1.0
        } else {
            // T/patience rather than θ·T: θ = 1/patience can overflow for a tiny patience.
            let decay = self.answer_target / patience;
            let shifted = QueueSums::new(a, x * (-decay).exp());
            let ln_late =
                -n * (self.answer_target / self.handle) + x * -(-decay).exp_m1() + shifted.ln_sum - queue.ln_sum;
            ln_late.exp().min(1.0)
        };

        let answered = (1.0 - waiting) + waiting * queue.answered_share;
        let answered_after_waiting = waiting * queue.answered_share;
        let average_speed_of_answer = if answered > 0.0 {
            answered_after_waiting * queue.answered_mean_wait * patience / answered
        } else {
            f64::INFINITY
        };
        Performance {
            agents,
            traffic_intensity: traffic,
            probability_of_waiting: waiting,
            service_level: (1.0 - waiting * late_given_waiting).clamp(0.0, 1.0),
            average_speed_of_answer,
            // Carried traffic can never exceed the head count; min() only absorbs rounding.
            occupancy: (traffic * answered / n).min(1.0),
            abandonment_rate: (waiting * queue.abandoned_share).clamp(0.0, 1.0),
        }
    }

    /// Smallest N > A meeting `goal` under Erlang C. Service level rises and occupancy falls with N, so the first
    /// N that meets both is the answer; stepping from just above A costs one recursion step per candidate.
    fn search_erlang_c(&self, goal: Goal) -> Result<(u32, Performance), StaffingError> {
        let first = self.first_above_traffic()?;
        let mut blocking = erlang_b(first, self.traffic);
        for agents in first..=MAX_AGENTS {
            let performance = self.erlang_c(agents, blocking);
            if goal.met_by(&performance) {
                return Ok((agents, performance));
            }
            blocking = erlang_b_step(blocking, agents + 1, self.traffic);
        }
        Err(StaffingError::Unreachable { max_agents: MAX_AGENTS })
    }

    /// Smallest N > A meeting `goal` under Erlang A. Its queue is stable at any head count, but below the traffic
    /// it is held down only by hang-ups (at least 1 − N/A of contacts abandon, and with impatient callers the
    /// service level can still look fine), and nothing here targets abandonment, so the search stays above A as
    /// Erlang C's does. Service level rises with N (more agents shorten every wait), so the least N reaching it is
    /// found by bisection up to `erlang_c_agents` (which meets the goal under Erlang A too); from there a step-up
    /// scan adds the occupancy cap without assuming anything about its shape.
    fn search_erlang_a(
        &self,
        goal: Goal,
        patience: f64,
        erlang_c_agents: Option<u32>,
    ) -> Result<(u32, Performance), StaffingError> {
        let reaches_service_level = |agents: u32| {
            self.erlang_a(agents, erlang_b(agents, self.traffic), patience).service_level >= goal.service_level
        };
        let first = self.first_above_traffic()?;
        let mut high = erlang_c_agents.unwrap_or(MAX_AGENTS);
        if reaches_service_level(high) {
            let mut low = first;
            while low < high {
                let middle = low + (high - low) / 2;
                if reaches_service_level(middle) {
                    high = middle;
                } else {
                    low = middle + 1;
                }
            }
        }
        let mut blocking = erlang_b(high, self.traffic);
        for agents in high..=MAX_AGENTS {
            let performance = self.erlang_a(agents, blocking, patience);
            if goal.met_by(&performance) {
                return Ok((agents, performance));
            }
            blocking = erlang_b_step(blocking, agents + 1, self.traffic);
        }
        Err(StaffingError::Unreachable { max_agents: MAX_AGENTS })
    }

    /// The least whole head count strictly above the traffic, where every search starts.
    fn first_above_traffic(&self) -> Result<u32, StaffingError> {
        let first = self.traffic.floor() + 1.0;
        if first > f64::from(MAX_AGENTS) {
            return Err(StaffingError::Unreachable { max_agents: MAX_AGENTS });
        }
        // In range by the check above (and `as` saturates rather than panics in any case).
        Ok(first as u32)
    }
}

/// Erlang B blocking probability for `agents` servers and `traffic` Erlangs, by the stable recursion.
fn erlang_b(agents: u32, traffic: f64) -> f64 {
    let mut blocking = 1.0;
    for n in 1..=agents {
        blocking = erlang_b_step(blocking, n, traffic);
        // Once it underflows it stays 0; stopping keeps a huge `agents` cheap.
        if blocking == 0.0 {
            break;
        }
    }
    blocking
}

/// B(n) from B(n − 1). Searches step with this so their values match [`erlang_b`] bit for bit.
fn erlang_b_step(previous: f64, n: u32, traffic: f64) -> f64 {
    let offered = traffic * previous;
    offered / (f64::from(n) + offered)
}

/// `ceil(agents / (1 − shrinkage))`, forgiving the last bits of rounding: 21 / (1 − 0.3) is 30.000000000000004
/// in binary floating point, and a planner means 30, not 31.
fn raise_for_shrinkage(agents: u32, shrinkage: f64) -> Result<u32, StaffingError> {
    let raw = f64::from(agents) / (1.0 - shrinkage);
    let nearest = raw.round();
    let raised = if (raw - nearest).abs() <= raw * 1e-9 { nearest } else { raw.ceil() };
    if raised > f64::from(u32::MAX) {
        return Err(invalid("shrinkage", format!("raising {agents} agents for {shrinkage} shrinkage overflows")));
    }
    Ok(raised as u32)
}

/// Sums over the Erlang A queue: `tₖ = Πᵢ₌₁..ₖ x/(a+i)` is the weight of "k contacts already waiting" relative
/// to "all agents busy, nobody waiting" (a = Nμ/θ, x = λ/θ).
#[derive(Debug, Clone, Copy)]
struct QueueSums {
    /// ln S(a, x), S = Σₖ tₖ.
    ln_sum: f64,
    /// P(answered | waits) = Σ tₖ·a/(a+k+1) / S.
    answered_share: f64,
    /// P(abandons | waits) = Σ tₖ·(k+1)/(a+k+1) / S.
    abandoned_share: f64,
    /// Mean wait of contacts that wait and are answered, in units of the mean patience 1/θ.
    answered_mean_wait: f64,
}

#[derive(Debug, Default)]
struct QueueAccumulator {
    sum: f64,
    answered: f64,
    abandoned: f64,
    answered_wait: f64,
}

impl QueueAccumulator {
    /// Adds "k contacts waiting ahead" with relative weight `weight`. `harmonic` is Hₖ = Σᵢ₌₁..ₖ₊₁ 1/(a+i), the mean
    /// wait, in units of 1/θ, of a contact from that position that is answered.
    fn add(&mut self, a: f64, k: f64, weight: f64, harmonic: f64) {
        let denominator = a + k + 1.0;
        // Behind k waiting contacts one is answered iff it outlasts k+1 exponential phases: probability a/(a+k+1).
        let answered = weight * a / denominator;
        self.sum += weight;
        self.answered += answered;
        self.abandoned += weight * (k + 1.0) / denominator;
        self.answered_wait += answered * harmonic.max(0.0);
    }
}

impl QueueSums {
    fn new(a: f64, x: f64) -> Self {
        Self::with_direct_limit(a, x, DIRECT_PEAK_LIMIT)
    }

    /// As [`QueueSums::new`], with the peak-location threshold exposed so tests can compare both ways.
    fn with_direct_limit(a: f64, x: f64, direct_limit: u64) -> Self {
        // tₖ/tₖ₋₁ = x/(a+k) ≥ 1 exactly while k ≤ x − a, so the largest term sits at k* = ⌊x − a⌋ (or 0).
        let peak: u64 = if x > a { (x - a).floor() as u64 } else { 0 };
        let (ln_peak, harmonic_peak) = if peak <= direct_limit {
            let mut ln_peak = 0.0;
            let mut harmonic = 1.0 / (a + 1.0);
            for i in 1..=peak {
                let ai = a + i as f64;
                ln_peak += (x / ai).ln();
                harmonic += 1.0 / (ai + 1.0);
            }
            (ln_peak, harmonic)
        } else {
            let k = peak as f64;
            (ln_peak_term(a, x, k), digamma_difference(a + k + 2.0, a + 1.0))
        };

        // Every term is scaled by 1/t_peak, so the largest is 1: no overflow, and underflow only of negligible terms.
        let mut acc = QueueAccumulator::default();
        let peak = peak as f64;
        acc.add(a, peak, 1.0, harmonic_peak);

        // Rightwards the ratio x/(a+k+1) is below 1 and falling, so the remaining tail is at most t·r/(1 − r).
        let (mut k, mut weight, mut harmonic) = (peak, 1.0, harmonic_peak);
        loop {
            k += 1.0;
            weight *= x / (a + k);
            harmonic += 1.0 / (a + k + 1.0);
            acc.add(a, k, weight, harmonic);
            let ratio = x / (a + k + 1.0);
            if weight * ratio <= TAIL_EPSILON * acc.sum * (1.0 - ratio) {
                break;
            }
        }

        // Leftwards tₖ₋₁ = tₖ·(a+k)/x, again a ratio below 1 that falls as k falls. (x > a whenever peak > 0.)
        let (mut k, mut weight, mut harmonic) = (peak, 1.0, harmonic_peak);
        while k > 0.0 {
            weight *= (a + k) / x;
            harmonic -= 1.0 / (a + k + 1.0);
            k -= 1.0;
            acc.add(a, k, weight, harmonic);
            let ratio = (a + k) / x;
            if weight * ratio <= TAIL_EPSILON * acc.sum * (1.0 - ratio) {
                break;
            }
        }

        Self {
            ln_sum: ln_peak + acc.sum.ln(),
            answered_share: acc.answered / acc.sum,
            abandoned_share: acc.abandoned / acc.sum,
            answered_mean_wait: if acc.answered > 0.0 { acc.answered_wait / acc.answered } else { 0.0 },
        }
    }
}

/// ln tₖ = k·ln x − ln Γ(a+k+1) + ln Γ(a+1) for a large k, from Stirling's series rearranged so the O(a ln a)
/// parts cancel algebraically rather than numerically: with b = a + k,
/// ln tₖ = −b·ln(b/x) + (a·ln(a/x) + k) − ½·ln(b/a) − (c(b) − c(a)), c being Stirling's remainder.
fn ln_peak_term(a: f64, x: f64, k: f64) -> f64 {
    let b = a + k;
    let b_part = b * ((b - x) / x).ln_1p();
    // ln(a/x) via log1p near 1 keeps a·ln(a/x) + k accurate when a ≈ x; far from 1 the plain log is exact enough.
    let a_part = if a < 0.5 * x { a * (a / x).ln() } else { a * ((a - x) / x).ln_1p() };
    -b_part + (a_part + k) - 0.5 * (b / a).ln() - (stirling_remainder(b) - stirling_remainder(a))
}

/// The leading Stirling terms of ln Γ(z+1): (z + ½)·ln z − z + ½·ln 2π.
fn stirling_leading(z: f64) -> f64 {
    (z + 0.5) * z.ln() - z + 0.5 * (2.0 * std::f64::consts::PI).ln()
}

/// c(z) = ln Γ(z+1) − stirling_leading(z), for z > 0.
fn stirling_remainder(z: f64) -> f64 {
    // The asymptotic series is good to ~1e-17 from 15 up; below, shift up with Γ(z+1) = Γ(z+m+1) / Π (z+j).
    fn series(z: f64) -> f64 {
        let inverse = 1.0 / z;
        let square = inverse * inverse;
        inverse
            * (1.0 / 12.0
                - square * (1.0 / 360.0 - square * (1.0 / 1260.0 - square * (1.0 / 1680.0 - square / 1188.0))))
    }
    if z >= 15.0 {
        return series(z);
    }
    let mut shifted = z;
    let mut log_product = 0.0;
    while shifted < 15.0 {
        shifted += 1.0;
        log_product += shifted.ln();
    }
    stirling_leading(shifted) + series(shifted) - log_product - stirling_leading(z)
}

/// ψ(high) − ψ(low) for 0 < low ≤ high, accurate even when they are close and large.
fn digamma_difference(high: f64, low: f64) -> f64 {
    // ψ(z) = ψ(z+m) − Σ 1/(z+j) shifts into the range where ψ(w) ≈ ln w − 1/(2w) − Σ B₂ⱼ/(2j·w²ʲ) is exact to f64.
    fn shift(z: f64) -> (f64, f64) {
        let (mut w, mut correction) = (z, 0.0);
        while w < 15.0 {
            correction += 1.0 / w;
            w += 1.0;
        }
        (w, correction)
    }
    fn remainder(w: f64) -> f64 {
        let inverse = 1.0 / w;
        let square = inverse * inverse;
        -0.5 * inverse
            - square
                * (1.0 / 12.0
                    - square * (1.0 / 120.0 - square * (1.0 / 252.0 - square * (1.0 / 240.0 - square / 132.0))))
    }
    let (w_high, c_high) = shift(high);
    let (w_low, c_low) = shift(low);
    ((w_high - w_low) / w_low).ln_1p() + remainder(w_high) - remainder(w_low) - c_high + c_low
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Call Centre Helper's worked example: 100 calls in 30 minutes, 3-minute AHT, 80/20, 85% occupancy, 30% shrinkage.
    fn call_centre_helper() -> StaffingInput {
        StaffingInput {
            volume: 100.0,
            interval_seconds: 1800.0,
            average_handle_seconds: 180.0,
            service_level_target: 0.8,
            target_answer_seconds: 20.0,
            max_occupancy: 0.85,
            shrinkage: 0.3,
            average_patience_seconds: None,
        }
    }

    fn with_patience(input: StaffingInput, patience: f64) -> StaffingInput {
        StaffingInput { average_patience_seconds: Some(patience), ..input }
    }

    fn close(actual: f64, expected: f64, tolerance: f64) -> bool {
        (actual - expected).abs() <= tolerance
    }

    /// Erlang C by the textbook formula with factorials and powers in plain f64: fine for small N, and shares no
    /// code with the recursion.
    fn erlang_c_by_factorials(agents: u32, traffic: f64) -> f64 {
        let factorial = |n: u32| (1..=n).map(f64::from).product::<f64>();
        let n = f64::from(agents);
        let top = traffic.powi(agents as i32) / factorial(agents) * n / (n - traffic);
        let below: f64 = (0..agents).map(|k| traffic.powi(k as i32) / factorial(k)).sum();
        top / (below + top)
    }

    /// Erlang C by log-sum-exp over ln(Aᵏ/k!) with ln k! summed term by term: an independent check at large N.
    fn erlang_c_by_logs(agents: u32, traffic: f64) -> f64 {
        let mut ln_terms = Vec::with_capacity(agents as usize + 1);
        let mut ln_factorial = 0.0;
        for k in 0..agents {
            if k > 0 {
                ln_factorial += f64::from(k).ln();
            }
            ln_terms.push(f64::from(k) * traffic.ln() - ln_factorial);
        }
        let n = f64::from(agents);
        let ln_top = n * traffic.ln() - (ln_factorial + n.ln()) + (n / (n - traffic)).ln();
        let max = ln_terms.iter().copied().fold(ln_top, f64::max);
        let below: f64 = ln_terms.iter().map(|t| (t - max).exp()).sum();
        let top = (ln_top - max).exp();
        top / (below + top)
    }

    #[test]
    fn call_centre_helper_worked_example() {
        let input = call_centre_helper();
        let required = requirement(&input).unwrap();
        assert_eq!(required.agents, 14);
        assert_eq!(required.agents_with_shrinkage, 20);
        let at_14 = required.performance;
        assert_eq!(at_14, performance(&input, 14).unwrap());
        assert_eq!(at_14.traffic_intensity, 10.0);
        assert!(close(at_14.service_level, 0.8884, 0.0005), "{at_14:?}");
        // Exact rational arithmetic gives C(14, 10) = 0.17413193359504984…, ASA = 45·C = 7.8359370117772429… s and
        // SL = 0.88835001917946688…; the factorial formula is an independent f64 check of the same numbers.
        let by_factorials = erlang_c_by_factorials(14, 10.0);
        assert!(close(by_factorials, 0.174_131_933_595_049_8, 1e-12));
        assert!(close(at_14.probability_of_waiting, by_factorials, 1e-12), "{at_14:?}");
        assert!(close(at_14.average_speed_of_answer, by_factorials * 180.0 / 4.0, 1e-10), "{at_14:?}");
        assert!(close(at_14.average_speed_of_answer, 7.835_937_011_777_243, 1e-9), "{at_14:?}");
        assert!(close(at_14.service_level, 0.888_350_019_179_466_9, 1e-12), "{at_14:?}");
        assert!(close(at_14.occupancy, 10.0 / 14.0, 1e-15));
        assert_eq!(at_14.abandonment_rate, 0.0);
        // 13 agents miss 80/20 (0.7956), so 14 is the least.
        let at_13 = performance(&input, 13).unwrap();
        assert!(close(at_13.service_level, 0.795_594_788_417_783_1, 1e-12), "{at_13:?}");
    }

    #[test]
    fn textbook_erlang_b_and_c_values() {
        // Exact rational values: B(14, 10) = 0.056819143386520859…, C(14, 10) = 0.17413193359504984…,
        // B(3, 2) = 4/19, C(3, 2) = 4/9. (0.0264 is not B(14, 10), nor any B(N, 10): B(15, 10) = 0.0365,
        // B(16, 10) = 0.0223.) The Erlang B table's 5%-blocking column puts 14 circuits at 9.73 Erlangs (B = 0.050012…).
        assert!(close(erlang_b(14, 10.0), 0.056_819_143_386_520_86, 1e-15));
        assert!(close(erlang_b(15, 10.0), 0.036_496_945_472_370_79, 1e-15));
        assert!(close(erlang_b(14, 9.73), 0.050_012_025_901_477_3, 1e-14));
        assert!(close(erlang_b(3, 2.0), 4.0 / 19.0, 1e-15));
        let classic =
            StaffingInput { volume: 2.0, interval_seconds: 1.0, average_handle_seconds: 1.0, ..call_centre_helper() };
        let at_3 = performance(&classic, 3).unwrap();
        assert_eq!(at_3.traffic_intensity, 2.0);
        assert!(close(at_3.probability_of_waiting, 4.0 / 9.0, 1e-15), "{at_3:?}");
        // ASA = C·AHT/(N − A) = 4/9 s; occupancy 2/3.
        assert!(close(at_3.average_speed_of_answer, 4.0 / 9.0, 1e-15), "{at_3:?}");
        assert!(close(at_3.occupancy, 2.0 / 3.0, 1e-15));
        let at_14 = performance(&call_centre_helper(), 14).unwrap();
        assert!(close(at_14.probability_of_waiting, 0.1741, 0.00005));
    }

    #[test]
    fn hundreds_of_agents_stay_finite_and_match_log_space_evaluation() {
        // 4800 calls per half hour at 180 s is 480 Erlangs; the 85% occupancy cap binds at ⌈480/0.85⌉ = 565.
        let input = StaffingInput { volume: 4800.0, ..call_centre_helper() };
        let required = requirement(&input).unwrap();
        assert_eq!(required.agents, 565);
        assert_eq!(required.agents_with_shrinkage, 808); // ⌈565 / 0.7⌉ = ⌈807.14⌉
        let at = required.performance;
        assert!(at.service_level >= 0.8 && at.occupancy <= 0.85, "{at:?}");
        assert!(close(at.probability_of_waiting, erlang_c_by_logs(565, 480.0), 1e-12), "{at:?}");
        // Exact values at 565: C = 9.0449501467564e-5, ASA = 1.9154012075484e-4 s.
        assert!(close(at.probability_of_waiting, 9.044_950_146_756_4e-5, 1e-15), "{at:?}");
        assert!(close(at.average_speed_of_answer, 1.915_401_207_548_4e-4, 1e-15), "{at:?}");

        // Without the cap the service level binds: exact arithmetic gives SL(489) = 0.78673, SL(490) = 0.82123.
        let uncapped = StaffingInput { max_occupancy: 1.0, ..input };
        let required = requirement(&uncapped).unwrap();
        assert_eq!(required.agents, 490);
        let at = required.performance;
        assert!(close(at.probability_of_waiting, 0.543_045_237_465_607_8, 1e-12), "{at:?}");
        assert!(close(at.probability_of_waiting, erlang_c_by_logs(490, 480.0), 1e-12), "{at:?}");
        assert!(close(at.service_level, 0.821_233_315_763_843, 1e-12), "{at:?}");
        assert!(close(at.average_speed_of_answer, 9.774_814_274_380_94, 1e-9), "{at:?}");

        // Far past where factorials overflow.
        for agents in [481, 500, 520, 600, 1000, 5000] {
            let at = performance(&input, agents).unwrap();
            for value in [at.probability_of_waiting, at.service_level, at.average_speed_of_answer, at.occupancy] {
                assert!(value.is_finite(), "{at:?}");
            }
            assert!(close(at.probability_of_waiting, erlang_c_by_logs(agents, 480.0), 1e-12), "{at:?}");
        }
    }

    #[test]
    fn unstable_queue_and_empty_interval() {
        let input = call_centre_helper();
        for agents in [0, 1, 9, 10] {
            let at = performance(&input, agents).unwrap();
            assert_eq!(at.probability_of_waiting, 1.0);
            assert_eq!(at.service_level, 0.0);
            assert_eq!(at.average_speed_of_answer, f64::INFINITY);
        }
        let idle = StaffingInput { volume: 0.0, ..input };
        let required = requirement(&idle).unwrap();
        assert_eq!((required.agents, required.agents_with_shrinkage), (0, 0));
        let at = required.performance;
        assert_eq!((at.service_level, at.average_speed_of_answer, at.occupancy), (1.0, 0.0, 0.0));
        assert_eq!(at.probability_of_waiting, 0.0);
        assert_eq!(requirement(&with_patience(idle, 60.0)).unwrap().agents, 0);
        // A sliver of volume still needs an agent.
        assert_eq!(requirement(&StaffingInput { volume: 1e-9, ..input }).unwrap().agents, 1);
    }

    #[test]
    fn every_bad_input_names_its_field() {
        let good = call_centre_helper();
        let cases: [(StaffingInput, &str); 17] = [
            (StaffingInput { volume: -1.0, ..good }, "volume"),
            (StaffingInput { volume: f64::NAN, ..good }, "volume"),
            (StaffingInput { volume: 1e300, ..good }, "volume"),
            (StaffingInput { interval_seconds: 0.0, ..good }, "interval_seconds"),
            (StaffingInput { interval_seconds: f64::INFINITY, ..good }, "interval_seconds"),
            (StaffingInput { average_handle_seconds: 0.0, ..good }, "average_handle_seconds"),
            (StaffingInput { service_level_target: 1.0, ..good }, "service_level_target"),
            (StaffingInput { service_level_target: 0.0, ..good }, "service_level_target"),
            (StaffingInput { target_answer_seconds: -1.0, ..good }, "target_answer_seconds"),
            (StaffingInput { max_occupancy: 0.0, ..good }, "max_occupancy"),
            (StaffingInput { max_occupancy: 1.01, ..good }, "max_occupancy"),
            (StaffingInput { shrinkage: 1.0, ..good }, "shrinkage"),
            (StaffingInput { shrinkage: -0.1, ..good }, "shrinkage"),
            (with_patience(good, 0.0), "average_patience_seconds"),
            (with_patience(good, f64::NAN), "average_patience_seconds"),
            (with_patience(good, 180.0 * 1e6), "average_patience_seconds"),
            (StaffingInput { shrinkage: 0.999_999_999_99, volume: 1e5, ..good }, "shrinkage"),
        ];
        for (input, field) in cases {
            let error = requirement(&input).unwrap_err();
            assert!(matches!(&error, StaffingError::InvalidInput { field: f, .. } if *f == field), "{error:?}");
            assert!(error.to_string().contains(field), "{error}");
        }
        let huge = StaffingInput { volume: 2e6, ..good }; // 200 000 Erlangs
        assert_eq!(requirement(&huge), Err(StaffingError::Unreachable { max_agents: MAX_AGENTS }));
        assert!(performance(&huge, u32::MAX).is_ok());
    }

    #[test]
    fn shrinkage_rounding() {
        assert_eq!(raise_for_shrinkage(14, 0.3).unwrap(), 20);
        assert_eq!(21.0 / (1.0 - 0.3), 30.000_000_000_000_004); // why the rounding allowance exists
        assert_eq!(raise_for_shrinkage(21, 0.3).unwrap(), 30);
        assert_eq!(raise_for_shrinkage(42, 0.3).unwrap(), 60);
        assert_eq!(raise_for_shrinkage(15, 0.3).unwrap(), 22); // 21.43
        assert_eq!(raise_for_shrinkage(14, 0.0).unwrap(), 14);
        assert_eq!(raise_for_shrinkage(0, 0.5).unwrap(), 0);
        assert_eq!(raise_for_shrinkage(7, 0.125).unwrap(), 8);
    }

    #[test]
    fn special_functions_match_known_values() {
        let ln_gamma_1p = |z: f64| stirling_leading(z) + stirling_remainder(z);
        assert!(close(ln_gamma_1p(10.0), 15.104_412_573_075_516, 1e-13)); // ln 10!
        assert!(close(ln_gamma_1p(0.5), (std::f64::consts::PI.sqrt() / 2.0).ln(), 1e-14));
        assert!(close(ln_gamma_1p(100.0), 363.739_375_555_563_5, 1e-11)); // ln 100!
        assert!(close(digamma_difference(11.0, 1.0), 7381.0 / 2520.0, 1e-14)); // H₁₀
        assert!(close(digamma_difference(1.5, 0.5), 2.0, 1e-14));
        let (high, low) = (1e9 + 1234.0, 1e9);
        let direct: f64 = (0..1234).map(|j| 1.0 / (low + f64::from(j))).sum();
        assert!(close(digamma_difference(high, low), direct, 1e-17));
    }

    #[test]
    fn stirling_peak_agrees_with_summed_logs() {
        for (a, x) in [(0.5, 20_000.0), (10.0, 9_000.0), (3000.0, 12_345.6), (1e6, 1e6 + 5000.5), (1e8, 1.0001e8)] {
            let direct = QueueSums::with_direct_limit(a, x, u64::MAX);
            let stirling = QueueSums::with_direct_limit(a, x, 0);
            let tolerance = 1e-12 * direct.ln_sum.abs().max(1.0);
            assert!(close(direct.ln_sum, stirling.ln_sum, tolerance), "{a} {x}: {direct:?} {stirling:?}");
            assert!(close(direct.answered_share, stirling.answered_share, 1e-12));
            assert!(close(direct.answered_mean_wait, stirling.answered_mean_wait, 1e-9 * direct.answered_mean_wait));
        }
    }

    /// The M/M/N+M chain solved by brute force (truncated far out, plain f64, small cases only) and the waiting
    /// tail by a separate route: with patience = AHT, a = N is whole and a contact k places back waits longer than
    /// T iff fewer than k+1 of N+k independent Exp(θ) clocks have rung by T (Binomial(N+k, 1 − e^{−θT}) ≤ k).
    #[test]
    fn erlang_a_matches_brute_force_chain() {
        let input = with_patience(call_centre_helper(), 180.0);
        let (traffic, theta, mu, t) = (10.0_f64, 1.0 / 180.0, 1.0 / 180.0, 20.0);
        let lambda = traffic * mu;
        for agents in [1_u32, 5, 9, 10, 12, 14, 18] {
            let n = f64::from(agents);
            let states = 400_usize;
            let mut weights = vec![1.0_f64];
            for j in 1..states {
                let death = if j as f64 <= n { j as f64 * mu } else { n * mu + (j as f64 - n) * theta };
                let previous = weights[j - 1];
                weights.push(previous * lambda / death);
            }
            let total: f64 = weights.iter().sum();
            let p: Vec<f64> = weights.iter().map(|w| w / total).collect();
            let first_queue = agents as usize;
            let waiting: f64 = p[first_queue..].iter().sum();
            let queued: f64 = p[first_queue..].iter().enumerate().map(|(k, q)| k as f64 * q).sum();
            // Flow balance: abandonments per second θ·E[queue] over arrivals per second λ.
            let abandonment = theta * queued / lambda;
            let ring = 1.0 - (-theta * t).exp();
            let late: f64 = p[first_queue..]
                .iter()
                .enumerate()
                .map(|(k, q)| {
                    let m = agents as usize + k;
                    let mut term = (1.0 - ring).powi(m as i32); // P(Bin(m, ring) = 0)
                    let mut cumulative = term;
                    for i in 1..=k {
                        term *= (m + 1 - i) as f64 / i as f64 * ring / (1.0 - ring);
                        cumulative += term;
                    }
                    q * cumulative
                })
                .sum();
            let at = performance(&input, agents).unwrap();
            assert!(close(at.probability_of_waiting, waiting, 1e-12), "{agents}: {at:?} vs {waiting}");
            assert!(close(at.abandonment_rate, abandonment, 1e-12), "{agents}: {at:?} vs {abandonment}");
            assert!(close(at.service_level, 1.0 - late, 1e-12), "{agents}: {at:?} vs {}", 1.0 - late);
            assert!(close(at.occupancy, traffic * (1.0 - abandonment) / n, 1e-12), "{agents}: {at:?}");
        }
    }

    /// Reference values from the published closed forms (Mandelbaum & Zeltyn: P(W>0), P(Ab), P(V>T) via the
    /// incomplete gamma function; ASA by quadrature of E[V·e^{−θV}]) evaluated in 30-digit arithmetic (mpmath).
    #[test]
    fn erlang_a_matches_closed_form_references() {
        // (agents, patience): P(wait), P(abandon), SL(20 s), ASA of answered, occupancy.
        let references = [
            (
                12,
                120.0,
                0.279_807_018_645_444,
                0.061_597_377_003_680_4,
                0.834_121_988_254_498,
                6.334_774_172_819_17,
                0.782_002_185_830_266,
            ),
            (
                14,
                120.0,
                0.126_976_340_079_795,
                0.022_839_286_531_818_8,
                0.937_372_086_207_836,
                2.345_375_234_152_17,
                0.697_971_938_191_558,
            ),
            (
                14,
                180.0,
                0.135_535_577_380_689,
                0.018_693_715_272_161_1,
                0.928_719_196_047_119,
                2.997_690_155_880_72,
                0.700_933_060_519_885,
            ),
            (
                9,
                60.0,
                0.524_905_400_195_549,
                0.213_223_800_498_647,
                0.653_481_519_381_037,
                10.408_443_911_327_4,
                0.874_195_777_223_725,
            ),
            (
                11,
                600.0,
                0.514_696_694_348_158,
                0.052_667_851_009_697_5,
                0.594_166_686_573_41,
                30.419_929_948_048_2,
                0.861_211_044_536_639,
            ),
        ];
        for (agents, patience, waiting, abandonment, service_level, asa, occupancy) in references {
            let at = performance(&with_patience(call_centre_helper(), patience), agents).unwrap();
            assert!(close(at.probability_of_waiting, waiting, 1e-12), "{agents} {patience}: {at:?}");
            assert!(close(at.abandonment_rate, abandonment, 1e-12), "{agents} {patience}: {at:?}");
            assert!(close(at.service_level, service_level, 1e-12), "{agents} {patience}: {at:?}");
            assert!(close(at.average_speed_of_answer, asa, 1e-9), "{agents} {patience}: {at:?}");
            assert!(close(at.occupancy, occupancy, 1e-12), "{agents} {patience}: {at:?}");
        }
    }

    #[test]
    fn erlang_a_needs_no_more_agents_and_converges_to_erlang_c() {
        let base = call_centre_helper();
        let erlang_c = requirement(&base).unwrap();
        for patience in [5.0, 30.0, 60.0, 120.0, 600.0, 3600.0] {
            let erlang_a = requirement(&with_patience(base, patience)).unwrap();
            assert!(erlang_a.agents <= erlang_c.agents, "{patience}: {erlang_a:?}");
            assert!(erlang_a.performance.abandonment_rate > 0.0);
        }
        // A mean patience of ~116 days: abandonment vanishes and Erlang A becomes Erlang C.
        let patient = with_patience(base, 1e7);
        assert_eq!(requirement(&patient).unwrap().agents, 14);
        for agents in [11, 12, 14, 20] {
            let (a, c) = (performance(&patient, agents).unwrap(), performance(&base, agents).unwrap());
            assert!(close(a.probability_of_waiting, c.probability_of_waiting, 1e-4), "{a:?} {c:?}");
            assert!(close(a.service_level, c.service_level, 1e-4), "{a:?} {c:?}");
            assert!(close(a.average_speed_of_answer, c.average_speed_of_answer, 1e-3 * c.average_speed_of_answer));
            assert!(close(a.occupancy, c.occupancy, 1e-4));
            assert!(a.abandonment_rate < 1e-4);
        }
        // At 480 Erlangs too, and with agents below the traffic (where Erlang C has no answer) it stays finite.
        let large = StaffingInput { volume: 4800.0, max_occupancy: 1.0, ..base };
        let large_a = requirement(&with_patience(large, 120.0)).unwrap();
        assert!(large_a.agents <= requirement(&large).unwrap().agents, "{large_a:?}");
        for agents in [1, 100, 400, 479, 480, 481, 600] {
            let at = performance(&with_patience(large, 1e7), agents).unwrap();
            for value in [at.probability_of_waiting, at.service_level, at.average_speed_of_answer, at.abandonment_rate]
            {
                assert!(value.is_finite(), "{at:?}");
            }
        }
    }

    fn any_input() -> impl Strategy<Value = StaffingInput> {
        (
            0.0..3000.0_f64,
            prop::sample::select(vec![900.0, 1800.0, 3600.0]),
            10.0..900.0_f64,
            0.05..0.99_f64,
            0.0..120.0_f64,
            0.3..=1.0_f64,
            0.0..0.6_f64,
            prop::option::of(1.0..3600.0_f64),
        )
            .prop_map(|(volume, interval, handle, target, answer, occupancy, shrinkage, patience)| {
                StaffingInput {
                    volume,
                    interval_seconds: interval,
                    average_handle_seconds: handle,
                    service_level_target: target,
                    target_answer_seconds: answer,
                    max_occupancy: occupancy,
                    shrinkage,
                    average_patience_seconds: patience,
                }
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn more_agents_never_hurt(input in any_input(), start in 0.0..1.5_f64, extra in 0_u32..40) {
            // Erlang C from just above the traffic; Erlang A from anywhere, since it is stable at any head count.
            let traffic = input.volume * input.average_handle_seconds / input.interval_seconds;
            let first = match input.average_patience_seconds {
                None => traffic.floor() as u32 + 1 + extra,
                Some(_) => ((traffic * start) as u32).max(1),
            };
            let mut previous = performance(&input, first).unwrap();
            for agents in first + 1..first + 30 {
                let at = performance(&input, agents).unwrap();
                // Deep in overload Erlang A's service level is a difference of terms of size λT, so ~1e-11 is noise.
                prop_assert!(at.service_level >= previous.service_level - 1e-9, "{previous:?} {at:?}");
                prop_assert!(at.average_speed_of_answer <= previous.average_speed_of_answer * (1.0 + 1e-9),
                    "{previous:?} {at:?}");
                prop_assert!(at.probability_of_waiting <= previous.probability_of_waiting + 1e-12, "{previous:?} {at:?}");
                prop_assert!(at.abandonment_rate <= previous.abandonment_rate + 1e-12, "{previous:?} {at:?}");
                previous = at;
            }
        }

        #[test]
        fn requirement_meets_its_targets_and_is_least(input in any_input()) {
            let required = requirement(&input).unwrap();
            let at = required.performance;
            prop_assert_eq!(at, performance(&input, required.agents).unwrap());
            prop_assert!(at.service_level >= input.service_level_target, "{required:?}");
            prop_assert!(at.occupancy <= input.max_occupancy, "{required:?}");
            prop_assert!(required.agents_with_shrinkage >= required.agents);
            prop_assert!(f64::from(required.agents_with_shrinkage) * (1.0 - input.shrinkage)
                >= f64::from(required.agents) * (1.0 - 1e-9));
            if input.volume > 0.0 {
                // The least head count above the traffic: one fewer is either not above it or misses a goal.
                prop_assert!(f64::from(required.agents) > at.traffic_intensity, "{required:?}");
                let fewer = performance(&input, required.agents - 1).unwrap();
                prop_assert!(f64::from(fewer.agents) <= at.traffic_intensity
                    || fewer.service_level < input.service_level_target
                    || fewer.occupancy > input.max_occupancy, "{required:?} {fewer:?}");
            } else {
                prop_assert_eq!((required.agents, required.agents_with_shrinkage), (0, 0));
            }
        }

        #[test]
        fn erlang_a_never_needs_more_than_erlang_c(input in any_input(), patience in 1.0..3600.0_f64) {
            let erlang_c = requirement(&StaffingInput { average_patience_seconds: None, ..input }).unwrap();
            let erlang_a = requirement(&with_patience(input, patience)).unwrap();
            prop_assert!(erlang_a.agents <= erlang_c.agents, "{erlang_a:?} {erlang_c:?}");
        }

        #[test]
        fn extreme_valid_inputs_stay_finite(
            volume in 0.0..1e6_f64, handle in 1e-3..1e5_f64, target in 0.001..0.999_f64, answer in 0.0..1e4_f64,
            occupancy in 0.01..=1.0_f64, patience_per_handle in prop::option::of(1e-9..1e5_f64), agents in 0_u32..200_000,
        ) {
            let input = StaffingInput {
                volume, interval_seconds: 3600.0, average_handle_seconds: handle, service_level_target: target,
                target_answer_seconds: answer, max_occupancy: occupancy, shrinkage: 0.0,
                average_patience_seconds: patience_per_handle.map(|ratio| ratio * handle),
            };
            let checks = |at: Performance| {
                [at.probability_of_waiting, at.service_level, at.occupancy, at.abandonment_rate]
                    .iter()
                    .all(|value| value.is_finite() && (0.0..=1.0).contains(value))
                    && at.average_speed_of_answer >= 0.0
            };
            if let Ok(at) = performance(&input, agents) {
                prop_assert!(checks(at), "{input:?} {at:?}");
            }
            if let Ok(required) = requirement(&input) {
                prop_assert!(checks(required.performance), "{input:?} {required:?}");
                prop_assert!(required.performance.service_level >= target);
            }
        }

        #[test]
        fn never_panics_or_yields_nan(
            volume in any::<f64>(), interval in any::<f64>(), handle in any::<f64>(), target in any::<f64>(),
            answer in any::<f64>(), occupancy in any::<f64>(), shrinkage in any::<f64>(),
            patience in prop::option::of(any::<f64>()), agents in any::<u32>(),
        ) {
            let input = StaffingInput {
                volume, interval_seconds: interval, average_handle_seconds: handle, service_level_target: target,
                target_answer_seconds: answer, max_occupancy: occupancy, shrinkage, average_patience_seconds: patience,
            };
            if let Ok(at) = performance(&input, agents) {
                for value in [at.probability_of_waiting, at.service_level, at.average_speed_of_answer, at.occupancy,
                    at.abandonment_rate] {
                    prop_assert!(!value.is_nan(), "{input:?} {at:?}");
                }
            }
            let _ = requirement(&input);
        }
    }
}
