//! `--user USER[:GROUP]`: who the child runs as, resolved from the image's
//! own `/etc/passwd` and `/etc/group`.
//!
//! We read the files ourselves instead of calling `getpwnam`: a `FROM
//! scratch` or distroless image has no NSS modules, and a static musl
//! binary would not load them anyway. Resolution happens in pidone before
//! the fork (the child may not allocate or read files); the switch itself
//! happens in the child (see `spawn`), and pidone stays who it was so it can
//! still signal and reap. An unknown name is a usage error; this module
//! never guesses an identity it cannot find, so the app can never end up
//! running as root by accident.

use crate::error::UsageError;

/// The identity the child switches to, and what its environment learns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// The user id (set last).
    pub uid: libc::uid_t,
    /// The primary group id.
    pub gid: libc::gid_t,
    /// Supplementary groups (`setgroups`), the primary group included.
    pub groups: Vec<libc::gid_t>,
    /// The user's name, for `USER`, if the passwd file knows it.
    pub name: Option<String>,
    /// The user's home, for `HOME`, if the passwd file knows it.
    pub home: Option<String>,
}

/// One passwd entry: name, uid, gid, home.
struct Passwd<'a> {
    name: &'a str,
    uid: libc::uid_t,
    gid: libc::gid_t,
    home: &'a str,
}

/// Parses the passwd line LINE (`name:x:uid:gid:gecos:home:shell`).
fn passwd_entry(line: &str) -> Option<Passwd<'_>> {
    let mut fields = line.split(':');
    let name = fields.next()?;
    let _password = fields.next()?;
    let uid = crate::text::number::parse(fields.next()?)?;
    let gid = crate::text::number::parse(fields.next()?)?;
    let _gecos = fields.next()?;
    let home = fields.next()?;
    Some(Passwd {
        name,
        uid,
        gid,
        home,
    })
}

/// Parses the group line LINE (`name:x:gid:member,member`).
fn group_entry(line: &str) -> Option<(&str, libc::gid_t, impl Iterator<Item = &str>)> {
    let mut fields = line.split(':');
    let name = fields.next()?;
    let _password = fields.next()?;
    let gid = crate::text::number::parse(fields.next()?)?;
    let members = fields
        .next()
        .unwrap_or("")
        .split(',')
        .filter(|m| !m.is_empty());
    Some((name, gid, members))
}

/// Resolves SPEC (`USER`, `USER:GROUP`, names or numbers) against the text
/// of the passwd and group files (empty when a file is missing).
///
/// A numeric user that the passwd file does not know runs with the group
/// of the same number (or GROUP), no supplementary groups, and no HOME or
/// USER from us: Docker's `--user 1000` case, without Docker's gid 0.
pub fn resolve(spec: &str, passwd: &str, group: &str) -> Result<Identity, UsageError> {
    let (user, group_spec) = match spec.split_once(':') {
        Some((user, group)) => (user, Some(group)),
        None => (spec, None),
    };
    if user.is_empty() || group_spec.is_some_and(str::is_empty) {
        return Err(UsageError(format!(
            "invalid user '{spec}' for --user (expected USER or USER:GROUP)"
        )));
    }
    let numeric = crate::text::number::parse::<libc::uid_t>(user);
    let entry = passwd
        .lines()
        .filter_map(passwd_entry)
        .find(|e| Some(e.uid) == numeric || e.name == user);
    let (uid, primary, name, home) = match (entry, numeric) {
        (Some(e), _) => (
            e.uid,
            e.gid,
            Some(e.name.to_string()),
            Some(e.home.to_string()),
        ),
        (None, Some(uid)) => (uid, uid, None, None),
        (None, None) => {
            return Err(UsageError(format!(
                "unknown user '{user}' for --user (not in /etc/passwd)"
            )))
        }
    };
    let gid = match group_spec {
        None => primary,
        Some(wanted) => match crate::text::number::parse::<libc::gid_t>(wanted) {
            Some(gid) => gid,
            None => group
                .lines()
                .filter_map(group_entry)
                .find(|(name, _, _)| *name == wanted)
                .map(|(_, gid, _)| gid)
                .ok_or_else(|| {
                    UsageError(format!(
                        "unknown group '{wanted}' for --user (not in /etc/group)"
                    ))
                })?,
        },
    };
    let mut groups = vec![gid];
    if let Some(name) = &name {
        for (_, group_gid, mut members) in group.lines().filter_map(group_entry) {
            if members.any(|m| m == name) && !groups.contains(&group_gid) {
                groups.push(group_gid);
            }
        }
    }
    Ok(Identity {
        uid,
        gid,
        groups,
        name,
        home,
    })
}

