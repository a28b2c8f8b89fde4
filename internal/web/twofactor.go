package web

import (
	"net/http"

	"github.com/accountd/accountd/internal/account"
)

// The two-factor endpoints of docs/api.md#two-factor-authentication in Webshare's wire format, for
// login tokens only (the route table's loginToken).

// methodJSON is a method as Webshare shows it; secret_key is present only
// in the answer that creates a device_totp method (with the extension
// otpauth_url), recovery_codes only in the activation's (docs/api.md).
func methodJSON(m account.MethodResult, tz string) map[string]any {
	out := map[string]any{"id": m.Method.ID, "type": m.Method.Type, "active": m.Method.Active,
		"created_at": formatTime(m.Method.CreatedAt, tz), "updated_at": formatTime(m.Method.UpdatedAt, tz)}
	if m.SecretKey != "" {
		out["secret_key"], out["otpauth_url"] = m.SecretKey, m.OTPAuthURL
	}
	if m.RecoveryCodes != nil {
		out["recovery_codes"] = m.RecoveryCodes
	}
	return out
}

func (s *Server) currentMethod(w http.ResponseWriter, r *http.Request, c caller) error {
	m, err := s.svc.CurrentTwoFactorMethod(r.Context(), c.token, c.user)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, methodJSON(account.MethodResult{Method: m}, c.user.Timezone))
	return nil
}

func (s *Server) changeMethod(w http.ResponseWriter, r *http.Request, c caller) error {
	var typ string
	if err := s.input(w, r, c, func(b *body) { typ = b.str("type", true) }); err != nil {
		return err
	}
	m, err := s.svc.ChangeTwoFactorMethod(r.Context(), c.token, c.user, typ, s.clientOf(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, methodJSON(m, c.user.Timezone))
	return nil
}

func (s *Server) activateMethod(w http.ResponseWriter, r *http.Request, c caller) error {
	id, err := keyID(r)
	if err != nil {
		return err
	}
	var code1, code2 string
	if err := s.input(w, r, c, func(b *body) {
		code1, code2 = b.str("code_1", true), b.str("code_2", true)
	}); err != nil {
		return err
	}
	m, err := s.svc.ActivateTwoFactorMethod(r.Context(), c.token, c.user, id, code1, code2, s.clientOf(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, methodJSON(m, c.user.Timezone))
	return nil
}

func (s *Server) codeAuth(w http.ResponseWriter, r *http.Request, c caller) error {
	var code string
	if err := s.input(w, r, c, func(b *body) { code = b.str("code", true) }); err != nil {
		return err
	}
	if err := s.svc.SubmitTwoFactorCode(r.Context(), c.token, c.user, code, s.clientOf(r)); err != nil {
		return err
	}
	return noContent(w)
}

func (s *Server) resendCode(w http.ResponseWriter, r *http.Request, c caller) error {
	sent, err := s.svc.ResendTwoFactorEmail(r.Context(), c.token, c.user, s.clientOf(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"email_sent": sent})
	return nil
}

func (s *Server) newRecoveryCodes(w http.ResponseWriter, r *http.Request, c caller) error {
	codes, err := s.svc.NewRecoveryCodes(r.Context(), c.token, c.user, s.clientOf(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"recovery_codes": codes})
	return nil
}
