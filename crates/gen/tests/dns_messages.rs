//! Every builder's output parsed back with hickory.
#![allow(clippy::unwrap_used)] // helpers outside #[test] functions unwrap too

use std::net::{Ipv4Addr, Ipv6Addr};

use hearsay_gen::dns::{self, Response, SoaTimers, SvcParams};
use hickory_proto::op::{Message, MessageType, OpCode, ResponseCode};
use hickory_proto::rr::rdata::svcb::SvcParamValue;
use hickory_proto::rr::{Name, RData, Record, RecordType};
use rand::SeedableRng;

fn name(s: &str) -> Name {
    Name::from_ascii(s).unwrap()
}

fn round_trip(records: Vec<Record>) -> Message {
    let wire = Response::new(42, "example.org", RecordType::ANY)
        .unwrap()
        .answers(records)
        .to_bytes()
        .unwrap();
    Message::from_vec(&wire).unwrap()
}

#[test]
fn query_is_a_standard_recursive_query() {
    let wire = dns::query(0xbeef, "WWW.Example.COM", RecordType::AAAA).unwrap();
    let m = Message::from_vec(&wire).unwrap();
    assert_eq!(m.metadata.id, 0xbeef);
    assert_eq!(m.metadata.message_type, MessageType::Query);
    assert_eq!(m.metadata.op_code, OpCode::Query);
    assert!(m.metadata.recursion_desired);
    assert_eq!(m.queries.len(), 1);
    assert_eq!(m.queries[0].query_type(), RecordType::AAAA);
    // Case is kept on the wire.
    assert!(m.queries[0].name().eq_case(&name("WWW.Example.COM.")));
    assert!(m.answers.is_empty());
    // With or without the trailing dot: the same message.
    assert_eq!(
        wire,
        dns::query(0xbeef, "WWW.Example.COM.", RecordType::AAAA).unwrap()
    );
}

#[test]
fn response_header_and_sections() {
    let wire = Response::new(7, "www.example.com", RecordType::A)
        .unwrap()
        .rcode(ResponseCode::NXDomain)
        .authoritative(true)
        .recursion(true, true)
        .authority(
            dns::soa(
                "example.com",
                "ns1.example.com",
                "hostmaster.example.com",
                5,
                300,
            )
            .unwrap(),
        )
        .additional(dns::a("ns1.example.com", "192.0.2.53", 60).unwrap())
        .to_bytes()
        .unwrap();
    let m = Message::from_vec(&wire).unwrap();
    assert_eq!(m.metadata.id, 7);
    assert_eq!(m.metadata.message_type, MessageType::Response);
    assert_eq!(m.metadata.response_code, ResponseCode::NXDomain);
    assert!(
        m.metadata.authoritative && m.metadata.recursion_desired && m.metadata.recursion_available
    );
    assert_eq!(
        (m.answers.len(), m.authorities.len(), m.additionals.len()),
        (0, 1, 1)
    );
    let RData::SOA(soa) = &m.authorities[0].data else {
        panic!()
    };
    let d = SoaTimers::default();
    assert_eq!(soa.serial, 5);
    assert_eq!(
        (soa.refresh, soa.retry, soa.expire, soa.minimum),
        (d.refresh, d.retry, d.expire, d.minimum)
    );
    assert_eq!(soa.mname, name("ns1.example.com."));
    assert_eq!(soa.rname, name("hostmaster.example.com."));

    let plain = Response::new(1, "a.example", RecordType::A).unwrap();
    assert!(plain.message().metadata.recursion_desired);
    assert!(!plain.message().metadata.authoritative);
    assert!(!plain.message().metadata.recursion_available);
    assert_eq!(
        plain.into_message().metadata.response_code,
        ResponseCode::NoError
    );
}

