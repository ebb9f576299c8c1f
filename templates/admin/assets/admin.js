// specstar admin: small enhancements over pages that work without JavaScript.
// Times are stored in UTC; this shows them in the browser's zone and names it.
(function () {
  "use strict";
  var zone = (Intl.DateTimeFormat().resolvedOptions().timeZone) || "UTC";
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function localInput(d) {
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" +
      pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
  }
  var fmt = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });
  function enhance(root) {
    root.querySelectorAll("time[datetime]").forEach(function (t) {
      if (t.dataset.local) { return; }
      var d = new Date(t.getAttribute("datetime"));
      if (isNaN(d)) { return; }
      t.dataset.local = "1";
      t.title = t.textContent;
      t.textContent = fmt.format(d) + " (" + zone + ")";
    });
    // datetime inputs arrive in UTC; show them in the browser's zone, and
    // tell the server which zone the form speaks.
    root.querySelectorAll("input[data-utc]").forEach(function (i) {
      if (i.dataset.local) { return; }
      i.dataset.local = "1";
      if (i.value) {
        var d = new Date(i.value + "Z");
        if (!isNaN(d)) { i.value = localInput(d); }
      }
    });
    root.querySelectorAll("[data-zone]").forEach(function (s) { s.textContent = zone; });
    root.querySelectorAll("input[data-tz]").forEach(function (i) { i.value = zone; });
    root.querySelectorAll("textarea[data-json]").forEach(function (t) {
      t.addEventListener("input", function () {
        if (t.value.trim() === "") { t.setCustomValidity(""); return; }
        try { JSON.parse(t.value); t.setCustomValidity(""); }
        catch (e) { t.setCustomValidity("Not valid JSON: " + e.message); }
        t.reportValidity();
      });
    });
    root.querySelectorAll("[data-check-all]").forEach(function (all) {
      all.addEventListener("change", function () {
        all.closest("form").querySelectorAll("input[name='id']").forEach(function (c) { c.checked = all.checked; });
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  document.addEventListener("htmx:load", function (e) { enhance(e.target); });
  // htmx requests carry the CSRF token like the forms do.
  document.addEventListener("htmx:configRequest", function (e) {
    var m = document.querySelector("meta[name='csrf-token']");
    if (m) { e.detail.headers["X-CSRF-Token"] = m.content; }
  });
})();
