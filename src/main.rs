//! The `signon` binary; everything lives in the library so tests can start the real app.

/// Under a signing surge about a tenth of the server's time went to glibc's malloc and free
/// (a profile of the load benchmark); with mimalloc the same benchmark signed about 12% more per
/// second. Resident memory is higher at rest with it (about 65-75 MiB against 30) and, as with
/// glibc, levels off once warm rather than growing with the requests served.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    signon::cli::main()
}
