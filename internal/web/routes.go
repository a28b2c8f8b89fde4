package web

import "net/http"

// routes lists every route of the public listener.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	s.handle(mux, "/api/v2/register/", methods{"POST": s.register()})
	s.handle(mux, "/api/v2/login/", methods{"POST": s.login()})
	s.handle(mux, "/api/v2/logout/", methods{"POST": s.logout(), "GET": s.logout()})
	s.handle(mux, "/api/v2/changepassword/", methods{"POST": s.changePassword()})
	s.handle(mux, "/api/v2/profile/", methods{"GET": s.profile(), "PATCH": s.updateProfile()})
	s.handle(mux, "/api/v2/resetpassword/", methods{"POST": s.requestReset()})
	s.handle(mux, "/api/v2/resetpassword/complete/", methods{"POST": s.completeReset()})
	s.handle(mux, "/api/v2/resetpassword/check/", methods{"POST": s.resetTokenAction(checkReset)})
	s.handle(mux, "/api/v2/resetpassword/cancel/", methods{"POST": s.resetTokenAction(cancelReset)})
	s.handle(mux, "/api/v2/changeemail/", methods{"POST": s.changeEmail()})
	s.handle(mux, "/api/v2/changeemail/complete/", methods{"POST": s.completeEmailChange()})
	s.handle(mux, "/api/v2/changeemail/check/", methods{"POST": s.checkEmailChange()})
	s.handle(mux, "/api/v2/activation/", methods{"GET": s.activationStatus()})
	s.handle(mux, "/api/v2/activation/resend/", methods{"POST": s.resendActivation()})
	s.handle(mux, "/api/v2/activation/complete/", methods{"POST": s.completeActivation()})
	s.handle(mux, "/api/v2/deleteaccount/", methods{"POST": s.deleteAccount()})
	s.handle(mux, "/api/v2/apikey/", methods{"GET": s.listAPIKeys(), "POST": s.createAPIKey()})
	s.handle(mux, "/api/v2/apikey/{id}/", methods{"GET": s.getAPIKey(), "PATCH": s.updateAPIKey(),
		"DELETE": s.deleteAPIKey()})
	s.pageRoutes(mux)
	if s.cfg.DevInbox != nil {
		s.handle(mux, "/dev/mail/", methods{"GET": s.devInbox()})
		s.handle(mux, "/dev/mail/{id}/", methods{"GET": s.devMessage()})
		s.handle(mux, "/dev/mail/{id}/html", methods{"GET": s.devMessageHTML()})
	}
	mux.Handle("/", s.notFound())
	return mux
}
