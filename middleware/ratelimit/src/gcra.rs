//! The generic cell rate algorithm every store applies to a key's state.

/// GCRA in nanoseconds: a key's state is its theoretical arrival time
/// (TAT), the time at which it would be back to a full burst.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Gcra {
    /// What one request costs: `period / count`.
    pub(crate) emission: u64,
    /// How far the TAT may run ahead of now: `(burst - 1) * emission`.
    pub(crate) tolerance: u64,
}

/// What the policy says about one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Let it through; `remaining` more could pass right now, and the key
    /// is back to a full burst in `reset` ns.
    Allow { remaining: u64, reset: u64 },
    /// Refuse it; the next request may pass in `retry_after` ns, and the
    /// key is back to a full burst in `reset` ns.
    Deny { retry_after: u64, reset: u64 },
}

impl Gcra {
    /// The verdict for a request at `now` on a key whose TAT is `tat` (0
    /// for a key never seen), and the key's new TAT.
    pub(crate) fn decide(&self, tat: u64, now: u64) -> (Verdict, u64) {
        let tat = tat.max(now);
        let ahead = tat - now;
        if ahead > self.tolerance {
            let verdict = Verdict::Deny {
                retry_after: ahead - self.tolerance,
                reset: ahead,
            };
            return (verdict, tat);
        }
        let next = tat.saturating_add(self.emission);
        let verdict = Verdict::Allow {
            remaining: (self.tolerance - ahead) / self.emission,
            reset: next - now,
        };
        (verdict, next)
    }
}
