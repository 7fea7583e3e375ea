//! Which webhook URLs and resolved addresses Frontline may deliver to (the SSRF guard).
//!
//! A webhook URL is chosen by a customer but fetched from inside our network, so without this guard it could
//! be aimed at internal services or the cloud metadata endpoint. The guard has two halves: [`parse_target`]
//! vets the URL when it is saved and before each delivery, and [`check_resolved`] vets every address the
//! host resolves to, immediately before connecting.
//!
//! Typical delivery flow:
//! 1. `let target = parse_target(&url)?;`
//! 2. Addresses: for [`Host::Ip`] the literal itself, for [`Host::Domain`] a fresh DNS lookup.
//! 3. `let ip = check_resolved(&addresses, allow_private)?;`
//! 4. Connect to `(ip, target.port)`, sending `target.url`'s host in the `Host` header and TLS SNI, without
//!    following redirects.

use frontline_proto::limits::ticketing as limits;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use thiserror::Error;
use url::Url;

/// Longest accepted webhook URL, in bytes, both as typed and after normalisation.
pub const MAX_URL_LEN: usize = limits::WEBHOOK_URL_MAX_CHARS;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Http,
    Https,
}

/// The host part of a webhook URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    /// A DNS name (lowercased, IDNA-encoded); must be resolved and the results passed to [`check_resolved`].
    Domain(String),
    /// A literal address, including forms such as `2130706433` or `0x7f.1` that the URL parser normalises
    /// to an address; must still be passed to [`check_address`] or [`check_resolved`].
    Ip(IpAddr),
}

/// A syntactically acceptable webhook URL. Passing [`parse_target`] says nothing about where the URL
/// points: the addresses still have to be checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub scheme: Scheme,
    pub host: Host,
    /// The explicit port, or 80/443 by scheme.
    pub port: u16,
    /// The normalised URL, which is what should be stored and requested.
    pub url: Url,
}

/// The special-purpose range an address falls into. Its `Display` is a noun phrase used in error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressKind {
    Loopback,
    Private,
    LinkLocal,
    SharedCgnat,
    UniqueLocal,
    SiteLocal,
    Unspecified,
    ThisNetwork,
    Broadcast,
    Multicast,
    Documentation,
    Benchmarking,
    Reserved,
}

impl AddressKind {
    /// Kinds that can never be a web server, so not even an administrator's opt-in unlocks them.
    pub fn always_refused(self) -> bool {
        // 0.0.0.0/8 belongs here too: Linux treats a connect to 0.0.0.0 as a connect to localhost, a
        // well-known way around loopback filters.
        matches!(self, Self::Unspecified | Self::ThisNetwork | Self::Broadcast | Self::Multicast)
    }
}

impl fmt::Display for AddressKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Loopback => "a loopback address",
            Self::Private => "a private address",
            Self::LinkLocal => "a link-local address (where cloud metadata services live)",
            Self::SharedCgnat => "a shared carrier-grade NAT address",
            Self::UniqueLocal => "a unique local (private IPv6) address",
            Self::SiteLocal => "a site-local (private IPv6) address",
            Self::Unspecified => "the unspecified address",
            Self::ThisNetwork => "a \"this network\" (0.0.0.0/8) address",
            Self::Broadcast => "the broadcast address",
            Self::Multicast => "a multicast address",
            Self::Documentation => "a documentation address",
            Self::Benchmarking => "a benchmarking address",
            Self::Reserved => "a reserved address",
        })
    }
}