#[test]
fn address_and_name_records() {
    let m = round_trip(vec![
        dns::a("www.example.com", "192.0.2.1", 300).unwrap(),
        dns::a("v4.example.com", Ipv4Addr::new(198, 51, 100, 7), 1).unwrap(),
        dns::a("o.example.com", [203, 0, 113, 9], 2).unwrap(),
        dns::aaaa("www.example.com", "2001:db8::1", 300).unwrap(),
        dns::aaaa("v6.example.com", Ipv6Addr::LOCALHOST, 3).unwrap(),
        dns::ns("example.com", "ns1.example.net", 86400).unwrap(),
        dns::cname("www.example.com", "cdn.example.net.", 60).unwrap(),
        dns::ptr("1.2.0.192.in-addr.arpa", "host.example.com", 3600).unwrap(),
        dns::mx("example.com", 10, "mx.example.com", 3600).unwrap(),
        dns::srv(
            "_sip._udp.example.com",
            10,
            60,
            5060,
            "sip.example.com",
            600,
        )
        .unwrap(),
        dns::txt("example.com", &["v=spf1 -all", "second string"], 300).unwrap(),
    ]);
    let a = &m.answers;
    assert_eq!(a.len(), 11);
    assert_eq!(a[0].name, name("www.example.com."));
    assert_eq!(a[0].ttl, 300);
    assert_eq!(a[0].data, RData::A("192.0.2.1".parse().unwrap()));
    assert_eq!(a[1].data, RData::A(Ipv4Addr::new(198, 51, 100, 7).into()));
    assert_eq!(a[2].data, RData::A(Ipv4Addr::new(203, 0, 113, 9).into()));
    assert_eq!(a[3].data, RData::AAAA("2001:db8::1".parse().unwrap()));
    assert_eq!(a[4].data, RData::AAAA(Ipv6Addr::LOCALHOST.into()));
    let RData::NS(ns) = &a[5].data else { panic!() };
    assert_eq!(ns.0, name("ns1.example.net."));
    let RData::CNAME(c) = &a[6].data else {
        panic!()
    };
    assert_eq!(c.0, name("cdn.example.net."));
    let RData::PTR(p) = &a[7].data else { panic!() };
    assert_eq!(p.0, name("host.example.com."));
    let RData::MX(mx) = &a[8].data else { panic!() };
    assert_eq!(
        (mx.preference, mx.exchange.clone()),
        (10, name("mx.example.com."))
    );
    let RData::SRV(srv) = &a[9].data else {
        panic!()
    };
    assert_eq!((srv.priority, srv.weight, srv.port), (10, 60, 5060));
    assert_eq!(srv.target, name("sip.example.com."));
    let RData::TXT(txt) = &a[10].data else {
        panic!()
    };
    let strings: Vec<&[u8]> = txt.txt_data.iter().map(|s| &s[..]).collect();
    assert_eq!(strings, [&b"v=spf1 -all"[..], b"second string"]);
}

