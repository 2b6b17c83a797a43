use super::*;
use warden_testkit::Pieces;

fn query(text: &str) -> Vec<u8> {
    let mut message = vec![b'Q'];
    message.extend_from_slice(&(4 + text.len() as u32 + 1).to_be_bytes());
    message.extend_from_slice(text.as_bytes());
    message.push(0);
    message
}

fn reader(texts: &[&str]) -> FrameReader<Pieces> {
    FrameReader::new(Pieces::new(texts.iter().map(|t| query(t))), 1 << 20)
}

#[tokio::test]
async fn a_read_after_every_message_is_dropped_lands_where_the_first_did() {
    let mut reader = reader(&["SELECT 1", "SELECT 2", "SELECT 3"]);
    let first = reader.next().await.unwrap().unwrap();
    let start = first.bytes().as_ptr();
    drop(first);
    for text in ["SELECT 2", "SELECT 3"] {
        let frame = reader.next().await.unwrap().unwrap();
        assert_eq!(frame.bytes().as_ptr(), start, "{text} was read further on");
        assert_eq!(&frame.body()[..text.len()], text.as_bytes());
    }
}

#[tokio::test]
async fn a_message_still_held_is_never_read_over() {
    let mut reader = reader(&["SELECT 1", "SELECT 2", "SELECT 3"]);
    let first = reader.next().await.unwrap().unwrap();
    let second = reader.next().await.unwrap().unwrap();
    assert_ne!(second.bytes().as_ptr(), first.bytes().as_ptr());
    drop(second);
    let third = reader.next().await.unwrap().unwrap();
    assert_eq!(first.body(), b"SELECT 1\0");
    assert_eq!(third.body(), b"SELECT 3\0");
}
