package webui

import (
	"io"
	"net/http"

	"callbox/firmware/i18n"
)

// maxCertBytes bounds a certificate upload: a certificate chain and a
// key in PEM are a few kilobytes.
const maxCertBytes = 256 << 10

// adminInstallCert replaces the SIP TLS certificate with the uploaded
// certificate and key; the firmware checks them (they belong together
// and are valid today) and serves them to new connections at once.
func (s *Server) adminInstallCert(w http.ResponseWriter, r *http.Request, rc *reqCtx) {
	if s.cfg.InstallCert == nil {
		s.fail(w, r, rc, http.StatusServiceUnavailable, "admin.security.unavailable")
		return
	}
	read := func(field string) []byte {
		f, _, err := r.FormFile(field)
		if err != nil {
			return nil
		}
		defer f.Close()
		b, err := io.ReadAll(io.LimitReader(f, maxCertBytes))
		if err != nil {
			return nil
		}
		return b
	}
	certPEM, keyPEM := read("cert"), read("key")
	if len(certPEM) == 0 || len(keyPEM) == 0 {
		s.renderSecurity(w, r, rc, http.StatusBadRequest, adminPage{Error: i18n.T(rc.lang, "admin.security.cert_missing")}, nil, nil)
		return
	}
	if err := s.cfg.InstallCert(certPEM, keyPEM); err != nil {
		s.log.Info("TLS certificate refused", "user", rc.user.Name, "err", err)
		s.renderSecurity(w, r, rc, http.StatusBadRequest, adminPage{Error: i18n.T(rc.lang, "admin.security.cert_bad")}, nil, nil)
		return
	}
	s.audit(r, rc, "install-certificate", "", "sip-tls", "")
	backTo(w, r, "/admin/security", "admin.done.cert")
}
