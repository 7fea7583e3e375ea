//! Analytics follows the ticketing feed through the generated client, in process.
use std::time::Duration;

use frontline_proto::analytics::v1::ListFeedSubscriptionsRequest;
use frontline_shared::auth::Role;
use tonic::Code;

use crate::{
    on_both_backends,
    support::{eventually, expect_error},
    tickets,
};

on_both_backends! {
    with crate::support::without_suggestions;
    async fn analytics_catches_up_with_the_ticketing_feed_and_reports_its_lag(app) {
        let mut client = app.ticketing(Role::Agent).await;
        let requester = tickets::requester(&mut client).await;
        for n in 0..3 {
            tickets::create(&mut client, tickets::ticket(&requester, &format!("Ticket {n}"))).await;
        }
        let mut analytics = app.analytics(Role::Manager).await;
        let subscription = eventually(Duration::from_secs(20), || {
            let mut analytics = analytics.clone();
            async move {
                let response = analytics.list_feed_subscriptions(ListFeedSubscriptionsRequest {}).await.ok()?.into_inner();
                response.subscriptions.into_iter().find(|s| s.feed == "ticketing" && s.position == 5)
            }
        })
        .await;
        assert_eq!((subscription.head_position, subscription.lag), (5, 0));
        assert!(subscription.last_error.is_empty());

        let mut scheduler = app.analytics(Role::Scheduler).await;
        let status = expect_error(scheduler.list_feed_subscriptions(ListFeedSubscriptionsRequest {}).await);
        assert_eq!(status.code(), Code::PermissionDenied);
        let _ = &mut analytics;
    }
}
