use super::*;

fn settings(dir: &Path) -> Settings {
    Settings::load_from(None, [("FRONTLINE__DATA_DIR".to_string(), dir.display().to_string())]).unwrap()
}

#[test]
fn issued_token_verifies_to_its_principal() {
    let dir = tempfile::tempdir().unwrap();
    let keys = Keys::load(&settings(dir.path())).unwrap();
    let token = keys.issuer.unwrap().issue("ada", Role::TeamLead, Some("t-1"), Duration::from_secs(60)).unwrap();
    let principal = keys.verifier.verify(&token).unwrap();
    assert_eq!(principal, Principal::new("ada", Role::TeamLead, Some("t-1")));
}

#[test]
fn secret_is_created_once_and_reused() {
    let dir = tempfile::tempdir().unwrap();
    let first = load_or_create_secret(dir.path(), TOKEN_SECRET_FILE).unwrap();
    let second = load_or_create_secret(dir.path(), TOKEN_SECRET_FILE).unwrap();
    assert_eq!(first, second);
    assert_eq!(first.len(), 64);
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

fn rs256_settings(dir: &Path) -> Settings {
    let mut settings = settings(dir);
    settings.auth.rs256_public_key_file = Some(fixture("rs256-public.pem"));
    settings
}

fn rs256_claims() -> Claims {
    let now = jsonwebtoken::get_current_timestamp();
    Claims {
        sub: "idp-user-7".into(),
        role: Role::Supervisor,
        team: None,
        customer: None,
        iss: "frontline".into(),
        aud: "frontline".into(),
        iat: Some(now),
        exp: now + 600,
        act: None,
    }
}

#[test]
fn production_verifies_rs256_tokens_from_an_identity_provider() {
    let dir = tempfile::tempdir().unwrap();
    let keys = Keys::load(&rs256_settings(dir.path())).unwrap();
    assert!(keys.issuer.is_none(), "an RS256 install cannot mint tokens itself");
    let private = EncodingKey::from_rsa_pem(&std::fs::read(fixture("rs256-private.pem")).unwrap()).unwrap();
    let token = jsonwebtoken::encode(&Header::new(Algorithm::RS256), &rs256_claims(), &private).unwrap();
    assert_eq!(keys.verifier.verify(&token).unwrap().role, Role::Supervisor);
}

#[test]
fn an_hs256_token_keyed_with_the_public_key_is_refused() {
    // The classic algorithm-confusion attack: sign HS256 with the (public) RSA key as secret.
    let dir = tempfile::tempdir().unwrap();
    let keys = Keys::load(&rs256_settings(dir.path())).unwrap();
    let public_pem = std::fs::read(fixture("rs256-public.pem")).unwrap();
    let forged =
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &rs256_claims(), &EncodingKey::from_secret(&public_pem))
            .unwrap();
    assert!(matches!(keys.verifier.verify(&forged), Err(ApiError::Unauthenticated { .. })));
}

#[test]
fn with_an_identity_provider_the_services_sign_their_calls_with_their_own_key() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = rs256_settings(dir.path());
    settings.auth.service_secret = "a-service-secret-shared-by-every-frontline-pod".into();
    let keys = Keys::load(&settings).unwrap();
    let token = keys.services.issue("service:frontline-ticketing", Role::Service, None, Duration::from_secs(60));
    assert_eq!(keys.verifier.verify(&token.unwrap()).unwrap().role, Role::Service);

    // The services' key makes no person: an administrator token signed with it is refused.
    let forged = keys.services.issue("mallory", Role::Administrator, None, Duration::from_secs(60)).unwrap();
    assert!(matches!(keys.verifier.verify(&forged), Err(ApiError::Unauthenticated { .. })));

    // Another pod with another service secret is not trusted.
    settings.auth.service_secret = "another-service-secret-that-nobody-shares-here".into();
    let stranger = Keys::load(&settings).unwrap();
    let token = stranger.services.issue("service:elsewhere", Role::Service, None, Duration::from_secs(60));
    assert!(matches!(keys.verifier.verify(&token.unwrap()), Err(ApiError::Unauthenticated { .. })));
}