/// Why a webhook URL or address was refused. Messages are written for the person configuring the webhook.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TargetError {
    #[error("the URL is {len} characters long; webhook URLs may be at most {max} characters")]
    TooLong { len: usize, max: usize },
    #[error("the URL has no scheme; it must start with https:// (or http://)")]
    MissingScheme,
    #[error("not a valid URL: {0}")]
    Invalid(url::ParseError),
    #[error("the URL uses the \"{0}\" scheme; webhook URLs must start with https:// (or http://)")]
    UnsupportedScheme(String),
    #[error(
        "the URL contains a user name or password; remove it (credentials in URLs end up in logs) and \
         authenticate deliveries with the webhook's signing secret instead"
    )]
    Credentials,
    #[error("the URL has no host name")]
    MissingHost,
    #[error("the host name did not resolve to any address")]
    NoAddresses,
    #[error(
        "resolves to {}, {kind}; an administrator can allow private targets for this webhook",
        Shown(*.address, *.embedded)
    )]
    PrivateAddress { address: IpAddr, embedded: Option<Ipv4Addr>, kind: AddressKind },
    #[error("resolves to {}, {kind}, which can never receive webhooks", Shown(*.address, *.embedded))]
    UnusableAddress { address: IpAddr, embedded: Option<Ipv4Addr>, kind: AddressKind },
}

/// Shows an IPv6 address together with the IPv4 address it reaches, so `::ffff:a00:5` is recognisable as
/// 10.0.0.5.
struct Shown(IpAddr, Option<Ipv4Addr>);

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.1 {
            Some(v4) => write!(f, "{} (which reaches IPv4 {v4})", self.0),
            None => write!(f, "{}", self.0),
        }
    }
}

