package web

import (
	"net/http"

	"github.com/accountd/accountd/docs"
)

// apiRoutes is the JSON API of the public listener: every path with its
// method handlers and its guards, which guard (api.go) applies in this order
// before the handler runs:
//
//	auth     who may call it: public, optional (a token sent must be valid),
//	         token (a login token or an API key), loginToken (API keys get
//	         403 api_key_not_allowed; account.LoginTokenOnly)
//	limit    the per-IP limit of RateLimits, besides the general one
//	captcha  the body's recaptcha is verified, after its field errors
//	2fa      the login tokens it accepts (docs/api.md#two-factor-authentication): verified only, or
//	         pending too (codeauth, email/resend, method/current, logout);
//	         a pending token elsewhere gets 403 2fa_needed
func (s *Server) apiRoutes() []route {
	return []route{
		{"/api/v2/register/", on{"POST": s.register}, public, limitRegister, withCaptcha, verifiedOnly},
		{"/api/v2/login/", on{"POST": s.login}, public, limitLogin, withCaptcha, verifiedOnly},
		{"/api/v2/register/social/", on{"POST": s.registerSocial}, public, limitRegister, noCaptcha, verifiedOnly},
		{"/api/v2/login/social/", on{"POST": s.loginSocial}, public, limitLogin, noCaptcha, verifiedOnly},
		{"/api/v2/logout/", on{"POST": s.logout, "GET": s.logout}, loginToken, noLimit, noCaptcha, pendingToo},
		{"/api/v2/changepassword/", on{"POST": s.changePassword}, loginToken, noLimit, noCaptcha, verifiedOnly},
		{"/api/v2/profile/", on{"GET": s.profile, "PATCH": s.updateProfile}, token, noLimit, noCaptcha, verifiedOnly},
		{"/api/v2/resetpassword/", on{"POST": s.requestReset}, public, limitReset, withCaptcha, verifiedOnly},
		{"/api/v2/resetpassword/complete/", on{"POST": s.completeReset}, public, limitResetComplete, withCaptcha, verifiedOnly},
		{"/api/v2/resetpassword/check/", on{"POST": s.checkReset}, public, limitResetComplete, noCaptcha, verifiedOnly},
		{"/api/v2/resetpassword/cancel/", on{"POST": s.cancelReset}, public, limitResetComplete, noCaptcha, verifiedOnly},
		{"/api/v2/changeemail/", on{"POST": s.changeEmail}, loginToken, noLimit, noCaptcha, verifiedOnly},
		{"/api/v2/changeemail/complete/", on{"POST": s.completeEmailChange}, loginToken, noLimit, noCaptcha, verifiedOnly},
		{"/api/v2/changeemail/check/", on{"POST": s.checkEmailChange}, loginToken, noLimit, noCaptcha, verifiedOnly},
		{"/api/v2/activation/", on{"GET": s.activationStatus}, token, noLimit, noCaptcha, verifiedOnly},
		{"/api/v2/activation/resend/", on{"POST": s.resendActivation}, loginToken, noLimit, noCaptcha, verifiedOnly},
		{"/api/v2/activation/complete/", on{"POST": s.completeActivation}, optional, noLimit, noCaptcha, verifiedOnly},
		{"/api/v2/deleteaccount/", on{"POST": s.deleteAccount}, loginToken, noLimit, withCaptcha, verifiedOnly},
		{"/api/v2/deleteaccount/social/", on{"POST": s.deleteAccountSocial}, loginToken, noLimit, noCaptcha, verifiedOnly},
		{"/api/v2/apikey/", on{"GET": s.listAPIKeys, "POST": s.createAPIKey}, loginToken, noLimit, noCaptcha, verifiedOnly},
		{"/api/v2/apikey/{id}/", on{"GET": s.getAPIKey, "PATCH": s.updateAPIKey, "DELETE": s.deleteAPIKey},
			loginToken, noLimit, noCaptcha, verifiedOnly},
		{"/api/v2/sessions/", on{"GET": s.listSessions}, loginToken, noLimit, noCaptcha, verifiedOnly},
		{"/api/v2/sessions/revoke_others/", on{"POST": s.revokeOtherSessions}, loginToken, noLimit, noCaptcha, verifiedOnly},
		{"/api/v2/sessions/{id}/", on{"DELETE": s.deleteSession}, loginToken, noLimit, noCaptcha, verifiedOnly},
		{"/api/v2/twofactorauth/method/current/", on{"GET": s.currentMethod}, loginToken, noLimit, noCaptcha, pendingToo},
		{"/api/v2/twofactorauth/method/", on{"POST": s.changeMethod}, loginToken, noLimit, noCaptcha, verifiedOnly},
		{"/api/v2/twofactorauth/method/{id}/activate/", on{"POST": s.activateMethod},
			loginToken, noLimit, noCaptcha, verifiedOnly},
		{"/api/v2/twofactorauth/codeauth/", on{"POST": s.codeAuth}, loginToken, noLimit, withCaptcha, pendingToo},
		{"/api/v2/twofactorauth/email/resend/", on{"POST": s.resendCode}, loginToken, noLimit, noCaptcha, pendingToo},
		{"/api/v2/twofactorauth/recoverycodes/", on{"POST": s.newRecoveryCodes},
			loginToken, noLimit, noCaptcha, verifiedOnly},
		{"/api/v2/verification/suspension/", on{"GET": s.suspension}, token, noLimit, noCaptcha, verifiedOnly},
		{"/api/v2/profile/preferences/", on{"GET": s.preferences, "PATCH": s.updatePreferences, "PUT": s.updatePreferences},
			token, noLimit, noCaptcha, verifiedOnly},
	}
}

// referenceRoutes describe the API: the OpenAPI document (docs/openapi.yaml)
// in both encodings and the reference page rendering it (apidocs.go). They
// are public and static, so they take none of the guards of apiRoutes (the
// YAML is not JSON, and the page is HTML).
func (s *Server) referenceRoutes() map[string]methods {
	return map[string]methods{
		"/api/v2/openapi.json": {"GET": openAPIDocument("application/json", openAPIJSON)},
		"/api/v2/openapi.yaml": {"GET": openAPIDocument("application/yaml", docs.OpenAPIYAML)},
	}
}

// routes registers the API, the dashboard pages (public HTML, pages.go) and
// the development inbox.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.apiRoutes() {
		ms := methods{}
		for m, h := range rt.methods {
			ms[m] = s.guard(rt, h)
		}
		s.handle(mux, rt.path, ms)
	}
	for path, ms := range s.referenceRoutes() {
		s.handle(mux, path, ms)
	}
	s.apiDocsRoutes(mux)
	s.pageRoutes(mux)
	s.forwardAuthRoute(mux)
	if s.cfg.DevInbox != nil {
		s.handle(mux, "/dev/mail/", methods{"GET": s.devInbox()})
		s.handle(mux, "/dev/mail/{id}/", methods{"GET": s.devMessage()})
		s.handle(mux, "/dev/mail/{id}/html", methods{"GET": s.devMessageHTML()})
	}
	mux.Handle("/", s.notFound())
	return mux
}
