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
})();