#[test]
fn svcb_https_caa_dname_raw() {
    let params = SvcParams {
        port: Some(8443),
        ipv4hint: vec!["192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap()],
        ipv6hint: vec!["2001:db8::1".parse().unwrap()],
        no_default_alpn: true,
        ..SvcParams::alpn(&["h2", "h3"])
    };
    let m = round_trip(vec![
        dns::https("example.com", 1, ".", &params, 300).unwrap(),
        dns::svcb(
            "_dns.example.com",
            1,
            "dns.example.com",
            &SvcParams::alpn(&["dot"]),
            300,
        )
        .unwrap(),
        dns::caa("example.com", 128, "issue", "letsencrypt.org", 300).unwrap(),
        dns::dname("old.example.com", "new.example.net", 300).unwrap(),
        dns::raw("example.com", 65400, &[1, 2, 3], 300).unwrap(),
    ]);
    let a = &m.answers;
    let RData::HTTPS(https) = &a[0].data else {
        panic!("{:?}", a[0].data)
    };
    assert_eq!(https.0.svc_priority, 1);
    assert!(https.0.target_name.is_root());
    let keys: Vec<String> = https
        .0
        .svc_params
        .iter()
        .map(|(k, _)| k.to_string())
        .collect();
    assert_eq!(
        keys,
        ["alpn", "no-default-alpn", "port", "ipv4hint", "ipv6hint"]
    );
    let SvcParamValue::Alpn(alpn) = &https.0.svc_params[0].1 else {
        panic!()
    };
    assert_eq!(alpn.0, ["h2", "h3"]);
    let SvcParamValue::Ipv4Hint(hint) = &https.0.svc_params[3].1 else {
        panic!()
    };
    assert_eq!(hint.0.len(), 2);
    let RData::SVCB(svcb) = &a[1].data else {
        panic!()
    };
    assert_eq!(svcb.target_name, name("dns.example.com."));
    let RData::CAA(caa) = &a[2].data else {
        panic!("{:?}", a[2].data)
    };
    assert!(caa.issuer_critical);
    assert_eq!(caa.tag, "issue");
    assert_eq!(caa.value, b"letsencrypt.org");
    assert_eq!(u16::from(a[3].record_type()), 39);
    let RData::Unknown { rdata, .. } = &a[3].data else {
        panic!()
    };
    assert_eq!(rdata.anything, b"\x03new\x07example\x03net\x00");
    assert_eq!(u16::from(a[4].record_type()), 65400);
    let RData::Unknown { rdata, .. } = &a[4].data else {
        panic!()
    };
    assert_eq!(rdata.anything, [1, 2, 3]);

    // Empty rdata encodes (RDLENGTH 0), though hickory declines to decode it.
    let wire = Response::new(1, "example.com", RecordType::ANY)
        .unwrap()
        .answer(dns::raw("example.com", 65401, &[], 300).unwrap())
        .to_bytes()
        .unwrap();
    assert!(wire.ends_with(&[0xff, 0x79, 0, 1, 0, 0, 1, 0x2c, 0, 0]));
}

#[test]
fn bad_inputs_are_errors() {
    assert!(dns::a("x.example", "300.1.1.1", 1).is_err());
    assert!(dns::a("x.example", "2001:db8::1", 1).is_err());
    assert!(dns::aaaa("x.example", "192.0.2.1", 1).is_err());
    let long_label = "a".repeat(64);
    assert!(dns::ns(long_label.as_str(), "ns.example", 1).is_err());
    assert!(dns::query(1, "a..b", RecordType::A).is_err());
    assert!(dns::caa("x.example", 0, "", "v", 1).is_err());
    let long = "x".repeat(256);
    let rec = dns::txt("x.example", &[&long], 1).unwrap();
    assert!(
        Response::new(1, "x.example", RecordType::TXT)
            .unwrap()
            .answer(rec)
            .to_bytes()
            .is_err()
    );
}

#[test]
fn case_randomisation() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
    let mixed = dns::mix_case("www.example-123.com", &mut rng);
    assert_eq!(mixed.to_ascii_lowercase(), "www.example-123.com");
    assert_ne!(mixed, "www.example-123.com");
    let mut rng2 = rand_chacha::ChaCha8Rng::seed_from_u64(9);
    assert_eq!(dns::mix_case("www.example-123.com", &mut rng2), mixed);

    // Patching a whole response: the question and compressed owner names follow.
    let mut wire = Response::new(1, "www.example.com", RecordType::A)
        .unwrap()
        .answer(dns::a("www.example.com", "192.0.2.1", 1).unwrap())
        .to_bytes()
        .unwrap();
    dns::set_id(&mut wire, 0x4242);
    assert!(dns::mix_qname_case(&mut wire, u64::MAX));
    let m = Message::from_vec(&wire).unwrap();
    assert_eq!(m.metadata.id, 0x4242);
    assert!(m.queries[0].name().eq_case(&name("WWW.EXAMPLE.COM.")));
    assert!(m.answers[0].name.eq_case(&name("WWW.EXAMPLE.COM.")));
    assert_eq!(dns::question_end(&wire), Some(12 + 17 + 4));
    assert!(!dns::mix_qname_case(&mut [0u8; 12], 1));
}
