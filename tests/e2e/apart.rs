//! The Kubernetes shape: each service in its own process, reaching the others over the network.
use std::time::Duration;

use frontline::ServiceKind;
use frontline_proto::analytics::v1::ListFeedSubscriptionsRequest;
use frontline_shared::auth::Role;

use crate::{
    on_both_backends,
    support::{TestApp, eventually},
    tickets,
};

on_both_backends! {
    /// Analytics in one process follows ticketing in another through the generated client.
    async fn analytics_follows_ticketing_running_in_another_process(app) {
        let backend = if app.settings.uses_postgres() { crate::support::Backend::Postgres } else { crate::support::Backend::Sqlite };
        let secret = "a-shared-secret-for-both-processes-of-this-test";
        let ticketing = TestApp::spawn_services(backend, &[ServiceKind::Ticketing], |settings| {
            settings.auth.hs256_secret = secret.into();
        }).await;
        let url = ticketing.url();
        let analytics = TestApp::spawn_services(backend, &[ServiceKind::Analytics], |settings| {
            settings.auth.hs256_secret = secret.into();
            settings.peers.ticketing = url;
        }).await;

        let mut client = ticketing.ticketing(Role::Agent).await;
        let requester = tickets::requester(&mut client).await;
        tickets::create(&mut client, tickets::ticket(&requester, "Across the network")).await;

        let analytics_client = analytics.analytics(Role::Manager).await;
        let subscription = eventually(Duration::from_secs(20), || {
            let mut analytics_client = analytics_client.clone();
            async move {
                let response = analytics_client.list_feed_subscriptions(ListFeedSubscriptionsRequest {}).await.ok()?.into_inner();
                response.subscriptions.into_iter().find(|s| s.feed == "ticketing" && s.position == 3)
            }
        }).await;
        assert_eq!(subscription.lag, 0);
        ticketing.stop().await;
        analytics.stop().await;
    }
}