/// Parses and vets a webhook URL's syntax: http or https only, a host, no credentials, at most
/// [`MAX_URL_LEN`] bytes.
pub fn parse_target(input: &str) -> Result<Target, TargetError> {
    // Checked before parsing so a huge input costs nothing.
    if input.len() > MAX_URL_LEN {
        return Err(TargetError::TooLong { len: input.len(), max: MAX_URL_LEN });
    }
    let url = Url::parse(input).map_err(|err| match err {
        url::ParseError::RelativeUrlWithoutBase => TargetError::MissingScheme,
        other => TargetError::Invalid(other),
    })?;
    let scheme = match url.scheme() {
        "http" => Scheme::Http,
        "https" => Scheme::Https,
        other => return Err(TargetError::UnsupportedScheme(other.to_owned())),
    };
    if !url.username().is_empty() || url.password().is_some() {
        return Err(TargetError::Credentials);
    }
    // For http(s) the parser already turns every numeric host spelling (decimal, octal, hex, shortened,
    // percent-encoded, full-width) into an address, so anything still a domain really is a name.
    let host = match url.host() {
        Some(url::Host::Domain(name)) => Host::Domain(name.to_owned()),
        Some(url::Host::Ipv4(ip)) => Host::Ip(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => Host::Ip(IpAddr::V6(ip)),
        None => return Err(TargetError::MissingHost),
    };
    let port = url.port_or_known_default().ok_or(TargetError::MissingHost)?;
    // Normalisation percent-encodes non-ASCII, which can triple a URL's length.
    if url.as_str().len() > MAX_URL_LEN {
        return Err(TargetError::TooLong { len: url.as_str().len(), max: MAX_URL_LEN });
    }
    Ok(Target { scheme, host, port, url })
}

/// Refuses addresses that are not on the public internet, unless `allow_private` is set; even then,
/// addresses that can never be a web server (unspecified, "this network", broadcast, multicast) are refused.
///
/// IPv6 forms that carry an IPv4 address (IPv4-mapped, IPv4-compatible, SIIT, NAT64 `64:ff9b::/96`, 6to4)
/// are judged by the IPv4 address they reach.
pub fn check_address(ip: IpAddr, allow_private: bool) -> Result<(), TargetError> {
    let (embedded, kind) = match ip {
        IpAddr::V4(v4) => (None, kind_v4(v4)),
        IpAddr::V6(v6) => match embedded_v4(v6) {
            Some(v4) => (Some(v4), kind_v4(v4)),
            None => (None, kind_v6(v6)),
        },
    };
    match kind {
        None => Ok(()),
        Some(kind) if kind.always_refused() => Err(TargetError::UnusableAddress { address: ip, embedded, kind }),
        Some(_) if allow_private => Ok(()),
        Some(kind) => Err(TargetError::PrivateAddress { address: ip, embedded, kind }),
    }
}

/// Checks every address a host resolved to and returns the one to connect to.
///
/// All must pass, not just one: an attacker's DNS server can answer with a public and a private address
/// and let the connection pick the private one.
///
/// The caller must connect to the returned address itself rather than resolving the name again: a second
/// lookup could be answered differently (DNS rebinding), turning a checked name into an unchecked address.
pub fn check_resolved(addresses: &[IpAddr], allow_private: bool) -> Result<IpAddr, TargetError> {
    let (&first, _) = addresses.split_first().ok_or(TargetError::NoAddresses)?;
    for &ip in addresses {
        check_address(ip, allow_private)?;
    }
    // The resolver's order already reflects address-selection preferences (RFC 6724), so keep it.
    Ok(first)
}

/// IPv4 special-purpose ranges, most specific first.
const V4_RANGES: &[(Ipv4Addr, u8, AddressKind)] = &[
    (Ipv4Addr::new(0, 0, 0, 0), 32, AddressKind::Unspecified),
    (Ipv4Addr::new(0, 0, 0, 0), 8, AddressKind::ThisNetwork),
    (Ipv4Addr::new(10, 0, 0, 0), 8, AddressKind::Private),
    (Ipv4Addr::new(100, 64, 0, 0), 10, AddressKind::SharedCgnat),
    (Ipv4Addr::new(127, 0, 0, 0), 8, AddressKind::Loopback),
    (Ipv4Addr::new(169, 254, 0, 0), 16, AddressKind::LinkLocal),
    (Ipv4Addr::new(172, 16, 0, 0), 12, AddressKind::Private),
    (Ipv4Addr::new(192, 0, 0, 0), 24, AddressKind::Reserved),
    (Ipv4Addr::new(192, 0, 2, 0), 24, AddressKind::Documentation),
    (Ipv4Addr::new(192, 168, 0, 0), 16, AddressKind::Private),
    (Ipv4Addr::new(198, 18, 0, 0), 15, AddressKind::Benchmarking),
    (Ipv4Addr::new(198, 51, 100, 0), 24, AddressKind::Documentation),
    (Ipv4Addr::new(203, 0, 113, 0), 24, AddressKind::Documentation),
    (Ipv4Addr::new(224, 0, 0, 0), 4, AddressKind::Multicast),
    (Ipv4Addr::new(255, 255, 255, 255), 32, AddressKind::Broadcast),
    (Ipv4Addr::new(240, 0, 0, 0), 4, AddressKind::Reserved),
];

/// IPv6 special-purpose ranges, most specific first; forms embedding IPv4 are handled before this table.
const V6_RANGES: &[(Ipv6Addr, u8, AddressKind)] = &[
    (Ipv6Addr::UNSPECIFIED, 128, AddressKind::Unspecified),
    (Ipv6Addr::LOCALHOST, 128, AddressKind::Loopback),
    (Ipv6Addr::new(0x100, 0, 0, 0, 0, 0, 0, 0), 64, AddressKind::Reserved),
    // Teredo hides the real IPv4 endpoints (obfuscated and relayed), so it cannot be judged; no web server
    // needs to be reached that way.
    (Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0), 32, AddressKind::Reserved),
    (Ipv6Addr::new(0x2001, 0x2, 0, 0, 0, 0, 0, 0), 48, AddressKind::Benchmarking),
    (Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0), 32, AddressKind::Documentation),
    (Ipv6Addr::new(0x3fff, 0, 0, 0, 0, 0, 0, 0), 20, AddressKind::Documentation),
    (Ipv6Addr::new(0xfc00, 0, 0, 0, 0, 0, 0, 0), 7, AddressKind::UniqueLocal),
    (Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0), 10, AddressKind::LinkLocal),
    (Ipv6Addr::new(0xfec0, 0, 0, 0, 0, 0, 0, 0), 10, AddressKind::SiteLocal),
    (Ipv6Addr::new(0xff00, 0, 0, 0, 0, 0, 0, 0), 8, AddressKind::Multicast),
];

