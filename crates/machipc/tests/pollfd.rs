// SPDX-License-Identifier: MIT
//! Pollable port descriptors (`AsFd`) and port sets, against the real device
//! (run inside the test VM).

use machipc::*;
use std::os::fd::{AsFd, AsRawFd};

#[repr(C)]
struct PollFd {
    fd: i32,
    events: i16,
    revents: i16,
}

extern "C" {
    fn poll(fds: *mut PollFd, nfds: u64, timeout: i32) -> i32;
}

const POLLIN: i16 = 0x1;

/// poll(2) on one descriptor; returns its revents.
fn poll_one(fd: &impl AsFd, timeout_ms: i32) -> i16 {
    let mut p = PollFd {
        fd: fd.as_fd().as_raw_fd(),
        events: POLLIN,
        revents: 0,
    };
    // SAFETY: `p` is one live pollfd and nfds is 1.
    let n = unsafe { poll(&mut p, 1, timeout_ms) };
    assert!(n >= 0, "poll: {}", std::io::Error::last_os_error());
    p.revents
}

#[test]
fn port_fd_readable_after_send() {
    let t = Task::open().unwrap();
    let r = t.new_receive_right().unwrap();
    let s = r.make_send().unwrap();
    let raw = r.as_fd().as_raw_fd();
    assert_eq!(r.as_fd().as_raw_fd(), raw, "descriptor is made once");
    assert_eq!(poll_one(&r, 0) & POLLIN, 0);
    assert_eq!(r.read_message().unwrap_err(), MachError::MACH_RCV_TIMED_OUT);

    let mut m = Message::to(&s, 77);
    m.data = b"via read(2)".to_vec();
    t.send(m).unwrap();
    assert_ne!(poll_one(&r, 1000) & POLLIN, 0);
    let got = r.read_message().unwrap();
    assert_eq!(got.id, 77);
    assert_eq!(&got.data[..11], b"via read(2)");
    assert_eq!(got.local, r.name());

    assert_eq!(poll_one(&r, 0) & POLLIN, 0);
    assert_eq!(r.read_message().unwrap_err(), MachError::MACH_RCV_TIMED_OUT);
    // The ordinary receive path still works alongside the descriptor.
    t.send(Message::to(&s, 78)).unwrap();
    assert_eq!(r.receive(64, Some(1000)).unwrap().id, 78);
}

#[test]
fn port_fd_reads_large_message_and_reply_right() {
    let t = Task::open().unwrap();
    let r = t.new_receive_right().unwrap();
    let s = r.make_send().unwrap();
    let reply = t.new_receive_right().unwrap();
    let mut m = Message::to(&s, 5);
    m.data = (0..20000u32).map(|i| i as u8).collect();
    m.reply = Some(Carry::MakeSendOnce(reply.name()));
    t.send(m).unwrap();
    assert_ne!(poll_one(&r, 1000) & POLLIN, 0);
    let got = r.read_message().unwrap();
    assert_eq!(got.data.len(), 20000);
    assert!(got.data.iter().enumerate().all(|(i, b)| *b == i as u8));
    let so = match got.reply {
        ReceivedRight::SendOnce(so) => so,
        other => panic!("unexpected {other:?}"),
    };
    // Reply through the send-once right; the reply port's fd sees it.
    t.send(Message {
        dest: Carry::MoveSendOnce(so),
        reply: None,
        id: 6,
        data: vec![1, 2, 3, 4],
        ports: vec![],
        ool: vec![],
    })
    .unwrap();
    assert_ne!(poll_one(&reply, 1000) & POLLIN, 0);
    assert_eq!(reply.read_message().unwrap().id, 6);
}

#[test]
fn port_set_receive_and_fd() {
    let t = Task::open().unwrap();
    let set = t.new_port_set().unwrap();
    assert_eq!(t.port_type(set.name()).unwrap(), 0x80000); // MACH_PORT_TYPE_PORT_SET
    let ports: Vec<ReceiveRight> = (0..4).map(|_| t.new_receive_right().unwrap()).collect();
    let sends: Vec<SendRight> = ports.iter().map(|p| p.make_send().unwrap()).collect();
    for p in &ports {
        set.insert(p).unwrap();
    }
    assert_eq!(poll_one(&set, 0) & POLLIN, 0);
    assert_eq!(
        set.receive(64, Some(0)).unwrap_err(),
        MachError::MACH_RCV_TIMED_OUT
    );

    t.send(Message::to(&sends[2], 102)).unwrap();
    let got = set.receive(64, Some(1000)).unwrap();
    assert_eq!((got.id, got.local), (102, ports[2].name()));

    t.send(Message::to(&sends[3], 103)).unwrap();
    t.send(Message::to(&sends[0], 100)).unwrap();
    assert_ne!(poll_one(&set, 1000) & POLLIN, 0);
    let mut seen = Vec::new();
    while let Ok(m) = set.read_message() {
        seen.push((m.id, m.local));
    }
    seen.sort();
    assert_eq!(seen, vec![(100, ports[0].name()), (103, ports[3].name())]);
    assert_eq!(poll_one(&set, 0) & POLLIN, 0);

    // An extracted member no longer feeds the set.
    set.extract(&ports[1]).unwrap();
    assert_eq!(set.extract(&ports[1]).unwrap_err().0, 12); // KERN_NOT_IN_SET
    t.send(Message::to(&sends[1], 101)).unwrap();
    assert_eq!(poll_one(&set, 0) & POLLIN, 0);
    assert_ne!(poll_one(&ports[1], 1000) & POLLIN, 0);
    assert_eq!(ports[1].read_message().unwrap().id, 101);

    // Dropping the set leaves its members usable.
    let name = set.name();
    drop(set);
    assert_eq!(t.port_type(name), Err(MachError::KERN_INVALID_NAME));
    t.send(Message::to(&sends[0], 104)).unwrap();
    assert_eq!(ports[0].receive(64, Some(1000)).unwrap().id, 104);
}

#[test]
fn moved_receive_right_releases_descriptor() {
    let t = Task::open().unwrap();
    let holder = t.new_receive_right().unwrap();
    let hs = holder.make_send().unwrap();
    let r = t.new_receive_right().unwrap();
    let _ = r.as_fd(); // make the descriptor before the right moves away
    let mut m = Message::to(&hs, 1);
    m.ports.push(Carry::MoveReceive(r));
    t.send(m).unwrap();
    let got = holder.receive(64, Some(1000)).unwrap();
    let back = match got.ports.into_iter().next() {
        Some(ReceivedRight::Receive(rr)) => rr,
        other => panic!("unexpected {other:?}"),
    };
    // The right comes back under a new name with a fresh descriptor (the
    // old one was closed when the right moved).
    let s = back.make_send().unwrap();
    t.send(Message::to(&s, 9)).unwrap();
    assert_ne!(poll_one(&back, 1000) & POLLIN, 0);
    assert_eq!(back.read_message().unwrap().id, 9);
}
