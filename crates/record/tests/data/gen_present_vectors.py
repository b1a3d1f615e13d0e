#!/usr/bin/env python3
"""Generates present_vectors.txt, the reference vectors for hearsay_record::rdata::present.

Every vector is made by BIND itself with named-rrchecker, which formats rdata with the
routine and the settings (`dns_rdata_totext`: single line, width 60) that dig uses for
its answer section:

  text case: "IN <TYPE> <text>"     | named-rrchecker -u  -> wire bytes (RFC 3597 form)
  wire case: "IN TYPE<n> \\# <len> <hex>" | named-rrchecker -p  -> expected text

A wire case that BIND's wire parser rejects is expected to come out in the RFC 3597
generic form (as dig would never show it as text). DEVIATIONS lists the few cases where
hearsay prints something else on purpose, with what BIND prints.

The vectors were also cross-checked once against dig itself: a local named (9.18.49)
served every text vector as a record, and dig printed exactly the expected text for all
209 records it got back (the rest were NS delegations, RRSIG and NSEC3 records that named
does not answer as plain data), apart from the listed deviations.

Usage: gen_present_vectors.py [path/to/named-rrchecker] > present_vectors.txt
named-rrchecker ships in Debian's `bind9` package (bookworm: 9.18); `apt-get download
bind9 && dpkg -x bind9_*.deb dir` is enough, its libraries come with bind9-dnsutils.
"""

import subprocess
import sys

RRCHECKER = sys.argv[1] if len(sys.argv) > 1 else "named-rrchecker"


