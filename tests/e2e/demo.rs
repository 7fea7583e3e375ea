//! `frontline demo` fills a running suite, and running it again changes nothing.
use frontline_proto::ticketing::v1 as pb;
use frontline_shared::auth::Role;

use crate::on_both_backends;

on_both_backends! {
    async fn the_demo_loads_and_loads_again_without_duplicates(app) {
        let admin = app.token_for(Role::Administrator, "demo-loader", None);
        let portal = app.token_for(Role::Portal, "demo-email-gateway", None);
        let director = app.token_for(Role::Director, "director-anna", None);
        frontline::demo::load(&app.url(), &admin, &portal, &director).await.expect("the demo loads");
        frontline::demo::load(&app.url(), &admin, &portal, &director).await.expect("the demo loads again");
        let mut ticketing = app.ticketing(Role::Director).await;
        let tickets = ticketing.list_tickets(pb::ListTicketsRequest { page_size: 100, ..Default::default() }).await.unwrap().into_inner();
        assert_eq!(tickets.tickets.len(), 14);
        let rated = tickets.tickets.iter().filter(|t| t.satisfaction.as_ref().is_some_and(|s| s.rating >= pb::SatisfactionRating::Good as i32)).count();
        assert_eq!(rated, 2, "both solved tickets were rated by their requesters");
        let customers = ticketing.list_customers(pb::ListCustomersRequest { page_size: 100, ..Default::default() }).await.unwrap().into_inner();
        assert_eq!(customers.customers.len(), 8);
    }
}
