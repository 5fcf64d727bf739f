//! A small HTTP/1.1 service built on the Rust standard library only.
//!
//!   GET /        -> "hello from rust"
//!   GET /health  -> "ok"

use std::env;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

// PID 1 in a container ignores SIGTERM unless it installs a handler, so
// `docker stop` would wait for its timeout. libc is linked by std anyway.
extern "C" {
    fn signal(signum: i32, handler: extern "C" fn(i32)) -> usize;
    fn _exit(status: i32) -> !;
}

extern "C" fn exit_on_signal(_signum: i32) {
    // _exit is async-signal-safe; nothing needs flushing.
    unsafe { _exit(0) }
}

const SIGINT: i32 = 2;
const SIGTERM: i32 = 15;

fn respond(stream: &mut TcpStream, status: &str, body: &str, head_only: bool) -> std::io::Result<()> {
    let header = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(header.as_bytes())?;
    if !head_only {
        stream.write_all(body.as_bytes())?;
    }
    stream.flush()
}

fn handle(mut stream: TcpStream) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    // Drain the headers; this service ignores them and request bodies.
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" || line == "\n" {
            break;
        }
    }
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or("");
    let path = parts.next().unwrap_or("").split('?').next().unwrap_or("");
    let head_only = method == "HEAD";
    match (method, path) {
        ("GET" | "HEAD", "/") => respond(&mut stream, "200 OK", "hello from rust\n", head_only),
        ("GET" | "HEAD", "/health" | "/healthz") => respond(&mut stream, "200 OK", "ok", head_only),
        ("GET" | "HEAD", _) => respond(&mut stream, "404 Not Found", "not found\n", head_only),
        _ => respond(&mut stream, "405 Method Not Allowed", "method not allowed\n", false),
    }
}

fn main() -> std::io::Result<()> {
    unsafe {
        signal(SIGTERM, exit_on_signal);
        signal(SIGINT, exit_on_signal);
    }
    let port = env::var("PORT").unwrap_or_else(|_| "8080".to_string());
    let listener = TcpListener::bind(format!("0.0.0.0:{port}"))?;
    println!("listening on :{port}");
    for stream in listener.incoming() {
        match stream {
            Ok(stream) => {
                thread::spawn(move || {
                    if let Err(err) = handle(stream) {
                        eprintln!("connection error: {err}");
                    }
                });
            }
            Err(err) => eprintln!("accept error: {err}"),
        }
    }
    Ok(())
}
