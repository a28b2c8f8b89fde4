package web

import (
	"net/http"

	"github.com/accountd/accountd/internal/account"
)

// readSocial reads the fields every social request has (docs/api.md#social-login).
func readSocial(b *body, in *account.SocialInput) {
	in.Provider = b.str("provider", true)
	in.Code = b.str("code", true)
	in.RedirectURI = b.str("redirect_uri", true)
	in.CodeVerifier = b.str("code_verifier", false)
	in.Nonce = b.str("nonce", false)
}

func (s *Server) registerSocial(w http.ResponseWriter, r *http.Request, c caller) error {
	var in account.SocialInput
	err := s.input(w, r, c, func(b *body) {
		readSocial(b, &in)
		in.TOSAccepted = b.boolean("tos_accepted", true)
		in.MarketingEmailAccepted = b.boolean("marketing_email_accepted", false)
	})
	if err != nil {
		return err
	}
	token, existing, err := s.svc.SocialRegister(r.Context(), in, s.clientOf(r))
	if err != nil {
		return err
	}
	s.writeSignIn(w, r, token, map[string]any{"logged_in_existing_user": existing})
	return nil
}

func (s *Server) loginSocial(w http.ResponseWriter, r *http.Request, c caller) error {
	var in account.SocialInput
	if err := s.input(w, r, c, func(b *body) { readSocial(b, &in) }); err != nil {
		return err
	}
	token, err := s.svc.SocialLogin(r.Context(), in, s.clientOf(r))
	if err != nil {
		return err
	}
	s.writeSignIn(w, r, token, nil)
	return nil
}

func (s *Server) deleteAccountSocial(w http.ResponseWriter, r *http.Request, c caller) error {
	var in account.SocialInput
	if err := s.input(w, r, c, func(b *body) { readSocial(b, &in) }); err != nil {
		return err
	}
	if err := s.svc.DeleteAccountSocial(r.Context(), c.token, c.user, in, s.clientOf(r)); err != nil {
		return err
	}
	if c.byCookie {
		s.clearSessionCookie(w) // its token only answers account_deleted now
	}
	return noContent(w)
}