/// Resolves SPEC against this machine's (this image's) `/etc/passwd` and
/// `/etc/group`; a missing file counts as empty.
pub fn resolve_here(spec: &str) -> Result<Identity, UsageError> {
    // The files grow past read_small's first kilobyte as needed.
    let read = |path: &str| crate::os::procfs::read_small(path).unwrap_or_default();
    resolve(spec, &read("/etc/passwd"), &read("/etc/group"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD: &str = "\
root:x:0:0:root:/root:/bin/bash
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
app:x:1000:1000:The App,,,:/home/app:/bin/sh
broken line
";
    const GROUP: &str = "\
root:x:0:
staff:x:50:app,other
nogroup:x:65534:
app:x:1000:
docker:x:999:other,app
";

    fn id(uid: u32, gid: u32, groups: &[u32], name: Option<&str>, home: Option<&str>) -> Identity {
        Identity {
            uid,
            gid,
            groups: groups.to_vec(),
            name: name.map(str::to_string),
            home: home.map(str::to_string),
        }
    }

    #[test]
    fn resolves_users_and_groups() {
        let table: &[(&str, Identity)] = &[
            (
                "nobody",
                id(65534, 65534, &[65534], Some("nobody"), Some("/nonexistent")),
            ),
            (
                "app",
                id(1000, 1000, &[1000, 50, 999], Some("app"), Some("/home/app")),
            ),
            (
                "1000",
                id(1000, 1000, &[1000, 50, 999], Some("app"), Some("/home/app")),
            ),
            (
                "app:staff",
                id(1000, 50, &[50, 999], Some("app"), Some("/home/app")),
            ),
            (
                "app:4242",
                id(1000, 4242, &[4242, 50, 999], Some("app"), Some("/home/app")),
            ),
            ("1234", id(1234, 1234, &[1234], None, None)),
            ("1234:5678", id(1234, 5678, &[5678], None, None)),
            ("0", id(0, 0, &[0], Some("root"), Some("/root"))),
        ];
        for (spec, want) in table {
            assert_eq!(resolve(spec, PASSWD, GROUP).as_ref(), Ok(want), "{spec}");
        }
    }

    #[test]
    fn a_scratch_image_with_only_passwd_works() {
        let want = id(1000, 1000, &[1000], Some("app"), Some("/home/app"));
        assert_eq!(resolve("app", PASSWD, ""), Ok(want));
    }

    #[test]
    fn unknown_names_are_usage_errors() {
        let table: &[(&str, &str)] = &[
            ("ghost", "unknown user 'ghost'"),
            ("app:ghosts", "unknown group 'ghosts'"),
            ("", "invalid user ''"),
            (":staff", "invalid user ':staff'"),
            ("app:", "invalid user 'app:'"),
            ("-1", "unknown user '-1'"),
        ];
        for (spec, want) in table {
            let err = resolve(spec, PASSWD, GROUP).unwrap_err();
            assert!(err.0.contains(want), "{spec}: {err}");
        }
        let err = resolve("app", "", "").unwrap_err();
        assert!(err.0.contains("unknown user 'app'"), "{err}");
    }
}
