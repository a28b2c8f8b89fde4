// The account pages (issue 17): sign-up, sign-in with the second factor,
// and the signed-in pages, over the JSON API. The login token lives in an
// HttpOnly cookie this script cannot read: every call sends the page header
// that lets the API use the cookie (docs/decisions.md "Browser sign-in").
// Uses show, clearErrors, showFieldErrors, genericError and the captcha
// helpers of reset.js.
"use strict";

var unreachable = "The server could not be reached. Check your connection and try again.";

// api calls the JSON API with the session cookie; it resolves to
// {status, data} whatever the status.
function api(method, path, body) {
  var opts = {
    method: method,
    headers: { "Accept": "application/json", "X-Accountd-Page": "1" },
    credentials: "same-origin",
    referrerPolicy: "no-referrer"
  };
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  return fetch(path, opts).then(function (res) {
    return res.text().then(function (text) {
      var data = null;
      try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
      return { status: res.status, data: data };
    });
  });
}

// fail shows a refused request: field errors beside their fields, the rest
// in the form's general error line.
function fail(form, res, errorID) {
  var rest = res.status === 400 ? showFieldErrors(form, res.data) : genericError(res);
  show(errorID, rest);
  var bad = form.querySelector('[aria-invalid="true"]');
  if (bad) bad.focus();
}

// submitting wires a form: clear its errors, disable its button while send
// runs, and show "unreachable" if the network fails.
function submitting(form, errorID, send) {
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    clearErrors(form);
    show(errorID, "");
    if (refuseWithoutCaptcha(form)) return;
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    Promise.resolve(send()).then(function () { button.disabled = false; }, function () {
      button.disabled = false;
      show(errorID, unreachable);
    });
  });
}

// nextPath is where to go after signing in: back through /auth/return when
// forward auth sent the browser here with ?rd= (the server decides whether
// that URL may be visited), else ?next= when it is one of the account pages
// (never another site), else the profile.
function nextPath() {
  var params = new URLSearchParams(location.search);
  var rd = params.get("rd");
  if (rd) return "/auth/return?rd=" + encodeURIComponent(rd);
  var next = params.get("next") || "";
  return /^\/account\/([a-z]+\/)?$/.test(next) ? next : "/account/";
}

function toLogin() {
  location.replace("/login/?next=" + encodeURIComponent(location.pathname));
}

// rowButton is a button of a table row: its class, text, accessible name
// (which says which row) and what a click does.
function rowButton(className, text, label, onClick) {
  var b = document.createElement("button");
  b.type = "button";
  b.className = className;
  b.textContent = text;
  b.setAttribute("aria-label", label);
  b.addEventListener("click", onClick);
  return b;
}

function when(iso) {
  if (!iso) return "—";
  var d = new Date(iso);
  return isNaN(d) ? iso : d.toLocaleString();
}

// ---- sign-up, sign-in, sign-out ----

// socialErrors are the words for the reasons a Google sign-in came back
// refused (?social_error=, set by the server's callback).
var socialErrors = {
  tos: "Accept the terms of service first, then sign up with Google.",
  state: "That Google sign-in expired or was not started here. Try again.",
  denied: "The Google sign-in was cancelled.",
  invalid: "Google did not confirm the sign-in. Try again.",
  email_unverified: "Your Google account's email address is not verified.",
  authorization: "No account here is linked to that Google account. Sign up first, or sign in with your password.",
  unique: "An account with that email address already exists. Sign in with your password.",
  social_unavailable: "Google cannot be reached right now. Try again later.",
  throttled: "Too many attempts. Try again in a moment."
};

// showSocialError says why a Google sign-in came back refused, if it did.
function showSocialError() {
  var reason = new URLSearchParams(location.search).get("social_error");
  if (reason) show("form-error", socialErrors[reason] || "The Google sign-in did not work. Try again.");
}

function setupRegister(form) {
  loadCaptcha(form);
  showSocialError();
  var google = document.getElementById("google-register");
  if (google) {
    // The terms must be accepted on this page before the account is made.
    google.addEventListener("click", function (ev) {
      ev.preventDefault();
      clearErrors(form);
      if (!form.tos_accepted.checked) {
        show("tos_accepted-error", "You must accept the terms of service.");
        form.tos_accepted.focus();
        return;
      }
      location.assign("/login/google/?intent=register&tos=1" + (form.marketing_email_accepted.checked ? "&marketing=1" : ""));
    });
  }
  submitting(form, "form-error", function () {
    return api("POST", "/api/v2/register/", {
      email: form.email.value, password: form.password.value,
      tos_accepted: form.tos_accepted.checked, marketing_email_accepted: form.marketing_email_accepted.checked,
      recaptcha: captchaResponse(form)
    }).then(function (res) {
      resetCaptcha();
      if (res.status === 200) { location.assign("/account/"); return; }
      fail(form, res, "form-error");
    });
  });
}

