//! `pastry-passwd`: add or update a user in a Pastry users file, like
//! `htpasswd`.
//!
//! ```text
//! pastry-passwd [--stdin] [--roles a,b] [--memory KIB] [--iterations N] [--parallelism N] FILE USER
//! ```
//!
//! Reads the password twice from the terminal without echo, or once from
//! standard input with `--stdin`, hashes it with argon2id (OWASP parameters
//! unless told otherwise) and writes the user's line atomically. Without
//! `--roles`, an existing user keeps its roles.

use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

use pastry_auth::{FileUserStore, PasswordHasher, User, parse_users};

const USAGE: &str = "usage: pastry-passwd [--stdin] [--roles a,b] [--memory KIB] [--iterations N] [--parallelism N] FILE USER";

struct Args {
    stdin: bool,
    roles: Option<Vec<String>>,
    memory: Option<u32>,
    iterations: Option<u32>,
    parallelism: Option<u32>,
    file: PathBuf,
    user: String,
}

fn parse_args() -> Result<Args, String> {
    let mut stdin = false;
    let mut roles = None;
    let (mut memory, mut iterations, mut parallelism) = (None, None, None);
    let mut positional = Vec::new();
    let mut args = std::env::args_os().skip(1);
    let number = |value: Option<std::ffi::OsString>, flag: &str| -> Result<u32, String> {
        value
            .and_then(|v| v.into_string().ok())
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("{flag} needs a number"))
    };
    while let Some(arg) = args.next() {
        match arg.to_str() {
            Some("--stdin") => stdin = true,
            Some("--roles") => {
                let list = args
                    .next()
                    .and_then(|v| v.into_string().ok())
                    .ok_or("--roles needs a comma-separated list")?;
                roles = Some(
                    list.split(',')
                        .map(str::trim)
                        .filter(|r| !r.is_empty())
                        .map(String::from)
                        .collect(),
                );
            }
            Some("--memory") => memory = Some(number(args.next(), "--memory")?),
            Some("--iterations") => iterations = Some(number(args.next(), "--iterations")?),
            Some("--parallelism") => parallelism = Some(number(args.next(), "--parallelism")?),
            Some("-h" | "--help") => return Err(String::new()),
            Some(flag) if flag.starts_with("--") => return Err(format!("unknown option {flag}")),
            _ => positional.push(arg),
        }
    }
    let [file, user]: [std::ffi::OsString; 2] = positional
        .try_into()
        .map_err(|_| "expected FILE and USER".to_owned())?;
    let user = user
        .into_string()
        .map_err(|_| "USER must be UTF-8".to_owned())?;
    Ok(Args {
        stdin,
        roles,
        memory,
        iterations,
        parallelism,
        file: file.into(),
        user,
    })
}

fn read_password(stdin: bool) -> Result<String, String> {
    if stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        let password = line.strip_suffix('\n').unwrap_or(&line);
        let password = password.strip_suffix('\r').unwrap_or(password);
        return Ok(password.to_owned());
    }
    let first = rpassword::prompt_password("New password: ")
        .map_err(|e| format!("cannot read password: {e}"))?;
    let second = rpassword::prompt_password("Re-type new password: ")
        .map_err(|e| format!("cannot read password: {e}"))?;
    if first != second {
        return Err("passwords do not match".into());
    }
    Ok(first)
}

fn run(args: Args) -> Result<bool, String> {
    let mut builder = PasswordHasher::builder();
    if let Some(m) = args.memory {
        builder = builder.memory_kib(m);
    }
    if let Some(t) = args.iterations {
        builder = builder.iterations(t);
    }
    if let Some(p) = args.parallelism {
        builder = builder.parallelism(p);
    }
    let hasher = builder.build().map_err(|e| e.to_string())?;

    let existing = match std::fs::read_to_string(&args.file) {
        Ok(text) => parse_users(&text)
            .0
            .into_iter()
            .find(|u| u.name() == args.user),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(format!("{}: {e}", args.file.display())),
    };

    let password = read_password(args.stdin)?;
    if password.is_empty() {
        return Err("empty password refused".into());
    }
    let hash = hasher.hash_blocking(&password).map_err(|e| e.to_string())?;
    let roles: Vec<String> = match (args.roles, &existing) {
        (Some(roles), _) => roles,
        (None, Some(user)) => user.roles().iter().map(String::from).collect(),
        (None, None) => Vec::new(),
    };
    let user = User::builder(args.user.as_str(), hash).roles(roles).build();
    FileUserStore::save_user(&args.file, &user).map_err(|e| e.to_string())?;
    Ok(existing.is_some())
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("pastry-passwd: {message}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let name = args.user.clone();
    match run(args) {
        Ok(updated) => {
            eprintln!("{} user {name}", if updated { "Updated" } else { "Added" });
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("pastry-passwd: {message}");
            ExitCode::FAILURE
        }
    }
}
