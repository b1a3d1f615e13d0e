//! The endpoint's one UDP socket, with large kernel buffers for bulk transfer.

use std::net::SocketAddr;

use socket2::{Domain, Protocol, Socket, Type};

use crate::error::TransportError;

/// Binds `addr` with `SO_RCVBUF`/`SO_SNDBUF` raised as far as the kernel permits (an
/// unprivileged process is capped by `net.core.rmem_max`/`wmem_max`; the sizes obtained
/// are logged).
pub(crate) fn bind(
    addr: SocketAddr,
    recv_buffer: usize,
    send_buffer: usize,
) -> Result<std::net::UdpSocket, TransportError> {
    let err = |source| TransportError::Bind { addr, source };
    let socket =
        Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP)).map_err(err)?;
    if let Err(e) = socket.set_recv_buffer_size(recv_buffer) {
        tracing::debug!(error = %e, "SO_RCVBUF not raised");
    }
    if let Err(e) = socket.set_send_buffer_size(send_buffer) {
        tracing::debug!(error = %e, "SO_SNDBUF not raised");
    }
    socket.bind(&addr.into()).map_err(err)?;
    socket.set_nonblocking(true).map_err(err)?;
    tracing::debug!(
        %addr,
        recv_buffer = socket.recv_buffer_size().unwrap_or(0),
        send_buffer = socket.send_buffer_size().unwrap_or(0),
        asked_recv = recv_buffer,
        asked_send = send_buffer,
        "UDP socket bound"
    );
    Ok(socket.into())
}
