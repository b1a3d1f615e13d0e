//! The local admin socket: `<data_dir>/hearsayd.sock`, readable by whoever may read the
//! data directory. A client writes one request line (`status`) and reads one JSON
//! document; `hearsay status` and `hearsay peers` use it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixListener;

use crate::Shared;

/// The socket's path in a data directory.
pub fn socket_path(data_dir: &Path) -> PathBuf {
    data_dir.join("hearsayd.sock")
}

/// Serves the admin socket until the task is aborted.
pub async fn serve(path: PathBuf, shared: Arc<Shared>) -> Result<()> {
    if path.exists() {
        // A stale socket of a previous run (the store's lock already ensures no other
        // node runs on this directory).
        let _ = std::fs::remove_file(&path);
    }
    let listener =
        UnixListener::bind(&path).with_context(|| format!("admin socket {}", path.display()))?;
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            let (read, mut write) = stream.into_split();
            let mut line = String::new();
            let mut reader = BufReader::new(read).take_line_limit();
            if reader.read_line(&mut line).await.is_err() {
                return;
            }
            let reply = match line.trim() {
                "status" => match serde_json::to_string_pretty(&shared.status().await) {
                    Ok(json) => json,
                    Err(e) => format!("{{\"error\":\"{e}\"}}"),
                },
                other => serde_json::json!({ "error": format!("unknown request {other:?}; try `status`") }).to_string(),
            };
            let _ = write.write_all(reply.as_bytes()).await;
            let _ = write.write_all(b"\n").await;
            let _ = write.shutdown().await;
        });
    }
}

/// Bounds a request line to 1 KiB.
trait LineLimit: Sized {
    fn take_line_limit(self) -> tokio::io::Take<Self>;
}

impl<R: tokio::io::AsyncRead + Unpin> LineLimit for BufReader<R> {
    fn take_line_limit(self) -> tokio::io::Take<Self> {
        tokio::io::AsyncReadExt::take(self, 1024)
    }
}
