// SPDX-License-Identifier: MIT
//! Notifications as values: requested on a right, received and parsed
//! (run inside the test VM).

use machipc::*;

const MACH_PORT_TYPE_DEAD_NAME: u32 = 0x10_0000;
const MACH_PORT_RIGHT_DEAD_NAME: u32 = 4;

fn empty(n: &ReceiveRight) {
    assert_eq!(
        n.receive_notification(Some(0)).unwrap_err(),
        MachError::MACH_RCV_TIMED_OUT
    );
}

#[test]
fn no_senders_after_last_send_right() {
    let t = Task::open().unwrap();
    let r = t.new_receive_right().unwrap();
    let n = t.new_receive_right().unwrap();
    let s = r.make_send().unwrap();
    let s2 = s.try_clone().unwrap();
    assert!(r.request_no_senders(&n, 1).unwrap().is_none());
    empty(&n);
    drop(s);
    empty(&n);
    drop(s2);
    match n.receive_notification(Some(5000)).unwrap() {
        Notification::NoSenders { mscount } => assert_eq!(mscount, 1),
        other => panic!("unexpected {other:?}"),
    }
    empty(&n);
}

#[test]
fn no_senders_at_once_when_count_reached() {
    let t = Task::open().unwrap();
    let r = t.new_receive_right().unwrap();
    let n = t.new_receive_right().unwrap();
    drop(r.make_send().unwrap());
    drop(r.make_send().unwrap());
    // No send rights now and a make-send count of 2: sent at once.
    r.request_no_senders(&n, 2).unwrap();
    match n.receive_notification(Some(5000)).unwrap() {
        Notification::NoSenders { mscount } => assert_eq!(mscount, 2),
        other => panic!("unexpected {other:?}"),
    }
    // A count not reached yet: nothing until a send right is made and gone.
    r.request_no_senders(&n, 3).unwrap();
    empty(&n);
    drop(r.make_send().unwrap());
    match n.receive_notification(Some(5000)).unwrap() {
        Notification::NoSenders { mscount } => assert_eq!(mscount, 3),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn replaced_request_gives_back_its_send_once_right() {
    let t = Task::open().unwrap();
    let r = t.new_receive_right().unwrap();
    let n1 = t.new_receive_right().unwrap();
    let n2 = t.new_receive_right().unwrap();
    let s = r.make_send().unwrap();
    assert!(r.request_no_senders(&n1, 1).unwrap().is_none());
    let prev = r
        .request_no_senders(&n2, 1)
        .unwrap()
        .expect("the first request's right");
    empty(&n1);
    // Dropped unused, it tells the first notify port so.
    drop(prev);
    assert!(matches!(
        n1.receive_notification(Some(5000)).unwrap(),
        Notification::SendOnce
    ));
    drop(s);
    assert!(matches!(
        n2.receive_notification(Some(5000)).unwrap(),
        Notification::NoSenders { mscount: 1 }
    ));
    empty(&n1);
}

#[test]
fn dead_name_when_port_dies() {
    let t = Task::open().unwrap();
    let n = t.new_receive_right().unwrap();
    let holder = t.new_receive_right().unwrap();
    let to_holder = holder.make_send().unwrap();
    let p = t.new_receive_right().unwrap();
    let s = p.make_send().unwrap();
    let name = s.name();
    // The receive right leaves the space inside a message; the send
    // right stays under its name.
    let mut m = Message::to(&to_holder, 1);
    m.ports.push(Carry::MoveReceive(p));
    t.send(m).unwrap();
    assert!(s.request_dead_name(&n).unwrap().is_none());
    empty(&n);
    // Destroying the holder destroys the queued message and the port in it.
    drop(holder);
    let dead = match n.receive_notification(Some(5000)).unwrap() {
        Notification::DeadName(d) => d,
        other => panic!("unexpected {other:?}"),
    };
    assert_eq!(dead.name(), name);
    assert_eq!(t.port_type(name).unwrap(), MACH_PORT_TYPE_DEAD_NAME);
    // One reference for the send right, one the notification brought.
    assert_eq!(t.get_refs(name, MACH_PORT_RIGHT_DEAD_NAME).unwrap(), 2);
    drop(dead);
    assert_eq!(t.get_refs(name, MACH_PORT_RIGHT_DEAD_NAME).unwrap(), 1);
    assert_eq!(
        t.send(Message::to(&s, 2)).unwrap_err(),
        MachError::MACH_SEND_INVALID_DEST
    );
    drop(s);
    assert_eq!(t.port_type(name), Err(MachError::KERN_INVALID_NAME));
}

#[test]
fn port_destroyed_hands_the_receive_right_back() {
    let t = Task::open().unwrap();
    let n = t.new_receive_right().unwrap();
    let p = t.new_receive_right().unwrap();
    let s = p.make_send().unwrap();
    t.send(Message::to(&s, 501)).unwrap();
    drop(s);
    assert!(p.request_port_destroyed(&n).unwrap().is_none());
    drop(p);
    let back = match n.receive_notification(Some(5000)).unwrap() {
        Notification::PortDestroyed(r) => r,
        other => panic!("unexpected {other:?}"),
    };
    // The queued message survived with the port.
    assert_eq!(back.receive(64, Some(1000)).unwrap().id, 501);
}

#[test]
fn forged_notification_is_not_one() {
    let t = Task::open().unwrap();
    let n = t.new_receive_right().unwrap();
    let s = n.make_send().unwrap();
    let victim = t.new_receive_right().unwrap();
    let mut m = Message::to(&s, 72); // MACH_NOTIFY_DEAD_NAME's id
    m.data = [[1u8; 8].as_slice(), &victim.name().to_ne_bytes()].concat();
    t.send(m).unwrap();
    let got = n.receive(64, Some(1000)).unwrap();
    assert_eq!(got.id, 72);
    // Sent by a process, not the kernel: given back, not parsed into a
    // `DeadName` that would release a reference of `victim`'s name.
    let got = Notification::from_message(&t, got).unwrap_err();
    assert_eq!(got.id, 72);
    t.send(Message::to(&s, 72)).unwrap();
    assert_eq!(
        n.receive_notification(Some(1000)).unwrap_err(),
        MachError::MIG_BAD_ID
    );
}

#[test]
fn notify_port_of_another_space_is_refused() {
    let t = Task::open().unwrap();
    let other = Task::open().unwrap();
    let r = t.new_receive_right().unwrap();
    let n = other.new_receive_right().unwrap();
    assert_eq!(
        r.request_no_senders(&n, 0).unwrap_err(),
        MachError::KERN_INVALID_CAPABILITY
    );
}

extern "C" {
    fn fork() -> i32;
    fn waitpid(pid: i32, status: *mut i32, options: i32) -> i32;
    fn _exit(code: i32) -> !;
}

/// A sender that has exited reads as pid 0 in the audit trailer, as the
/// kernel does; its pid version still tells it apart.
#[test]
fn forged_notification_from_an_exited_process_is_not_one() {
    let t = Task::open().unwrap();
    let n = t.new_receive_right().unwrap();
    let s = n.make_send().unwrap();
    let mut m = Message::to(&s, 70); // MACH_NOTIFY_NO_SENDERS's id
    m.data = [[0u8; 8].as_slice(), &1u32.to_ne_bytes()].concat();
    // SAFETY: The child only sends on the space it shares through the
    // inherited descriptor, then leaves with _exit.
    let pid = unsafe { fork() };
    assert!(pid >= 0);
    if pid == 0 {
        let code = if t.send(m).is_ok() { 0 } else { 1 };
        // SAFETY: Ends the child without running the parent's handlers.
        unsafe { _exit(code) };
    }
    drop(m);
    let mut status = 0;
    // SAFETY: `status` is a live i32 the call writes.
    assert_eq!(unsafe { waitpid(pid, &mut status, 0) }, pid);
    assert_eq!(status, 0, "the child's send failed");
    let got = n.receive(64, Some(5000)).unwrap();
    assert_eq!((got.id, got.sender_pid), (70, 0));
    assert_ne!(got.audit_token, [0; 8]);
    assert!(Notification::from_message(&t, got).is_err());
}
