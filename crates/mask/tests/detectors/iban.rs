use super::{finds_each, finds_none};

#[test]
fn finds_ibans_with_and_without_groups() {
    finds_each(
        "iban",
        &[
            "GB82WEST12345698765432",
            "GB82 WEST 1234 5698 7654 32",
            "DE89370400440532013000",
            "DE89 3704 0044 0532 0130 00",
            "FR1420041010050500013M02606",
            "NL91ABNA0417164300",
            "BE68539007547034",
            "CH9300762011623852957",
            "ES9121000418450200051332",
            "IT60X0542811101000000123456",
            "NO9386011117947",
        ],
    );
}

#[test]
fn leaves_bad_checksums_lengths_and_countries() {
    finds_none(
        "iban",
        &[
            "GB82WEST12345698765433",
            "GB82 WEST 1234 5698 7654 33",
            "GB82WEST1234569876543",
            "GB82WEST123456987654321",
            "ZZ82WEST12345698765432",
            "gb82west12345698765432",
            "GB82 WEST 12345698 765432",
            "XGB82WEST12345698765432",
            "GB82WEST12345698765432X",
        ],
    );
}
