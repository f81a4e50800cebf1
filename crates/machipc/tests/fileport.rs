// SPDX-License-Identifier: MIT
//! Fileports (`FilePort`) and rights as descriptors (`SendRight::to_fd`,
//! `Task::right_from_fd`) against the real device (run inside the test
//! VM). Two `Task`s are two spaces, as two processes would be.

use machipc::*;
use std::io::{Read, Write};
use std::os::fd::AsFd;

const EINVAL: i32 = 22;

fn errno(e: std::io::Error) -> i32 {
    e.raw_os_error().unwrap_or(-1)
}

#[test]
fn a_pipe_through_a_message_to_another_space() {
    let a = Task::open().unwrap();
    let b = Task::open().unwrap();
    // b's port, and a send right to it in a's space (carried over by a
    // fileport's cousin: a right descriptor).
    let port = b.new_receive_right().unwrap();
    let to_port_fd = port.make_send().unwrap().into_fd().unwrap();
    let to_port = SendRight::from_fd(&a, &to_port_fd).unwrap();
    drop(to_port_fd);

    let (mut reader, writer) = std::io::pipe().unwrap();
    let fp = FilePort::from_fd(&a, &writer).unwrap();
    drop(writer);
    let mut m = Message::to(&to_port, 10);
    m.ports.push(fp.into());
    a.send(m).unwrap();

    let got = port.receive(64, Some(5000)).unwrap();
    let Some(ReceivedRight::Send(s)) = got.ports.into_iter().next() else {
        panic!("no send right in the message");
    };
    let w = FilePort::from(s).into_fd().unwrap();
    std::fs::File::from(w).write_all(b"one pipe").unwrap();
    // Every write end is closed now: the fileport went with its last right.
    let mut text = String::new();
    reader.read_to_string(&mut text).unwrap();
    assert_eq!(text, "one pipe");
}

#[test]
fn the_fileport_stays_after_to_fd() {
    let t = Task::open().unwrap();
    let (mut reader, writer) = std::io::pipe().unwrap();
    let fp = FilePort::from_fd(&t, writer).unwrap(); // takes the descriptor by value
    let w1 = fp.to_fd().unwrap();
    let w2 = fp.to_fd().unwrap();
    std::fs::File::from(w1).write_all(b"a").unwrap();
    std::fs::File::from(w2).write_all(b"b").unwrap();
    // The fileport still holds the file: no end of file yet.
    let mut buf = [0u8; 2];
    reader.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"ab");
    drop(fp);
    let mut rest = Vec::new();
    reader.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty());
}

#[test]
fn descriptors_that_may_not_cross() {
    let t = Task::open().unwrap();
    let r = t.new_receive_right().unwrap();
    // A port descriptor could hold the space itself.
    let err = FilePort::from_fd(&t, r.port_fd().unwrap()).unwrap_err();
    assert_eq!(errno(err), EINVAL);
    // A right descriptor crosses, unless its right is a fileport's (a
    // file that holds itself).
    let s = r.make_send().unwrap();
    let right_fd = s.to_fd().unwrap();
    let fp = FilePort::from_fd(&t, &right_fd).unwrap();
    let fp_right_fd = fp.send_right().to_fd().unwrap();
    assert_eq!(
        errno(FilePort::from_fd(&t, &fp_right_fd).unwrap_err()),
        EINVAL
    );
    let (u1, _u2) = std::os::unix::net::UnixStream::pair().unwrap();
    assert_eq!(errno(FilePort::from_fd(&t, &u1).unwrap_err()), EINVAL);
    // Not a fileport: a send right to an ordinary port.
    let not_fp = FilePort::from(r.make_send().unwrap());
    assert_eq!(errno(not_fp.to_fd().unwrap_err()), EINVAL);
}

#[test]
fn a_send_right_as_a_descriptor_in_another_space() {
    let a = Task::open().unwrap();
    let b = Task::open().unwrap();
    let port = a.new_receive_right().unwrap();
    let fd = port.make_send().unwrap().into_fd().unwrap();
    let s = SendRight::from_fd(&b, &fd).unwrap();
    let s2 = SendRight::from_fd(&b, fd.as_fd()).unwrap();
    assert_eq!(s.name(), s2.name());
    assert_eq!(b.get_refs(s.name(), 0).unwrap(), 2);
    b.send(Message::to(&s, 5)).unwrap();
    assert_eq!(port.receive(64, Some(5000)).unwrap().id, 5);
}

#[test]
fn no_senders_when_the_last_descriptor_closes() {
    let t = Task::open().unwrap();
    let r = t.new_receive_right().unwrap();
    let n = t.new_receive_right().unwrap();
    let fd = r.make_send().unwrap().into_fd().unwrap();
    r.request_no_senders(&n, 1).unwrap();
    let fd2 = fd.try_clone().unwrap();
    drop(fd);
    assert_eq!(
        n.receive_notification(Some(100)).unwrap_err(),
        MachError::MACH_RCV_TIMED_OUT
    );
    drop(fd2);
    assert!(matches!(
        n.receive_notification(Some(5000)).unwrap(),
        Notification::NoSenders { mscount: 1 }
    ));
}

#[test]
fn send_once_moves_through_a_descriptor_once() {
    let t = Task::open().unwrap();
    let r = t.new_receive_right().unwrap();
    let fd = r.make_send_once().unwrap().into_fd().unwrap();
    let so = match t.right_from_fd(fd.as_fd()).unwrap() {
        FdRight::SendOnce(so) => so,
        other => panic!("unexpected {other:?}"),
    };
    assert_eq!(
        t.right_from_fd(fd.as_fd()).unwrap_err(),
        MachError::KERN_INVALID_RIGHT
    );
    t.send(Message {
        dest: Carry::MoveSendOnce(so),
        reply: None,
        id: 99,
        data: Vec::new(),
        ports: Vec::new(),
        ool: Vec::new(),
    })
    .unwrap();
    assert_eq!(r.receive(64, Some(5000)).unwrap().id, 99);
    drop(fd);
    // Closed unused: the send-once notification.
    let fd = r.make_send_once().unwrap().into_fd().unwrap();
    assert!(r.receive(64, Some(100)).is_err());
    drop(fd);
    assert!(matches!(
        r.receive_notification(Some(5000)).unwrap(),
        Notification::SendOnce
    ));
}

#[test]
fn a_descriptor_of_a_dead_port_and_of_no_right() {
    let t = Task::open().unwrap();
    let r = t.new_receive_right().unwrap();
    let fd = r.make_send().unwrap().into_fd().unwrap();
    drop(r);
    assert!(matches!(
        t.right_from_fd(fd.as_fd()).unwrap(),
        FdRight::Dead
    ));
    assert_eq!(
        SendRight::from_fd(&t, &fd).unwrap_err(),
        MachError::KERN_INVALID_RIGHT
    );
    let (p, _w) = std::io::pipe().unwrap();
    assert_eq!(
        t.right_from_fd(p.as_fd()).unwrap_err(),
        MachError::KERN_INVALID_ARGUMENT
    );
}