#[test]
fn with_an_identity_provider_and_no_service_secret_one_is_minted_in_the_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let first = Keys::load(&rs256_settings(dir.path())).unwrap();
    let again = Keys::load(&rs256_settings(dir.path())).unwrap();
    let token = first.services.issue("service:frontline", Role::Service, None, Duration::from_secs(60)).unwrap();
    assert_eq!(again.verifier.verify(&token).unwrap().role, Role::Service, "the same process after a restart");
}

fn signed(claims: serde_json::Value, header: Header, dir: &Path) -> (Keys, String) {
    let mut settings = settings(dir);
    settings.auth.hs256_secret = "a-secret-of-at-least-thirty-two-bytes-for-tests".into();
    let keys = Keys::load(&settings).unwrap();
    let token =
        jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(settings.auth.hs256_secret.as_bytes()))
            .unwrap();
    (keys, token)
}

#[test]
fn a_token_not_yet_valid_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let now = jsonwebtoken::get_current_timestamp();
    let claims = serde_json::json!({
        "sub": "ada", "role": "agent", "iss": "frontline", "aud": "frontline",
        "iat": now, "exp": now + 7200, "nbf": now + 3600,
    });
    let (keys, token) = signed(claims.clone(), Header::new(Algorithm::HS256), dir.path());
    assert!(matches!(keys.verifier.verify(&token), Err(ApiError::Unauthenticated { .. })));
    let mut valid_now = claims;
    valid_now["nbf"] = (now - 10).into();
    let (keys, token) = signed(valid_now, Header::new(Algorithm::HS256), dir.path());
    assert_eq!(keys.verifier.verify(&token).unwrap().subject, "ada", "valid from ten seconds ago");
}

#[test]
fn a_token_with_critical_header_extensions_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let now = jsonwebtoken::get_current_timestamp();
    let claims = serde_json::json!({
        "sub": "ada", "role": "agent", "iss": "frontline", "aud": "frontline", "iat": now, "exp": now + 600,
    });
    let mut header = Header::new(Algorithm::HS256);
    header.crit = Some(vec!["exp-policy".into()]);
    let (keys, token) = signed(claims.clone(), header, dir.path());
    let refused = keys.verifier.verify(&token);
    assert!(matches!(&refused, Err(ApiError::Unauthenticated { message }) if message.contains("crit")), "{refused:?}");
    let (keys, plain) = signed(claims, Header::new(Algorithm::HS256), dir.path());
    assert_eq!(keys.verifier.verify(&plain).unwrap().subject, "ada", "the same token without crit is fine");
}

#[test]
fn a_service_calling_for_a_caller_presents_the_callers_identity() {
    let dir = tempfile::tempdir().unwrap();
    let keys = Keys::load(&settings(dir.path())).unwrap();
    let caller = Principal::new("ada", Role::Agent, Some("t-billing"));
    let bearer = ServiceToken::new(keys.services.clone(), "service:frontline-ticketing").on_behalf_of(&caller);
    let token = bearer.unwrap().strip_prefix("Bearer ").unwrap().to_owned();
    let seen = keys.verifier.verify(&token).unwrap();
    assert_eq!(seen.role, Role::Agent, "the caller's rights decide, not the service's");
    assert_eq!(seen.team_id.as_deref(), Some("t-billing"));
    assert_eq!(seen.actor.as_deref(), Some("service:frontline-ticketing"));
}

