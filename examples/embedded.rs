//! A service with pidone inside it: one static binary that is its own init.
//!
//! `pidone::launch()` comes first in `main`. As the `ENTRYPOINT` of a
//! container (PID 1) the process starts itself again as its child and stays
//! behind as that child's init: `docker stop` reaches the program, orphans
//! are reaped, and the container ends with the program's exit code. Anywhere
//! else `launch()` returns at once, and the program below runs as it would
//! without pidone. That program is an ordinary Rust application: it handles
//! signals with signal-hook and knows nothing about being PID 1.
//!
//! ```text
//! embedded              serve: print `embedded: ready`, start a worker that
//!                       leaves orphans behind; on SIGUSR1 print `embedded:
//!                       got SIGUSR1`; on SIGTERM or SIGINT finish the record
//!                       being written, flush, print `embedded: shut down
//!                       cleanly` and exit 0
//! embedded exit N       exit with code N
//! embedded raise SIG    die of signal SIG (a number)
//! ```
//!
//! Built static, it is the only file of a `FROM scratch` image:
//!
//! ```dockerfile
//! FROM scratch
//! COPY embedded /embedded
//! ENTRYPOINT ["/embedded"]
//! ```

use std::error::Error;
use std::io::Write;
use std::process::Command;
use std::time::Duration;

use signal_hook::consts::{SIGINT, SIGTERM, SIGUSR1};
use signal_hook::iterator::Signals;

/// How many short-lived processes the worker leaves behind.
const ORPHANS: usize = 5;

fn main() -> Result<(), Box<dyn Error>> {
    // First, before anything else runs: as PID 1 this never returns.
    pidone::launch()?;

    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |i: usize| -> Result<i32, Box<dyn Error>> {
        Ok(args.get(i).ok_or("a number is missing")?.parse()?)
    };
    match args.first().map(String::as_str) {
        None | Some("serve") => serve(),
        Some("exit") => std::process::exit(number(1)?),
        Some("raise") => {
            signal_hook::low_level::raise(number(1)?)?;
            Err("the signal did not end the process".into())
        }
        // The worker: start the orphans and exit at once, leaving them to
        // the init, as a daemonising helper or a shell script would.
        Some("worker") => {
            for _ in 0..ORPHANS {
                Command::new("/proc/self/exe").arg("nap").spawn()?;
            }
            Ok(())
        }
        Some("nap") => {
            std::thread::sleep(Duration::from_millis(200));
            Ok(())
        }
        Some(other) => Err(format!("unknown mode {other:?}").into()),
    }
}

/// The service: handles its signals, leaves orphans, shuts down cleanly.
fn serve() -> Result<(), Box<dyn Error>> {
    let mut signals = Signals::new([SIGTERM, SIGINT, SIGUSR1])?;
    Command::new("/proc/self/exe").arg("worker").status()?;
    say("embedded: ready")?;
    let mut records = 0u64;
    for signal in signals.forever() {
        if signal == SIGUSR1 {
            say("embedded: got SIGUSR1")?;
            continue;
        }
        // The work in hand is finished and flushed before the exit.
        records += 1;
        say(&format!(
            "embedded: got signal {signal}, finishing after {records} record(s)"
        ))?;
        say("embedded: shut down cleanly")?;
        return Ok(());
    }
    Ok(())
}

/// Prints LINE and flushes it at once: a container's log is read live.
fn say(line: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}")?;
    out.flush()
}
