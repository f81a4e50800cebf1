// SPDX-License-Identifier: MIT
//! pipe_client: looks the pipe service up with the bootstrap server
//! (retrying for up to 10 seconds while it starts), sends it the write end
//! of a new pipe as a fileport, waits for the answer and prints what the
//! service wrote into the pipe. Talks to the C `pipe_service` too.
//!
//! ```sh
//! cargo run --example pipe_service & cargo run --example pipe_client
//! ```

use machipc::bootstrap::{self, BootstrapError};
use machipc::{Carry, FilePort, Message, SendRight, Task};
use std::io::Read;
use std::time::Duration;

const SERVICE_NAME: &str = "org.machipc.example.pipe";
const REQUEST_ID: i32 = 1000;
const REPLY_ID: i32 = REQUEST_ID + 100;

fn look_up(task: &Task) -> Result<SendRight, BootstrapError> {
    for _ in 0..100 {
        match bootstrap::look_up(task, SERVICE_NAME) {
            Err(BootstrapError::UnknownService) => std::thread::sleep(Duration::from_millis(100)),
            other => return other,
        }
    }
    bootstrap::look_up(task, SERVICE_NAME)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let task = Task::open()?;
    let service = look_up(&task)?;

    // The pipe's write end goes to the service as a fileport; ours closes,
    // so the read below ends when the service closes its copy.
    let (mut reader, writer) = std::io::pipe()?;
    let fileport = FilePort::from_fd(&task, &writer)?;
    drop(writer);

    let reply = task.new_receive_right()?;
    let mut req = Message::to(&service, REQUEST_ID);
    req.reply = Some(Carry::MakeSendOnce(reply.name()));
    req.ports.push(fileport.into());
    task.send(req)?;

    let answer = reply.receive(64, Some(10_000))?;
    let written = match (answer.id, answer.data.get(..4)) {
        (REPLY_ID, Some(b)) => u32::from_ne_bytes([b[0], b[1], b[2], b[3]]),
        _ => return Err(format!("unexpected reply {}", answer.id).into()),
    };
    let mut text = String::new();
    reader.read_to_string(&mut text)?;
    print!("client: the service wrote {written} bytes; the pipe says: {text}");
    if text.len() != written as usize {
        return Err("the pipe does not hold what the service wrote".into());
    }
    Ok(())
}