fn kind_v4(ip: Ipv4Addr) -> Option<AddressKind> {
    let bits = u32::from(ip);
    V4_RANGES.iter().find(|(net, len, _)| prefix_match_v4(bits, u32::from(*net), *len)).map(|&(_, _, kind)| kind)
}

fn kind_v6(ip: Ipv6Addr) -> Option<AddressKind> {
    let bits = u128::from(ip);
    if let Some(&(_, _, kind)) = V6_RANGES.iter().find(|(net, len, _)| prefix_match_v6(bits, u128::from(*net), *len)) {
        return Some(kind);
    }
    // Only 2000::/3 is allocated for global unicast; everything else (including local-use NAT64
    // 64:ff9b:1::/48, whose IPv4 embedding depends on the operator's prefix length) is not a public server.
    if !prefix_match_v6(bits, 0x2000 << 112, 3) {
        return Some(AddressKind::Reserved);
    }
    None
}

/// IPv6 prefixes whose last 32 bits are the IPv4 address the packet is delivered to.
const EMBEDS_V4_IN_LOW_32: &[(Ipv6Addr, u8)] = &[
    // IPv4-compatible `::a.b.c.d`: deprecated, but some stacks still route it over IPv4.
    (Ipv6Addr::new(0, 0, 0, 0, 0, 0, 0, 0), 96),
    // IPv4-mapped `::ffff:a.b.c.d`: a dual-stack socket connects to the IPv4 address.
    (Ipv6Addr::new(0, 0, 0, 0, 0, 0xffff, 0, 0), 96),
    // IPv4-translated (SIIT) `::ffff:0:a.b.c.d`.
    (Ipv6Addr::new(0, 0, 0, 0, 0xffff, 0, 0, 0), 96),
    // NAT64 well-known prefix: a NAT64 gateway forwards to the IPv4 address, possibly one inside our network.
    (Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0), 96),
];

/// The IPv4 address an IPv6 address actually reaches, for the forms where that is defined by the address
/// alone.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let bits = u128::from(ip);
    let low32 = Ipv4Addr::from(bits as u32);
    // `::` and `::1` are IPv6's own unspecified and loopback addresses, not IPv4-compatible ones.
    if ip == Ipv6Addr::UNSPECIFIED || ip == Ipv6Addr::LOCALHOST {
        return None;
    }
    let is_under = |net: u128, len: u8| prefix_match_v6(bits, net, len);
    if EMBEDS_V4_IN_LOW_32.iter().any(|&(net, len)| is_under(u128::from(net), len)) {
        return Some(low32);
    }
    if is_under(0x2002 << 112, 16) {
        // 6to4 carries the IPv4 address in bits 16..48.
        return Some(Ipv4Addr::from((bits >> 80) as u32));
    }
    None
}

fn prefix_match_v4(addr: u32, net: u32, len: u8) -> bool {
    let mask = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
    addr & mask == net & mask
}

