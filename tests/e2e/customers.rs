//! Customers: what a CRM sync and an agent console do with them.
use frontline_proto::ticketing::v1::{self as pb, CustomerTier};
use frontline_shared::auth::Role;
use prost_types::FieldMask;
use tonic::Code;

use crate::{
    on_both_backends,
    support::{Ticketing, error_reason, expect_error, violated_fields},
};

pub fn zofia() -> pb::Customer {
    pb::Customer {
        name: "Zofia Nowak".into(),
        emails: vec!["Zofia.Nowak@Example.pl".into()],
        phones: vec!["+48 601 234 567".into()],
        locale: "pl".into(),
        time_zone: "Europe/Warsaw".into(),
        tier: CustomerTier::Vip as i32,
        ..Default::default()
    }
}

pub async fn create(client: &mut Ticketing, customer: pb::Customer) -> pb::Customer {
    client
        .create_customer(pb::CreateCustomerRequest { customer: Some(customer), request_id: String::new() })
        .await
        .expect("customer created")
        .into_inner()
}

fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask { paths: paths.iter().map(|p| p.to_string()).collect() })
}

on_both_backends! {
    async fn created_customer_reads_back_normalised(app) {
        let mut client = app.ticketing(Role::Agent).await;
        let created = create(&mut client, zofia()).await;
        assert!(!created.id.is_empty());
        assert_eq!(created.emails, ["zofia.nowak@example.pl"], "addresses are lower-cased");
        assert_eq!(created.tier, CustomerTier::Vip as i32);
        assert!(created.created_at.is_some() && !created.etag.is_empty());
        let fetched = client.get_customer(pb::GetCustomerRequest { id: created.id.clone() }).await.unwrap().into_inner();
        assert_eq!(fetched, created);
    }
}

on_both_backends! {
    async fn customer_without_a_name_is_rejected_naming_the_field(app) {
        let mut client = app.ticketing(Role::Agent).await;
        let status = expect_error(client.create_customer(pb::CreateCustomerRequest {
            customer: Some(pb::Customer { name: " ".into(), time_zone: "Mars/Base".into(), ..zofia() }),
            request_id: String::new(),
        }).await);
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(violated_fields(&status), ["customer.name", "customer.time_zone"]);
        let listed = client.list_customers(pb::ListCustomersRequest::default()).await.unwrap().into_inner();
        assert!(listed.customers.is_empty(), "nothing was stored");
    }
}

on_both_backends! {
    async fn an_email_address_belongs_to_one_customer(app) {
        let mut client = app.ticketing(Role::Agent).await;
        let first = create(&mut client, zofia()).await;
        let status = expect_error(client.create_customer(pb::CreateCustomerRequest {
            customer: Some(pb::Customer { name: "Z. Nowak".into(), emails: vec!["zofia.nowak@example.PL".into()], ..Default::default() }),
            request_id: String::new(),
        }).await);
        assert_eq!(status.code(), Code::AlreadyExists);
        assert_eq!(error_reason(&status), "EMAIL_TAKEN");
        assert!(status.message().contains(&first.id), "names the owner: {}", status.message());
    }
}

on_both_backends! {
    async fn unknown_customer_is_not_found(app) {
        let mut client = app.ticketing(Role::Agent).await;
        let status = expect_error(client.get_customer(pb::GetCustomerRequest { id: "no-such-customer".into() }).await);
        assert_eq!(status.code(), Code::NotFound);
        let status = expect_error(client.get_customer(pb::GetCustomerRequest { id: String::new() }).await);
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(violated_fields(&status), ["id"]);
    }
}

on_both_backends! {
    async fn update_changes_only_masked_fields_and_honours_the_etag(app) {
        let mut client = app.ticketing(Role::Agent).await;
        let created = create(&mut client, zofia()).await;
        let updated = client.update_customer(pb::UpdateCustomerRequest {
            customer: Some(pb::Customer { id: created.id.clone(), etag: created.etag.clone(), notes: "Prefers phone calls".into(), name: "ignored".into(), ..Default::default() }),
            update_mask: mask(&["notes"]),
        }).await.unwrap().into_inner();
        assert_eq!(updated.notes, "Prefers phone calls");
        assert_eq!(updated.name, "Zofia Nowak");
        assert_ne!(updated.etag, created.etag);

        let stale = expect_error(client.update_customer(pb::UpdateCustomerRequest {
            customer: Some(pb::Customer { id: created.id.clone(), etag: created.etag.clone(), notes: "lost update".into(), ..Default::default() }),
            update_mask: mask(&["notes"]),
        }).await);
        assert_eq!(stale.code(), Code::Aborted);
        assert_eq!(error_reason(&stale), "ETAG_MISMATCH");

        let bad_path = expect_error(client.update_customer(pb::UpdateCustomerRequest {
            customer: Some(pb::Customer { id: created.id.clone(), ..Default::default() }),
            update_mask: mask(&["created_at"]),
        }).await);
        assert_eq!(violated_fields(&bad_path), ["update_mask.paths"]);
        let fetched = client.get_customer(pb::GetCustomerRequest { id: created.id }).await.unwrap().into_inner();
        assert_eq!(fetched.notes, "Prefers phone calls", "the rejected updates changed nothing");
    }
}

