//! The test image and what it takes from `Dockerfile.example`. The image is
//! built `FROM scratch` from our own static binaries only: pidone where the
//! recipe puts it, the recipe's ENTRYPOINT, and the suite's `testee` as the
//! app at `/bin/testee` (on PATH), standing in for whatever app the recipe
//! ships. No shell, no busybox, nothing pulled.

use super::{Docker, BUILD_DEADLINE};
use crate::util::command::succeed;
use crate::util::engine::Engine;
use crate::util::names::{label, unique};
use crate::util::{static_pidone, static_testee, TempDir};

/// The test image's own CMD (the recipe's app is not ours to run): says
/// where it runs, then exits 3.
pub const TEST_CMD: &str = r#"CMD ["testee", "hello", "3"]"#;

/// An image of ours; removed when dropped.
pub struct Image {
    pub(super) docker: Docker,
    pub name: String,
}

impl Drop for Image {
    fn drop(&mut self) {
        let _ = self.docker.output(["rmi", "--force", &self.name]);
    }
}

impl Docker {
    /// Builds the test image: `FROM scratch`, the recipe's pidone line and
    /// ENTRYPOINT, our label, `testee` at `/bin/testee` with `PATH=/bin`,
    /// and [`TEST_CMD`].
    pub fn test_image(&self) -> Image {
        let recipe = Recipe::read();
        self.build_image(
            &[
                (static_pidone(), &recipe.pidone),
                (static_testee(), "/bin/testee"),
            ],
            &format!("ENV PATH=/bin\n{}\n{TEST_CMD}", recipe.entrypoint),
        )
    }

    /// Builds an image `FROM scratch` with our label, FILES (a host path
    /// and where it goes in the image), then the Dockerfile LINES.
    pub fn build_image(&self, files: &[(&std::path::Path, &str)], lines: &str) -> Image {
        let name = unique("image");
        let context = TempDir::new("context");
        let dir = context.path();
        // Our label right after FROM, so that even the intermediate images
        // of a build that failed half-way carry it and are swept later.
        let mut dockerfile = format!("FROM scratch\nLABEL {}\n", label());
        for (i, (source, target)) in files.iter().enumerate() {
            let copy = format!("file{i}");
            std::fs::copy(source, dir.join(&copy))
                .unwrap_or_else(|e| panic!("copy {} into the context: {e}", source.display()));
            dockerfile.push_str(&format!("COPY {copy} {target}\n"));
        }
        dockerfile.push_str(lines);
        dockerfile.push('\n');
        std::fs::write(dir.join("Dockerfile"), dockerfile).expect("write the Dockerfile");
        // --no-cache: the legacy builder would reuse another test's
        // intermediate images as its cache, and that test's `docker rmi`
        // prunes them mid-build ("layer does not exist").
        let mut build = self.command(["build", "--quiet", "--no-cache", "--tag", &name]);
        build.arg(dir);
        succeed(build, BUILD_DEADLINE);
        Image {
            docker: self.clone(),
            name,
        }
    }
}

/// What the test image takes from `Dockerfile.example`'s final stage: the
/// part that is pidone's (where the binary goes, the ENTRYPOINT). The app
/// part (its COPY, ENV, CMD) is the example app's and may change freely.
pub struct Recipe {
    /// Where the final stage copies pidone (`/pidone`).
    pub pidone: String,
    /// The final stage's ENTRYPOINT line, as written.
    pub entrypoint: String,
}

impl Recipe {
    /// Reads `Dockerfile.example`'s last stage, which must be `FROM scratch`
    /// with `COPY --from=STAGE SRC /pidone` and `ENTRYPOINT ["/pidone",
    /// "--"]`. A change the suite cannot follow fails loudly instead of
    /// testing something else.
    pub fn read() -> Recipe {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("Dockerfile.example");
        let text = std::fs::read_to_string(&path).expect("read Dockerfile.example");
        let stage: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect();
        let start = stage
            .iter()
            .rposition(|l| l.starts_with("FROM "))
            .expect("Dockerfile.example has a FROM line");
        let stage = &stage[start..];
        assert_eq!(
            stage[0], "FROM scratch",
            "Dockerfile.example: the final stage must be FROM scratch"
        );
        let pidone = stage
            .iter()
            .find_map(
                |line| match line.split_whitespace().collect::<Vec<_>>()[..] {
                    ["COPY", from, _, dest] if from.starts_with("--from=") && dest == "/pidone" => {
                        Some(dest.to_string())
                    }
                    _ => None,
                },
            )
            .expect("Dockerfile.example's final stage copies pidone to /pidone");
        let entrypoint = stage
            .iter()
            .find(|l| l.starts_with("ENTRYPOINT "))
            .expect("Dockerfile.example's final stage has an ENTRYPOINT")
            .to_string();
        assert_eq!(
            entrypoint.split_whitespace().collect::<String>(),
            r#"ENTRYPOINT["/pidone","--"]"#,
            "Dockerfile.example: pidone is the ENTRYPOINT, with `--` before the app"
        );
        Recipe { pidone, entrypoint }
    }
}
