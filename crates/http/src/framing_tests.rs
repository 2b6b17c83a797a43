use super::*;
use warden_testkit::Pieces;

async fn fill(io: &mut Pieces, buf: &mut BytesMut) -> usize {
    std::future::poll_fn(|cx| poll_fill(io, buf, 1024, cx))
        .await
        .unwrap()
}

#[tokio::test]
async fn an_emptied_buffer_is_read_into_from_its_start_once_nothing_holds_it() {
    let mut io = Pieces::new([&b"first"[..], b"second", b"third"]);
    let mut buf = BytesMut::with_capacity(1024);
    fill(&mut io, &mut buf).await;
    let first = buf.split().freeze();
    let start = first.as_ptr();
    fill(&mut io, &mut buf).await;
    // `first` is still held: the second read goes after it and leaves it whole.
    assert_ne!(buf.as_ptr(), start);
    let second = buf.split().freeze();
    assert_eq!(&first[..], b"first");
    drop((first, second));
    fill(&mut io, &mut buf).await;
    assert_eq!(buf.as_ptr(), start);
    assert_eq!(&buf[..], b"third");
}
