package hoop

/*
#include "hoopgo.h"
*/
import "C"

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"syscall"
	"unsafe"
)

// Dial connects to the TCP address (network "tcp", "tcp4" or "tcp6"), like
// net.Dial, through the default engine. The connection's I/O goes through
// the engine, as for connections accepted from Listen.
func Dial(network, address string) (*Conn, error) {
	var d Dialer
	return d.DialContext(context.Background(), network, address)
}

// DialContext is Dial with a context: cancelling ctx (or its deadline
// passing) before the connection is made stops the attempt, and the error
// wraps ctx.Err().
func DialContext(ctx context.Context, network, address string) (*Conn, error) {
	var d Dialer
	return d.DialContext(ctx, network, address)
}

// Dialer holds the options of Dial, like net.Dialer.
type Dialer struct {
	// Engine serves the connections; nil means DefaultEngine.
	Engine *Engine
	// RingReceive is ListenConfig.RingReceive for the dialed connection.
	RingReceive bool
}

// Dial connects to address through d's engine; see the function Dial.
func (d *Dialer) Dial(network, address string) (*Conn, error) {
	return d.DialContext(context.Background(), network, address)
}

// DialContext connects to address through d's engine: the host is
// resolved (net.DefaultResolver), each of its addresses tried in turn with
// a connect operation until one answers, and the connection gets
// TCP_NODELAY, as Go's net does. An empty host means the local system.
// Errors are *net.OpError values with Op "dial", whose Err is the
// connect's *os.SyscallError (errors.Is(err, syscall.ECONNREFUSED)), the
// resolver's error or ctx.Err().
func (d *Dialer) DialContext(ctx context.Context, network, address string) (*Conn, error) {
	opErr := func(addr net.Addr, err error) error {
		return &net.OpError{Op: "dial", Net: network, Addr: addr, Err: err}
	}
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return nil, opErr(nil, net.UnknownNetworkError(network))
	}
	e := d.Engine
	if e == nil {
		var err error
		if e, err = DefaultEngine(); err != nil {
			return nil, opErr(nil, err)
		}
	}
	addrs, err := resolveTCP(ctx, network, address)
	if err != nil {
		return nil, opErr(nil, err)
	}
	var first error
	for _, a := range addrs {
		c, err := dialOne(ctx, e, network, a, d.RingReceive)
		if err == nil {
			return c, nil
		}
		if first == nil {
			first = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, first
}

// resolveTCP returns the addresses to try for address, those of the
// network's family only ("tcp4", "tcp6"), IPv4 first for "tcp".
func resolveTCP(ctx context.Context, network, address string) ([]netip.AddrPort, error) {
	host, service, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	port, err := net.DefaultResolver.LookupPort(ctx, network, service)
	if err != nil {
		return nil, err
	}
	var ips []netip.Addr
	switch ip, perr := netip.ParseAddr(host); {
	case perr == nil:
		ips = []netip.Addr{ip}
	case host == "" && network == "tcp6":
		ips = []netip.Addr{netip.IPv6Loopback()}
	case host == "":
		ips = []netip.Addr{netip.AddrFrom4([4]byte{127, 0, 0, 1})}
	default:
		ipNet := map[string]string{"tcp": "ip", "tcp4": "ip4", "tcp6": "ip6"}[network]
		if ips, err = net.DefaultResolver.LookupNetIP(ctx, ipNet, host); err != nil {
			return nil, err
		}
	}
	var v4, v6 []netip.AddrPort
	for _, ip := range ips {
		ip = ip.Unmap()
		switch {
		case ip.Is4() && network != "tcp6":
			v4 = append(v4, netip.AddrPortFrom(ip, uint16(port)))
		case ip.Is6() && network != "tcp4":
			v6 = append(v6, netip.AddrPortFrom(ip, uint16(port)))
		}
	}
	if all := append(v4, v6...); len(all) > 0 {
		return all, nil
	}
	return nil, &net.AddrError{Err: "no suitable address found", Addr: host}
}

// dialOne makes one socket and connects it to a with a connect operation.
func dialOne(ctx context.Context, e *Engine, network string, a netip.AddrPort, ring bool) (*Conn, error) {
	raddr := net.TCPAddrFromAddrPort(a)
	opErr := func(err error) error {
		return &net.OpError{Op: "dial", Net: network, Addr: raddr, Err: err}
	}
	family := syscall.AF_INET
	if a.Addr().Is6() {
		family = syscall.AF_INET6
	}
	fd, err := syscall.Socket(family, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, syscall.IPPROTO_TCP)
	if err != nil {
		return nil, opErr(os.NewSyscallError("socket", err))
	}
	// The sockaddr in the layout the kernel reads, pinned by the call.
	port := [2]byte{byte(a.Port() >> 8), byte(a.Port())} // network order
	var sa unsafe.Pointer
	var size uintptr
	if family == syscall.AF_INET {
		sa4 := &syscall.RawSockaddrInet4{Family: syscall.AF_INET, Addr: a.Addr().As4()}
		sa4.Port = *(*uint16)(unsafe.Pointer(&port[0]))
		sa, size = unsafe.Pointer(sa4), unsafe.Sizeof(*sa4)
	} else {
		sa6 := &syscall.RawSockaddrInet6{Family: syscall.AF_INET6, Addr: a.Addr().As16()}
		sa6.Port = *(*uint16)(unsafe.Pointer(&port[0]))
		sa, size = unsafe.Pointer(sa6), unsafe.Sizeof(*sa6)
	}
	c := getCall()
	c.req.op = C.uint8_t(OpConnect)
	c.req.fd = C.int32_t(fd)
	c.pin.Pin(sa)
	c.req.addr = C.uint64_t(uintptr(sa))
	c.req.len = C.uint32_t(size)
	_, err = e.do(ctx, "connect", c)
	putCall(c)
	if err != nil {
		syscall.Close(fd)
		err = unwrapOp(err)
		var errno syscall.Errno
		if errors.As(err, &errno) {
			err = os.NewSyscallError("connect", errno)
		} else if err == ErrClosed {
			err = net.ErrClosed
		}
		return nil, opErr(err)
	}
	syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1)
	return newConn(e, network, fd, nil, ring, false), nil
}