#[test]
fn with_an_identity_provider_only_the_services_key_may_act_for_a_caller() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = rs256_settings(dir.path());
    settings.auth.service_secret = "a-service-secret-shared-by-every-frontline-pod".into();
    let keys = Keys::load(&settings).unwrap();
    let caller = Principal::new("idp-user-7", Role::Supervisor, None);
    let bearer = ServiceToken::new(keys.services.clone(), "service:frontline-knowledge").on_behalf_of(&caller);
    let seen = keys.verifier.verify(bearer.unwrap().strip_prefix("Bearer ").unwrap()).unwrap();
    assert_eq!((seen.role, seen.actor.as_deref()), (Role::Supervisor, Some("service:frontline-knowledge")));

    // A token from the identity provider claiming a service presents it is refused: a
    // service that really acted would have signed with the services' key.
    let private = EncodingKey::from_rsa_pem(&std::fs::read(fixture("rs256-private.pem")).unwrap()).unwrap();
    let mut claims = rs256_claims();
    claims.act = Some(Actor { sub: "service:frontline-ticketing".into() });
    let token = jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &private).unwrap();
    let refused = keys.verifier.verify(&token);
    assert!(matches!(&refused, Err(ApiError::Unauthenticated { message }) if message.contains("act")), "{refused:?}");
}

#[test]
fn an_actor_that_is_not_a_service_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let now = jsonwebtoken::get_current_timestamp();
    let claims = serde_json::json!({
        "sub": "ada", "role": "administrator", "iss": "frontline", "aud": "frontline",
        "iat": now, "exp": now + 600, "act": { "sub": "mallory" },
    });
    let (keys, token) = signed(claims, Header::new(Algorithm::HS256), dir.path());
    assert!(matches!(keys.verifier.verify(&token), Err(ApiError::Unauthenticated { .. })));
}

#[test]
fn an_end_user_token_is_bound_to_its_customer() {
    let dir = tempfile::tempdir().unwrap();
    let keys = Keys::load(&settings(dir.path())).unwrap();
    let issuer = keys.issuer.clone().unwrap();
    let token = issuer.issue_end_user("maria@example.pl", "cus-42", Duration::from_secs(60)).unwrap();
    let seen = keys.verifier.verify(&token).unwrap();
    assert_eq!((seen.role, seen.end_user_customer()), (Role::EndUser, Some("cus-42")));

    // Carried across services as it came in.
    let bearer = ServiceToken::new(keys.services.clone(), "service:frontline-ticketing").on_behalf_of(&seen);
    let relayed = keys.verifier.verify(bearer.unwrap().strip_prefix("Bearer ").unwrap()).unwrap();
    assert_eq!(relayed.end_user_customer(), Some("cus-42"));

    // An end_user token without a customer, or a staff token with one, is refused.
    let unbound = issuer.issue("maria@example.pl", Role::EndUser, None, Duration::from_secs(60)).unwrap();
    assert!(matches!(keys.verifier.verify(&unbound), Err(ApiError::Unauthenticated { .. })));
    let now = jsonwebtoken::get_current_timestamp();
    let claims = serde_json::json!({
        "sub": "ada", "role": "agent", "customer": "cus-42", "iss": "frontline", "aud": "frontline",
        "iat": now, "exp": now + 600,
    });
    let (keys, token) = signed(claims, Header::new(Algorithm::HS256), dir.path());
    assert!(matches!(keys.verifier.verify(&token), Err(ApiError::Unauthenticated { .. })));
}

#[test]
fn roles_parse_by_their_snake_case_names() {
    assert_eq!("team_lead".parse::<Role>().unwrap(), Role::TeamLead);
    assert!("boss".parse::<Role>().unwrap_err().contains("team_lead"));
}

fn refused(result: Result<Principal, ApiError>) -> String {
    match result {
        Err(ApiError::Unauthenticated { message }) => message,
        other => panic!("expected UNAUTHENTICATED, got {other:?}"),
    }
}

fn sign(claims: &serde_json::Value, algorithm: Algorithm, kid: Option<&str>, private_fixture: &str) -> String {
    let pem = std::fs::read(fixture(private_fixture)).unwrap();
    let key = match algorithm {
        Algorithm::RS256 => EncodingKey::from_rsa_pem(&pem).unwrap(),
        _ => EncodingKey::from_ec_pem(&pem).unwrap(),
    };
    let mut header = Header::new(algorithm);
    header.kid = kid.map(Into::into);
    jsonwebtoken::encode(&header, claims, &key).unwrap()
}

