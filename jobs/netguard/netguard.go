// Package netguard keeps outgoing calls to addresses an admin typed (alert webhooks, calendar
// feeds) on the public internet. Without it an admin could make our servers call internal
// services on their behalf (server-side request forgery).
package netguard

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// ErrPrivateAddress is returned when an address resolves inside the network WedSync runs in
// (loopback, private, link-local, carrier-grade NAT, unspecified or multicast).
var ErrPrivateAddress = errors.New("the address is not on the public internet")

// PublicTransport is an HTTP transport whose connections may only reach public addresses. The
// check runs on the resolved address at dial time, so a DNS name pointing inward is refused too.
func PublicTransport(dialTimeout time.Duration) *http.Transport {
	d := &net.Dialer{Timeout: dialTimeout, Control: refusePrivate}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil // a proxy would make the check meaningless
	t.DialContext = d.DialContext
	return t
}

// refusePrivate is a net.Dialer Control function that refuses non-public destinations.
func refusePrivate(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrPrivateAddress, address)
	}
	if !IsPublic(ap.Addr()) {
		return fmt.Errorf("%w: %s", ErrPrivateAddress, ap.Addr())
	}
	return nil
}

// carrierNAT is 100.64.0.0/10 (RFC 6598), which netip does not count as private.
var carrierNAT = netip.MustParsePrefix("100.64.0.0/10")

// IsPublic reports whether a is an address on the public internet.
func IsPublic(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsValid() && a.IsGlobalUnicast() && !a.IsPrivate() && !a.IsLoopback() &&
		!a.IsLinkLocalUnicast() && !carrierNAT.Contains(a)
}

// PublicClient is an HTTP client with the given timeout over a PublicTransport.
func PublicClient(timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, Transport: PublicTransport(timeout)}
}
