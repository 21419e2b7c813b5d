//! The modes that use memory until a limit stops them: the OOM tests need a
//! child the kernel's OOM killer ends, with real, resident pages (never a
//! lazy allocation the kernel could leave unbacked).
//!
//!   hog                allocate and touch memory, 1 MiB at a time, forever,
//!                      printing `allocated N MiB` after each 64
//!   hog-on-usr1        print `ready`, wait for SIGUSR1, then `hog`: for a
//!                      container runtime that only records an OOM kill
//!                      once it watches the container, and misses one in
//!                      the container's first moments (containerd #8180):
//!                      the SIGUSR1 is sent when `docker run -d` is done
//!   alloc MIB          allocate MIB mebibytes one at a time, touching every
//!                      page so it is really resident, printing `allocated N
//!                      MiB` after each 8; then print `allocated all` and exit
//!                      0 (under a smaller memory limit the OOM killer ends it
//!                      first)

use signal_hook::consts::SIGUSR1;
use signal_hook::iterator::Signals;

use crate::signals::die_with_parent;
use crate::{fail, say, Args};

/// Runs the mode if it is one of ours; false otherwise.
pub fn run(args: &Args) -> bool {
    match args.mode() {
        "hog" => hog(),
        "hog-on-usr1" => {
            let mut usr1 =
                Signals::new([SIGUSR1]).unwrap_or_else(|e| fail(&format!("signal-hook: {e}"), 99));
            say("ready");
            usr1.forever().next();
            hog();
        }
        "alloc" => {
            let mib = args.number(1) as usize;
            let mut kept: Vec<Vec<u8>> = Vec::with_capacity(mib);
            for n in 1..=mib {
                // As in `hog`: every page really resident.
                kept.push(vec![0xa5; 1 << 20]);
                if n % 8 == 0 {
                    say(&format!("allocated {n} MiB"));
                }
            }
            say("allocated all");
        }
        _ => return false,
    }
    true
}

/// The `hog` mode; see the module docs.
fn hog() -> ! {
    die_with_parent();
    let mut chunks: Vec<Vec<u8>> = Vec::new();
    loop {
        // Non-zero bytes on every page: the kernel must back each one.
        chunks.push(vec![1u8; 1 << 20]);
        if chunks.len() % 64 == 0 {
            say(&format!("allocated {} MiB", chunks.len()));
        }
    }
}
