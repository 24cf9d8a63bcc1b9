// Package testdns runs an authoritative DNS server on loopback for tests
// (github.com/miekg/dns, UDP and TCP on one 127.0.0.1 port): it answers
// the TXT records it is given (SPF, DKIM keys, DMARC policies), NXDOMAIN
// for every other name, SERVFAIL for names marked broken, and nothing at
// all for names marked silent (to make a client time out).
package testdns

import (
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/miekg/dns"
)

// Server is one running server.
type Server struct {
	// Addr is host:port, for both UDP and TCP.
	Addr string

	mu      sync.Mutex
	txt     map[string][]string
	broken  map[string]bool
	silent  map[string]bool
	queries map[string]int
}

// Start serves until the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", pc.LocalAddr().String())
	if err != nil {
		pc.Close()
		t.Fatal(err)
	}
	s := &Server{Addr: pc.LocalAddr().String(), txt: map[string][]string{}, broken: map[string]bool{},
		silent: map[string]bool{}, queries: map[string]int{}}
	udp := &dns.Server{PacketConn: pc, Handler: s}
	tcp := &dns.Server{Listener: ln, Handler: s}
	go udp.ActivateAndServe()
	go tcp.ActivateAndServe()
	t.Cleanup(func() {
		udp.Shutdown()
		tcp.Shutdown()
	})
	return s
}

func fqdn(name string) string { return dns.Fqdn(strings.ToLower(name)) }

// TXT sets the TXT records of name (each string one record; a record
// longer than 255 bytes is split into strings, as zone files do).
func (s *Server) TXT(name string, records ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.txt[fqdn(name)] = records
}

// Broken makes every query for name answer SERVFAIL.
func (s *Server) Broken(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.broken[fqdn(name)] = true
}

// Silent makes the server never answer queries for name.
func (s *Server) Silent(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.silent[fqdn(name)] = true
}

// Queries counts the questions asked about name.
func (s *Server) Queries(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queries[fqdn(name)]
}

// ServeDNS implements dns.Handler.
func (s *Server) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	if len(req.Question) != 1 {
		m.Rcode = dns.RcodeFormatError
		w.WriteMsg(m)
		return
	}
	q := req.Question[0]
	name := strings.ToLower(q.Name)
	s.mu.Lock()
	s.queries[name]++
	silent, broken := s.silent[name], s.broken[name]
	recs, ok := s.txt[name]
	s.mu.Unlock()
	switch {
	case silent:
		return
	case broken:
		m.Rcode = dns.RcodeServerFailure
	case !ok:
		m.Rcode = dns.RcodeNameError
	case q.Qtype == dns.TypeTXT || q.Qtype == dns.TypeANY:
		for _, r := range recs {
			m.Answer = append(m.Answer, &dns.TXT{
				Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 60},
				Txt: split(r),
			})
		}
		// Answers too large for UDP go over TCP (the truncation bit).
		if _, isUDP := w.RemoteAddr().(*net.UDPAddr); isUDP && m.Len() > 512 {
			m.Answer = nil
			m.Truncated = true
		}
	default:
		// The name exists with other types only: NODATA.
	}
	w.WriteMsg(m)
}

func split(s string) []string {
	var out []string
	for len(s) > 255 {
		out = append(out, s[:255])
		s = s[255:]
	}
	return append(out, s)
}
