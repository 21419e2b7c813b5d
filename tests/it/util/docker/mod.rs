//! The Docker harness: a daemon to talk to (or a loud skip), its command
//! line for the shared [`Engine`], guards for what we make, and the sweep
//! of what killed runs left. Its parts: `image` (the test image, built
//! `FROM scratch` from our own static binaries and the final stage of
//! `Dockerfile.example`), `container` (containers, attached runs) and
//! `private_daemon` (a throwaway second `dockerd`).
//!
//! There is no registry on the machines this runs on, so nothing is ever
//! pulled: every image is built from local files with the legacy builder
//! (which needs no registry for `FROM scratch`) or moved with `docker save |
//! docker load`. The daemon is shared with other people's runs, so every
//! image and container of ours gets a unique name (`pidone-test-<run>-<n>-…`)
//! and a `pidone-test-run=<run>` label naming this very run (PID namespace,
//! pid and start time, see `names::label`), and a guard whose `Drop` removes it;
//! the sweep at start-up removes only objects whose run is provably over.
//! Every docker command runs under a deadline.

mod container;
mod image;
mod private_daemon;

use std::ffi::OsStr;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

pub use container::{Attached, Container};
pub use image::{Image, Recipe};
pub use private_daemon::PrivateDaemon;

use super::command::run_with_deadline;
use super::engine::{Engine, COMMAND_DEADLINE};
use super::env::skip;
use super::names::{label_is_over, unique, LABEL};

/// How long an image build may take (cold caches on a slow disk).
const BUILD_DEADLINE: Duration = Duration::from_secs(180);

/// The Docker daemon the tests use (`DOCKER_HOST` or the default socket), or
/// `None` when there is none: then the caller returns early (see
/// [`skip`]: under `CI=true` a missing daemon fails the test instead).
pub fn docker() -> Option<Docker> {
    static AVAILABLE: OnceLock<Result<(), String>> = OnceLock::new();
    let available = AVAILABLE.get_or_init(|| {
        let docker = Docker::default();
        let probe = docker
            .command(["info", "--format", "{{.ServerVersion}}"])
            .output();
        match probe {
            Ok(out) if out.status.success() => {
                docker.sweep_leftovers();
                Ok(())
            }
            Ok(out) => Err(String::from_utf8_lossy(&out.stderr).trim().to_string()),
            Err(e) => Err(format!("cannot run `docker`: {e}")),
        }
    });
    match available {
        Ok(()) => Some(Docker::default()),
        Err(why) => {
            let why = format!("no Docker daemon answers ({why})");
            skip("every Docker test", &why, "Start one (or run .ci/run)");
            None
        }
    }
}

/// One Docker daemon, addressed by `-H` (or the environment's default).
#[derive(Clone, Debug, Default)]
pub struct Docker {
    host: Option<String>,
}

impl Engine for Docker {
    /// A `docker` command for this daemon, with ARGS. The legacy builder is
    /// chosen explicitly: it builds `FROM scratch` without any registry and
    /// behaves the same whether or not buildx is installed.
    fn command<S: AsRef<OsStr>>(&self, args: impl IntoIterator<Item = S>) -> Command {
        let mut command = Command::new("docker");
        if let Some(host) = &self.host {
            command.args(["-H", host]);
        }
        command
            .env("DOCKER_BUILDKIT", "0")
            .args(args)
            .stdin(Stdio::null());
        command
    }
}

impl Docker {
    /// Starts `docker run` (see [`Engine::run_command`]) of IMAGE attached,
    /// with its output read line by line.
    pub fn run_attached(&self, options: &[&str], image: &Image, args: &[&str]) -> Attached {
        let name = unique("run");
        let command = self.run_command(&name, options, &image.name, args);
        Attached::start(command, self.container(name))
    }

    /// A guard that removes image NAME when dropped.
    pub fn image(&self, name: String) -> Image {
        Image {
            docker: self.clone(),
            name,
        }
    }

    /// A guard that removes container NAME when dropped.
    pub fn container(&self, name: String) -> Container {
        Container {
            docker: self.clone(),
            name,
        }
    }

    /// Copies IMAGE from this daemon into OTHER (`docker save | docker
    /// load`: no registry involved); the copy is removed with OTHER's guard.
    pub fn copy_image_to(&self, image: &Image, other: &Docker) -> Image {
        let mut save = self
            .command(["save", &image.name])
            .stdout(Stdio::piped())
            .spawn()
            .expect("run docker save");
        let stream = save.stdout.take().expect("piped stdout");
        let mut load = other.command(["load", "--quiet"]);
        load.stdin(Stdio::from(stream));
        let out = run_with_deadline(load, COMMAND_DEADLINE);
        let saved = save.wait().expect("wait for docker save");
        assert!(
            saved.success() && out.status.success(),
            "save | load: {out:#?}"
        );
        Image {
            docker: other.clone(),
            name: image.name.clone(),
        }
    }

    /// Removes the containers and images of test runs that are over
    /// (killed before their guards could run), and nothing else: see
    /// [`label_is_over`].
    fn sweep_leftovers(&self) {
        let filter = format!("label={LABEL}");
        let ids = |kind: &str| -> Vec<String> {
            let out = self.output([kind, "--all", "--quiet", "--filter", &filter]);
            String::from_utf8_lossy(&out.stdout)
                .split_whitespace()
                .map(String::from)
                .collect()
        };
        // `ID RUN` for each object, RUN being the run that made it.
        let stale = |ids: Vec<String>| -> Vec<String> {
            if ids.is_empty() {
                return vec![];
            }
            let format = format!("{{{{.Id}}}} {{{{index .Config.Labels \"{LABEL}\"}}}}");
            let mut argv = vec!["inspect".to_string(), "--format".to_string(), format];
            argv.extend(ids);
            let out = self.output(argv);
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter_map(|line| {
                    let (id, run) = line.split_once(' ')?;
                    label_is_over(run).then(|| id.to_string())
                })
                .collect()
        };
        for id in stale(ids("ps")) {
            let _ = self.output(["rm", "--force", "--volumes", &id]);
        }
        // Newest first, so children go before their parents.
        for id in stale(ids("images")) {
            let _ = self.output(["rmi", "--force", &id]);
        }
    }
}