def nsec_window(window, clear=()):
    """NSEC `a.` with every type of one bitmap window set, but those in `clear`."""
    bitmap = bytearray([0xFF] * 32)
    for rrtype in clear:
        bitmap[(rrtype % 256) // 8] &= ~(0x80 >> (rrtype % 8)) & 0xFF
    return "016100%02X20%s" % (window, bitmap.hex().upper())


# (type, text) in BIND's presentation syntax, or (type number, "#", wire hex).
# Names are lower case: present() is only ever given canonical rdata.
CASES = [
    # ---- addresses
    ("A", "192.0.2.1"),
    ("A", "0.0.0.0"),
    ("A", "255.255.255.255"),
    ("AAAA", "2001:db8::1"),
    ("AAAA", "::"),
    ("AAAA", "::1"),
    ("AAAA", "::1.2.3.4"),
    ("AAAA", "::ffff:192.0.2.1"),
    ("AAAA", "::ffff:0:102:304"),
    ("AAAA", "::0.1.0.0"),
    ("AAAA", "1::"),
    ("AAAA", "1:0:1:0:1:0:1:0"),
    ("AAAA", "1:0:0:1:0:0:0:1"),
    ("AAAA", "1:0:0:1:1:0:0:1"),
    ("AAAA", "fe80::1:2:3:4"),
    ("AAAA", "2001:db8:85a3:8d3:1319:8a2e:370:7348"),
    ("AAAA", "64:ff9b::192.0.2.33"),
    # ---- single names, escapes
    ("NS", "ns1.example.com."),
    ("NS", "."),
    ("MD", "md.example."),
    ("MF", "mf.example."),
    ("CNAME", "www.example.net."),
    ("MB", "mb.example."),
    ("MG", "mg.example."),
    ("MR", "mr.example."),
    ("PTR", "1.2.0.192.in-addr.arpa."),
    ("DNAME", "example.org."),
    ("CNAME", "a\\.b.example."),
    ("CNAME", "\\\"q\\\".example."),
    ("CNAME", "sp\\032ace.tab\\009.example."),
    ("CNAME", "\\000\\255\\127.example."),
    ("CNAME", "\\@\\$\\;\\(\\).example."),
    ("CNAME", "a\\\\b.example."),
    ("CNAME", "*.wild-card_x.example."),
    ("CNAME", "%s.%s.%s.%s." % ("a" * 63, "b" * 63, "c" * 63, "d" * 61)),
    ("CNAME", "\\195\\169t\\195\\169.example."),
    # ---- SOA and two-name types
    ("SOA", "ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 300"),
    ("SOA", ". . 0 0 0 0 4294967295"),
    ("MINFO", "rmail.example. email.example."),
    ("RP", "admin.example. txt.example."),
    ("RP", ". ."),
    ("TALINK", "prev.example. next.example."),
    # ---- preference + name
    ("MX", "10 mail.example.com."),
    ("MX", "0 ."),
    ("MX", "65535 mx.example."),
    ("AFSDB", "1 afs.example."),
    ("RT", "20 relay.example."),
    ("KX", "5 kx.example."),
    ("LP", "10 l64-subnet.example."),
    ("PX", "10 map822.example. mapx400.example."),
    ("SRV", "0 5 5060 sipserver.example.com."),
    ("SRV", "65535 65535 65535 ."),
    ("NAPTR", '100 10 "u" "E2U+sip" "!^.*$!sip:info@example.com!" .'),
    ("NAPTR", '100 50 "s" "z3950+I2L+I2C" "" _z3950._tcp.gatech.edu.'),
    ("NAPTR", '1 2 "" "" "" x.example.'),
    ("NAPTR", '10 100 "a\\"b" "c\\\\d" "!(.*)!\\\\1!" .'),
    # ---- text types
    ("HINFO", '"INTEL-386" "Unix"'),
    ("HINFO", '"" ""'),
    ("TXT", '"hello world"'),
    ("TXT", '""'),
    ("TXT", '"a" "" "b c"'),
    ("TXT", '"v=spf1 include:_spf.example.com ~all"'),
    ("TXT", '"quote\\"inside" "back\\\\slash"'),
    ("TXT", '"semi;colon@at$dollar(paren)"'),
    ("TXT", '"tab\\009nl\\010nul\\000del\\127hi\\255"'),
    ("TXT", '"\\195\\169t\\195\\169"'),
    ("TXT", '"%s"' % ("x" * 255)),
    ("TXT", " ".join('"%s"' % ("".join("\\%03d" % b for b in range(i, i + 32))) for i in range(0, 256, 32))),
    ("SPF", '"v=spf1 -all"'),
    ("NINFO", '"ninfo"'),
    ("AVC", '"app-name:WOLFGANG|app-class:OAM"'),
    ("RESINFO", '"qnamemin" "exterr=15-17" "infourl=https://resolver.example.com/guide"'),
    ("WALLET", '"BTC" "bc1qexample"'),
    ("X25", '"311061700956"'),
    ("ISDN", '"150862028003217"'),
    ("ISDN", '"150862028003217" "004"'),
    ("GPOS", '"-32.6882" "116.8652" "10.0"'),
    ("NSAP", "0x47.0005.80.005a00.0000.0001.e133.ffffff000161.00"),
    # ---- misc
    ("WKS", "192.0.2.1 6 25 80 443"),
    ("WKS", "192.0.2.1 17"),
    ("WKS", "10.0.0.1 6 0 1 65535"),
    ("CAA", '0 issue "letsencrypt.org"'),
    ("CAA", '0 issuewild ";"'),
    ("CAA", '128 iodef "mailto:security@example.com"'),
    ("CAA", '0 issue ""'),
    ("CAA", '0 tbs "a \\"quoted\\" \\\\ value \\000\\255"'),
    ("CAA", '255 Tag0 "x"'),
    ("URI", '10 1 "ftp://ftp1.example.com/public"'),
    ("URI", '0 0 ""'),
    ("URI", '1 2 "http://example.com/a b\\"c"'),
    ("EUI48", "00-00-5e-00-53-2a"),
    ("EUI64", "00-00-5e-ef-10-00-00-2a"),
    ("L32", "10 10.1.2.0"),
    ("L64", "10 2001:db8:1140:1000"),
    ("L64", "0 0:0:0:0"),
    ("NID", "10 14:4fff:ff20:ee64"),
    ("NID", "65535 ffff:ffff:ffff:ffff"),
    ("LOC", "52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m"),
    ("LOC", "42 21 54.000 N 71 6 18.000 W -24.00m 30m"),
    ("LOC", "0 0 0.000 S 0 0 0.000 W 0.00m 1m 10000m 10m"),
    ("LOC", "90 0 0.000 S 180 0 0.000 E 42849672.95m 90000000m 0.10m 0.01m"),
    ("LOC", "37 46 29.123 N 122 25 9.999 W -100000.00m 0.00m 0.00m 0.00m"),
    ("APL", "1:192.168.32.0/21 !1:192.168.38.0/28"),
    ("APL", "1:224.0.0.0/4 2:ff00:0:0:0:0:0:0:0/8"),
    ("APL", "1:0.0.0.0/0 !2:::/0"),
    ("APL", "2:2001:db8::1/128"),
    ("IPSECKEY", "10 0 2 . AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ=="),
    ("IPSECKEY", "10 1 2 192.0.2.38 AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ=="),
    ("IPSECKEY", "10 2 2 2001:db8:0:8002::2000:1 AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ=="),
    ("IPSECKEY", "10 3 2 mygateway.example.com. AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ=="),
    ("IPSECKEY", "10 1 1 192.0.2.3 " + "AQPW" * 30),
    ("AMTRELAY", "10 0 0 ."),
    ("AMTRELAY", "10 1 1 203.0.113.15"),
    ("AMTRELAY", "128 0 2 2001:db8::15"),
    ("AMTRELAY", "10 1 3 amtrelays.example.com."),
    ("HIP", "2 200100107B1A74DF365639CC39F1D578 AwEAAbdxyhNuSutc5EMzxTs9LBPCIkOFH8cIvM4p9+LrV4e19WzK00+CI6zBCQTdtWsuxKbWIy87UOoJTwkUs7lBu+Upr1gsNrut79ryra+bSRGQb1slImA8YVJyuIDsj7kwzG7jnERNqnWxZ48AWkskmdHaVDP4BcelrTI3rMXdXF5D"),
    ("HIP", "2 200100107B1A74DF365639CC39F1D578 AwEAAQ== rvs1.example.com. rvs2.example.com."),
    ("DOA", '0 1 2 "" aHR0cHM6Ly93d3cuaXNjLm9yZy8='),
    ("DOA", '1234567890 1234567890 1 "image/gif" -'),
    ("SINK", "1 0 0"),
    ("SINK", "8 1 2 l4ik"),
    # ---- DNSSEC
    ("DS", "60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118"),
    ("DS", "20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D"),
    ("DS", "12345 14 4 " + "0123456789ABCDEF" * 6),
    ("DS", "1 253 200 00"),
    ("CDS", "0 0 0 00"),
    ("TA", "30795 1 1 310D27F4D82C1FC2400704EA9939FE6E1CEAA3B9"),
    ("DLV", "30795 1 1 310D27F4D82C1FC2400704EA9939FE6E1CEAA3B9"),
    ("SSHFP", "1 1 dd465c09cfa51fb45020cc83316fff21b9ec74ac"),
    ("SSHFP", "4 2 " + "a1" * 32),
    ("SSHFP", "1 3 0123456789"),
    ("SSHFP", "3 0 " + "ab" * 64),
    ("TLSA", "3 1 1 " + "0D6FCE3B" * 8),
    ("TLSA", "0 0 0 00"),
    ("TLSA", "1 0 0 " + "30" * 200),
    ("SMIMEA", "3 1 1 " + "0D6FCE3B" * 8),
    ("DNSKEY", "257 3 8 AwEAAaz/tAm8yTn4Mfeh5eyI96WSVexTBAvkMgJzkKTOiW1vkIbzxeF3+/4RgWOq7HrxRixHlFlExOLAJr5emLvN7SWXgnLh4+B5xQlNVz8Og8kvArMtNROxVQuCaSnIDdD5LKyWbRd2n9WGe2R8PzgCmr3EgVLrjyBxWezF0jLHwVN8efS3rCj/EWgvIWgb9tarpVUDK/b58Da+sqqls3eNbuv7pr+eoZG+SrDK6nWeL3c6H5Apxz7LjVc1uTIdsIXxuOLYA4/ilBmSVIzuDWfdRUfhHdY6+cn8HFRm+2hM8AnXGXws9555KrUB5qihylGa8subX2Nn6UwNR1AkUTV74bU="),
    ("DNSKEY", "256 3 13 oJMRESz5E4gYzS/q6XDrvU1qMPYIjCWzJaOau8XNEZeqCYKD5ar0IRd8KqXXFJkqmVfRvMGPmM1x8fGAa2XhSA=="),
    ("DNSKEY", "257 3 15 l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4="),
    ("DNSKEY", "0 0 0 AA=="),
    ("DNSKEY", "385 3 253 B2V4YW1wbGUAAQID"),
    ("CDNSKEY", "0 3 0 AA=="),
    ("KEY", "49152 3 8"),
    ("KEY", "256 3 5 AQPSKmynfzW4kyBv015MUG2DeIQ3Cbl+BBZH4b/0PY1kxkmvHjcZc8nokfzj31GajIQKY+5CptLr3buXA10hWqTkF7H6RfoRqXQeogmMHfpftf6zMv1LyBUgia7za6ZEzOJBOztyvhjL742iU/TpPSEDhm2SNKLijfUppn1UaNvv4w=="),
    ("RKEY", "0 3 8 AQPSKmynfzW4kyBv015MUG2DeIQ3Cbl+BBZH4b/0PY1kxkmvHjcZc8nokfzj3w=="),
    ("RRSIG", "A 8 2 300 20230101000000 20221201000000 12345 example.com. cGFzc2l2ZSBkbnMgcmVwbGljYXRpb24gaXMgYSBnb29kIGlkZWEgZm9yIGluY2lkZW50IHJlc3BvbnNlIHRlYW1zIGFuZCB0aGVpciBmcmllbmRz"),
    ("RRSIG", "NSEC3 13 3 3600 20260101120000 20251201120000 65535 example.org. AQ=="),
    ("RRSIG", "TYPE65280 8 0 0 19700101000000 19700101000001 0 . AAAA"),
    ("RRSIG", "TYPE0 1 1 1 20380119031407 20380119031408 1 a. AAAAAA=="),
    ("RRSIG", "CAA 15 4 86400 20901231235959 20000229000000 4242 sub.example.com. " + "ABCD" * 30),
    ("SIG", "A 1 2 3 20230101000000 20221201000000 4 example. AQ=="),
    ("SIG", "TYPE65000 1 2 3 20230101000000 20221201000000 4 . AQ=="),
    ("NSEC", "host.example.com. A MX RRSIG NSEC"),
    ("NSEC", "a. A"),
    ("NSEC", "\\000.example. NS SOA TXT AAAA RRSIG NSEC DNSKEY TYPE1234 CAA TYPE65000 TYPE65535"),
    ("NSEC", "b. A TYPE256 URI TYPE511 TYPE512"),
    ("NSEC", "c. OPT TSIG ANY TA DLV"),
    ("NSEC", "a. TYPE66 TYPE67 TYPE68"),
    ("NSEC", "a. TYPE65305"),
    (47, "#", nsec_window(0, clear=(66, 67, 68))),
    (47, "#", nsec_window(1)),
    (47, "#", nsec_window(2)),
    (47, "#", nsec_window(127)),
    (47, "#", nsec_window(128)),
    ("NXT", "medium.example. A MX SIG NXT"),
    ("NXT", "next.example."),
    ("NXT", "big.example. A TYPE100 TYPE127"),
    ("NSEC3", "1 1 12 AABBCCDD 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR A RRSIG"),
    ("NSEC3", "1 0 0 - 2VPTU5TIMAMQTTGL4LUU9KG21E0AOR3S"),
    ("NSEC3", "1 0 10 - 2VPTU5TIMAMQTTGL4LUU9KG21E0AOR3S NS SOA RRSIG DNSKEY NSEC3PARAM TYPE65000"),
    ("NSEC3", "2 255 65535 " + "FF" * 255 + " 0123456789ABCDEF A"),
    ("NSEC3PARAM", "1 0 12 AABBCCDD"),
    ("NSEC3PARAM", "1 0 0 -"),
    ("NSEC3PARAM", "255 255 65535 " + "01" * 255),
    ("CSYNC", "66 3 A NS AAAA"),
    ("CSYNC", "0 0"),
    ("CSYNC", "4294967295 65535 TYPE65535"),
    ("OPENPGPKEY", "mQINBFit2jsBEADrbl5vjVxYeAE0g0IDYCBpHirv1Sjlqxx5gjtPhb2YhvyDMXjq"),
    ("CERT", "PKIX 65535 RSASHA256 MIIBkzCCAT2gAwIBAgIJAJ8Pq4v2bW0xMA0GCSqGSIb3DQEBBQUAMBUxEzARBgNVBAMTCmV4YW1wbGUuY29t"),
    ("CERT", "65000 1 200 AQID"),
    ("CERT", "URI 0 ECDSAP256SHA256 aHR0cHM6Ly9leGFtcGxlLmNvbS9jZXJ0"),
    ("CERT", "IPGP 0 0 AQ=="),
    ("CERT", "OID 1 ED448 AQ=="),
    ("DHCID", "AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA="),
    ("DHCID", "AQ=="),
    ("ZONEMD", "2018031900 1 1 " + "C68090D90A7AED716BC459F9340E3D7C1370D4D24B7E2FC3A1DDC0B9A87153B9A9713B3C9AE5CC27777F98B8E730044C"),
    ("ZONEMD", "1 1 2 " + "AB" * 64),
    ("ZONEMD", "4294967295 0 240 " + "00" * 12),
    # ---- SVCB / HTTPS
    ("SVCB", "0 foo.example.com."),
    ("HTTPS", "0 ."),
    ("SVCB", "1 ."),
    ("HTTPS", "1 . alpn=h2,h3"),
    ("SVCB", "16 foo.example.org. alpn=h2,h3-19 mandatory=ipv4hint,alpn ipv4hint=192.0.2.1"),
    ("SVCB", '1 foo.example.com. key667="hello"'),
    ("SVCB", '1 foo.example.com. key667="hello\\210qoo"'),
    ("SVCB", "1 foo.example.com. ipv6hint=2001:db8::1,2001:db8::53:1"),
    ("SVCB", "1 example.com. ipv6hint=::ffff:198.51.100.100"),
    ("SVCB", '16 foo.example.org. alpn="f\\\\\\\\oo\\\\,bar,h2"'),
    ("SVCB", "2 svc.example. port=8443 no-default-alpn alpn=h2"),
    ("HTTPS", "1 . alpn=h3,h2 ipv4hint=104.16.132.229,104.16.133.229 ech=AEP+DQA/AAAgACB1c2VyLWNob3NlbgAEAAEAAQAQY2xvdWRmbGFyZS1lY2guY29tAAA= ipv6hint=2606:4700::6810:84e5,2606:4700::6810:85e5"),
    ("HTTPS", "1 . mandatory=key65000,port port=443 key65000 key65001=\"\""),
    ("SVCB", '3 x.example. key65535="a,b c\\"d\\\\e" key9="\\000"'),
    ("SVCB", '1 x.example. alpn="a b,c\\"d"'),
    # ---- RFC 3597 generic form (no text form, or BIND prints it so itself)
    (10, "#", ""),
    (10, "#", "00FF10"),
    (10, "#", "".join("%02X" % (i % 256) for i in range(100))),
    (65280, "#", ""),
    (65280, "#", "DEADBEEF" * 20),
    (0, "#", "01"),
    (251, "#", "00"),
    # ---- malformed or borderline wire data: what BIND's wire parser accepts, and what not
    (1, "#", "C00002"),
    (1, "#", "C000020100"),
    (28, "#", "20010DB8000000000000000000000001FF"),
    (2, "#", "03636F6D"),
    (2, "#", "03636F6D0000"),
    (2, "#", "40" + "61" * 64 + "00"),
    (2, "#", "C00C"),
    (5, "#", ""),
    (15, "#", "000A"),
    (15, "#", "00"),
    (6, "#", "0000" + "00" * 19),
    (6, "#", "0000" + "00" * 21),
    (16, "#", ""),
    (16, "#", "0361"),
    (16, "#", "01610362"),
    (13, "#", "0161"),
    (13, "#", "016101620163"),
    (35, "#", "000A000A0161016101"),
    (257, "#", "0000"),
    (257, "#", "00026121"),
    (257, "#", "0003616263"),
    (43, "#", "3039080201"),
    (43, "#", "303908" + "01" + "00" * 21),
    (43, "#", "30390802"),
    (44, "#", "0101AB"),
    (44, "#", "01"),
    (52, "#", "030101"),
    (48, "#", "01010308"),
    (25, "#", "C101030800"),
    (48, "#", "010103FD01"),
    (57, "#", "0001030801"),
    (46, "#", "0001080200000E10000000000000000030390000"),
    (46, "#", "00010802"),
    (47, "#", "016100"),
    (47, "#", "0161000100"),
    (47, "#", "01610001400006"),
    (47, "#", "0161000000"),
    (47, "#", "016100000140"),
    (47, "#", "01610000214000000000000000000000000000000000000000000000000000000000000001"),
    (50, "#", "010000000013" + "00" * 19),
    (50, "#", "0100000000"),
    (50, "#", "0200000000000001"),
    (51, "#", "0100000002AA"),
    (51, "#", "0100000001AABB"),
    (62, "#", "0000000100"),
    (63, "#", "0000000101" + "00" * 13),
    (63, "#", "000000010101" + "00" * 47),
    (37, "#", "0001000008"),
    (49, "#", ""),
    (61, "#", ""),
    (108, "#", "00005E00532A00"),
    (109, "#", "00005E00532A"),
    (105, "#", "000A0A0102"),
    (29, "#", "0100161300000000000000000000000000"),
    (29, "#", "01"),
    (29, "#", "00A0161380000000800000000098968000"),
    (29, "#", "00001613" + "%08X" % (0x80000000 + 90 * 3600000 + 1) + "80000000" + "00989680"),
    (29, "#", "000016138B3CF018810CBCE0009895B800"),
    (42, "#", "000318000000"),
    (42, "#", "00011502C0A800"),
    (42, "#", "00012102C0A8"),
    (42, "#", "0001"),
    (45, "#", "0A04020000"),
    (45, "#", "0A0102C0000226"),
    (11, "#", "C000020106000000"),
    (11, "#", "C0000201"),
    (19, "#", "03313233"),
    (19, "#", "04313233FF"),
    (64, "#", ""),
    (64, "#", "0001"),
    (64, "#", "000100000300020050000100030268320000"),
    (64, "#", "00010000030002005000030002005000"),
    (64, "#", "0001000003000301BB00"),
    (64, "#", "000100000000020003000300020050"),
    (64, "#", "0001000000000200010001000302683200"),
    (64, "#", "00010000020000"),
    (64, "#", "00010000010000"),
    (64, "#", "000100000100030268320000"),
    (64, "#", "000100000400050102030405"),
    (64, "#", "00010000000002000000"),
    (64, "#", "0001000000000400040001"),
    (65, "#", "000100000100030268"),
    (260, "#", "0A00C0000201"),
    (260, "#", "0A04"),
    (55, "#", "0002000100"),
    (256, "#", "000A00"),
    (20, "#", "0361626301"),
    (22, "#", ""),
    (27, "#", "0131013201"),
    (30, "#", "016100FF"),
    (30, "#", "0161004000"),
    (40, "#", "0102"),
    (259, "#", "000000000000000001"),
    (259, "#", "00000000000000000105"),
]

# Cases where hearsay deliberately prints something other than BIND 9.18:
# (type, text) or (type number, "#", hex) as in CASES, then what hearsay prints (None for the
# RFC 3597 form) and why.
DEVIATIONS = [
    (("SVCB", '1 . key7="/dns-query{?dns}"'), '1 . dohpath="/dns-query{?dns}"',
     "RFC 9461 names key 7, BIND 9.18 calls it key7"),
    (("HTTPS", "1 . alpn=h3 key8"), '1 . alpn="h3" ohttp',
     "RFC 9540 names key 8, BIND 9.18 calls it key8"),
    (("SVCB", '1 . mandatory=key7,key8 key7="/q/{?dns}" key8'), '1 . mandatory=dohpath,ohttp dohpath="/q/{?dns}" ohttp',
     "RFC 9461 and RFC 9540 key names"),
    ((64, "#", "000100000700022F71"), '1 . dohpath="/q"',
     "the dohpath URI template is not checked beyond a leading '/' and UTF-8"),
    ((65, "#", "0001000008000161"), None,
     "an ohttp value must be empty (RFC 9540)"),
    ((46, "#", "000108020000012C" + "FFFFFFFF" + "00000000" + "303900" + "01"),
     "A 8 2 300 21060207062815 19700101000000 12345 . AQ==",
     "timestamps are unsigned seconds since 1970; BIND takes the epoch nearest to the current time"),
    ((35, "#", "000A000A0161016103212121" + "00"), '10 10 "a" "a" "!!!" .',
     "NAPTR regexps are not validated"),
]


def run(args, text):
    proc = subprocess.run([RRCHECKER] + args, input=text + "\n", capture_output=True, text=True)
    return proc.returncode, proc.stdout.strip("\n"), proc.stderr.strip()


def to_wire(rrtype, text):
    code, out, err = run(["-u"], "IN %s %s" % (rrtype, text))
    if code != 0:
        sys.exit("cannot encode %s %s: %s" % (rrtype, text, err))
    _cls, typ, rdata = out.split("\t", 2)
    _hash, length, *hexwords = rdata.split(" ")
    hexdigits = "".join(hexwords)
    assert int(length) * 2 == len(hexdigits), out
    return int(typ[4:]), hexdigits.upper()


def wire_of(case):
    if len(case) == 3:
        return case[0], case[2].upper()
    return to_wire(*case)


def rfc3597(hexdigits):
    if not hexdigits:
        return "\\# 0"
    chunks = [hexdigits[i:i + 56] for i in range(0, len(hexdigits), 56)]
    return "\\# %d %s" % (len(hexdigits) // 2, " ".join(chunks))


def bind_text(code, hexdigits):
    """BIND's text for the wire rdata, or None and the error if its parser rejects it."""
    rc, out, err = run(["-p"], "IN TYPE%d \\# %d %s" % (code, len(hexdigits) // 2, hexdigits))
    if rc != 0:
        return None, err.splitlines()[-1].split(": ")[-1]
    return out.split("\t", 2)[2], None


def version():
    proc = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "bind9-libs"], capture_output=True, text=True)
    return proc.stdout.strip() or "unknown"


def main():
    print("# Reference vectors for hearsay_record::rdata::present (checked by tests/present.rs).")
    print("# Generated by tests/data/gen_present_vectors.py with named-rrchecker of BIND %s" % version())
    print("# (Debian bookworm packages bind9 / bind9-libs); `named-rrchecker -p` formats rdata with")
    print("# dns_rdata_totext, the single-line style dig prints answers in.")
    print("# Format: <type number> TAB <wire rdata in hex, '-' if empty> TAB <expected text> [TAB <note>]")
    print("# 'fallback' notes: BIND's wire parser rejects the rdata, so the RFC 3597 form is expected.")
    print("# 'deviation' notes: hearsay prints this on purpose although BIND 9.18 prints otherwise.")
    seen = set()
    for case in CASES:
        code, hexdigits = wire_of(case)
        if (code, hexdigits) in seen:
            continue
        seen.add((code, hexdigits))
        text, err = bind_text(code, hexdigits)
        note = ""
        if text is None:
            text, note = rfc3597(hexdigits), "fallback: BIND says " + err
        print("\t".join([str(code), hexdigits or "-", text] + ([note] if note else [])))
    for case, ours, why in DEVIATIONS:
        code, hexdigits = wire_of(case)
        text, err = bind_text(code, hexdigits)
        bind = text if text is not None else "error: " + err
        if ours is None:
            ours = rfc3597(hexdigits)
        print("\t".join([str(code), hexdigits or "-", ours, "deviation: %s (BIND: %s)" % (why, bind)]))


if __name__ == "__main__":
    main()
