//! The `proxy` binary: flags, then `proxy::run` (see README.md).
#![forbid(unsafe_code)]

use std::process::ExitCode;

use proxy::config::{self, ConfigError};

fn main() -> ExitCode {
    proxy::alloc::configure();
    let args: Vec<String> = std::env::args_os().skip(1).map(|a| a.to_string_lossy().into_owned()).collect();
    let cfg = match config::parse(&args, |k| std::env::var_os(k).map(|v| v.to_string_lossy().into_owned())) {
        Ok(c) => c,
        Err(ConfigError::Help(usage)) => {
            eprint!("{usage}");
            return ExitCode::SUCCESS;
        }
        Err(ConfigError::Invalid(msg)) => {
            eprintln!("proxy: {msg}");
            return ExitCode::from(2);
        }
    };
    proxy::log::set_level(cfg.log_level);
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("proxy: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let code = rt.block_on(proxy::run(cfg));
    // Connections still open after a forced drain are dropped with the runtime, not waited for.
    rt.shutdown_timeout(std::time::Duration::from_millis(100));
    ExitCode::from(code)
}
