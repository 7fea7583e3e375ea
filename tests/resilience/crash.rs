//! Crash safety: `kill -9` the real process in the middle of a write load, start it again on
//! the same data, and hold it to everything it acknowledged.
use std::time::Instant;

use frontline_shared::auth::Role;

use crate::{
    checks, in_a_process_on_both_backends,
    load::{self, Load, Record},
    support::{Install, intensity},
};

in_a_process_on_both_backends! {
    /// One round in make test; several, with longer load, in make soak.
    async fn killed_under_write_load_it_keeps_every_acknowledged_write_and_followers_resume(backend) {
        let began = Instant::now();
        let intensity = intensity();
        let mut install = Install::new(backend, &[]).await;
        install.start();
        let requester = load::requester(&mut install.ticketing(Role::Agent)).await;
        let mut acknowledged = Record::default();
        for round in 1..=intensity.rounds {
            let writers = Load::start(&mut install, &requester, intensity.writers);
            tokio::time::sleep(intensity.load).await;
            install.kill();
            let record = writers.stop().await;
            assert!(record.tickets.len() >= intensity.writers, "round {round}: the load was real: {} tickets acknowledged", record.tickets.len());
            eprintln!("round {round}: killed after {} tickets and {} comments acknowledged", record.tickets.len(), record.comments.len());
            acknowledged.merge(record);

            install.start();
            checks::acknowledged_writes_are_kept(&mut install, &acknowledged).await;
            checks::feed_is_whole(&mut install, &acknowledged).await;
            checks::analytics_matches_a_recount(&mut install).await;
        }
        eprintln!("{} kill(s) survived in {:?}", intensity.rounds, began.elapsed());
    }
}
