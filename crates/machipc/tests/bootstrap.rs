// SPDX-License-Identifier: MIT
//! `bootstrap::check_in` / `look_up` / `register` against the module's
//! registry (run inside the test VM). Two `Task`s are two spaces, as two
//! processes would be, in one IPC namespace.

use machipc::bootstrap::{self, BootstrapError};
use machipc::*;

/// A name no other test (or earlier run in this boot) uses.
fn unique(tag: &str) -> String {
    format!("org.machipc.test.{}.{tag}", std::process::id())
}

#[test]
fn a_new_space_has_a_bootstrap_port() {
    let t = Task::open().unwrap();
    let bp = t.bootstrap_port().unwrap().expect("the registry");
    assert_eq!(t.port_type(bp.name()).unwrap(), 0x10000); // MACH_PORT_TYPE_SEND
}

#[test]
fn check_in_look_up_and_rpc_between_spaces() {
    let name = unique("rpc");
    let st = Task::open().unwrap();
    let ct = Task::open().unwrap();
    let service = bootstrap::check_in(&st, &name).unwrap();
    let to_service = bootstrap::look_up(&ct, &name).unwrap();

    let reply = ct.new_receive_right().unwrap();
    let mut m = Message::to(&to_service, 7);
    m.reply = Some(Carry::MakeSendOnce(reply.name()));
    m.data = b"ping".to_vec();
    ct.send(m).unwrap();

    let req = service.receive(64, Some(5000)).unwrap();
    assert_eq!((req.id, &req.data[..4]), (7, &b"ping"[..]));
    let ReceivedRight::SendOnce(answer_to) = req.reply else {
        panic!("no reply right: {:?}", req.reply);
    };
    st.send(Message {
        dest: Carry::MoveSendOnce(answer_to),
        reply: None,
        id: 107,
        data: b"pong".to_vec(),
        ports: Vec::new(),
        ool: Vec::new(),
    })
    .unwrap();
    let ans = reply.receive(64, Some(5000)).unwrap();
    assert_eq!((ans.id, &ans.data[..4]), (107, &b"pong"[..]));
}

#[test]
fn a_live_name_cannot_be_taken_again() {
    let name = unique("taken");
    let t = Task::open().unwrap();
    let other = Task::open().unwrap();
    let _service = bootstrap::check_in(&t, &name).unwrap();
    assert_eq!(
        bootstrap::check_in(&other, &name).unwrap_err(),
        BootstrapError::ServiceActive
    );
    let r = other.new_receive_right().unwrap();
    let s = r.make_send().unwrap();
    let err = bootstrap::register(&other, &name, &s).unwrap_err();
    assert_eq!(err, BootstrapError::ServiceActive);
    assert_eq!(err.code(), 1103);
    assert_eq!(err.to_string(), "Service name already exists");
}

#[test]
fn unknown_name() {
    let t = Task::open().unwrap();
    let err = bootstrap::look_up(&t, &unique("nobody")).unwrap_err();
    assert_eq!(err, BootstrapError::UnknownService);
    assert_eq!(err.code(), 1102);
    assert_eq!(err.to_string(), "Unknown service name");
    assert_eq!(BootstrapError::from_code(1102), err);
}

#[test]
fn the_name_is_released_when_the_service_port_dies() {
    let name = unique("restart");
    let t = Task::open().unwrap();
    let client = Task::open().unwrap();
    let service = bootstrap::check_in(&t, &name).unwrap();
    let old = bootstrap::look_up(&client, &name).unwrap();
    drop(service);
    assert_eq!(
        bootstrap::look_up(&client, &name).unwrap_err(),
        BootstrapError::UnknownService
    );
    // A restarted service checks in again; the old send right is dead.
    let service = bootstrap::check_in(&t, &name).unwrap();
    assert_eq!(
        client.send(Message::to(&old, 1)).unwrap_err(),
        MachError::MACH_SEND_INVALID_DEST
    );
    let new = bootstrap::look_up(&client, &name).unwrap();
    client.send(Message::to(&new, 2)).unwrap();
    assert_eq!(service.receive(64, Some(5000)).unwrap().id, 2);
}

#[test]
fn register_binds_a_send_right() {
    let name = unique("registered");
    let t = Task::open().unwrap();
    let client = Task::open().unwrap();
    let port = t.new_receive_right().unwrap();
    let send = port.make_send().unwrap();
    bootstrap::register(&t, &name, &send).unwrap();
    drop(send); // the registry keeps its own copy
    let found = bootstrap::look_up(&client, &name).unwrap();
    client.send(Message::to(&found, 3)).unwrap();
    assert_eq!(port.receive(64, Some(5000)).unwrap().id, 3);
}

#[test]
fn names_the_crate_will_not_send() {
    let t = Task::open().unwrap();
    let invalid = BootstrapError::Mach(MachError::KERN_INVALID_ARGUMENT);
    assert_eq!(
        bootstrap::check_in(&t, &"x".repeat(128)).unwrap_err(),
        invalid
    );
    assert_eq!(bootstrap::look_up(&t, "a\0b").unwrap_err(), invalid);
    // 127 bytes and the NUL fill name_t exactly.
    let longest = format!("{}.", unique("long"));
    let longest = format!("{longest}{}", "y".repeat(127 - longest.len()));
    let service = bootstrap::check_in(&t, &longest).unwrap();
    let found = bootstrap::look_up(&t, &longest).unwrap();
    t.send(Message::to(&found, 4)).unwrap();
    assert_eq!(service.receive(64, Some(5000)).unwrap().id, 4);
}
