//! The `signon` binary; everything lives in the library so tests can start the real app.

fn main() -> std::process::ExitCode {
    signon::cli::main()
}
