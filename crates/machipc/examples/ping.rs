// SPDX-License-Identifier: MIT
//! A client thread asks a server thread to square numbers over Mach ports,
//! each request carrying a send-once right for its answer (the shape of a
//! MIG call). Run with the module loaded: `cargo run --example ping`.

use machipc::{Carry, Message, ReceivedRight, Task};

const SQUARE: i32 = 500;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let task = Task::open()?;
    let server = task.new_receive_right()?;
    let to_server = server.make_send()?;

    let server_task = task.clone();
    let serving = std::thread::spawn(move || -> machipc::Result<u32> {
        let mut served = 0;
        loop {
            let req = server.receive(64, None)?;
            if req.id != SQUARE {
                return Ok(served);
            }
            let n = u32::from_ne_bytes(req.data[..4].try_into().unwrap());
            if let ReceivedRight::SendOnce(reply_to) = req.reply {
                server_task.send(Message {
                    dest: Carry::MoveSendOnce(reply_to),
                    reply: None,
                    id: req.id + 100,
                    data: (n * n).to_ne_bytes().to_vec(),
                    ports: Vec::new(),
                    ool: Vec::new(),
                })?;
            }
            served += 1;
        }
    });

    let reply_port = task.new_receive_right()?;
    for n in 1..=5u32 {
        let mut req = Message::to(&to_server, SQUARE);
        req.reply = Some(Carry::MakeSendOnce(reply_port.name()));
        req.data = n.to_ne_bytes().to_vec();
        task.send(req)?;
        let answer = reply_port.receive(64, Some(5000))?;
        let sq = u32::from_ne_bytes(answer.data[..4].try_into().unwrap());
        assert_eq!((answer.id, sq), (SQUARE + 100, n * n));
        println!("{n}^2 = {sq}");
    }
    task.send(Message::to(&to_server, 0))?;
    println!("server answered {} requests", serving.join().unwrap()?);
    Ok(())
}
