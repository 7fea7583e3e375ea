//! (filter parser lands next)