fn person_claims() -> serde_json::Value {
    let now = jsonwebtoken::get_current_timestamp();
    serde_json::json!({
        "sub": "idp-user-7", "role": "supervisor", "iss": "frontline", "aud": "frontline",
        "iat": now, "exp": now + 600,
    })
}

#[test]
fn es256_tokens_verify_with_a_p256_pem_key_and_nothing_else_does() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = settings(dir.path());
    settings.auth.es256_public_key_file = Some(fixture("es256-public.pem"));
    let keys = Keys::load(&settings).unwrap();
    let token = sign(&person_claims(), Algorithm::ES256, Some("any-kid"), "es256-private.pem");
    assert_eq!(keys.verifier.verify(&token).unwrap().role, Role::Supervisor);
    let other_issuer = sign(&person_claims(), Algorithm::ES256, None, "es256-other-private.pem");
    assert!(refused(keys.verifier.verify(&other_issuer)).contains("signature"));
    let rsa = sign(&person_claims(), Algorithm::RS256, None, "rs256-private.pem");
    assert!(refused(keys.verifier.verify(&rsa)).contains("RS256"), "an RS256 token for an ES256 key");
}

#[test]
fn a_key_file_that_is_missing_or_of_the_wrong_kind_stops_start_up_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = settings(dir.path());
    settings.auth.rs256_public_key_file = Some(fixture("es256-public.pem"));
    let error = format!("{:#}", Keys::load(&settings).err().unwrap());
    assert!(error.contains("auth.rs256_public_key_file") && error.contains("auth.es256_public_key_file"), "{error}");
    settings.auth.rs256_public_key_file = None;
    settings.auth.es256_public_key_file = Some(fixture("es384-public.pem"));
    assert!(format!("{:#}", Keys::load(&settings).err().unwrap()).contains("P-256"));
    settings.auth.es256_public_key_file = None;
    settings.auth.jwks_file = Some(dir.path().join("missing.json"));
    let error = format!("{:#}", Keys::load(&settings).err().unwrap());
    assert!(error.contains("auth.jwks_file") && error.contains("missing.json"), "{error}");
    std::fs::write(dir.path().join("empty.json"), br#"{"keys": []}"#).unwrap();
    settings.auth.jwks_file = Some(dir.path().join("empty.json"));
    assert!(format!("{:#}", Keys::load(&settings).err().unwrap()).contains("no RS256 or ES256 signing key"));
}

fn jwks_settings(dir: &Path, keys: &[serde_json::Value]) -> Settings {
    let path = dir.join("jwks.json");
    std::fs::write(&path, serde_json::to_vec(&serde_json::json!({ "keys": keys })).unwrap()).unwrap();
    let mut settings = settings(dir);
    settings.auth.jwks_file = Some(path);
    settings.auth.jwks_refetch_cooldown = Duration::ZERO;
    settings
}

#[test]
fn a_jwks_verifies_each_token_with_the_key_its_kid_names_and_that_keys_algorithm_only() {
    use keys::tests::jwk;
    let dir = tempfile::tempdir().unwrap();
    let settings = jwks_settings(
        dir.path(),
        &[jwk("rs256-private.pem", Algorithm::RS256, "rsa-1"), jwk("es256-private.pem", Algorithm::ES256, "ec-1")],
    );
    let keys = Keys::load(&settings).unwrap();
    let claims = person_claims();
    assert!(keys.verifier.verify(&sign(&claims, Algorithm::RS256, Some("rsa-1"), "rs256-private.pem")).is_ok());
    assert!(keys.verifier.verify(&sign(&claims, Algorithm::ES256, Some("ec-1"), "es256-private.pem")).is_ok());
    let wrong_type = sign(&claims, Algorithm::ES256, Some("rsa-1"), "es256-private.pem");
    assert!(refused(keys.verifier.verify(&wrong_type)).contains("verifies RS256 only"));
    let unknown = sign(&claims, Algorithm::RS256, Some("rsa-9"), "rs256-private.pem");
    assert!(refused(keys.verifier.verify(&unknown)).contains("kid"), "no falling back to trying every key");
    let unnamed = sign(&claims, Algorithm::RS256, None, "rs256-private.pem");
    assert!(refused(keys.verifier.verify(&unnamed)).contains("kid"));
}

