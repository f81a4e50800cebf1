// SPDX-License-Identifier: MIT
//! pipe_service: checks a name in with the bootstrap server, waits for one
//! client request carrying a pipe as a fileport, writes a line into that
//! pipe, answers and exits. The protocol is `examples/pipe_protocol.h`'s,
//! so it serves the C `pipe_client` too.
//!
//! ```sh
//! cargo run --example pipe_service & cargo run --example pipe_client
//! ```
//!
//! The two are separate programs, not parent and child: they meet by name
//! in the registry the module serves for their IPC namespace.

use machipc::{bootstrap, Carry, FilePort, Message, ReceivedRight, Task};
use std::io::Write;

const SERVICE_NAME: &str = "org.machipc.example.pipe";
const REQUEST_ID: i32 = 1000;
const REPLY_ID: i32 = REQUEST_ID + 100;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let task = Task::open()?;
    let service = bootstrap::check_in(&task, SERVICE_NAME)?;
    println!("service: checked in as {SERVICE_NAME}");

    let req = service.receive(64, Some(20_000))?;
    if req.id != REQUEST_ID {
        return Err(format!("unexpected message {}", req.id).into());
    }
    let mut ports = req.ports.into_iter();
    let (Some(ReceivedRight::Send(pipe)), None) = (ports.next(), ports.next()) else {
        return Err("the request carries no fileport".into());
    };
    let ReceivedRight::SendOnce(reply_to) = req.reply else {
        return Err("the request carries no reply right".into());
    };

    // The fileport becomes a descriptor of this process: the client's pipe.
    let mut pipe = std::fs::File::from(FilePort::from(pipe).into_fd()?);
    let line = format!(
        "hello through a fileport, from service pid {}\n",
        std::process::id()
    );
    pipe.write_all(line.as_bytes())?;
    drop(pipe);

    task.send(Message {
        dest: Carry::MoveSendOnce(reply_to),
        reply: None,
        id: REPLY_ID,
        data: (line.len() as u32).to_ne_bytes().to_vec(),
        ports: Vec::new(),
        ool: Vec::new(),
    })?;
    println!("service: wrote {} bytes into the client's pipe", line.len());
    Ok(())
}