// showCodeStep replaces the password form with the second-factor form,
// worded for the account's method.
function showCodeStep(loginForm, codeForm) {
  loginForm.hidden = true;
  codeForm.hidden = false;
  // The provider's script, loaded once for the page, rendered this form's
  // widget too: a second load would render every widget twice.
  api("GET", "/api/v2/twofactorauth/method/current/").then(function (res) {
    if (res.status === 200 && res.data && res.data.type === "email_code") {
      document.getElementById("code-intro").textContent = "We emailed you a 6-digit code. Enter it to finish signing in.";
      document.getElementById("code-resend").hidden = false;
    }
  });
  document.getElementById("code").focus();
}

function setupLogin(form) {
  var codeForm = document.getElementById("code-form");
  loadCaptcha(form);
  showSocialError();
  // A browser that is signed in goes on; one that still owes its second
  // factor goes to that step.
  api("GET", "/api/v2/profile/").then(function (res) {
    if (res.status === 200) location.replace(nextPath());
    else if (res.status === 403 && res.data && res.data.code === "2fa_needed") showCodeStep(form, codeForm);
  });
  submitting(form, "form-error", function () {
    return api("POST", "/api/v2/login/", {
      email: form.email.value, password: form.password.value, recaptcha: captchaResponse(form)
    }).then(function (res) {
      resetCaptcha();
      if (res.status !== 200) { fail(form, res, "form-error"); return; }
      return api("GET", "/api/v2/profile/").then(function (p) {
        if (p.status === 200) { location.assign(nextPath()); return; }
        if (p.status === 403 && p.data && p.data.code === "2fa_needed") { showCodeStep(form, codeForm); return; }
        show("form-error", genericError(p));
      });
    });
  });
  submitting(codeForm, "code-form-error", function () {
    return api("POST", "/api/v2/twofactorauth/codeauth/", {
      code: codeForm.code.value.trim(), recaptcha: captchaResponse(codeForm)
    }).then(function (res) {
      resetCaptcha();
      if (res.status === 204) { location.assign(nextPath()); return; }
      if (res.status === 401) {
        // Too many wrong codes ended this sign-in: start again.
        codeForm.hidden = true;
        form.hidden = false;
        show("form-error", "Too many wrong codes: this sign-in was ended. Sign in again.");
        form.email.focus();
        return;
      }
      fail(codeForm, res, "code-form-error");
    });
  });
  document.getElementById("code-resend").addEventListener("click", function () {
    api("POST", "/api/v2/twofactorauth/email/resend/", {}).then(function (res) {
      if (res.status !== 200) { show("code-form-error", genericError(res)); return; }
      show("code-form-error", "");
      document.getElementById("code-intro").textContent = res.data && res.data.email_sent ?
        "We emailed you a new 6-digit code; the one before no longer works." :
        "No new code yet: one was sent less than a minute ago (or today's limit is reached). Use the code in your latest email.";
    });
  });
}

function setupLogout(form) {
  submitting(form, "form-error", function () {
    return api("POST", "/api/v2/logout/", {}).then(function (res) {
      // 401: the session had already ended; the answer dropped the cookie.
      if (res.status === 204 || res.status === 401) {
        form.hidden = true;
        var ok = document.getElementById("form-success");
        ok.hidden = false;
        ok.focus();
        return;
      }
      show("form-error", genericError(res));
    });
  });
}

// ---- the signed-in pages ----

// signedIn loads the profile; without a usable session it goes to sign-in.
function signedIn(then) {
  api("GET", "/api/v2/profile/").then(function (res) {
    if (res.status === 200) {
      document.getElementById("who").textContent = "Signed in as " + res.data.email;
      document.getElementById("dash").hidden = false;
      then(res.data);
      return;
    }
    if (res.status === 401 || res.status === 403 && res.data && res.data.code === "2fa_needed") { toLogin(); return; }
    var dash = document.getElementById("dash");
    dash.hidden = false;
    dash.textContent = genericError(res);
  }, function () {
    var dash = document.getElementById("dash");
    dash.hidden = false;
    dash.textContent = unreachable;
  });
}

