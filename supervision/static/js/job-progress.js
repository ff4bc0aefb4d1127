// The job page: poll /jobs/<id>.json while the job runs and move the <progress> bar; reload the
// page once it has ended (to show the download link, or the error and the retry button).
// Without JavaScript the page keeps its refresh link. A failed poll (the server busy a moment) is
// tried again a little later: the bar never stops following a job that still runs.
(function () {
  "use strict";
  var panel = document.querySelector("[data-job-status-url]");
  if (!panel || !panel.hasAttribute("data-job-running")) { return; }
  var url = panel.getAttribute("data-job-status-url");
  var bar = panel.querySelector("progress");
  var counts = panel.querySelector("[data-job-field=counts]");
  var refresh = panel.querySelector(".job-refresh");
  if (refresh) { refresh.hidden = true; }
  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (job) {
        if (job.total) {
          bar.max = job.total;
          bar.value = job.done;
          counts.textContent = job.done.toLocaleString("en-US") + " / " + job.total.toLocaleString("en-US");  // as the page: 1,234
        }
        if (job.finished) { window.location.reload(); return; }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
})();
