// Package hoop is the Go binding of hoop, an io_uring library whose logic
// lives in C. The package is thin: it translates types, keeps the caller's
// buffers alive (pinned with runtime.Pinner) while the kernel uses them, and
// maps errors. Go crosses into C once per batch, never once per completion.
//
// The parts:
//
//   - Ring: one io_uring owned by one goroutine, the low-level fast path.
//     The C core sets it up and owns registration; getting, preparing and
//     submitting SQEs and reaping CQEs run in Go over the ring's shared
//     memory (the layout include/hoop/inline.h publishes), entering the
//     kernel with a raw io_uring_enter: no cgo call and no allocation per
//     operation. So SQE.Prepare* write the SQE's fields in Go instead of
//     calling the C core's hoop_prep_* helpers; a test compares every one
//     of them, byte for byte, with its C helper (shared test vectors).
//   - Engine: one ring shared by any number of goroutines, with
//     context-aware operations (ReadAt, WriteAt, Fsync, Fdatasync, Nop),
//     batches (Submit a []Op, Wait for their Results) and ReadFiles (many
//     whole files in one call). Completions reach goroutines through one
//     reaper goroutine that waits on a readiness eventfd in Go's
//     netpoller, so a waiting goroutine never holds an OS thread blocked
//     in C. A read the page cache can serve is done in the calling
//     goroutine instead (preadv2 with RWF_NOWAIT, a raw system call: no
//     cgo, no ring), so it costs what os.File.ReadAt costs; only what
//     would wait for the device goes through the ring.
//   - Queue: gVisor's aio Queue shape (Add, Wait, Cap, Close), taking the
//     same Op values as Engine.Submit (Read, Write, Readv, Writev build
//     them; Request is Op's deprecated second name).
//   - File: an *os.File-like file whose I/O goes through an Engine.
//   - Listen, ListenConfig, Listener, Dial, DialContext, Dialer, Conn: TCP
//     as a net.Listener and net.Conns (net/http serves over them; they
//     pass golang.org/x/net/nettest's TestConn), with deadlines and socket
//     options (SO_REUSEPORT, TCP_FASTOPEN). Accepts and connects go
//     through an engine (on io_uring one multishot accept per Listener).
//     A Conn's Read and Write call recv(2) and send(2) from Go (no cgo,
//     no ring) and park the goroutine in Go's netpoller only when
//     the socket has no data or no room: per message that is what Go's
//     net costs, which the io_uring receive paths measured here do not
//     reach (docs/BENCHMARKS.md). With RingReceive a Conn instead receives
//     with one multishot receive into provided buffers, on a ring driven
//     from Go (or, where it cannot be made, the engine's buffer group,
//     WithEngineRecvBuffers); on the thread pool each Read is then one
//     operation.
//   - BufferGroup: a provided-buffer group for receives that select their
//     buffer.
//   - Probe: whether io_uring works here, which operations it supports, the
//     tier, and which backend an engine picks and why.
//
// Where io_uring is refused (seccomp, the io_uring_disabled sysctl), an
// engine runs on the C core's thread-pool backend with the same API;
// HOOP_BACKEND=threads or WithEngineBackend forces it.
//
// Errors are *OpError values wrapping a syscall.Errno (or a context error),
// so errors.Is(err, fs.ErrNotExist) and errors.Is(err, syscall.ECANCELED)
// work. A File's errors are those of *os.File for the same failure (an
// *fs.PathError around the syscall.Errno, same text), so os.IsNotExist
// works on them too.
//
// By default the C core is compiled from this module by cgo. Build with
// -tags hoop_system to link an installed libhoop found through pkg-config.
package hoop