function setupProfile(profile) {
  var form = document.getElementById("profile-form");
  ["first_name", "last_name", "timezone"].forEach(function (f) { form[f].value = profile[f] || ""; });
  document.getElementById("profile-email").textContent = profile.email;
  document.getElementById("profile-created").textContent = when(profile.created_at);
  document.getElementById("profile-last-login").textContent = when(profile.last_login);
  submitting(form, "form-error", function () {
    show("form-success", "");
    return api("PATCH", "/api/v2/profile/", {
      first_name: form.first_name.value, last_name: form.last_name.value, timezone: form.timezone.value
    }).then(function (res) {
      if (res.status === 200) { show("form-success", "Saved."); return; }
      fail(form, res, "form-error");
    });
  });
  api("GET", "/api/v2/activation/").then(function (res) {
    if (res.status === 200 && res.data && !res.data.email_is_verified) document.getElementById("verify-box").hidden = false;
  });
  setupPreferences();
  document.getElementById("verify-resend").addEventListener("click", function () {
    api("POST", "/api/v2/activation/resend/", {}).then(function (res) {
      show("verify-status", res.status === 200 ? "We sent the link again." : genericError(res));
    });
  });
}

// setupPreferences shows the profile preferences (when the app's prompts
// were last dismissed, completed or viewed) with a button to clear each.
function setupPreferences() {
  var buttons = document.querySelectorAll(".pref-clear");
  function render(prefs) {
    buttons.forEach(function (b) {
      var value = prefs[b.getAttribute("data-pref")];
      document.getElementById("pref-" + b.getAttribute("data-pref")).textContent = value ? when(value) : "never";
      b.hidden = !value;
    });
  }
  api("GET", "/api/v2/profile/preferences/").then(function (res) {
    if (res.status === 200) render(res.data);
    else show("prefs-status", genericError(res));
  });
  buttons.forEach(function (b) {
    b.addEventListener("click", function () {
      var body = {};
      body[b.getAttribute("data-pref")] = null;
      api("PATCH", "/api/v2/profile/preferences/", body).then(function (res) {
        if (res.status === 200) { render(res.data); show("prefs-status", "Cleared."); return; }
        show("prefs-status", genericError(res));
      });
    });
  });
}

// ---- security: password, two-factor, sessions ----

function setupPassword() {
  var form = document.getElementById("password-form");
  submitting(form, "password-form-error", function () {
    show("password-success", "");
    return api("POST", "/api/v2/changepassword/", {
      password: form.password.value, new_password: form.new_password.value
    }).then(function (res) {
      if (res.status === 204) {
        form.reset();
        show("password-success", "Your password was changed. Every other session was signed out.");
        loadSessions();
        return;
      }
      fail(form, res, "password-form-error");
    });
  });
}

function loadTwoFactor() {
  api("GET", "/api/v2/twofactorauth/method/current/").then(function (res) {
    if (res.status !== 200) { show("tfa-error", genericError(res)); return; }
    var totp = res.data.type === "device_totp";
    document.getElementById("tfa-state").textContent = totp
      ? "On: an authenticator app asks you for a code each time you sign in."
      : "Off: signing in needs only your password. Add an authenticator app for a second step.";
    document.getElementById("tfa-enrol").hidden = totp;
    document.getElementById("tfa-off").hidden = !totp;
    document.getElementById("tfa-newcodes").hidden = !totp;
  });
}

// drawQR asks this server to draw the otpauth URL and puts the SVG in box.
function drawQR(box, url) {
  fetch("/account/security/qr/", {
    method: "POST", credentials: "same-origin", referrerPolicy: "no-referrer",
    headers: { "Content-Type": "application/json", "X-Accountd-Page": "1" },
    body: JSON.stringify({ otpauth_url: url })
  }).then(function (res) { return res.ok ? res.text() : ""; }).then(function (text) {
    if (!text) return;
    var svg = new DOMParser().parseFromString(text, "image/svg+xml").documentElement;
    if (svg.nodeName === "svg") box.replaceChildren(document.importNode(svg, true));
  });
}

function showCodes(codes) {
  var box = document.getElementById("codes-box");
  var text = codes.join("\n") + "\n";
  document.getElementById("codes-list").textContent = text;
  var link = document.getElementById("codes-download");
  if (link.href.indexOf("blob:") === 0) URL.revokeObjectURL(link.href);
  link.href = URL.createObjectURL(new Blob([text], { type: "text/plain" }));
  box.hidden = false;
  document.getElementById("codes-h").focus();
}

