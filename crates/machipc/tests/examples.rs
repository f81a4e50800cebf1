// SPDX-License-Identifier: MIT
//! The crate's examples, run as `make check` runs them (inside the test
//! VM): `pipe_service` and `pipe_client` started separately by a shell.

use std::path::PathBuf;
use std::process::Command;

/// `target/<profile>/examples`, next to this test's `deps` directory
/// (`cargo test` builds the examples with the tests).
fn examples_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().join("examples")
}

#[test]
fn pipe_service_and_client_meet_by_name() {
    let dir = examples_dir();
    let (service, client) = (dir.join("pipe_service"), dir.join("pipe_client"));
    assert!(
        service.exists() && client.exists(),
        "examples not built in {dir:?}"
    );
    // The service in the background, the client in the foreground: two
    // programs that only know the service's name. The shell exits with the
    // client's status, or the service's if that failed.
    let out = Command::new("/bin/sh")
        .arg("-c")
        .arg(r#""$1" & svc=$!; "$2"; c=$?; wait $svc || exit 1; exit $c"#)
        .arg("sh")
        .arg(&service)
        .arg(&client)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains("service: checked in as org.machipc.example.pipe"),
        "{stdout}"
    );
    assert!(
        stdout.contains("the pipe says: hello through a fileport, from service pid"),
        "{stdout}"
    );
    assert!(stdout.contains("into the client's pipe"), "{stdout}");
}
