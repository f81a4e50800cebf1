// SPDX-License-Identifier: MIT
//! The `tokio` feature on a real runtime: awaiting messages on a port and
//! a port set, with timeouts, between tasks and threads, and awaiting
//! notifications (run inside the test VM; built with `--all-features`).
#![cfg(feature = "tokio")]

use machipc::asyncio::AsyncReceiver;
use machipc::*;
use std::time::{Duration, Instant};
use tokio::time::timeout;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .unwrap()
}

#[test]
fn recv_times_out_on_an_empty_port_then_gets_a_message() {
    runtime().block_on(async {
        let t = Task::open().unwrap();
        let r = t.new_receive_right().unwrap();
        let s = r.make_send().unwrap();
        let rx = AsyncReceiver::new(&r).unwrap();
        let start = Instant::now();
        assert!(timeout(Duration::from_millis(100), rx.recv())
            .await
            .is_err());
        assert!(start.elapsed() >= Duration::from_millis(100));

        // A sender on another thread wakes the runtime out of epoll.
        let sender = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            let mut m = Message::to(&s, 42);
            m.data = b"from a thread".to_vec();
            t.send(m).unwrap();
        });
        let got = timeout(Duration::from_secs(5), rx.recv())
            .await
            .expect("message within 5 s")
            .unwrap();
        assert_eq!((got.id, &got.data[..13]), (42, &b"from a thread"[..]));
        sender.join().unwrap();
        // Drained: waiting again times out.
        assert!(timeout(Duration::from_millis(50), rx.recv()).await.is_err());
    });
}

/// A server task answers requests arriving on any of a set's ports; a
/// client task sends on each port and awaits every answer on its reply port.
#[test]
fn two_tasks_request_and_reply_through_a_port_set() {
    const N: i32 = 20;
    runtime().block_on(async {
        let t = Task::open().unwrap();
        let set = t.new_port_set().unwrap();
        let ports: Vec<ReceiveRight> = (0..3).map(|_| t.new_receive_right().unwrap()).collect();
        let sends: Vec<SendRight> = ports.iter().map(|p| p.make_send().unwrap()).collect();
        for p in &ports {
            set.insert(p).unwrap();
        }
        let names: Vec<Name> = ports.iter().map(|p| p.name()).collect();

        let st = t.clone();
        let server = tokio::spawn(async move {
            let _ports = ports; // the members live as long as the server
            let rx = AsyncReceiver::new(&set).unwrap();
            let mut served = Vec::new();
            loop {
                let req = rx.recv().await.unwrap();
                if req.id == 0 {
                    return served;
                }
                served.push((req.id, req.local));
                if let ReceivedRight::SendOnce(reply_to) = req.reply {
                    st.send(Message {
                        dest: Carry::MoveSendOnce(reply_to),
                        reply: None,
                        id: req.id + 1000,
                        data: req.data,
                        ports: Vec::new(),
                        ool: Vec::new(),
                    })
                    .unwrap();
                }
            }
        });

        let ct = t.clone();
        let client = tokio::spawn(async move {
            let reply = ct.new_receive_right().unwrap();
            let rx = AsyncReceiver::new(&reply).unwrap();
            for i in 1..=N {
                let mut m = Message::to(&sends[i as usize % 3], i);
                m.reply = Some(Carry::MakeSendOnce(reply.name()));
                m.data = (i as u32).to_ne_bytes().to_vec();
                ct.send(m).unwrap();
                let ans = timeout(Duration::from_secs(5), rx.recv())
                    .await
                    .expect("answer within 5 s")
                    .unwrap();
                assert_eq!(ans.id, i + 1000);
                assert_eq!(ans.data[..4], (i as u32).to_ne_bytes());
            }
            ct.send(Message::to(&sends[0], 0)).unwrap();
        });
        client.await.unwrap();
        let served = timeout(Duration::from_secs(5), server)
            .await
            .expect("server done")
            .unwrap();
        let want: Vec<(i32, Name)> = (1..=N).map(|i| (i, names[i as usize % 3])).collect();
        assert_eq!(served, want);
    });
}

/// One task awaits a no-senders and a dead-name notification; another
/// drops the last send right and destroys a port.
#[test]
fn await_no_senders_and_dead_name_notifications() {
    runtime().block_on(async {
        let t = Task::open().unwrap();
        let n = t.new_receive_right().unwrap();
        let service = t.new_receive_right().unwrap();
        let client = service.make_send().unwrap();
        assert!(service.request_no_senders(&n, 1).unwrap().is_none());

        // A send right whose port lives in a message queued on `holder`,
        // so destroying `holder` kills it.
        let holder = t.new_receive_right().unwrap();
        let to_holder = holder.make_send().unwrap();
        let p = t.new_receive_right().unwrap();
        let watched = p.make_send().unwrap();
        let mut m = Message::to(&to_holder, 1);
        m.ports.push(Carry::MoveReceive(p));
        t.send(m).unwrap();
        assert!(watched.request_dead_name(&n).unwrap().is_none());

        let watcher = tokio::spawn(async move {
            let rx = AsyncReceiver::new(&n).unwrap();
            let mut seen = Vec::new();
            for _ in 0..2 {
                let note = timeout(Duration::from_secs(5), rx.recv_notification())
                    .await
                    .expect("notification within 5 s")
                    .unwrap();
                seen.push(match note {
                    Notification::NoSenders { mscount } => format!("no-senders {mscount}"),
                    Notification::DeadName(d) => format!("dead-name {:#x}", d.name()),
                    other => format!("{other:?}"),
                });
            }
            assert!(timeout(Duration::from_millis(50), rx.recv()).await.is_err());
            seen
        });
        let name = watched.name();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            drop(client);
            tokio::time::sleep(Duration::from_millis(20)).await;
            drop(holder);
        })
        .await
        .unwrap();
        let seen = watcher.await.unwrap();
        assert_eq!(
            seen,
            vec!["no-senders 1".to_string(), format!("dead-name {name:#x}")]
        );
        // The notification's reference is gone with its value; the send
        // right's own reference remains until `watched` drops.
        assert_eq!(t.get_refs(name, 4).unwrap(), 1);
        drop(watched);
        assert_eq!(t.port_type(name), Err(MachError::KERN_INVALID_NAME));
        drop(to_holder);
        drop(service);
    });
}
