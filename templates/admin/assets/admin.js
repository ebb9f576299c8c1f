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
    // Revisions in the compare selects: "#3 · <time in the browser's zone> (zone)".
    root.querySelectorAll("option[data-time]").forEach(function (o) {
      if (o.dataset.local) { return; }
      var d = new Date(o.dataset.time);
      if (isNaN(d)) { return; }
      o.dataset.local = "1";
      o.textContent = "#" + o.value + " · " + fmt.format(d) + " (" + zone + ")";
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
    root.querySelectorAll("textarea[data-tags]").forEach(chips);
    // Chosen images are previewed before the form is saved.
    root.querySelectorAll("input[type=file][data-preview]").forEach(function (i) {
      if (i.dataset.previewing) { return; }
      i.dataset.previewing = "1";
      var box = document.createElement("ul");
      box.className = "files chosen";
      i.parentNode.insertBefore(box, i.nextSibling);
      i.addEventListener("change", function () {
        box.querySelectorAll("img").forEach(function (img) { URL.revokeObjectURL(img.src); });
        box.textContent = "";
        Array.prototype.forEach.call(i.files, function (f) {
          if (!/^image\/(png|jpeg|gif|webp|avif|bmp)$/.test(f.type)) { return; }
          var li = document.createElement("li"), img = document.createElement("img");
          img.className = "preview";
          img.src = URL.createObjectURL(f);
          img.alt = "Preview of " + f.name + ", not saved yet";
          li.appendChild(img);
          box.appendChild(li);
        });
      });
    });
    // A ref picker shows the target's display value; picking an option
    // puts its id in the picker's hidden input.
    root.querySelectorAll("input[data-ref]").forEach(function (i) {
      if (i.dataset.picker) { return; }
      i.dataset.picker = "1";
      i.addEventListener("input", function () {
        var list = i.list, hidden = document.getElementById(i.dataset.ref);
        if (!list || !hidden) { return; }
        for (var k = 0; k < list.options.length; k++) {
          if (list.options[k].value === i.value) { hidden.value = list.options[k].dataset.id; return; }
        }
      });
    });
    root.querySelectorAll("[data-check-all]").forEach(function (all) {
      all.addEventListener("change", function () {
        all.closest("form").querySelectorAll("input[name='id']").forEach(function (c) { c.checked = all.checked; });
      });
    });
  }
  // chips turns a list's textarea (one value per line, which is what the
  // form sends) into chips and a text input: Enter or a comma adds the
  // typed value, Backspace in the empty input removes the last chip, and
  // each chip has a remove button. The textarea stays the form's field.
  function chips(ta) {
    if (ta.dataset.chips) { return; }
    ta.dataset.chips = "1";
    var box = document.createElement("div");
    box.className = "chips";
    var list = document.createElement("ul");
    list.className = "chip-list";
    var input = document.createElement("input");
    input.type = "text";
    input.id = ta.id;
    ta.id = ta.id + "-text";
    input.autocomplete = "off";
    ["aria-describedby", "aria-invalid"].forEach(function (a) {
      if (ta.hasAttribute(a)) { input.setAttribute(a, ta.getAttribute(a)); }
    });
    input.disabled = ta.disabled;
    var help = document.getElementById(input.id + "-tags");
    if (help) {
      var max = ta.dataset.max;
      help.textContent = "Type a value and press Enter or a comma to add it; Backspace in the empty box removes the last one" + (max ? "; at most " + max : "") + ".";
      input.setAttribute("aria-describedby", ((input.getAttribute("aria-describedby") || "") + " " + help.id).trim());
    }
    var status = document.createElement("span");
    status.className = "sr";
    status.setAttribute("role", "status");
    function values() {
      return ta.value.split("\n").map(function (v) { return v.trim(); }).filter(Boolean);
    }
    function set(vs, said) {
      ta.value = vs.join("\n");
      render();
      if (said) { status.textContent = said; }
    }
    function render() {
      list.textContent = "";
      values().forEach(function (v, i) {
        var li = document.createElement("li");
        li.className = "chip";
        var text = document.createElement("span");
        text.textContent = v;
        var rm = document.createElement("button");
        rm.type = "button";
        rm.textContent = "×";
        rm.setAttribute("aria-label", "Remove " + v);
        rm.disabled = ta.disabled;
        rm.addEventListener("click", function () {
          var vs = values();
          vs.splice(i, 1);
          set(vs, "Removed " + v);
          input.focus();
        });
        li.appendChild(text);
        li.appendChild(rm);
        list.appendChild(li);
      });
    }
    function add() {
      var vs = values(), added = [];
      input.value.split(/[,\n]/).forEach(function (v) {
        v = v.trim();
        if (v && vs.indexOf(v) < 0) { vs.push(v); added.push(v); }
      });
      input.value = "";
      if (added.length) { set(vs, "Added " + added.join(", ")); }
    }
    input.addEventListener("keydown", function (e) {
      if (e.key === "Enter" || e.key === ",") {
        e.preventDefault();
        add();
      } else if (e.key === "Backspace" && input.value === "") {
        var vs = values();
        if (vs.length) {
          var last = vs.pop();
          set(vs, "Removed " + last);
        }
      }
    });
    // Enter adds a chip, never submits the form (some input methods
    // send it as a keypress of its own).
    input.addEventListener("keypress", function (e) {
      if (e.key === "Enter") { e.preventDefault(); }
    });
    input.addEventListener("input", function () {
      if (/[,\n]/.test(input.value)) { add(); }
    });
    input.addEventListener("blur", add);
    if (ta.form) { ta.form.addEventListener("submit", add); }
    box.appendChild(list);
    box.appendChild(input);
    box.appendChild(status);
    ta.hidden = true;
    ta.parentNode.insertBefore(box, ta);
    render();
  }
  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  document.addEventListener("htmx:load", function (e) { enhance(e.target); });
  // htmx requests carry the CSRF token like the forms do.
  document.addEventListener("htmx:configRequest", function (e) {
    var m = document.querySelector("meta[name='csrf-token']");
    if (m) { e.detail.headers["X-CSRF-Token"] = m.content; }
  });
})();
