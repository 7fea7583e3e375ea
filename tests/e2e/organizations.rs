//! Organisations, and merging duplicate customers.
use frontline_proto::ticketing::v1 as pb;
use frontline_shared::auth::Role;
use prost_types::FieldMask;
use tonic::Code;

use crate::{
    customers, on_both_backends,
    support::{error_reason, expect_error, violated_fields},
    tickets,
};

fn organization(name: &str, domain: &str) -> pb::Organization {
    pb::Organization { name: name.into(), domains: vec![domain.into()], ..Default::default() }
}

on_both_backends! {
    async fn organisations_are_created_read_listed_updated_and_upserted(app) {
        let mut client = app.ticketing(Role::Administrator).await;
        let created = client.create_organization(pb::CreateOrganizationRequest { organization: Some(organization("Galil Tech", "@Galil.co.il")), request_id: String::new() })
            .await.unwrap().into_inner();
        assert_eq!(created.domains, ["galil.co.il"]);
        let fetched = client.get_organization(pb::GetOrganizationRequest { id: created.id.clone() }).await.unwrap().into_inner();
        assert_eq!(fetched, created);
        let updated = client.update_organization(pb::UpdateOrganizationRequest {
            organization: Some(pb::Organization { id: created.id.clone(), etag: created.etag.clone(), notes: "Enterprise plan".into(), ..Default::default() }),
            update_mask: Some(FieldMask { paths: vec!["notes".into()] }),
        }).await.unwrap().into_inner();
        assert_eq!(updated.notes, "Enterprise plan");
        let listed = client.list_organizations(pb::ListOrganizationsRequest { filter: r#"domain = "galil.co.il""#.into(), ..Default::default() })
            .await.unwrap().into_inner();
        assert_eq!(listed.organizations.len(), 1);

        let mut crm = app.ticketing(Role::CrmSync).await;
        let record = pb::Organization { external_id: "acct-77".into(), ..organization("Prairie Analytics", "prairie.example") };
        let first = crm.upsert_organization(pb::UpsertOrganizationRequest { organization: Some(record.clone()) }).await.unwrap().into_inner();
        let second = crm.upsert_organization(pb::UpsertOrganizationRequest { organization: Some(pb::Organization { notes: "renewed".into(), ..record }) })
            .await.unwrap().into_inner();
        assert!(first.created && !second.created);
        assert_eq!(first.organization.unwrap().id, second.organization.unwrap().id);
    }
}

on_both_backends! {
    async fn organisation_mistakes_are_named_and_nothing_is_stored(app) {
        let mut client = app.ticketing(Role::Administrator).await;
        let status = expect_error(client.create_organization(pb::CreateOrganizationRequest { organization: Some(organization("", "not a domain")), request_id: String::new() }).await);
        assert_eq!(violated_fields(&status), ["organization.name", "organization.domains"]);
        client.create_organization(pb::CreateOrganizationRequest { organization: Some(organization("Thames Media", "thames.example")), request_id: String::new() }).await.unwrap();
        let taken = expect_error(client.create_organization(pb::CreateOrganizationRequest { organization: Some(organization("thames media", "other.example")), request_id: String::new() }).await);
        assert_eq!((taken.code(), error_reason(&taken).as_str()), (Code::AlreadyExists, "NAME_TAKEN"));
        let domain = expect_error(client.create_organization(pb::CreateOrganizationRequest { organization: Some(organization("Other", "thames.example")), request_id: String::new() }).await);
        assert_eq!(error_reason(&domain), "DOMAIN_TAKEN");
        let missing = expect_error(client.get_organization(pb::GetOrganizationRequest { id: "nope".into() }).await);
        assert_eq!(missing.code(), Code::NotFound);
        let orphan = expect_error(client.create_customer(pb::CreateCustomerRequest {
            customer: Some(pb::Customer { name: "Orphan".into(), organization_id: "nope".into(), ..Default::default() }), request_id: String::new(),
        }).await);
        assert_eq!(violated_fields(&orphan), ["customer.organization_id"]);
        let mut scheduler = app.ticketing(Role::Scheduler).await;
        let denied = expect_error(scheduler.list_organizations(pb::ListOrganizationsRequest::default()).await);
        assert_eq!(denied.code(), Code::PermissionDenied);
    }
}

on_both_backends! {
    /// Two records for one person: the duplicate's tickets and addresses move to the survivor.
    async fn merging_a_duplicate_customer_moves_its_tickets_and_remembers_where_it_went(app) {
        let mut client = app.ticketing(Role::Agent).await;
        let survivor = tickets::requester(&mut client).await;
        let duplicate = customers::create(&mut client, pb::Customer { name: "Zofia N.".into(), emails: vec!["zofia@gmail.example".into()], ..Default::default() }).await;
        let ticket = tickets::create(&mut client, tickets::ticket(&duplicate.id, "Hasło nie działa")).await;
        let merged = client.merge_customers(pb::MergeCustomersRequest { source_id: duplicate.id.clone(), target_id: survivor.clone() }).await.unwrap().into_inner();
        assert_eq!(merged.moved_ticket_ids, vec![ticket.id.clone()]);
        assert!(merged.target.unwrap().emails.contains(&"zofia@gmail.example".to_string()));
        let source = client.get_customer(pb::GetCustomerRequest { id: duplicate.id.clone() }).await.unwrap().into_inner();
        assert_eq!(source.merged_into_id, survivor);
        let moved = client.get_ticket(pb::GetTicketRequest { id: ticket.id }).await.unwrap().into_inner();
        assert_eq!(moved.requester_id, survivor);

        let again = expect_error(client.merge_customers(pb::MergeCustomersRequest { source_id: duplicate.id.clone(), target_id: survivor.clone() }).await);
        assert_eq!((again.code(), error_reason(&again).as_str()), (Code::FailedPrecondition, "CUSTOMER_MERGED"));
        let itself = expect_error(client.merge_customers(pb::MergeCustomersRequest { source_id: survivor.clone(), target_id: survivor.clone() }).await);
        assert_eq!(violated_fields(&itself), ["target_id"]);
        let mut bi = app.ticketing(Role::BiReader).await;
        let denied = expect_error(bi.merge_customers(pb::MergeCustomersRequest { source_id: duplicate.id, target_id: survivor }).await);
        assert_eq!(denied.code(), Code::PermissionDenied);
    }
}
