//! The command line: Terraform passes no arguments; people may pass `--debug`,
//! `--version` or `--help`.

use std::ffi::OsString;

/// What the arguments ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Serve Terraform (the normal, argument-less launch).
    Serve,
    /// Serve for reattachment, printing `TF_REATTACH_PROVIDERS`.
    Debug,
    /// Print the version.
    Version,
    /// Print usage.
    Help,
    /// An argument we do not know.
    Invalid(String),
}

/// Parses the arguments after the program name. `--help` and `--version` win over
/// everything else; any unknown argument is an error.
pub fn parse(args: &[OsString]) -> Command {
    let mut debug = false;
    let mut invalid = None;
    for arg in args {
        match arg.to_str() {
            Some("-h" | "--help" | "-help") => return Command::Help,
            Some("-v" | "--version" | "-version") => return Command::Version,
            Some("--debug" | "-debug") => debug = true,
            _ => {
                invalid.get_or_insert_with(|| arg.to_string_lossy().into_owned());
            }
        }
    }
    match (invalid, debug) {
        (Some(arg), _) => Command::Invalid(arg),
        (None, true) => Command::Debug,
        (None, false) => Command::Serve,
    }
}

/// Usage text for `--help` and argument errors.
pub fn usage(program: &str) -> String {
    format!(
        "Usage: {program} [--debug | --version | --help]\n\n\
         A Terraform provider plugin; Terraform starts it automatically.\n\n\
         Options:\n\
         \x20 --debug    run standalone and print TF_REATTACH_PROVIDERS for Terraform to attach\n\
         \x20 --version  print the version and exit\n\
         \x20 --help     print this help and exit\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn no_arguments_means_serve() {
        assert_eq!(parse(&args(&[])), Command::Serve);
    }

    #[test]
    fn flags_are_recognised() {
        assert_eq!(parse(&args(&["--debug"])), Command::Debug);
        assert_eq!(parse(&args(&["--version"])), Command::Version);
        assert_eq!(parse(&args(&["--debug", "--help"])), Command::Help);
    }

    #[test]
    fn unknown_arguments_are_reported() {
        assert_eq!(
            parse(&args(&["--bogus", "--debug"])),
            Command::Invalid("--bogus".into())
        );
    }

    #[test]
    fn usage_names_the_flags() {
        let text = usage("terraform-provider-blockchain");
        assert!(text.contains("--debug") && text.contains("--version") && text.contains("--help"));
    }
}
