// The check's progress page: asks the job's status every second and shows the bytes read;
// reloads the page when the check has ended. Without JavaScript the page's Refresh link does the same.
"use strict";
(function () {
  var box = document.getElementById("progress");
  if (!box) { return; }
  var url = box.getAttribute("data-status-url");
  var text = document.getElementById("progress-text");
  var bar = document.getElementById("progress-bar");
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (status) {
        if (status.state !== "running") { window.location.reload(); return; }
        if (status.bytes_read !== null && status.bytes_total) {
          bar.max = status.bytes_total;
          bar.value = status.bytes_read;
          text.textContent = "Checking… " + status.bytes_read.toLocaleString() + " of " + status.bytes_total.toLocaleString() +
            " bytes read; " + status.bytes_written.toLocaleString() + " bytes of the send file written.";
        }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
})();
