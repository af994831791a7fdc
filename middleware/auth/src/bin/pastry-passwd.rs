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
//!
//! API tokens live in a tokens file of their own (`FileTokenStore`):
//!
//! ```text
//! pastry-passwd token create [--roles a,b] [--expires-in 30d] FILE NAME USER
//! pastry-passwd token list FILE
//! pastry-passwd token revoke FILE NAME
//! ```
//!
//! `create` prints the new token on standard output, once: only its digest
//! is written. `list` never shows a secret. `--expires-in` takes a number
//! with `s`, `m`, `h` or `d`.

use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pastry_auth::{FileTokenStore, FileUserStore, PasswordHasher, User, parse_users};

const USAGE: &str = "usage: pastry-passwd [--stdin] [--roles a,b] [--memory KIB] [--iterations N] [--parallelism N] FILE USER
       pastry-passwd token create [--roles a,b] [--expires-in 30d] FILE NAME USER
       pastry-passwd token list FILE
       pastry-passwd token revoke FILE NAME";

/// What `pastry-passwd token ...` was asked to do.
enum TokenCommand {
    Create {
        roles: Vec<String>,
        expires_in: Option<Duration>,
        file: PathBuf,
        name: String,
        user: String,
    },
    List {
        file: PathBuf,
    },
    Revoke {
        file: PathBuf,
        name: String,
    },
}

fn parse_token_args(args: &[String]) -> Result<TokenCommand, String> {
    let (command, rest) = args
        .split_first()
        .ok_or("token needs create, list or revoke")?;
    let mut roles = Vec::new();
    let mut expires_in = None;
    let mut positional = Vec::new();
    let mut rest = rest.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--roles" => {
                let list = rest.next().ok_or("--roles needs a comma-separated list")?;
                roles = list
                    .split(',')
                    .map(str::trim)
                    .filter(|r| !r.is_empty())
                    .map(String::from)
                    .collect();
            }
            "--expires-in" => {
                let text = rest
                    .next()
                    .ok_or("--expires-in needs a duration such as 30d")?;
                expires_in = Some(parse_duration(text)?);
            }
            flag if flag.starts_with("--") => return Err(format!("unknown option {flag}")),
            _ => positional.push(arg.clone()),
        }
    }
    match (command.as_str(), positional.as_slice()) {
        ("create", [file, name, user]) => Ok(TokenCommand::Create {
            roles,
            expires_in,
            file: file.into(),
            name: name.clone(),
            user: user.clone(),
        }),
        ("list", [file]) => Ok(TokenCommand::List { file: file.into() }),
        ("revoke", [file, name]) => Ok(TokenCommand::Revoke {
            file: file.into(),
            name: name.clone(),
        }),
        ("create" | "list" | "revoke", _) => Err(format!("wrong arguments for token {command}")),
        _ => Err(format!("unknown token command {command}")),
    }
}

/// `90s`, `15m`, `12h`, `30d`.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("bad duration {text:?}: a number with s, m, h or d");
    let unit = text.chars().last().ok_or_else(bad)?;
    let number: u64 = text[..text.len() - unit.len_utf8()]
        .parse()
        .map_err(|_| bad())?;
    let seconds = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        _ => return Err(bad()),
    };
    number
        .checked_mul(seconds)
        .map(Duration::from_secs)
        .ok_or_else(bad)
}

fn run_token(command: TokenCommand) -> Result<(), String> {
    match command {
        TokenCommand::Create {
            roles,
            expires_in,
            file,
            name,
            user,
        } => {
            let store = FileTokenStore::open(&file).map_err(|e| e.to_string())?;
            let expires = expires_in.map(|d| SystemTime::now() + d);
            let secret = store
                .create(&name, &user, roles, expires)
                .map_err(|e| e.to_string())?;
            println!("{}", secret.expose());
            eprintln!("Created token {name} for {user}; it is shown once, store it now");
        }
        TokenCommand::List { file } => {
            let store = FileTokenStore::open(&file).map_err(|e| e.to_string())?;
            for token in store.list().map_err(|e| e.to_string())? {
                let roles: Vec<&str> = token.granted_roles().iter().collect();
                let expiry = token
                    .expiry()
                    .and_then(|at| at.duration_since(UNIX_EPOCH).ok())
                    .map_or_else(|| "never".to_owned(), |d| d.as_secs().to_string());
                println!(
                    "{}\t{}\t{}\t{}",
                    token.name(),
                    token.user(),
                    if roles.is_empty() {
                        "-".to_owned()
                    } else {
                        roles.join(",")
                    },
                    expiry
                );
            }
        }
        TokenCommand::Revoke { file, name } => {
            let store = FileTokenStore::open(&file).map_err(|e| e.to_string())?;
            if !store.revoke(&name).map_err(|e| e.to_string())? {
                return Err(format!("no token called {name}"));
            }
            eprintln!("Revoked token {name}");
        }
    }
    Ok(())
}

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
    let raw: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    if raw.first().is_some_and(|first| first == "token") {
        let Some(words) = raw[1..]
            .iter()
            .map(|a| a.to_str().map(String::from))
            .collect::<Option<Vec<String>>>()
        else {
            eprintln!("pastry-passwd: arguments must be UTF-8");
            return ExitCode::from(2);
        };
        return match parse_token_args(&words) {
            Err(message) => {
                eprintln!("pastry-passwd: {message}");
                eprintln!("{USAGE}");
                ExitCode::from(2)
            }
            Ok(command) => match run_token(command) {
                Ok(()) => ExitCode::SUCCESS,
                Err(message) => {
                    eprintln!("pastry-passwd: {message}");
                    ExitCode::FAILURE
                }
            },
        };
    }
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
