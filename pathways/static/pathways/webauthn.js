// Security keys and passkeys (WebAuthn) for two-step sign-in. A button with data-webauthn
// ("create" to add a key, "get" to use one) asks the server for options, lets the browser talk
// to the key, puts the browser's answer (JSON) into the form's hidden field named by data-field,
// and submits the form: the server checks the answer. No inline script anywhere (CSP).
(function () {
  "use strict";

  function toBuffer(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) base64 += "=";
    var bytes = atob(base64);
    var out = new Uint8Array(bytes.length);
    for (var i = 0; i < bytes.length; i++) out[i] = bytes.charCodeAt(i);
    return out.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer);
    var text = "";
    for (var i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (c) {
      var d = { type: c.type, id: toBuffer(c.id) };
      if (c.transports) d.transports = c.transports;
      return d;
    });
  }

  function creationOptions(o) {
    o.challenge = toBuffer(o.challenge);
    o.user.id = toBuffer(o.user.id);
    o.excludeCredentials = descriptors(o.excludeCredentials);
    return o;
  }

  function requestOptions(o) {
    o.challenge = toBuffer(o.challenge);
    o.allowCredentials = descriptors(o.allowCredentials);
    return o;
  }

  function registrationJSON(cred) {
    var r = cred.response;
    return {
      id: cred.id,
      rawId: toText(cred.rawId),
      type: cred.type,
      response: {
        clientDataJSON: toText(r.clientDataJSON),
        attestationObject: toText(r.attestationObject),
        transports: typeof r.getTransports === "function" ? r.getTransports() : []
      },
      clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
      authenticatorAttachment: cred.authenticatorAttachment || null
    };
  }

  function assertionJSON(cred) {
    var r = cred.response;
    return {
      id: cred.id,
      rawId: toText(cred.rawId),
      type: cred.type,
      response: {
        clientDataJSON: toText(r.clientDataJSON),
        authenticatorData: toText(r.authenticatorData),
        signature: toText(r.signature),
        userHandle: r.userHandle ? toText(r.userHandle) : null
      },
      clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
      authenticatorAttachment: cred.authenticatorAttachment || null
    };
  }

  function say(form, text) {
    var box = form.querySelector("[data-webauthn-error]");
    if (box) { box.textContent = text; box.hidden = false; }
  }

  function problem(error) {
    var name = error && error.name;
    if (name === "NotAllowedError" || name === "AbortError")
      return "The security key was not used (it was cancelled or took too long). Try again.";
    if (name === "InvalidStateError")
      return "This security key is already added to your account.";
    if (name === "SecurityError")
      return "This browser refused the key for this site's address. Ask your administrator.";
    if (error && error.status === 429)
      return "Two-step sign-in is paused after too many wrong tries. Reload the page for details.";
    return "That did not work. Reload the page and try again.";
  }

  function run(button) {
    var form = button.closest("form");
    var create = button.dataset.webauthn === "create";
    if (!window.PublicKeyCredential || !navigator.credentials) {
      say(form, "This browser cannot use security keys. Use another browser, or an authenticator app.");
      return;
    }
    var token = form.querySelector("input[name=csrfmiddlewaretoken]");
    var body = new FormData();
    body.append("purpose", create ? "register" : "authenticate");
    button.disabled = true;
    fetch(button.dataset.optionsUrl, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": token ? token.value : "" }
    })
      .then(function (response) {
        if (!response.ok) { var e = new Error("options"); e.status = response.status; throw e; }
        return response.json();
      })
      .then(function (options) {
        return create
          ? navigator.credentials.create({ publicKey: creationOptions(options) })
          : navigator.credentials.get({ publicKey: requestOptions(options) });
      })
      .then(function (cred) {
        if (!cred) throw new Error("no credential");
        var answer = create ? registrationJSON(cred) : assertionJSON(cred);
        form.querySelector("input[name=" + button.dataset.field + "]").value = JSON.stringify(answer);
        form.submit();
      })
      .catch(function (error) {
        button.disabled = false;
        say(form, problem(error));
      });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-webauthn]");
    if (!button) return;
    event.preventDefault();
    run(button);
  });
})();