function copyText(text, statusID) {
  var done = function (msg) { show(statusID, msg); };
  if (navigator.clipboard && navigator.clipboard.writeText) {
    navigator.clipboard.writeText(text).then(function () { done("Copied."); }, function () { done("Copying failed: select the text and copy it."); });
  } else {
    done("Copying is not available: select the text and copy it.");
  }
}

function setupTwoFactor() {
  var form = document.getElementById("totp-form");
  var methodID = 0;
  document.getElementById("tfa-enrol").addEventListener("click", function () {
    show("tfa-error", "");
    api("POST", "/api/v2/twofactorauth/method/", { type: "device_totp" }).then(function (res) {
      if (res.status !== 200) { show("tfa-error", genericError(res)); return; }
      methodID = res.data.id;
      document.getElementById("totp-key").textContent = res.data.secret_key;
      drawQR(document.getElementById("totp-qr"), res.data.otpauth_url);
      form.hidden = false;
      document.getElementById("tfa-enrol").hidden = true;
      form.code_1.focus();
    });
  });
  submitting(form, "totp-form-error", function () {
    return api("POST", "/api/v2/twofactorauth/method/" + methodID + "/activate/", {
      code_1: form.code_1.value.trim(), code_2: form.code_2.value.trim()
    }).then(function (res) {
      if (res.status !== 200) { fail(form, res, "totp-form-error"); return; }
      form.hidden = true;
      form.reset();
      // Forget the key: it is in the authenticator now.
      document.getElementById("totp-key").textContent = "";
      document.getElementById("totp-qr").replaceChildren();
      loadTwoFactor();
      loadSessions();
      showCodes(res.data.recovery_codes || []);
    });
  });
  document.getElementById("tfa-off").addEventListener("click", function () {
    api("POST", "/api/v2/twofactorauth/method/", { type: "email_code" }).then(function (res) {
      if (res.status !== 200) { show("tfa-error", genericError(res)); return; }
      document.getElementById("codes-box").hidden = true;
      loadTwoFactor();
    });
  });
  document.getElementById("tfa-newcodes").addEventListener("click", function () {
    api("POST", "/api/v2/twofactorauth/recoverycodes/", {}).then(function (res) {
      if (res.status !== 200) { show("tfa-error", genericError(res)); return; }
      showCodes(res.data.recovery_codes || []);
    });
  });
  document.getElementById("codes-copy").addEventListener("click", function () {
    copyText(document.getElementById("codes-list").textContent, "codes-status");
  });
  document.getElementById("codes-print").addEventListener("click", function () { window.print(); });
  loadTwoFactor();
}

function loadSessions() {
  api("GET", "/api/v2/sessions/?page_size=100").then(function (res) {
    var body = document.querySelector("#sessions tbody");
    if (res.status !== 200) { show("sessions-error", genericError(res)); return; }
    body.replaceChildren();
    res.data.results.forEach(function (sess) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-session", sess.id);
      [when(sess.created_at), (sess.ip || "") + " " + (sess.user_agent || ""), when(sess.last_used_at)].forEach(function (v) {
        var td = document.createElement("td");
        td.textContent = v;
        tr.appendChild(td);
      });
      var act = document.createElement("td");
      if (sess.current) {
        act.textContent = "This browser";
      } else {
        act.appendChild(rowButton("secondary", "Sign out", "Sign out the session from " + when(sess.created_at), function () {
          api("DELETE", "/api/v2/sessions/" + sess.id + "/").then(function (r) {
            if (r.status === 204 || r.status === 404) { loadSessions(); show("sessions-status", "Signed out."); return; }
            show("sessions-error", genericError(r));
          });
        }));
      }
      tr.appendChild(act);
      body.appendChild(tr);
    });
  });
}

function setupSessions() {
  document.getElementById("sessions-others").addEventListener("click", function () {
    api("POST", "/api/v2/sessions/revoke_others/", {}).then(function (res) {
      if (res.status === 204) { loadSessions(); show("sessions-status", "Every other session is signed out."); return; }
      show("sessions-error", genericError(res));
    });
  });
  loadSessions();
}

// ---- email, API keys, delete ----

function setupEmail(profile) {
  var form = document.getElementById("email-form");
  document.getElementById("current-email").textContent = profile.email;
  submitting(form, "form-error", function () {
    return api("POST", "/api/v2/changeemail/", { new_email: form.new_email.value, password: form.password.value }).then(function (res) {
      if (res.status === 204) {
        form.hidden = true;
        var ok = document.getElementById("form-success");
        ok.hidden = false;
        ok.focus();
        return;
      }
      fail(form, res, "form-error");
    });
  });
}

