use super::{finds_each, finds_none};

#[test]
fn finds_separated_forms() {
    finds_each(
        "ssn",
        &["123-45-6789", "078-05-1120", "123 45 6789", "899-99-9999"],
    );
}

#[test]
fn leaves_invalid_areas_groups_and_serials() {
    finds_none(
        "ssn",
        &[
            "000-12-3456",
            "666-12-3456",
            "900-12-3456",
            "999-12-3456",
            "123-00-4567",
            "123-45-0000",
        ],
    );
}

#[test]
fn leaves_other_shapes() {
    finds_none(
        "ssn",
        &[
            "123456789",
            "123-45 6789",
            "123-456-789",
            "1123-45-6789",
            "123-45-67890",
            "123-45-6789-1",
            "A123-45-6789",
            "2024-01-15",
            "ORD-123-45-6789",
        ],
    );
}
