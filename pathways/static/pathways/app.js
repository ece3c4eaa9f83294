// Pathways' only script: progressive enhancements, no inline scripts anywhere.
(function () {
  "use strict";
  // A submit button is disabled once clicked so a double tap sends the form once (the server
  // also recognises a repeated submission by its idempotency key).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    if (form.dataset.submitted === "1") { event.preventDefault(); return; }
    form.dataset.submitted = "1";
    form.querySelectorAll("button[type=submit]").forEach(function (b) {
      b.setAttribute("aria-disabled", "true");
      b.classList.add("usa-button--disabled");
    });
  });
  // The capacity-override box is shown only when a service with no open capacity is chosen.
  function syncOverride() {
    var chosen = document.querySelector("input[name=service]:checked");
    var box = document.getElementById("capacity-override");
    if (!box) return;
    var full = chosen && chosen.dataset.full === "1";
    box.hidden = !full;
  }
  document.addEventListener("change", function (event) {
    if (event.target && event.target.name === "service") syncOverride();
  });
  document.addEventListener("htmx:afterSettle", syncOverride);
  document.addEventListener("DOMContentLoaded", syncOverride);
  // On-screen signature: draw on the pad; the drawing goes into the form as a PNG data URL.
  function signaturePad(box) {
    var canvas = box.querySelector("canvas");
    var field = document.getElementById(box.dataset.signatureFor);
    if (!canvas || !field || !canvas.getContext) return;
    var ctx = canvas.getContext("2d");
    var drawing = false;
    ctx.lineWidth = 3; ctx.lineCap = "round"; ctx.strokeStyle = "#1b1b1b";
    function point(event) {
      var r = canvas.getBoundingClientRect();
      return { x: (event.clientX - r.left) * canvas.width / r.width,
               y: (event.clientY - r.top) * canvas.height / r.height };
    }
    canvas.addEventListener("pointerdown", function (event) {
      drawing = true; var p = point(event); ctx.beginPath(); ctx.moveTo(p.x, p.y);
      canvas.setPointerCapture(event.pointerId);
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!drawing) return; var p = point(event); ctx.lineTo(p.x, p.y); ctx.stroke();
    });
    function finish() { if (drawing) { drawing = false; field.value = canvas.toDataURL("image/png"); } }
    canvas.addEventListener("pointerup", finish);
    canvas.addEventListener("pointerleave", finish);
    box.querySelector(".pw-signature__clear").addEventListener("click", function () {
      ctx.clearRect(0, 0, canvas.width, canvas.height); field.value = "";
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-signature-for]").forEach(signaturePad);
  });
  // Field form: the name fields for a named person, the description for one without a name.
  function syncIdentity() {
    var box = document.querySelector("[data-identity]");
    if (!box) return;
    var chosen = box.querySelector("input[name=identity]:checked");
    var named = !chosen || chosen.value === "known";
    var known = box.querySelector("[data-identity-known]");
    var unknown = box.querySelector("[data-identity-unknown]");
    if (known) known.hidden = !named;
    if (unknown) unknown.hidden = named;
  }
  document.addEventListener("change", function (event) {
    if (event.target && event.target.name === "identity") syncIdentity();
  });
  document.addEventListener("DOMContentLoaded", syncIdentity);

  // The error summary names each field with a link to it, and takes the focus so a screen
  // reader (and a phone user scrolled far down) starts there.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.querySelector("[data-error-summary]");
    if (summary) { summary.focus(); }
  });
  document.addEventListener("click", function (event) {
    var link = event.target && event.target.closest && event.target.closest("[data-error-summary] a[href^='#']");
    if (!link) return;
    var target = document.getElementById(link.getAttribute("href").slice(1));
    if (!target) return;
    event.preventDefault();
    var details = target.closest("details");
    if (details) details.open = true;
    target.focus();
    target.scrollIntoView({ block: "center" });
  });

  // Drafts: a form marked data-draft keeps what was typed on this device until the server has
  // recorded it, so a dropped connection does not lose the contact. The draft holds the form's
  // idempotency key: sending it again lands on the contact already recorded. Drafts are kept
  // for DRAFT_HOURS, per user and form, and removed at sign-out (docs/decisions/0019).
  var DRAFT_PREFIX = "pathways-draft:";
  var DRAFT_HOURS = 12;
  function drafts() {
    var keys = [];
    try {
      for (var i = 0; i < window.localStorage.length; i++) {
        var key = window.localStorage.key(i);
        if (key && key.indexOf(DRAFT_PREFIX) === 0) keys.push(key);
      }
    } catch (e) { /* storage refused (private mode): no drafts */ }
    return keys;
  }
  function readDraft(key) {
    try {
      var draft = JSON.parse(window.localStorage.getItem(key) || "null");
      if (!draft || Date.now() - draft.saved > DRAFT_HOURS * 3600 * 1000) {
        window.localStorage.removeItem(key);
        return null;
      }
      return draft;
    } catch (e) { return null; }
  }
  function snapshotForm(form) {
    var fields = [];
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.name === "csrfmiddlewaretoken" || el.type === "submit" || el.type === "file") return;
      if (el.type === "checkbox" || el.type === "radio") {
        if (el.checked) fields.push([el.name, el.value]);
      } else if (el.value !== "") {
        fields.push([el.name, el.value]);
      }
    });
    return fields;
  }
  function applyDraft(form, fields) {
    var pending = [];
    fields.forEach(function (pair) {
      var name = pair[0], value = pair[1];
      var matches = form.querySelectorAll("[name='" + name.replace(/'/g, "") + "']");
      if (!matches.length) { pending.push(pair); return; }
      var applied = false;
      Array.prototype.forEach.call(matches, function (el) {
        if (el.type === "checkbox" || el.type === "radio") {
          if (el.value === value) { el.checked = true; applied = true; }
        } else { el.value = value; applied = true; }
      });
      if (!applied) pending.push(pair);
    });
    return pending;
  }
  function setUpDraft(form) {
    var key = DRAFT_PREFIX + form.dataset.draft;
    var notice = document.querySelector("[data-draft-notice]");
    var pending = [];
    var draft = form.dataset.draftFresh === "1" ? readDraft(key) : null;
    if (draft && draft.fields.length) {
      // untick what the page ticked by default; the draft says what was ticked
      Array.prototype.forEach.call(form.querySelectorAll("input[type=checkbox], input[type=radio]"), function (el) {
        if (el.name !== "csrfmiddlewaretoken") el.checked = false;
      });
      pending = applyDraft(form, draft.fields);
      if (notice) {
        var when = new Date(draft.saved);
        var time = notice.querySelector("[data-draft-time]");
        if (time) time.textContent = when.toLocaleString([], { month: "short", day: "numeric", year: "numeric", hour: "numeric", minute: "2-digit" });
        notice.hidden = false;
      }
      syncIdentity();
      syncOverride();
      var needs = form.querySelector("#needs");
      if (needs) needs.dispatchEvent(new Event("change", { bubbles: true }));
    }
    document.addEventListener("htmx:afterSettle", function () {
      if (pending.length) pending = applyDraft(form, pending);
      syncOverride();
    });
    var timer = null;
    function save() {
      timer = null;
      try {
        window.localStorage.setItem(key, JSON.stringify({ saved: Date.now(), fields: snapshotForm(form) }));
        if (notice && notice.hidden === false) return;
        var saved = document.querySelector("[data-draft-saved]");
        if (saved) saved.hidden = false;
      } catch (e) { /* storage full or refused */ }
    }
    form.addEventListener("input", function () { if (!timer) timer = window.setTimeout(save, 400); });
    form.addEventListener("change", function () { if (!timer) timer = window.setTimeout(save, 400); });
    form.addEventListener("submit", save);
    // leaving the page (a tap on a link, the phone locking the tab) keeps the last keystrokes
    window.addEventListener("pagehide", function () { if (timer) { window.clearTimeout(timer); save(); } });
    var discard = document.querySelector("[data-draft-discard]");
    if (discard) discard.addEventListener("click", function () {
      try { window.localStorage.removeItem(key); } catch (e) { /* nothing kept */ }
      window.location.reload();
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    // a contact the server recorded: its draft is done
    document.querySelectorAll("[data-draft-done]").forEach(function (el) {
      var done = el.dataset.draftDone;
      drafts().forEach(function (key) {
        var draft = readDraft(key);
        if (draft && draft.fields.some(function (p) { return p[0] === "idempotency_key" && p[1] === done; })) {
          window.localStorage.removeItem(key);
        }
      });
    });
    document.querySelectorAll("form[data-draft]").forEach(setUpDraft);
  });
  // signing out removes every draft kept on this device
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.hasAttribute("data-sign-out")) {
      drafts().forEach(function (key) { window.localStorage.removeItem(key); });
    }
  }, true);
})();
