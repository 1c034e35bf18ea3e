// Passkeys (WebAuthn) on latchkey's pages: sign in with a passkey on the login page (a button,
// and the browser's own passkey suggestions in the username field: conditional UI), use one on
// the second-factor page, and add one on the account page or from an invite link. The server does every check
// (webauthn-rs); this file only carries options and answers between it and the browser,
// turning base64url text into bytes and back. Without JavaScript the pages still work with a
// password (and an authenticator app's code).
(function () {
  "use strict";

  function toBytes(text) {
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) { b64 += "="; }
    var bin = atob(b64);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { out[i] = bin.charCodeAt(i); }
    return out.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer);
    var bin = "";
    for (var i = 0; i < bytes.length; i++) { bin += String.fromCharCode(bytes[i]); }
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (d) {
      var copy = Object.assign({}, d);
      copy.id = toBytes(d.id);
      return copy;
    });
  }

  // The server's options (webauthn-rs JSON) as the browser wants them.
  function creationOptions(options) {
    var pk = Object.assign({}, options.publicKey);
    pk.challenge = toBytes(pk.challenge);
    pk.user = Object.assign({}, pk.user, { id: toBytes(pk.user.id) });
    if (pk.excludeCredentials) { pk.excludeCredentials = descriptors(pk.excludeCredentials); }
    return pk;
  }

  function requestOptions(options) {
    var pk = Object.assign({}, options.publicKey);
    pk.challenge = toBytes(pk.challenge);
    pk.allowCredentials = descriptors(pk.allowCredentials);
    return pk;
  }

  // The browser's answer as JSON for the server.
  function registration(cred) {
    var r = cred.response;
    return {
      id: cred.id,
      rawId: toText(cred.rawId),
      type: cred.type,
      response: {
        attestationObject: toText(r.attestationObject),
        clientDataJSON: toText(r.clientDataJSON),
        transports: typeof r.getTransports === "function" ? r.getTransports() : undefined
      },
      extensions: cred.getClientExtensionResults()
    };
  }

  function assertion(cred) {
    var r = cred.response;
    return {
      id: cred.id,
      rawId: toText(cred.rawId),
      type: cred.type,
      response: {
        authenticatorData: toText(r.authenticatorData),
        clientDataJSON: toText(r.clientDataJSON),
        signature: toText(r.signature),
        userHandle: r.userHandle ? toText(r.userHandle) : null
      },
      extensions: cred.getClientExtensionResults()
    };
  }

  function field(scope, name) {
    var el = scope.querySelector('input[name="' + name + '"]');
    return el ? el.value : undefined;
  }

  function showError(text) {
    var el = document.getElementById("passkey-error");
    if (!el) { return; }
    el.textContent = text;
    el.hidden = false;
  }

  function clearError() {
    var el = document.getElementById("passkey-error");
    if (el) { el.hidden = true; el.textContent = ""; }
  }

  function Refused(message, body) {
    this.message = message;
    this.body = body;
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body)
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (data) {
        if (!res.ok) { throw new Refused(data.message || "Something went wrong. Try again.", data); }
        return data;
      });
    });
  }

  // What went wrong, in words; null when the person simply cancelled.
  function explain(err) {
    if (err instanceof Refused) { return err.message; }
    if (err && err.name === "AbortError") { return null; }
    if (err && err.name === "NotAllowedError") {
      return "The passkey prompt was closed or timed out. Try again.";
    }
    if (err && err.name === "InvalidStateError") {
      return "This device already holds a passkey for your account.";
    }
    return "Your browser could not use a passkey here.";
  }

  // The request context of the page: CSRF token, and the sign-in it belongs to.
  function context(scope, purpose) {
    var ctx = { csrf_token: field(scope, "csrf_token"), purpose: purpose };
    var req = field(scope, "req");
    var next = field(scope, "next");
    if (req) { ctx.req = req; }
    if (next) { ctx.next = next; }
    return ctx;
  }

  // Begin, ask the browser, finish, go where the server says.
  function signIn(ctx, mediation, signal) {
    return post("/login/passkey/begin", ctx).then(function (begun) {
      var request = { publicKey: requestOptions(begun.options) };
      if (mediation) { request.mediation = mediation; }
      if (signal) { request.signal = signal; }
      return navigator.credentials.get(request).then(function (cred) {
        var done = Object.assign({}, ctx, { challenge: begun.challenge, credential: assertion(cred) });
        return post("/login/passkey/finish", done);
      });
    }).then(function (done) {
      window.location.assign(done.redirect);
    });
  }

  function loginPage(box) {
    var form = document.querySelector('form[action="/login"]');
    var button = document.getElementById("passkey-sign-in");
    var pending = null;
    box.hidden = false;

    // Conditional UI: the browser lists passkeys in the username field's suggestions.
    function offerInField() {
      if (typeof PublicKeyCredential.isConditionalMediationAvailable !== "function") { return; }
      PublicKeyCredential.isConditionalMediationAvailable().then(function (yes) {
        if (!yes) { return; }
        pending = new AbortController();
        signIn(context(form, "sign_in"), "conditional", pending.signal).catch(function (err) {
          var why = explain(err);
          if (why && !(err && err.name === "NotAllowedError")) { showError(why); }
        });
      }).catch(function () {});
    }

    button.addEventListener("click", function () {
      clearError();
      // One WebAuthn request at a time: the field's suggestions give way to the button.
      if (pending) { pending.abort(); pending = null; }
      button.disabled = true;
      signIn(context(form, "sign_in")).catch(function (err) {
        button.disabled = false;
        var why = explain(err);
        if (why) { showError(why); }
      });
    });
    offerInField();
  }

  function secondFactorPage(box) {
    var button = document.getElementById("passkey-use");
    button.addEventListener("click", function () {
      clearError();
      button.disabled = true;
      signIn(context(box, "second_factor")).catch(function (err) {
        button.disabled = false;
        var why = explain(err);
        if (why) { showError(why); }
      });
    });
  }

  // Add a passkey: on the account page, or (with the invite's own URLs) from an invite link.
  function enrolForm(form, beginUrl, finishUrl) {
    form.hidden = false;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      clearError();
      var button = form.querySelector('button[type="submit"]');
      button.disabled = true;
      var ctx = { csrf_token: field(form, "csrf_token"), name: field(form, "name") };
      post(beginUrl, ctx).then(function (begun) {
        var created = navigator.credentials.create({ publicKey: creationOptions(begun.options) });
        return created.then(function (cred) {
          return post(finishUrl, {
            csrf_token: ctx.csrf_token,
            challenge: begun.challenge,
            credential: registration(cred)
          });
        });
      }).then(function (done) {
        window.location.assign(done.redirect);
      }).catch(function (err) {
        button.disabled = false;
        var why = explain(err);
        if (why) { showError(why); }
        if (err instanceof Refused && err.body && err.body.login) {
          window.location.assign(err.body.login);
        }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!window.PublicKeyCredential || !navigator.credentials) { return; }
    var login = document.getElementById("passkey-sign-in-box");
    var second = document.getElementById("passkey-second-factor");
    var add = document.getElementById("passkey-add");
    var invite = document.getElementById("passkey-invite");
    if (login) { loginPage(login); }
    if (second) { secondFactorPage(second); }
    if (add) { enrolForm(add, "/account/passkeys/begin", "/account/passkeys/finish"); }
    if (invite) { enrolForm(invite, invite.getAttribute("action"), invite.getAttribute("data-finish")); }
  });
})();
