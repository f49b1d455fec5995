//! Signals the binary takes over at start.
//!
//! `SIGXFSZ`: a write past the file size limit (`ulimit -f`, `RLIMIT_FSIZE`) kills a process
//! by default, in the middle of whatever it was writing (an audit record, a saved plan, the
//! simulated tenant's state). Caught instead, the write fails with `EFBIG`, which the writer
//! handles like a full disk: an error that names the file, and nothing torn left behind.

/// Makes a write past the file size limit an error (`EFBIG`) instead of a kill, for the rest
/// of the process (tokio's handler stays registered once installed).
pub fn survive_file_size_limit() {
    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
    else {
        return;
    };
    rt.block_on(async {
        let kind = tokio::signal::unix::SignalKind::from_raw(libc::SIGXFSZ);
        if let Err(e) = tokio::signal::unix::signal(kind) {
            eprintln!("warning: cannot catch SIGXFSZ ({e}): a write past the file size limit ends the process");
        }
    });
}
