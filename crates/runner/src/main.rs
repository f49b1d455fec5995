//! `cxqueues`: declarative GitOps for contact-center routing queues. Everything is in the
//! library (`runner`); see `runner::cli`.

fn main() -> std::process::ExitCode {
    runner::cli::main()
}
