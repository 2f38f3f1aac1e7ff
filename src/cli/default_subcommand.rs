//! `paramscope PATH…` is `paramscope inspect PATH…`: the subcommand is inserted before clap parses.

use crate::args::Cli;

/// `paramscope PATH…` means `paramscope inspect PATH…`: insert the subcommand when the first argument is
/// neither a subcommand nor one of the program's own flags (`--help`, `--version`). A word that names nothing on disk and is close to a subcommand (`insepct`,
/// `chekc`) is refused with both readings, instead of being inspected as a missing file named `insepct`.
pub fn with_default_subcommand(
    mut args: Vec<std::ffi::OsString>,
) -> Result<Vec<std::ffi::OsString>, String> {
    use clap::CommandFactory;
    let Some(first) = args.get(1) else {
        return Ok(args);
    };
    // Not UTF-8: not a subcommand or a flag, so a path.
    let Some(first) = first.to_str() else {
        args.insert(1, "inspect".into());
        return Ok(args);
    };
    let command = Cli::command();
    let names: Vec<&str> = command
        .get_subcommands()
        .flat_map(|s| std::iter::once(s.get_name()).chain(s.get_all_aliases()))
        .chain(["help"])
        .collect();
    // The program's own flags; any other flag belongs to inspect (`paramscope --format json model.safetensors`).
    let own_flag = ["-h", "--help", "-V", "--version"].contains(&first);
    if names.contains(&first) || own_flag {
        return Ok(args);
    }
    // A word with a dot or a separator is meant as a path (`diff.safetensors`): a missing one is reported as such.
    let word = !first.starts_with('-') && !first.contains(['.', '/', '\\']);
    if word && !std::path::Path::new(first).exists() {
        // clap's own threshold for "a similar subcommand exists".
        let closest = names
            .iter()
            .map(|name| (strsim::jaro(name, first), name))
            .filter(|(similarity, _)| *similarity > 0.7)
            .max_by(|a, b| a.0.total_cmp(&b.0));
        if let Some((_, name)) = closest {
            return Err(format!(
                "'{first}' is neither a subcommand nor a file or folder; did you mean `paramscope {name}`? \
                 (paramscope --help lists the subcommands)"
            ));
        }
    }
    args.insert(1, "inspect".into());
    Ok(args)
}
