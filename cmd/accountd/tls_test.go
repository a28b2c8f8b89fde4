package main

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// selfSigned writes a certificate and key for 127.0.0.1 and returns their
// paths and a pool that trusts the certificate.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestServeTLSSendsHSTS: with ACCOUNTD_TLS_CERT and ACCOUNTD_TLS_KEY the API
// is served over HTTPS and every answer carries Strict-Transport-Security.
func TestServeTLSSendsHSTS(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
	app := startServe(t, map[string]string{"ACCOUNTD_TLS_CERT": certFile, "ACCOUNTD_TLS_KEY": keyFile})
	api := app.api
	if !strings.HasPrefix(api, "https://") {
		t.Fatalf("serve with a certificate listens on %s, want https://", api)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	res, err := client.Get(api + "/api/v2/profile/")
	if err != nil {
		t.Fatalf("GET over TLS: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != 401 {
		t.Errorf("profile without a token over TLS = %d, want 401", res.StatusCode)
	}
	if hsts := res.Header.Get("Strict-Transport-Security"); !strings.Contains(hsts, "max-age=") {
		t.Errorf("Strict-Transport-Security = %q, want a max-age", hsts)
	}
	// Go's TLS listener answers plain HTTP with 400 and nothing else.
	if res, err := http.Get(strings.Replace(api, "https://", "http://", 1) + "/api/v2/profile/"); err == nil {
		res.Body.Close()
		if res.StatusCode != http.StatusBadRequest {
			t.Errorf("plain HTTP to the TLS listener = %d, want 400", res.StatusCode)
		}
	}
}

// TestNoHSTSOverPlainHTTP: behind a proxy accountd speaks plain HTTP and
// must not send HSTS, which only a TLS answer may carry.
func TestNoHSTSOverPlainHTTP(t *testing.T) {
	app := startServe(t, nil)
	res, err := http.Get(app.api + "/api/v2/profile/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if hsts := res.Header.Get("Strict-Transport-Security"); hsts != "" {
		t.Errorf("Strict-Transport-Security over plain HTTP = %q, want none", hsts)
	}
	for name, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY"} {
		if got := res.Header.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
}

// TestOversizedHeadersAreRefused: headers past the limit get 431, and the
// server keeps answering.
func TestOversizedHeadersAreRefused(t *testing.T) {
	app := startServe(t, nil)
	req, _ := http.NewRequest("GET", app.api+"/api/v2/profile/", nil)
	req.Header.Set("X-Filler", strings.Repeat("a", 64<<10))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("64 KiB of headers = %d, want 431", res.StatusCode)
	}
}

// TestSlowClientIsCut: a client that never finishes its headers is
// disconnected after the header timeout instead of holding a connection.
func TestSlowClientIsCut(t *testing.T) {
	app := startServe(t, nil)
	conn, err := net.Dial("tcp", strings.TrimPrefix(app.api, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "GET /api/v2/profile/ HTTP/1.1\r\nHost: x\r\n") // and then nothing
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	start := time.Now()
	// The server answers 408 or just closes; either way the read ends.
	_, err = bufio.NewReader(conn).ReadString('\n')
	if waited := time.Since(start); waited > 15*time.Second {
		t.Errorf("the server held a connection without headers for %v (err %v), want it cut after its header timeout", waited, err)
	}
}
