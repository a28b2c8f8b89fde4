// The dashboard pages' only script: it sends the forms to the JSON API and
// shows each error next to its field. No framework, no third party.
"use strict";

function show(id, text) {
  var el = document.getElementById(id);
  if (!el) return;
  el.textContent = text || "";
  el.hidden = !text;
}

function clearErrors(form) {
  form.querySelectorAll(".error").forEach(function (el) { el.textContent = ""; });
  form.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
}

// postJSON sends body and resolves to {status, data} whatever the status.
function postJSON(path, body) {
  return fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json", "Accept": "application/json" },
    body: JSON.stringify(body),
    credentials: "omit",
    referrerPolicy: "no-referrer"
  }).then(function (res) {
    return res.text().then(function (text) {
      var data = null;
      try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
      return { status: res.status, data: data };
    });
  });
}

// messages joins the messages of one field's errors.
function messages(list) {
  return (list || []).map(function (e) { return e.message; }).join(" ");
}

// showFieldErrors puts each field's errors beside its input and returns the
// errors that belong to no input on the page.
function showFieldErrors(form, data) {
  var rest = [];
  Object.keys(data || {}).forEach(function (field) {
    var input = form.querySelector('[name="' + field + '"]');
    if (input) {
      input.setAttribute("aria-invalid", "true");
      show(field + "-error", messages(data[field]));
    } else if (Array.isArray(data[field])) {
      rest.push(messages(data[field]));
    }
  });
  return rest.join(" ");
}

function genericError(res) {
  if (res.status === 429) return (res.data && res.data.detail) || "Too many attempts. Please wait and try again.";
  if (res.data && res.data.detail) return res.data.detail;
  return "Something went wrong. Please try again in a moment.";
}

function tokenMessage(data) {
  var errs = (data && data.password_reset_token) || [];
  if (errs.some(function (e) { return e.code === "expired"; })) {
    return "This link has expired.";
  }
  // A newer link does not void this one; a completed reset or a cancel does.
  return "This link is not valid: it was already used, cancelled, or the password was changed since it was sent.";
}

function linkToAsk(id) {
  var el = document.getElementById(id);
  var a = document.createElement("a");
  a.href = "/resetpassword/";
  a.textContent = "Ask for a new link";
  el.appendChild(document.createTextNode(" "));
  el.appendChild(a);
}

// captchaBox is the page's captcha widget container, when a provider is set.
function captchaBox(form) {
  return form.querySelector(".captcha[data-captcha-script]");
}

// loadCaptcha loads the provider's widget script. It runs only after the
// reset token left the address bar and the page, so the third-party script
// never sees it.
function loadCaptcha(form) {
  var box = captchaBox(form);
  if (!box) return;
  var s = document.createElement("script");
  s.src = box.getAttribute("data-captcha-script");
  s.async = true;
  // A content blocker or a network failure stops the script: say so now,
  // since the server can only answer "Invalid captcha." later.
  box.setAttribute("data-captcha-state", "loading");
  s.onload = function () { box.setAttribute("data-captcha-state", "loaded"); };
  s.onerror = function () {
    box.setAttribute("data-captcha-state", "failed");
    show("form-error", captchaFailedMessage);
  };
  document.head.appendChild(s);
}

var captchaFailedMessage = "The captcha could not load; check your connection or content blocker and reload the page.";

// captchaFailed reports whether the widget is known not to work: its
// script failed, or it loaded and rendered no response field.
function captchaFailed(form) {
  var box = captchaBox(form);
  if (!box) return false;
  var state = box.getAttribute("data-captcha-state");
  if (state === "failed") return true;
  var field = form.querySelector('[name="' + box.getAttribute("data-captcha-field") + '"]');
  return state === "loaded" && !field;
}

// refuseWithoutCaptcha shows the captcha message instead of sending a form
// the server must refuse.
function refuseWithoutCaptcha(form) {
  if (!captchaFailed(form)) return false;
  show("form-error", captchaFailedMessage);
  return true;
}

// captchaResponse is what the provider's widget put in the form, or "".
function captchaResponse(form) {
  var box = captchaBox(form);
  if (!box) return "";
  var field = form.querySelector('[name="' + box.getAttribute("data-captcha-field") + '"]');
  return field ? field.value : "";
}

