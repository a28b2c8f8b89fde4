// The change-of-address and activation confirm pages. Opening a page sends
// nothing: only the button does (mail scanners open links).
"use strict";

function accountSetup(boxID, attr, formID, submit) {
  var box = document.getElementById(boxID);
  var form = document.getElementById(formID);
  if (!box || !form) return;
  var secret = box.getAttribute(attr);
  if (!secret) return;
  if (captchaBox(form)) {
    // Keep the code away from the captcha provider's script.
    box.removeAttribute(attr);
    history.replaceState(null, "", location.pathname.replace(/\/[0-9a-f]{64}\/confirm\/$/, "/confirm/"));
    loadCaptcha(form);
  }
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    clearErrors(form);
    if (refuseWithoutCaptcha(form)) return;
    var button = form.querySelector("button");
    button.disabled = true;
    submit(form, secret).then(function (res) {
      button.disabled = false;
      resetCaptcha();
      if (res.ok) {
        form.hidden = true;
        document.getElementById("form-success").hidden = false;
        history.replaceState(null, "", "/");
        return;
      }
      show("form-error", res.status === 400 ? showFieldErrors(form, res.data) : genericError(res));
    }, function () {
      button.disabled = false;
      show("form-error", "The server could not be reached. Check your connection and try again.");
    });
  });
}

// codeMessage turns a refused code into words.
function codeMessage(data, field) {
  var errs = (data && data[field]) || [];
  if (errs.some(function (e) { return e.code === "expired"; })) return "This link has expired.";
  return errs.length ? "This link is not valid: it may have been used already." : "";
}

function authedPost(path, token, body) {
  return fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", "Accept": "application/json", "Authorization": "Token " + token },
    body: JSON.stringify(body), credentials: "omit", referrerPolicy: "no-referrer"
  });
}

// confirmEmailChange signs in, then asks the server which address the code
// would move the account to, and moves nothing until the owner has seen it
// and agreed (issue 12 A4): the link cannot say, since whoever asked for the
// change wrote it. The sign-in is only for this; its token is not kept.
function confirmEmailChange(form, code) {
  return postJSON("/api/v2/login/", {
    email: form.email.value, password: form.password.value, recaptcha: captchaResponse(form)
  }).then(function (login) {
    if (login.status !== 200) return { ok: false, status: login.status, data: login.data };
    return checkEmailChange(form, login.data.token, code);
  });
}

// checkEmailChange asks which address the code moves the account to, after
// the second factor when the sign-in owes one (an authenticator app, or an
// emailed code under ACCOUNTD_EMAIL_2FA).
function checkEmailChange(form, token, code) {
  return authedPost("/api/v2/changeemail/check/", token, { confirmation_code: code }).then(function (res) {
    return res.json().then(function (data) {
      if (res.status === 200) return reviewEmailChange(form, data, token, code);
      if (res.status === 403 && data && data.code === "2fa_needed") {
        return secondFactor(form, token).then(function (failed) {
          return failed || checkEmailChange(form, token, code);
        });
      }
      authedPost("/api/v2/logout/", token, {});
      return codeRefused(data);
    });
  });
}

// secondFactor shows the code step in place of the sign-in form and settles
// with nothing once a code is accepted, or with the page's error when the
// sign-in ends (too many wrong codes).
function secondFactor(form, token) {
  var codeForm = document.getElementById("changeemail-code-form");
  form.hidden = true;
  codeForm.hidden = false;
  authedGet("/api/v2/twofactorauth/method/current/", token).then(function (res) {
    if (res.status === 200 && res.data && res.data.type === "email_code") {
      document.getElementById("code-intro").textContent = "We emailed you a 6-digit code. Enter it to go on.";
    }
  });
  document.getElementById("code").focus();
  return new Promise(function (resolve) {
    codeForm.onsubmit = function (ev) {
      ev.preventDefault();
      clearErrors(codeForm);
      var button = codeForm.querySelector("button");
      button.disabled = true;
      authedPost("/api/v2/twofactorauth/codeauth/", token, {
        code: codeForm.code.value.trim(), recaptcha: captchaResponse(codeForm)
      }).then(function (res) {
        button.disabled = false;
        resetCaptcha();
        if (res.status === 204) {
          codeForm.hidden = true;
          form.hidden = false;
          return resolve(null);
        }
        return res.json().then(function (data) {
          if (res.status === 401) {
            codeForm.hidden = true;
            form.hidden = false;
            return resolve({ ok: false, status: 0, data: { detail: "Too many wrong codes: sign in again." } });
          }
          show("code-form-error", res.status === 400 ? showFieldErrors(codeForm, data) : genericError({ status: res.status, data: data }));
        });
      }, function () {
        button.disabled = false;
        show("code-form-error", "The server could not be reached. Check your connection and try again.");
      });
    };
  });
}

function authedGet(path, token) {
  return fetch(path, {
    headers: { "Accept": "application/json", "Authorization": "Token " + token },
    credentials: "omit", referrerPolicy: "no-referrer"
  }).then(function (res) {
    return res.json().then(function (data) { return { status: res.status, data: data }; }, function () { return { status: res.status }; });
  });
}

// codeRefused turns a refused confirmation code into the page's error.
function codeRefused(data) {
  var msg = codeMessage(data, "confirmation_code");
  return { ok: false, status: 0, data: { detail: msg || (data && data.detail) } };
}

// reviewEmailChange shows both addresses in place of the form and settles
// once the owner moves the account or cancels.
function reviewEmailChange(form, data, token, code) {
  var review = document.getElementById("changeemail-review");
  document.getElementById("review-email").textContent = data.email;
  document.getElementById("review-new-email").textContent = data.new_email;
  form.hidden = true;
  review.hidden = false;
  return new Promise(function (resolve) {
    function done(result) {
      authedPost("/api/v2/logout/", token, {});
      review.hidden = true;
      form.hidden = false;
      resolve(result);
    }
    document.getElementById("review-cancel").onclick = function () {
      done({ ok: false, status: 0, data: { detail: "Nothing was changed: your account keeps its address." } });
    };
    document.getElementById("review-confirm").onclick = function () {
      this.disabled = true;
      authedPost("/api/v2/changeemail/complete/", token, { confirmation_code: code }).then(function (res) {
        if (res.status === 204) return done({ ok: true });
        return res.json().then(function (d) { done(codeRefused(d)); });
      }, function () {
        done({ ok: false, status: 0, data: { detail: "The server could not be reached. Check your connection and try again." } });
      });
    };
  });
}

function confirmActivation(form, token) {
  return postJSON("/api/v2/activation/complete/", { activation_token: token }).then(function (res) {
    if (res.status === 200) return { ok: true };
    var msg = codeMessage(res.data, "activation_token");
    return { ok: false, status: 0, data: { detail: msg || (res.data && res.data.detail) } };
  });
}

document.addEventListener("DOMContentLoaded", function () {
  accountSetup("changeemail", "data-code", "changeemail-form", confirmEmailChange);
  accountSetup("activation", "data-token", "activation-form", confirmActivation);
});
