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
})();