fn prefix_match_v6(addr: u128, net: u128, len: u8) -> bool {
    let mask = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
    addr & mask == net & mask
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn kind_of(s: &str) -> Option<AddressKind> {
        match check_address(ip(s), false) {
            Ok(()) => None,
            Err(TargetError::PrivateAddress { kind, .. } | TargetError::UnusableAddress { kind, .. }) => Some(kind),
            Err(other) => panic!("unexpected error {other:?}"),
        }
    }

    fn literal_host(url: &str) -> IpAddr {
        match parse_target(url).unwrap().host {
            Host::Ip(ip) => ip,
            Host::Domain(name) => panic!("{url} parsed as domain {name}"),
        }
    }

    // ---- parse_target ----

    #[test]
    fn parses_https_with_default_port() {
        let target = parse_target("https://hooks.example.com/frontline?x=1").unwrap();
        assert_eq!(target.scheme, Scheme::Https);
        assert_eq!(target.host, Host::Domain("hooks.example.com".into()));
        assert_eq!(target.port, 443);
        assert_eq!(target.url.as_str(), "https://hooks.example.com/frontline?x=1");
    }

    #[test]
    fn parses_http_with_default_and_explicit_port() {
        let target = parse_target("http://example.com").unwrap();
        assert_eq!((target.scheme, target.port), (Scheme::Http, 80));
        assert_eq!(target.url.as_str(), "http://example.com/");
        assert_eq!(parse_target("http://example.com:8080/x").unwrap().port, 8080);
        // An explicit default port is dropped by normalisation but the port is still right.
        assert_eq!(parse_target("https://example.com:443/").unwrap().port, 443);
    }

    #[test]
    fn normalises_host_case_and_idn() {
        let target = parse_target("HTTPS://Hooks.EXAMPLE.com/Path").unwrap();
        assert_eq!(target.host, Host::Domain("hooks.example.com".into()));
        assert_eq!(target.url.as_str(), "https://hooks.example.com/Path");
        let target = parse_target("https://bücher.example/").unwrap();
        assert_eq!(target.host, Host::Domain("xn--bcher-kva.example".into()));
    }

    #[test]
    fn rejects_other_schemes() {
        for (url, scheme) in [
            ("ftp://example.com/", "ftp"),
            ("file:///etc/passwd", "file"),
            ("gopher://example.com:70/", "gopher"),
            ("javascript:alert(1)", "javascript"),
            ("ws://example.com/", "ws"),
            ("data:text/plain,hi", "data"),
        ] {
            assert_eq!(parse_target(url), Err(TargetError::UnsupportedScheme(scheme.into())), "{url}");
        }
    }

    #[test]
    fn rejects_missing_scheme_with_a_helpful_message() {
        let err = parse_target("hooks.example.com/x").unwrap_err();
        assert_eq!(err, TargetError::MissingScheme);
        assert_eq!(err.to_string(), "the URL has no scheme; it must start with https:// (or http://)");
    }

    #[test]
    fn rejects_credentials() {
        for url in ["https://user@example.com/", "https://user:pw@example.com/", "https://:pw@example.com/"] {
            assert_eq!(parse_target(url), Err(TargetError::Credentials), "{url}");
        }
        // A bare `@` carries no credentials and is normalised away.
        assert_eq!(parse_target("https://@example.com/").unwrap().url.as_str(), "https://example.com/");
    }

    #[test]
    fn rejects_missing_host_and_garbage() {
        for url in ["http://", "http://?q", "http://#f", "http://:80/", "http://exa mple.com/", "http://[::1/", ""] {
            assert!(parse_target(url).is_err(), "{url} accepted");
        }
        assert!(matches!(parse_target("http://"), Err(TargetError::Invalid(url::ParseError::EmptyHost))));
        // WHATWG parsing skips extra slashes in special schemes, so this names the host `path`.
        assert_eq!(parse_target("https:///path").unwrap().host, Host::Domain("path".into()));
    }

    #[test]
    fn length_limit() {
        let prefix = "https://example.com/";
        let at_limit = format!("{prefix}{}", "a".repeat(MAX_URL_LEN - prefix.len()));
        assert!(parse_target(&at_limit).is_ok());
        let over = format!("{at_limit}a");
        assert_eq!(parse_target(&over), Err(TargetError::TooLong { len: MAX_URL_LEN + 1, max: MAX_URL_LEN }));
        // Short as typed, too long once non-ASCII is percent-encoded.
        let expands = format!("{prefix}{}", "é".repeat(700));
        assert!(expands.len() <= MAX_URL_LEN);
        assert!(matches!(parse_target(&expands), Err(TargetError::TooLong { .. })));
    }

    #[test]
    fn literal_ipv4_hosts_in_all_spellings() {
        let loopback = ip("127.0.0.1");
        for url in [
            "http://127.0.0.1/",
            "http://2130706433/",
            "http://0x7f.1/",
            "http://0x7f000001/",
            "http://0177.0.0.1/",
            "http://017700000001/",
            "http://127.1/",
            "http://127.0.1/",
            "http://127.0.0.1./",
            "http://%31%32%37.0.0.1/",
            "http://\u{ff11}\u{ff12}\u{ff17}.0.0.1/",
            "https://0x7F.0.0.1:8443/",
        ] {
            assert_eq!(literal_host(url), loopback, "{url}");
        }
        assert_eq!(literal_host("http://2852039166/latest/meta-data/"), ip("169.254.169.254"));
        assert_eq!(literal_host("http://0/"), ip("0.0.0.0"));
        assert_eq!(literal_host("http://0xa.0.0.5/"), ip("10.0.0.5"));
    }

    #[test]
    fn invalid_numeric_hosts_are_errors_not_domains() {
        for url in ["http://256.0.0.1/", "http://1.2.3.4.5/", "http://4294967296/", "http://0x1g.0.0.1/"] {
            assert!(matches!(parse_target(url), Err(TargetError::Invalid(_))), "{url}");
        }
    }

    #[test]
    fn literal_ipv6_hosts() {
        assert_eq!(literal_host("http://[::1]/"), ip("::1"));
        assert_eq!(literal_host("http://[0:0:0:0:0:0:0:1]:8080/"), ip("::1"));
        assert_eq!(literal_host("http://[::ffff:127.0.0.1]/"), ip("::ffff:7f00:1"));
        assert_eq!(literal_host("https://[2606:4700::1111]/"), ip("2606:4700::1111"));
        let target = parse_target("http://[fe80::1]:9000/x").unwrap();
        assert_eq!(target.port, 9000);
    }

    #[test]
    fn literal_hosts_are_caught_by_check_resolved() {
        for url in ["http://2130706433/", "http://0x7f.1/", "http://[::ffff:127.0.0.1]/", "http://0/"] {
            let Host::Ip(addr) = parse_target(url).unwrap().host else { panic!("{url} not literal") };
            assert!(check_resolved(&[addr], false).is_err(), "{url} passed");
        }
    }

    // ---- check_address ----

    #[test]
    fn public_addresses_pass() {
        for addr in [
            "1.1.1.1",
            "8.8.8.8",
            "93.184.216.34",
            "100.63.255.255",
            "100.128.0.0",
            "172.15.255.255",
            "172.32.0.0",
            "192.167.255.255",
            "192.169.0.0",
            "198.17.255.255",
            "198.20.0.0",
            "223.255.255.255",
            "2606:4700:4700::1111",
            "2a00:1450:4001:80b::200e",
            "2001:4860:4860::8888",
            "2002:5db8:d822::1", // 6to4 of 93.184.216.34
            "64:ff9b::808:808",  // NAT64 of 8.8.8.8
            "::ffff:8.8.8.8",
        ] {
            assert_eq!(check_address(ip(addr), false), Ok(()), "{addr}");
        }
    }

    #[test]
    fn ipv4_special_ranges() {
        use AddressKind::*;
        let cases = [
            ("127.0.0.1", Loopback),
            ("127.255.255.254", Loopback),
            ("10.0.0.5", Private),
            ("10.255.255.255", Private),
            ("172.16.0.1", Private),
            ("172.31.255.255", Private),
            ("192.168.1.1", Private),
            ("169.254.169.254", LinkLocal),
            ("169.254.0.1", LinkLocal),
            ("100.64.0.1", SharedCgnat),
            ("100.127.255.255", SharedCgnat),
            ("0.0.0.0", Unspecified),
            ("0.1.2.3", ThisNetwork),
            ("255.255.255.255", Broadcast),
            ("224.0.0.1", Multicast),
            ("239.255.255.250", Multicast),
            ("192.0.2.1", Documentation),
            ("198.51.100.7", Documentation),
            ("203.0.113.200", Documentation),
            ("198.18.0.1", Benchmarking),
            ("198.19.255.255", Benchmarking),
            ("192.0.0.170", Reserved),
            ("240.0.0.1", Reserved),
            ("255.255.255.254", Reserved),
        ];
        for (addr, kind) in cases {
            assert_eq!(kind_of(addr), Some(kind), "{addr}");
        }
    }

    #[test]
    fn ipv6_special_ranges() {
        use AddressKind::*;
        let cases = [
            ("::1", Loopback),
            ("::", Unspecified),
            ("fe80::1", LinkLocal),
            ("febf:ffff::1", LinkLocal),
            ("fc00::1", UniqueLocal),
            ("fd12:3456:789a::1", UniqueLocal),
            ("fec0::1", SiteLocal),
            ("ff02::1", Multicast),
            ("ff0e::1", Multicast),
            ("2001:db8::1", Documentation),
            ("3fff:fff::1", Documentation),
            ("2001:2::1", Benchmarking),
            ("2001:0:4136:e378::1", Reserved), // Teredo
            ("100::1", Reserved),
            ("64:ff9b:1::a00:5", Reserved),
            ("4000::1", Reserved),
            ("::1:0:0:1", Reserved),
        ];
        for (addr, kind) in cases {
            assert_eq!(kind_of(addr), Some(kind), "{addr}");
        }
    }

    #[test]
    fn ipv6_forms_embedding_ipv4_are_judged_as_ipv4() {
        use AddressKind::*;
        let cases = [
            ("::ffff:127.0.0.1", Loopback, "127.0.0.1"),
            ("::ffff:7f00:1", Loopback, "127.0.0.1"),
            ("::ffff:10.0.0.5", Private, "10.0.0.5"),
            ("::ffff:169.254.169.254", LinkLocal, "169.254.169.254"),
            ("::ffff:0.0.0.0", Unspecified, "0.0.0.0"),
            ("::127.0.0.1", Loopback, "127.0.0.1"),
            ("::10.0.0.5", Private, "10.0.0.5"),
            ("::0.0.0.2", ThisNetwork, "0.0.0.2"),
            ("::ffff:0:10.0.0.5", Private, "10.0.0.5"),
            ("64:ff9b::127.0.0.1", Loopback, "127.0.0.1"),
            ("64:ff9b::a9fe:a9fe", LinkLocal, "169.254.169.254"),
            ("2002:7f00:1::1", Loopback, "127.0.0.1"),
            ("2002:a00:5::", Private, "10.0.0.5"),
            ("2002:e000:1::", Multicast, "224.0.0.1"),
        ];
        for (addr, kind, v4) in cases {
            let err = check_address(ip(addr), false).unwrap_err();
            let (TargetError::PrivateAddress { embedded, kind: got, .. }
            | TargetError::UnusableAddress { embedded, kind: got, .. }) = err
            else {
                panic!("{addr}: unexpected {err:?}");
            };
            assert_eq!((got, embedded), (kind, Some(v4.parse().unwrap())), "{addr}");
        }
    }

    #[test]
    fn allow_private_unlocks_private_ranges_only() {
        for addr in [
            "127.0.0.1",
            "10.0.0.5",
            "172.16.0.1",
            "192.168.0.10",
            "169.254.169.254",
            "100.64.0.1",
            "192.0.2.1",
            "198.18.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:10.0.0.5",
            "2002:c0a8:1::1",
        ] {
            assert_eq!(check_address(ip(addr), true), Ok(()), "{addr}");
        }
        for addr in [
            "0.0.0.0",
            "0.1.2.3",
            "255.255.255.255",
            "224.0.0.1",
            "::",
            "ff02::1",
            "::ffff:0.0.0.0",
            "::ffff:255.255.255.255",
            "64:ff9b::e000:1",
        ] {
            assert!(
                matches!(check_address(ip(addr), true), Err(TargetError::UnusableAddress { .. })),
                "{addr} allowed"
            );
        }
    }

    #[test]
    fn error_messages() {
        assert_eq!(
            check_address(ip("10.0.0.5"), false).unwrap_err().to_string(),
            "resolves to 10.0.0.5, a private address; an administrator can allow private targets for this webhook"
        );
        assert_eq!(
            check_address(ip("::ffff:10.0.0.5"), false).unwrap_err().to_string(),
            "resolves to ::ffff:10.0.0.5 (which reaches IPv4 10.0.0.5), a private address; an administrator can \
             allow private targets for this webhook"
        );
        assert_eq!(
            check_address(ip("169.254.169.254"), false).unwrap_err().to_string(),
            "resolves to 169.254.169.254, a link-local address (where cloud metadata services live); an \
             administrator can allow private targets for this webhook"
        );
        assert_eq!(
            check_address(ip("0.0.0.0"), true).unwrap_err().to_string(),
            "resolves to 0.0.0.0, the unspecified address, which can never receive webhooks"
        );
        assert!(parse_target("https://u:p@example.com").unwrap_err().to_string().contains("signing secret"));
        assert_eq!(
            parse_target("ftp://example.com").unwrap_err().to_string(),
            "the URL uses the \"ftp\" scheme; webhook URLs must start with https:// (or http://)"
        );
    }

    // ---- check_resolved ----

    #[test]
    fn check_resolved_requires_every_address_to_pass() {
        let public = ip("93.184.216.34");
        let private = ip("10.0.0.5");
        assert_eq!(check_resolved(&[public], false), Ok(public));
        assert_eq!(
            check_resolved(&[public, private], false),
            Err(TargetError::PrivateAddress { address: private, embedded: None, kind: AddressKind::Private })
        );
        assert!(check_resolved(&[private, public], false).is_err());
        assert_eq!(check_resolved(&[private, public], true), Ok(private));
        assert!(check_resolved(&[public, ip("0.0.0.0")], true).is_err());
    }

    #[test]
    fn check_resolved_returns_first_address() {
        let v6 = ip("2606:4700::1111");
        let v4 = ip("1.1.1.1");
        assert_eq!(check_resolved(&[v6, v4], false), Ok(v6));
        assert_eq!(check_resolved(&[v4, v6], false), Ok(v4));
    }

    #[test]
    fn check_resolved_rejects_empty() {
        assert_eq!(check_resolved(&[], true), Err(TargetError::NoAddresses));
    }

    #[test]
    fn prefix_match_edges() {
        assert!(prefix_match_v4(0xffff_ffff, 0, 0));
        assert!(prefix_match_v4(1, 1, 32));
        assert!(!prefix_match_v4(0, 1, 32));
        assert!(prefix_match_v6(u128::MAX, 0, 0));
        assert!(!prefix_match_v6(0, 1, 128));
    }

    proptest! {
        #[test]
        fn mapped_v6_is_judged_like_its_v4(raw in any::<u32>(), allow in any::<bool>()) {
            let v4 = Ipv4Addr::from(raw);
            let mapped = IpAddr::V6(v4.to_ipv6_mapped());
            prop_assert_eq!(check_address(IpAddr::V4(v4), allow).is_ok(), check_address(mapped, allow).is_ok());
        }

        #[test]
        fn allow_private_never_refuses_more(raw in any::<u128>(), v4 in any::<bool>()) {
            let addr = if v4 { IpAddr::V4(Ipv4Addr::from(raw as u32)) } else { IpAddr::V6(Ipv6Addr::from(raw)) };
            if check_address(addr, false).is_ok() {
                prop_assert!(check_address(addr, true).is_ok());
            }
        }

        #[test]
        fn parse_target_never_panics(input in "\\PC{0,100}") {
            let _ = parse_target(&input);
            let _ = parse_target(&format!("http://{input}"));
        }
    }
}
