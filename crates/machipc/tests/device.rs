// SPDX-License-Identifier: MIT
//! The crate against the real device (run inside the test VM).

use machipc::*;

#[test]
fn opens_and_reads_abi_version() {
    let t = Task::open().expect("open /dev/machipc");
    assert_eq!(t.abi_version().unwrap(), 1);
}

#[test]
fn receive_right_and_send_right_lifecycle() {
    let t = Task::open().unwrap();
    let r = t.new_receive_right().unwrap();
    assert_eq!(t.port_type(r.name()).unwrap(), 0x20000);
    let s = r.make_send().unwrap();
    assert_eq!(s.name(), r.name());
    assert_eq!(t.port_type(r.name()).unwrap(), 0x30000);
    let s2 = s.try_clone().unwrap();
    assert_eq!(t.get_refs(r.name(), 0).unwrap(), 2);
    drop(s2);
    drop(s);
    assert_eq!(t.port_type(r.name()).unwrap(), 0x20000);
    let name = r.name();
    drop(r);
    assert_eq!(t.port_type(name), Err(MachError::KERN_INVALID_NAME));
}

#[test]
fn message_round_trip_with_port_descriptor() {
    let t = Task::open().unwrap();
    let r = t.new_receive_right().unwrap();
    let s = r.make_send().unwrap();
    let carried = t.new_receive_right().unwrap();
    let carried_name = carried.name();
    let mut m = Message::to(&s, 1234);
    m.data = b"hello mach".to_vec();
    m.ports.push(Carry::MakeSend(carried_name));
    m.reply = Some(Carry::MakeSendOnce(carried_name));
    t.send(m).unwrap();
    let got = r.receive(256, Some(1000)).unwrap();
    assert_eq!(got.id, 1234);
    assert_eq!(&got.data[..10], b"hello mach");
    assert_eq!(got.local, r.name());
    assert_eq!(got.sender_pid as u32, std::process::id());
    match &got.ports[0] {
        ReceivedRight::Send(sr) => assert_eq!(sr.name(), carried_name),
        other => panic!("unexpected {other:?}"),
    }
    assert!(matches!(got.reply, ReceivedRight::SendOnce(_)));
    assert_eq!(
        r.receive(256, Some(0)).unwrap_err(),
        MachError::MACH_RCV_TIMED_OUT
    );
}

#[test]
fn send_to_dead_port_fails() {
    let t = Task::open().unwrap();
    let r = t.new_receive_right().unwrap();
    let s = r.make_send().unwrap();
    let other = t.new_receive_right().unwrap();
    // Move the send right away from the receive right's name.
    let other_send = other.make_send().unwrap();
    let mut m = Message::to(&other_send, 1);
    m.ports.push(Carry::MoveSend(s));
    t.send(m).unwrap();
    let got = other.receive(64, Some(1000)).unwrap();
    drop(r);
    let sr = match got.ports.into_iter().next() {
        Some(ReceivedRight::Send(sr)) => sr,
        other => panic!("unexpected {other:?}"),
    };
    assert_eq!(
        t.send(Message::to(&sr, 2)).unwrap_err(),
        MachError::MACH_SEND_INVALID_DEST
    );
}

#[test]
fn out_of_line_memory_arrives_as_an_owned_mapping() {
    let t = Task::open().unwrap();
    let r = t.new_receive_right().unwrap();
    let s = r.make_send().unwrap();
    // One region below the page-mapping threshold, one above it.
    let small: Vec<u8> = (0..1000u32).map(|i| i as u8).collect();
    let big: Vec<u8> = (0..300_000u32).map(|i| (i * 7) as u8).collect();
    let mut m = Message::to(&s, 42);
    m.data = b"ool".to_vec();
    m.ool = vec![small.clone(), big.clone()];
    m.ports.push(Carry::MakeSend(r.name()));
    t.send(m).unwrap();
    let mut got = r.receive(256, Some(1000)).unwrap();
    assert_eq!(got.id, 42);
    assert_eq!(&got.data[..3], b"ool");
    assert_eq!(got.ports.len(), 1);
    assert_eq!(got.ool.len(), 2);
    assert_eq!(&got.ool[0][..], &small[..]);
    assert_eq!(&got.ool[1][..], &big[..]);
    assert_eq!(got.ool[1].addr() % 4096, 0);
    // The region is the receiver's own, writable memory.
    got.ool[1][0] ^= 0xff;
    assert_eq!(got.ool[1][0], big[0] ^ 0xff);
    // A zero-length region travels as a null address.
    let mut m = Message::to(&s, 43);
    m.ool = vec![Vec::new()];
    t.send(m).unwrap();
    let got = r.receive(256, Some(1000)).unwrap();
    assert_eq!(got.ool.len(), 1);
    assert!(got.ool[0].is_empty());
}

#[test]
fn received_memory_is_unmapped_when_dropped() {
    // 100 MiB through one space: a leak of the kernel's copies would hit
    // the per-space bound of 64 MiB queued, a leak of the mappings would
    // show in /proc/self/maps.
    let t = Task::open().unwrap();
    let r = t.new_receive_right().unwrap();
    let s = r.make_send().unwrap();
    let big = vec![0x5au8; 1 << 20];
    for i in 0..100 {
        let mut m = Message::to(&s, i);
        m.ool = vec![big.clone()];
        t.send(m).unwrap();
        let got = r.receive(64, Some(1000)).unwrap();
        assert_eq!(got.ool[0].len(), 1 << 20);
        assert_eq!(got.ool[0][(1 << 20) - 1], 0x5a);
    }
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    assert!(maps.matches("[machipc-ool]").count() < 5, "{maps}");
}

#[test]
fn send_right_through_a_descriptor_and_back() {
    use std::os::fd::AsFd;
    let t = Task::open().unwrap();
    let r = t.new_receive_right().unwrap();
    let s = r.make_send().unwrap();
    let fd = s.to_fd().unwrap();
    drop(s);
    // Another space (another open of the device) names the right and
    // sends through it; the message reaches the receive right.
    let other = Task::open().unwrap();
    let got = match other.right_from_fd(fd.as_fd()).unwrap() {
        FdRight::Send(s) => s,
        other => panic!("not a send right: {:?}", other),
    };
    other.send(Message::to(&got, 4321)).unwrap();
    assert_eq!(r.receive(256, Some(1000)).unwrap().id, 4321);
    // A descriptor that owns no right.
    let dev = std::fs::File::open("/dev/null").unwrap();
    assert_eq!(
        other.right_from_fd(dev.as_fd()).unwrap_err(),
        MachError(4) // KERN_INVALID_ARGUMENT
    );
}
