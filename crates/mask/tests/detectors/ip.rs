use super::{finds_each, finds_none, found};

#[test]
fn finds_ipv4() {
    finds_each(
        "ip",
        &["192.168.1.1", "10.0.0.1", "255.255.255.255", "8.8.8.8"],
    );
    assert_eq!(found("ip", "host=10.0.0.1:5432"), ["10.0.0.1"]);
    assert_eq!(found("ip", "from 10.0.0.1."), ["10.0.0.1"]);
    assert_eq!(found("ip", "version 2\nhost 10.0.0.1"), ["10.0.0.1"]);
}

#[test]
fn finds_ipv6() {
    finds_each(
        "ip",
        &[
            "::1",
            "fe80::1",
            "2001:db8::8a2e:370:7334",
            "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
            "2001:DB8::1",
            "::ffff:192.0.2.128",
        ],
    );
    assert_eq!(found("ip", "[2001:db8::1]:443"), ["2001:db8::1"]);
    assert_eq!(found("ip", "via fe80::1%eth0"), ["fe80::1"]);
}

#[test]
fn leaves_versions_out_of_range_octets_and_code() {
    finds_none(
        "ip",
        &[
            "1.2.3.4.5",
            "version 1.2.3.4.5 released",
            "256.1.1.1",
            "1.2.3.256",
            "v1.2.3.4",
            "1.2.3.4a",
            "01.2.3.4",
            "1.2.3",
            "1234.1.1.1",
            "10:23:45",
            "2024-01-15T10:23:45Z",
            "std::fmt::Display",
            "Bad::Add",
            "a::b",
            "00:1A:2B:3C:4D:5E",
            "de:ad:be:ef:00:01",
            "1:2",
            "Standards-Version: 3.7.2.0",
            "[assembly: AssemblyVersion(\"1.0.0.0\")]",
            "version 1.2.3.4",
        ],
    );
}