on_both_backends! {
    /// A CRM pushes the same record twice: one customer, created then updated, same id.
    async fn upsert_by_external_id_creates_then_updates(app) {
        let mut crm = app.ticketing(Role::CrmSync).await;
        let record = pb::Customer { external_id: "crm-42".into(), ..zofia() };
        let first = crm.upsert_customer(pb::UpsertCustomerRequest { customer: Some(record.clone()) }).await.unwrap().into_inner();
        assert!(first.created);
        let second = crm.upsert_customer(pb::UpsertCustomerRequest {
            customer: Some(pb::Customer { tier: CustomerTier::Standard as i32, ..record }),
        }).await.unwrap().into_inner();
        assert!(!second.created);
        let (first, second) = (first.customer.unwrap(), second.customer.unwrap());
        assert_eq!(first.id, second.id);
        assert_eq!(second.tier, CustomerTier::Standard as i32);
        let listed = crm.list_customers(pb::ListCustomersRequest { filter: r#"external_id = "crm-42""#.into(), ..Default::default() })
            .await.unwrap().into_inner();
        assert_eq!(listed.customers.len(), 1);

        let status = expect_error(crm.upsert_customer(pb::UpsertCustomerRequest { customer: Some(zofia()) }).await);
        assert_eq!(violated_fields(&status), ["customer.external_id"]);
    }
}

on_both_backends! {
    async fn create_with_a_repeated_request_id_returns_the_first_customer(app) {
        let mut client = app.ticketing(Role::Agent).await;
        let request = pb::CreateCustomerRequest { customer: Some(zofia()), request_id: "retry-7".into() };
        let first = client.create_customer(request.clone()).await.unwrap().into_inner();
        let again = client.create_customer(request).await.unwrap().into_inner();
        assert_eq!(first, again);
    }
}

on_both_backends! {
    async fn customers_list_by_filter_and_page(app) {
        let mut client = app.ticketing(Role::Agent).await;
        for (n, tier) in [CustomerTier::Vip, CustomerTier::Standard, CustomerTier::Vip, CustomerTier::Vip].into_iter().enumerate() {
            create(&mut client, pb::Customer { name: format!("Customer {n}"), tier: tier as i32, ..Default::default() }).await;
        }
        let mut seen = Vec::new();
        let mut token = String::new();
        loop {
            let page = client.list_customers(pb::ListCustomersRequest { page_size: 2, page_token: token.clone(), filter: "tier = VIP".into() })
                .await.unwrap().into_inner();
            seen.extend(page.customers.into_iter().map(|c| c.name));
            if page.next_page_token.is_empty() { break; }
            token = page.next_page_token;
        }
        assert_eq!(seen, ["Customer 3", "Customer 2", "Customer 0"], "newest first, VIPs only, each once");

        let first = client.list_customers(pb::ListCustomersRequest { page_size: 1, filter: "tier = VIP".into(), ..Default::default() })
            .await.unwrap().into_inner();
        let reused = expect_error(client.list_customers(pb::ListCustomersRequest {
            page_size: 1, page_token: first.next_page_token, filter: "tier = STANDARD".into(),
        }).await);
        assert_eq!(violated_fields(&reused), ["page_token"]);
        let negative = expect_error(client.list_customers(pb::ListCustomersRequest { page_size: -1, ..Default::default() }).await);
        assert_eq!(violated_fields(&negative), ["page_size"]);
        let bad_filter = expect_error(client.list_customers(pb::ListCustomersRequest { filter: "tier = GOLD".into(), ..Default::default() }).await);
        assert_eq!(violated_fields(&bad_filter), ["filter"]);
    }
}
