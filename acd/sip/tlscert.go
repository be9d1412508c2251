package sip

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// The generated certificate's files in Config.DataDir.
const (
	certFile = "sip-tls-cert.pem"
	keyFile  = "sip-tls-key.pem"
)

// loadCertificate returns the installer's certificate when configured,
// else the one generated at first start in DataDir, generating it if it
// is not there yet.
func loadCertificate(cfg Config, host string, now time.Time) (tls.Certificate, error) {
	if cfg.TLSCertFile != "" {
		c, err := tls.LoadX509KeyPair(cfg.TLSCertFile, cfg.TLSKeyFile)
		if err != nil {
			return c, fmt.Errorf("sip: TLS certificate: %w", err)
		}
		return c, nil
	}
	cp, kp := filepath.Join(cfg.DataDir, certFile), filepath.Join(cfg.DataDir, keyFile)
	c, err := tls.LoadX509KeyPair(cp, kp)
	if err == nil {
		return c, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return c, fmt.Errorf("sip: TLS certificate in %s: %w", cfg.DataDir, err)
	}
	certPEM, keyPEM, err := selfSigned(host, now)
	if err != nil {
		return c, err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return c, fmt.Errorf("sip: TLS certificate: %w", err)
	}
	// The key first: a certificate without its key would be unusable, a
	// key without a certificate is simply made again.
	if err := writeFileAtomic(kp, keyPEM, 0o600); err != nil {
		return c, err
	}
	if err := writeFileAtomic(cp, certPEM, 0o644); err != nil {
		return c, err
	}
	return tls.X509KeyPair(certPEM, keyPEM)
}

// selfSigned makes an ECDSA P-256 certificate for host, valid ten years.
func selfSigned(host string, now time.Time) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("sip: TLS key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, fmt.Errorf("sip: TLS serial: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "callbox SIP", Organization: []string{"callbox"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		DNSNames:              []string{"callbox"},
	}
	if ip := net.ParseIP(host); ip != nil && !ip.IsUnspecified() {
		tmpl.IPAddresses = []net.IP{ip}
	} else if host != "" && ip == nil {
		tmpl.DNSNames = append(tmpl.DNSNames, host)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("sip: TLS certificate: %w", err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("sip: TLS key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), nil
}

// writeFileAtomic writes via a synced temporary file and a rename, so a
// power cut leaves the old file or the new one, never half of one.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("sip: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("sip: write %s: %w", path, err)
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return fmt.Errorf("sip: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("sip: sync %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("sip: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("sip: %w", err)
	}
	return nil
}

// ErrCertificate is returned by InstallCertificate for PEM that is not a
// usable certificate and key.
var ErrCertificate = errors.New("sip: not a usable TLS certificate and key")

// InstallCertificate replaces the TLS certificate with an installer's
// (PEM: the certificate, then its chain; the private key). The pair must
// match and the certificate be valid now. It is written over the files in
// DataDir (the key first), so it is the one loaded at every start, and
// taken at once for new TLS connections; connections already up keep
// theirs. A box configured with certificate files (Config.TLSCertFile)
// refuses: those files are the installer's to change.
func (s *Server) InstallCertificate(certPEM, keyPEM []byte) error {
	if s.cfg.TLSCertFile != "" {
		return fmt.Errorf("%w: the certificate comes from %s", ErrCertificate, s.cfg.TLSCertFile)
	}
	if s.cfg.DataDir == "" {
		return fmt.Errorf("%w: no data directory", ErrCertificate)
	}
	c, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrCertificate, err)
	}
	leaf, err := x509.ParseCertificate(c.Certificate[0])
	if err != nil {
		return fmt.Errorf("%w: %w", ErrCertificate, err)
	}
	if now := s.now(); now.Before(leaf.NotBefore) || now.After(leaf.NotAfter) {
		return fmt.Errorf("%w: valid only from %s to %s", ErrCertificate, leaf.NotBefore.Format(time.DateOnly), leaf.NotAfter.Format(time.DateOnly))
	}
	if err := writeFileAtomic(filepath.Join(s.cfg.DataDir, keyFile), keyPEM, 0o600); err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(s.cfg.DataDir, certFile), certPEM, 0o644); err != nil {
		return err
	}
	s.cert.Store(&c)
	s.log.Info("sip: TLS certificate installed", "subject", leaf.Subject.String(), "until", leaf.NotAfter)
	return nil
}
