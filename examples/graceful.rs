//! An app that shuts down gracefully: what a program run under pidone (or any
//! init) should do when `docker stop` or the kubelet sends SIGTERM.
//!
//! ```text
//! graceful [--records FILE] [--every DURATION_MS] [--exit CODE] [--ignore-term]
//!          [--drain-on SIGNAL]
//! ```
//!
//! It prints `graceful: ready, pid N`, then does one unit of work every
//! `--every` milliseconds (default 100): appending a numbered record to FILE
//! (or `$GRACEFUL_RECORDS`), or just counting when there is none. On SIGTERM
//! or SIGINT it finishes the record it is writing, fsyncs the file, prints
//! `graceful: shut down cleanly after N records` and exits with CODE
//! (default 0). So `docker stop` of it ends in milliseconds with 0, not 137.
//!
//! `--ignore-term` makes it a stubborn app that logs and ignores SIGTERM
//! (SIGINT still stops it): run it under `pidone --kill-after 2s` to see
//! pidone SIGKILL it (137) when a stop would otherwise hang.
//!
//! `--drain-on QUIT` makes it a server like nginx or php-fpm, which finish
//! their work only on SIGQUIT: then SIGQUIT is its clean stop, and SIGTERM
//! or SIGINT stop it at once, the record in hand unfinished and unsynced
//! (`graceful: got SIGTERM, stopping at once: it drains only on SIGQUIT`,
//! exit code 1). Run it under `pidone -r TERM:QUIT`, or give its image
//! `STOPSIGNAL SIGQUIT`, and `docker stop` drains it.
//!
//! Build it static, like pidone:
//! `cargo build --release --target x86_64-unknown-linux-musl --example graceful`.

use std::fs::OpenOptions;
use std::io::Write;
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::Duration;

use signal_hook::consts::{SIGINT, SIGQUIT, SIGTERM};
use signal_hook::iterator::Signals;

/// The command line, parsed.
struct Options {
    records: Option<String>,
    every: Duration,
    exit: u8,
    ignore_term: bool,
    /// The signal it drains on: SIGTERM (and then SIGINT too) or SIGQUIT.
    drain_on: i32,
}

fn main() -> ExitCode {
    let options = match parse(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) => {
            // Bad input: one line, exit 2, as pidone itself does.
            eprintln!("graceful: {message}");
            return ExitCode::from(2);
        }
    };
    match run(&options) {
        Ok(true) => ExitCode::from(options.exit),
        // Stopped by a signal it does not drain on: the work was cut.
        Ok(false) => ExitCode::from(1),
        Err(error) => {
            eprintln!("graceful: {error}");
            ExitCode::from(1)
        }
    }
}

/// The name of SIGNAL, one of those it handles.
fn name(signal: i32) -> &'static str {
    match signal {
        SIGTERM => "SIGTERM",
        SIGINT => "SIGINT",
        _ => "SIGQUIT",
    }
}

/// Runs until a stop; true when the stop was clean (a drain).
fn run(options: &Options) -> std::io::Result<bool> {
    let mut file = match &options.records {
        Some(path) => Some(OpenOptions::new().create(true).append(true).open(path)?),
        None => None,
    };
    // Register the handlers *before* saying ready: a signal that arrives
    // between the two would otherwise kill us with the default action, and
    // whoever waits for "ready" (a test, a health check) could not know.
    // SIGQUIT is caught only when asked: its default action (a core dump)
    // stays what an ordinary app gets.
    let mut handled = vec![SIGTERM, SIGINT];
    if options.drain_on == SIGQUIT {
        handled.push(SIGQUIT);
    }
    let mut signals = Signals::new(handled)?;
    // A thread turns signals into messages, so the work loop can wait for
    // "the next unit is due" and "a signal came" at once (recv_timeout):
    // no polling a flag, and a stop is noticed at once, not after a sleep.
    let (stop, stopped) = mpsc::channel();
    std::thread::spawn(move || {
        for signal in signals.forever() {
            if stop.send(signal).is_err() {
                break;
            }
        }
    });
    println!("graceful: ready, pid {}", std::process::id());

    let mut count: u64 = 0;
    loop {
        // One unit of work. A signal never interrupts it halfway: the
        // handler only queues a message that we read between units.
        count += 1;
        if let Some(file) = file.as_mut() {
            writeln!(file, "record {count}")?;
        }
        match stopped.recv_timeout(options.every) {
            Err(mpsc::RecvTimeoutError::Timeout) => continue,
            Ok(SIGTERM) if options.ignore_term => {
                println!("graceful: ignoring SIGTERM (--ignore-term)");
            }
            Ok(signal) if signal != options.drain_on && options.drain_on == SIGQUIT => {
                // What nginx's fast shutdown does: out at once, the unit
                // of work in hand lost.
                println!(
                    "graceful: got {}, stopping at once: it drains only on SIGQUIT",
                    name(signal)
                );
                return Ok(false);
            }
            Ok(signal) => {
                println!("graceful: got {}, finishing", name(signal));
                break;
            }
            // The signal thread is gone: nothing can stop us cleanly any more.
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    // The point of a graceful stop: what we wrote is on disk before we say
    // so, even if the container's filesystem goes away right after.
    if let Some(file) = &file {
        file.sync_all()?;
    }
    println!("graceful: shut down cleanly after {count} records");
    Ok(true)
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut options = Options {
        records: std::env::var("GRACEFUL_RECORDS")
            .ok()
            .filter(|v| !v.is_empty()),
        every: Duration::from_millis(100),
        exit: 0,
        ignore_term: false,
        drain_on: SIGTERM,
    };
    while let Some(arg) = args.next() {
        let mut value = |what: &str| args.next().ok_or(format!("{arg} needs {what}"));
        match arg.as_str() {
            "--records" => options.records = Some(value("a file")?),
            "--every" => {
                let ms = value("milliseconds")?;
                let ms = ms
                    .parse()
                    .map_err(|_| format!("--every: {ms:?} is not a number of milliseconds"))?;
                options.every = Duration::from_millis(ms);
            }
            "--exit" => {
                let code = value("a code")?;
                options.exit = code
                    .parse()
                    .map_err(|_| format!("--exit: {code:?} is not a code 0-255"))?;
            }
            "--ignore-term" => options.ignore_term = true,
            "--drain-on" => {
                let signal = value("a signal")?;
                options.drain_on = match signal.trim_start_matches("SIG") {
                    "TERM" => SIGTERM,
                    "QUIT" => SIGQUIT,
                    _ => return Err(format!("--drain-on: {signal:?} is not TERM or QUIT")),
                };
            }
            _ => return Err(format!("unknown argument {arg:?}")),
        }
    }
    Ok(options)
}