// resetCaptcha asks for a fresh challenge: a response is good for one use.
function resetCaptcha() {
  ["grecaptcha", "hcaptcha", "turnstile"].forEach(function (name) {
    if (window[name] && typeof window[name].reset === "function") {
      try { window[name].reset(); } catch (e) { /* no widget rendered */ }
    }
  });
}

function setupAsk(form) {
  loadCaptcha(form);
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    clearErrors(form);
    if (refuseWithoutCaptcha(form)) return;
    var button = form.querySelector("button");
    button.disabled = true;
    postJSON("/api/v2/resetpassword/", { email: form.email.value, recaptcha: captchaResponse(form) }).then(function (res) {
      button.disabled = false;
      resetCaptcha();
      if (res.status === 204) {
        form.hidden = true;
        var ok = document.getElementById("form-success");
        show("form-success", ok.textContent);
        // The focused button is gone with the form: move focus to the
        // message so keyboard and screen-reader users land on it.
        ok.focus();
        return;
      }
      show("form-error", res.status === 400 ? showFieldErrors(form, res.data) : genericError(res));
    }, function () {
      button.disabled = false;
      show("form-error", "The server could not be reached. Check your connection and try again.");
    });
  });
}

function tokenRefused(form, data) {
  form.hidden = true;
  show("token-error", tokenMessage(data));
  linkToAsk("token-error");
}

function setupConfirm(box, form) {
  var token = box.getAttribute("data-token");
  if (captchaBox(form)) {
    // Take the token out of the page and the address bar before any
    // third-party script runs.
    box.removeAttribute("data-token");
    history.replaceState(null, "", "/resetpassword/confirm/");
    loadCaptcha(form);
  }
  // Check the link at once so an expired one says so before the user types.
  postJSON("/api/v2/resetpassword/check/", { password_reset_token: token }).then(function (res) {
    if (res.status === 400) tokenRefused(form, res.data);
  });
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    clearErrors(form);
    if (form.password.value !== form.password2.value) {
      form.password2.setAttribute("aria-invalid", "true");
      show("password2-error", "The two passwords differ.");
      form.password2.focus();
      return;
    }
    if (refuseWithoutCaptcha(form)) return;
    var button = form.querySelector("button");
    button.disabled = true;
    postJSON("/api/v2/resetpassword/complete/", {
      password: form.password.value, password_reset_token: token, recaptcha: captchaResponse(form)
    }).then(function (res) {
      button.disabled = false;
      resetCaptcha();
      if (res.status === 200) {
        // Leave no token in the address bar or the history.
        window.location.replace("/resetpassword/done/");
        return;
      }
      if (res.status === 400 && res.data && res.data.password_reset_token) {
        tokenRefused(form, res.data);
        return;
      }
      show("form-error", res.status === 400 ? showFieldErrors(form, res.data) : genericError(res));
      if (form.password.getAttribute("aria-invalid")) form.password.focus();
    }, function () {
      button.disabled = false;
      show("form-error", "The server could not be reached. Check your connection and try again.");
    });
  });
}

function setupCancel(box, form) {
  var token = box.getAttribute("data-token");
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    postJSON("/api/v2/resetpassword/cancel/", { password_reset_token: token }).then(function (res) {
      if (res.status === 204 || res.status === 400) {
        form.hidden = true;
        var ok = document.getElementById("form-success");
        if (res.status === 400) ok.textContent = "This link no longer works: it was used, cancelled or has expired.";
        ok.hidden = false;
        return;
      }
      show("form-error", genericError(res));
    });
  });
}

document.addEventListener("DOMContentLoaded", function () {
  var ask = document.getElementById("ask-form");
  if (ask) setupAsk(ask);
  var confirmBox = document.getElementById("confirm");
  var confirmForm = document.getElementById("confirm-form");
  if (confirmBox && confirmForm && confirmBox.getAttribute("data-token")) setupConfirm(confirmBox, confirmForm);
  var cancelBox = document.getElementById("cancel");
  var cancelForm = document.getElementById("cancel-form");
  if (cancelBox && cancelForm) setupCancel(cancelBox, cancelForm);
});