function loadKeys() {
  api("GET", "/api/v2/apikey/?page_size=100").then(function (res) {
    if (res.status !== 200) { show("apikeys-error", genericError(res)); return; }
    var body = document.querySelector("#apikeys tbody");
    body.replaceChildren();
    document.getElementById("apikeys-empty").hidden = res.data.results.length > 0;
    document.getElementById("apikeys").hidden = res.data.results.length === 0;
    res.data.results.forEach(function (k) { body.appendChild(keyRow(k)); });
  });
}

// keyRow is one key: its name editable in place, rename and delete.
function keyRow(k) {
  var tr = document.createElement("tr");
  tr.setAttribute("data-key", k.id);
  var nameCell = document.createElement("td");
  var input = document.createElement("input");
  input.type = "text";
  input.value = k.label;
  input.maxLength = 200;
  input.className = "key-label";
  input.setAttribute("aria-label", "Name of key " + k.key);
  var err = document.createElement("p");
  err.className = "error";
  err.setAttribute("role", "alert");
  nameCell.append(input, err);
  var keyCell = document.createElement("td");
  var code = document.createElement("code");
  code.textContent = k.key;
  keyCell.appendChild(code);
  var created = document.createElement("td");
  created.textContent = when(k.created_at);
  var act = document.createElement("td");
  var rename = rowButton("secondary key-rename", "Rename", "Rename key " + k.key, function () {
    err.textContent = "";
    input.removeAttribute("aria-invalid");
    api("PATCH", "/api/v2/apikey/" + k.id + "/", { label: input.value }).then(function (res) {
      if (res.status === 200) { show("apikeys-status", "Renamed to " + res.data.label + "."); loadKeys(); return; }
      input.setAttribute("aria-invalid", "true");
      err.textContent = res.status === 400 ? messages((res.data || {}).label) || genericError(res) : genericError(res);
    });
  });
  var del = rowButton("danger key-delete", "Delete", "Delete key " + k.key, function () {
    api("DELETE", "/api/v2/apikey/" + k.id + "/").then(function (res) {
      if (res.status === 204 || res.status === 404) { show("apikeys-status", "Deleted."); loadKeys(); return; }
      err.textContent = genericError(res);
    });
  });
  act.append(rename, " ", del);
  tr.append(nameCell, keyCell, created, act);
  return tr;
}

function setupKeys() {
  var form = document.getElementById("apikey-form");
  submitting(form, "form-error", function () {
    return api("POST", "/api/v2/apikey/", { label: form.label.value }).then(function (res) {
      if (res.status !== 201) { fail(form, res, "form-error"); return; }
      form.reset();
      document.getElementById("newkey").textContent = res.data.key;
      show("newkey-status", "");
      document.getElementById("newkey-box").hidden = false;
      document.getElementById("newkey-h").focus();
      loadKeys();
    });
  });
  document.getElementById("newkey-copy").addEventListener("click", function () {
    copyText(document.getElementById("newkey").textContent, "newkey-status");
  });
  loadKeys();
}

function setupDelete() {
  var form = document.getElementById("delete-form");
  loadCaptcha(form);
  submitting(form, "form-error", function () {
    return api("POST", "/api/v2/deleteaccount/", { password: form.password.value, recaptcha: captchaResponse(form) }).then(function (res) {
      resetCaptcha();
      if (res.status === 204) {
        document.getElementById("dash").hidden = true;
        document.querySelector("nav").hidden = true;
        document.getElementById("who").textContent = "";
        var ok = document.getElementById("form-success");
        ok.hidden = false;
        ok.focus();
        return;
      }
      fail(form, res, "form-error");
    });
  });
}

document.addEventListener("DOMContentLoaded", function () {
  var byID = function (id) { return document.getElementById(id); };
  document.querySelectorAll("nav .dnav a").forEach(function (a) {
    if (a.getAttribute("href") === location.pathname) a.setAttribute("aria-current", "page");
  });
  if (byID("register-form")) setupRegister(byID("register-form"));
  if (byID("login-form")) setupLogin(byID("login-form"));
  if (byID("logout-form")) setupLogout(byID("logout-form"));
  var dash = byID("dash");
  if (!dash) return;
  var page = dash.getAttribute("data-page");
  signedIn(function (profile) {
    if (page === "profile") setupProfile(profile);
    if (page === "security") { setupPassword(); setupTwoFactor(); setupSessions(); }
    if (page === "email") setupEmail(profile);
    if (page === "apikeys") setupKeys();
    if (page === "delete") setupDelete();
  });
});
