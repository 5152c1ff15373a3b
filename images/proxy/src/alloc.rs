//! Memory given back after a burst. glibc's allocator keeps the memory of freed connections in its
//! arenas for reuse, so after a flood of connections the process would stay at its peak until it is
//! restarted. Two settings keep that bounded: two arenas instead of eight per core (the runtime has a
//! worker per core, and more arenas only hold more free memory apart), and `malloc_trim` (which returns
//! the free pages inside every arena to the kernel) once connections have closed in numbers and the load
//! is not rising. bench/run.sh measures RSS after a burst, and the CPU per request beside it.

use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use crate::metrics::Metrics;

/// How often the trimmer looks at the connection counts.
const TICK: Duration = Duration::from_secs(5);
/// Connections closed since the last trim that make another worth its cost (a trim walks every arena).
const CLOSED_FOR_TRIM: u64 = 64;

/// Call first thing in `main`, before any thread starts (arenas are made as threads first allocate).
pub fn configure() {
    proxy_os::malloc::set_arena_max(2);
}

/// Trims after bursts, until the process exits.
pub async fn trim_after_bursts(metrics: Arc<Metrics>) {
    let mut trimmed_at = closed(&metrics);
    let mut open_before = metrics.open_conns.load(Relaxed);
    loop {
        tokio::time::sleep(TICK).await;
        let (now, open) = (closed(&metrics), metrics.open_conns.load(Relaxed));
        if now >= trimmed_at + CLOSED_FOR_TRIM && open <= open_before {
            trimmed_at = now;
            // A trim walks every arena: off the runtime's workers.
            let _ = tokio::task::spawn_blocking(proxy_os::malloc::trim).await;
        }
        open_before = open;
    }
}

/// Client connections closed since start.
fn closed(m: &Metrics) -> u64 {
    m.accepted_conns.load(Relaxed).saturating_sub(m.open_conns.load(Relaxed).max(0) as u64)
}