#[tokio::test]
async fn a_rotated_jwks_key_is_trusted_from_its_first_token_and_the_retired_one_no_longer() {
    use keys::tests::jwk;
    let dir = tempfile::tempdir().unwrap();
    let settings = jwks_settings(dir.path(), &[jwk("es256-private.pem", Algorithm::ES256, "2024")]);
    let keys = Keys::load(&settings).unwrap();
    let old = sign(&person_claims(), Algorithm::ES256, Some("2024"), "es256-private.pem");
    assert!(keys.verifier.verify_fresh(&old).await.is_ok());

    jwks_settings(dir.path(), &[jwk("es256-other-private.pem", Algorithm::ES256, "2025")]);
    let new = sign(&person_claims(), Algorithm::ES256, Some("2025"), "es256-other-private.pem");
    assert!(keys.verifier.verify(&new).is_err(), "not fetched yet");
    assert_eq!(keys.verifier.verify_fresh(&new).await.unwrap().subject, "idp-user-7");
    assert!(refused(keys.verifier.verify_fresh(&old).await).contains("kid"));
}

#[test]
fn a_token_issued_in_the_future_or_made_to_live_too_long_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let now = jsonwebtoken::get_current_timestamp();
    let future = serde_json::json!({
        "sub": "ada", "role": "agent", "iss": "frontline", "aud": "frontline", "iat": now + 3600, "exp": now + 7200,
    });
    let (keys, token) = signed(future, Header::new(Algorithm::HS256), dir.path());
    assert!(refused(keys.verifier.verify(&token)).contains("issued in the future"));

    let long_lived = serde_json::json!({
        "sub": "ada", "role": "agent", "iss": "frontline", "aud": "frontline", "iat": now, "exp": now + 8 * 86400,
    });
    let (keys, token) = signed(long_lived.clone(), Header::new(Algorithm::HS256), dir.path());
    assert!(refused(keys.verifier.verify(&token)).contains("auth.max_token_lifetime"));
    let mut without_iat = long_lived;
    without_iat.as_object_mut().unwrap().remove("iat");
    let (keys, token) = signed(without_iat.clone(), Header::new(Algorithm::HS256), dir.path());
    assert!(refused(keys.verifier.verify(&token)).contains("auth.max_token_lifetime"));
    without_iat["exp"] = (now + 600).into();
    let (keys, token) = signed(without_iat, Header::new(Algorithm::HS256), dir.path());
    assert!(keys.verifier.verify(&token).is_ok(), "iat is optional");

    // The caller insisted, and this server was configured to accept it.
    let mut settings = settings(dir.path());
    settings.auth.max_token_lifetime = Duration::from_secs(30 * 86400);
    let keys = Keys::load(&settings).unwrap();
    let week = keys.issuer.unwrap().issue("ada", Role::Agent, None, Duration::from_secs(7 * 86400)).unwrap();
    assert!(keys.verifier.verify(&week).is_ok());
}

#[test]
fn alg_none_and_garbage_are_refused_without_panicking() {
    use base64::Engine as _;
    let dir = tempfile::tempdir().unwrap();
    let keys = Keys::load(&settings(dir.path())).unwrap();
    let encode = |json: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json);
    let payload = encode(&person_claims().to_string());
    let none = format!("{}.{payload}.", encode(r#"{"alg":"none","typ":"JWT"}"#));
    assert!(refused(keys.verifier.verify(&none)).contains("algorithm"));
    for garbage in ["", ".", "..", "a.b.c", "\u{0}", &format!("{}.{payload}.", encode("[]"))] {
        refused(keys.verifier.verify(garbage));
    }
}
