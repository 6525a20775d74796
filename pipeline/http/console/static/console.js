// The console's shared script (served from this origin; pages have no inline script).
// Forms marked data-confirm ask before they submit; fetch helpers send the CSRF token header.
"use strict";
(function () {
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
  window.optoutConsole = {
    csrfToken: function () {
      var field = document.querySelector('input[name="csrf_token"]');
      return field ? field.value : "";
    },
    postJson: function (url, body) {
      return fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": window.optoutConsole.csrfToken() },
        body: JSON.stringify(body || {}),
      });
    },
  };
})();
