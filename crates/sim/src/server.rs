//! Serving a [`SimState`] over TCP, with connections the fault layer can drop.

use std::{
    future::Future,
    io,
    net::SocketAddr,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    task::{Context, Poll},
    time::Duration,
};

use axum::{
    extract::connect_info::Connected,
    serve::{IncomingStream, Listener},
};
use serde_json::Value;
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::{TcpListener, TcpStream},
    sync::oneshot,
    task::JoinHandle,
};

use crate::{Faults, License, Seed, SimClient, SimError, SimState, Stats, router};

/// A switch that makes one connection fail its next read or write, so hyper closes it
/// without answering.
#[derive(Clone, Debug, Default)]
pub(crate) struct ConnDropper(Arc<AtomicBool>);

impl ConnDropper {
    pub(crate) fn drop_connection(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    fn is_dropped(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// A TCP stream with a [`ConnDropper`].
#[derive(Debug)]
pub(crate) struct SimIo {
    stream: TcpStream,
    dropper: ConnDropper,
}

fn aborted() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionAborted,
        "connection dropped by the simulator",
    )
}

impl AsyncRead for SimIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.dropper.is_dropped() {
            return Poll::Ready(Err(aborted()));
        }
        Pin::new(&mut this.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for SimIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.dropper.is_dropped() {
            return Poll::Ready(Err(aborted()));
        }
        Pin::new(&mut this.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.dropper.is_dropped() {
            return Poll::Ready(Err(aborted()));
        }
        Pin::new(&mut this.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.dropper.is_dropped() {
            return Poll::Ready(Err(aborted()));
        }
        Pin::new(&mut this.stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.dropper.is_dropped() {
            return Poll::Ready(Err(aborted()));
        }
        Pin::new(&mut this.stream).poll_shutdown(cx)
    }
}

/// A TCP listener whose connections are [`SimIo`].
#[derive(Debug)]
pub(crate) struct SimListener(TcpListener);

impl Listener for SimListener {
    type Io = SimIo;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.0.accept().await {
                Ok((stream, addr)) => {
                    let _ = stream.set_nodelay(true);
                    let io = SimIo {
                        stream,
                        dropper: ConnDropper::default(),
                    };
                    return (io, addr);
                }
                Err(e) => {
                    // Out of file descriptors and the like: wait, then try again.
                    tracing::warn!("sim: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.0.local_addr()
    }
}

impl Connected<IncomingStream<'_, SimListener>> for ConnDropper {
    fn connect_info(stream: IncomingStream<'_, SimListener>) -> Self {
        stream.io().dropper.clone()
    }
}

/// Serves `state` on `listener` until `shutdown` completes, then finishes the requests in
/// flight and returns.
pub async fn serve<F>(listener: TcpListener, state: SimState, shutdown: F) -> Result<(), SimError>
where
    F: Future<Output = ()> + Send + 'static,
{
    let app = router(state).into_make_service_with_connect_info::<ConnDropper>();
    axum::serve(SimListener(listener), app)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(SimError::Serve)
}

/// Starts simulators in-process.
#[derive(Debug, Clone, Copy)]
pub struct Sim;

impl Sim {
    /// Binds `127.0.0.1:0` (a free port) and serves a tenant built from `seed` with `faults`
    /// on the current tokio runtime. Must be called from within a runtime.
    pub fn start(seed: Seed, faults: Faults) -> Result<SimHandle, SimError> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), seed, faults)
    }

    /// Like [`Sim::start`] on a given address.
    pub fn start_on(addr: SocketAddr, seed: Seed, faults: Faults) -> Result<SimHandle, SimError> {
        Self::start_with_state(addr, SimState::new(seed, faults)?)
    }

    /// Serves an existing state on `addr`.
    pub fn start_with_state(addr: SocketAddr, state: SimState) -> Result<SimHandle, SimError> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| SimError::NoRuntime)?;
        let bind_err = |source| SimError::Bind { addr, source };
        let std_listener = std::net::TcpListener::bind(addr).map_err(bind_err)?;
        std_listener.set_nonblocking(true).map_err(bind_err)?;
        let local = std_listener.local_addr().map_err(bind_err)?;
        let listener = {
            let _guard = runtime.enter();
            TcpListener::from_std(std_listener).map_err(bind_err)?
        };
        let (tx, rx) = oneshot::channel::<()>();
        let task = runtime.spawn(serve(listener, state.clone(), async move {
            let _ = rx.await;
        }));
        Ok(SimHandle {
            state,
            addr: local,
            shutdown: Some(tx),
            task: Some(task),
        })
    }
}

/// A running simulator. Dropping it stops the server (gracefully, in the background);
/// [`SimHandle::shutdown`] stops it and waits.
#[derive(Debug)]
pub struct SimHandle {
    state: SimState,
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), SimError>>>,
}

impl SimHandle {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The shared state (also reachable through the methods below).
    pub fn state(&self) -> &SimState {
        &self.state
    }

    /// Replaces every fault knob (see [`SimState::set_faults`]).
    pub fn set_faults(&self, faults: Faults) {
        self.state.set_faults(faults);
    }

    /// The faults in force, counters as they stand.
    pub fn faults(&self) -> Faults {
        self.state.faults()
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> Stats {
        self.state.stats()
    }

    /// Zeroes the counters.
    pub fn reset_stats(&self) {
        self.state.reset_stats();
    }

    /// Every queue, in listing order.
    pub fn queues(&self) -> Vec<Value> {
        self.state.queues()
    }

    /// The queue with this name.
    pub fn queue_by_name(&self, name: &str) -> Option<Value> {
        self.state.queue_by_name(name)
    }

    /// The queue with this id.
    pub fn queue(&self, id: &str) -> Option<Value> {
        self.state.queue(id)
    }

    /// Every skill.
    pub fn skills(&self) -> Vec<Value> {
        self.state.skills()
    }

    /// A rival edit right now (see [`SimState::edit_queue`]).
    pub fn edit_queue(
        &self,
        name: &str,
        field: &str,
        value: Value,
        modified_by: &str,
    ) -> Result<Value, SimError> {
        self.state.edit_queue(name, field, value, modified_by)
    }

    /// The default client's credentials.
    pub fn client(&self) -> SimClient {
        self.state.client()
    }

    /// The tenant's license.
    pub fn license(&self) -> License {
        self.state.license()
    }

    /// Changes the license.
    pub fn set_license(&self, license: License) {
        self.state.set_license(license);
    }

    /// Stops accepting, finishes requests in flight (at most 5 s), and returns.
    pub async fn shutdown(mut self) -> Result<(), SimError> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let Some(mut task) = self.task.take() else {
            return Ok(());
        };
        match tokio::time::timeout(Duration::from_secs(5), &mut task).await {
            Ok(Ok(result)) => result,
            Ok(Err(join)) => Err(SimError::Serve(io::Error::other(join))),
            Err(_) => {
                task.abort();
                Ok(())
            }
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
